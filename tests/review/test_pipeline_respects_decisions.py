"""The contract with resolve: a later pipeline run never undoes an analyst's decision."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from dissentwatch import review
from dissentwatch.publish.shape import event_as_dict
from dissentwatch.store import Store

sys.path.insert(0, str(Path(__file__).parent.parent / "web"))
from dw_seed import seed  # noqa: E402

resolver = pytest.importorskip("dissentwatch.resolve.resolver")


@pytest.mark.parametrize("rebuild", [False, True])
def test_resolve_keeps_decisions(store: Store, rebuild: bool) -> None:
    seed(store)
    review.confirm(store, "ev-refusal", "ana")
    review.edit_field(store, "ev-dismissal", "participants", 300, "ana")
    review.merge(store, "ev-appeal5", "ev-appeal5b", "ana")
    first = store.scalar("SELECT MIN(mention_id) FROM event_mentions WHERE event_id = 'ev-appeal5'")
    split_id = review.split(store, "ev-appeal5", [first], "ana")
    decided = "SELECT DISTINCT event_id FROM decisions"
    before = {r["id"]: (r["review_status"], r["merged_into"])
              for r in store.query(f"SELECT * FROM events WHERE id IN ({decided})")}
    assert len(before) == 5
    pinned = "SELECT mention_id, event_id FROM event_mentions WHERE pinned = 1"
    members = {r[0]: r[1] for r in store.query(pinned)}

    resolver.resolve_mentions(store, rebuild=rebuild)

    after = {r["id"]: (r["review_status"], r["merged_into"]) for r in store.query("SELECT * FROM events")}
    for event_id, state in before.items():
        assert after.get(event_id) == state, event_id  # untouched events may be re-clustered
    assert {r[0]: r[1] for r in store.query(pinned)} == members
    assert event_as_dict(store, "ev-dismissal")["participants"] == 300
    assert json.loads(store.scalar("SELECT locked_fields FROM events WHERE id = 'ev-dismissal'")) == ["participants"]
    assert event_as_dict(store, "ev-appeal5b")["id"] == "ev-appeal5"
    assert event_as_dict(store, split_id)["sources"]
    assert store.scalar("SELECT COUNT(*) FROM decisions") == 6
