"""Bad filters are usage errors naming what is allowed, never a silent "0 events match"."""

from __future__ import annotations

import json

import pytest

from dissentwatch.store import Store


@pytest.mark.parametrize(("args", "said"), [
    (("events", "--type", "refusl"),
     "unknown type 'refusl' (did you mean 'refusal'?); allowed: video_appeal, written_appeal, refusal"),
    (("events", "--review", "confirmd"), "unknown review status 'confirmd' (did you mean 'confirmed'?)"),
    (("events", "--region", "XX-YYY"), "unknown region 'XX-YYY': not in the gazetteer of regions"),
    (("counts", "--type", "video_appeal", "--type", "mutni"), "unknown type 'mutni' (did you mean 'mutiny'?)"),
    (("export", "events", "--region", "Atlantis"), "unknown region 'Atlantis'"),
])
def test_a_bad_filter_is_a_usage_error(events_store: Store, cli, args, said) -> None:  # type: ignore[no-untyped-def]
    result = cli(*args)
    assert result.exit_code == 2, result.output
    assert said in " ".join(result.output.split())
    assert "events match" not in result.output


def test_good_filters_still_match(events_store: Store, cli) -> None:  # type: ignore[no-untyped-def]
    by_code = json.loads(cli("events", "--region", "RU-KGD", "--review", "new", "--json").stdout)
    by_name = json.loads(cli("events", "--region", "Kaliningrad Oblast", "--json").stdout)
    assert by_code and {e["id"] for e in by_code} == {e["id"] for e in by_name}
    assert cli("events", "--type", "refusal").exit_code == 0
