"""Property-based run of the read API: schemathesis generates requests from /openapi.json and
sends them to a real server; no request may get a server error, and every response must
conform to the description."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from dissentwatch.store import Store
from dissentwatch.web import auth

schemathesis = pytest.importorskip("schemathesis")

pytestmark = pytest.mark.slow


def test_openapi_fuzz_finds_no_server_error(live_server: str, seeded_db: Path) -> None:
    with Store(seeded_db) as store:
        token = auth.new_token(store, "vic")
    schema = schemathesis.openapi.from_url(f"{live_server}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 5
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(base_url=live_server, headers={"Authorization": f"Bearer {token}"})

        check()
