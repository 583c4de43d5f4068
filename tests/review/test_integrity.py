"""Merges and splits leave events built from the sources they have now (issue 13, item 1).

After every merge, split or edit an event's fields, type and dates come from its current
mentions and the analysts' edits; merging two types asks which; links follow a merged event;
a merge or a split can be undone.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from dissentwatch import review
from dissentwatch.publish.shape import event_as_dict
from dissentwatch.resolve.resolver import resolve_mentions
from dissentwatch.store import Store

sys.path.insert(0, str(Path(__file__).parent.parent / "web"))
from dw_seed import seed  # noqa: E402


@pytest.fixture
def seeded(store: Store) -> Store:
    seed(store)
    return store


def _mentions_of(store: Store, event_id: str) -> list[int]:
    return [r[0] for r in store.query(
        "SELECT mention_id FROM event_mentions WHERE event_id = ? ORDER BY mention_id", (event_id,))]


def _row(store: Store, event_id: str) -> dict[str, object]:
    return dict(store.query("SELECT * FROM events WHERE id = ?", (event_id,))[0])


def _merge_then_split(store: Store) -> dict[str, object]:
    """Merge the written appeal into the refusal, then split its mention off again."""
    (evil,) = _mentions_of(store, "ev-evil")
    review.merge(store, "ev-refusal", "ev-evil", "ana", type="refusal")
    review.split(store, "ev-refusal", [evil], "ana")
    return event_as_dict(store, "ev-refusal")


def test_split_after_merge_leaves_only_the_remaining_sources_fields(seeded: Store) -> None:
    before = event_as_dict(seeded, "ev-refusal")
    after = _merge_then_split(seeded)
    assert after["unit"] is None and after["demands"] == []  # they came with the mention split off
    assert after["type"] == "refusal" and after["date"] == before["date"] == "2023-04-22"
    assert [s["document_id"] for s in after["sources"]] == ["news/delta/3"]
    row = _row(seeded, "ev-refusal")
    assert row["unit_number"] is None and json.loads(str(row["demands"])) == []
    assert row["sort_date"] == "2023-04-22"


def test_merge_recomputes_type_date_and_by_relatives_from_all_sources(seeded: Store) -> None:
    review.merge(seeded, "ev-appeal5", "ev-appeal5b", "ana")
    shape = event_as_dict(seeded, "ev-appeal5")
    assert shape["demands"] == ["withdraw_to_rear_or_home"] and "poor_command" in shape["grievances"]
    assert shape["date"] == "2023-03-06" and _row(seeded, "ev-appeal5")["sort_date"] == "2023-03-06"
    (moved,) = [m for m in _mentions_of(seeded, "ev-appeal5") if m not in _first_two(seeded)]
    review.split(seeded, "ev-appeal5", [moved], "ana")
    assert event_as_dict(seeded, "ev-appeal5")["demands"] == []


def _first_two(store: Store) -> list[int]:
    return [r[0] for r in store.query(
        "SELECT m.id FROM mentions m JOIN documents d ON d.id = m.document_id "
        "WHERE d.external_id IN ('tg/alpha/101', 'news/beta/7')")]


def test_a_merge_of_two_types_must_choose_one(seeded: Store) -> None:
    with pytest.raises(review.ReviewError, match=r"refusal.*written_appeal|written_appeal.*refusal"):
        review.merge(seeded, "ev-refusal", "ev-evil", "ana")
    assert _row(seeded, "ev-evil")["merged_into"] is None and seeded.scalar("SELECT COUNT(*) FROM decisions") == 0
    with pytest.raises(review.ReviewError, match="unknown type 'picnic'"):
        review.merge(seeded, "ev-refusal", "ev-evil", "ana", type="picnic")
    review.merge(seeded, "ev-refusal", "ev-evil", "ana", type="written_appeal")
    assert event_as_dict(seeded, "ev-refusal")["type"] == "written_appeal"
    assert _row(seeded, "ev-refusal")["type"] == "written_appeal"
    resolve_mentions(seeded, rebuild=True)  # the analyst's choice survives the pipeline
    assert _row(seeded, "ev-refusal")["type"] == "written_appeal"


def test_related_links_follow_the_merged_event(seeded: Store) -> None:
    # the seed links ev-refusal -> ev-dismissal (an analyst's link)
    review.merge(seeded, "ev-appeal5", "ev-refusal", "ana", type="video_appeal")
    links = seeded.query("SELECT from_event, to_event FROM event_relations")
    assert [tuple(r) for r in links] == [("ev-appeal5", "ev-dismissal")]
    assert event_as_dict(seeded, "ev-dismissal")["related"][0]["event_id"] == "ev-appeal5"
    review.merge(seeded, "ev-appeal5", "ev-dismissal", "ana", type="video_appeal")
    assert seeded.scalar("SELECT COUNT(*) FROM event_relations") == 0  # a link to itself is dropped


def test_edit_of_the_date_moves_sort_date(seeded: Store) -> None:
    review.edit_field(seeded, "ev-refusal", "date", "2023-05-02", "ana")
    assert _row(seeded, "ev-refusal")["sort_date"] == "2023-05-02"
    resolve_mentions(seeded, rebuild=True)
    assert _row(seeded, "ev-refusal")["sort_date"] == "2023-05-02"
    assert event_as_dict(seeded, "ev-refusal")["date"] == "2023-05-02"


def test_rebuild_repairs_an_event_left_stale(seeded: Store) -> None:
    """A store written by the old merge and split: fields of a source the event no longer has."""
    fields = json.loads(str(_row(seeded, "ev-refusal")["fields"]))
    fields.update(demands=["rotation_or_leave"], addressee="head_of_state", by_relatives=True)
    with seeded.transaction() as conn:
        conn.execute("UPDATE events SET fields = ?, demands = '[\"rotation_or_leave\"]', addressee = "
                     "'head_of_state', by_relatives = 1, type = 'written_appeal', review_status = 'edited' "
                     "WHERE id = 'ev-refusal'", (json.dumps(fields),))
        conn.execute("UPDATE event_mentions SET pinned = 1 WHERE event_id = 'ev-refusal'")
    assert event_as_dict(seeded, "ev-refusal")["demands"] == []  # never shown, even before a rebuild
    resolve_mentions(seeded, rebuild=True)
    row = _row(seeded, "ev-refusal")
    assert (row["type"], row["by_relatives"], row["addressee"], row["demands"]) == ("refusal", 0, None, "[]")
    shape = event_as_dict(seeded, "ev-refusal")
    assert shape["by_relatives"] is False and shape["addressee"] is None


def test_unmerge_restores_both_events(seeded: Store) -> None:
    before = {e: (event_as_dict(seeded, e), _mentions_of(seeded, e)) for e in ("ev-refusal", "ev-evil")}
    review.merge(seeded, "ev-refusal", "ev-evil", "ana", type="written_appeal")
    review.unmerge(seeded, "ev-evil", "ana")
    for event_id, (shape, mentions) in before.items():
        now = event_as_dict(seeded, event_id)
        assert now["id"] == event_id and _mentions_of(seeded, event_id) == mentions
        for key in ("type", "date", "unit", "demands", "status", "location", "sources", "related"):
            assert now[key] == shape[key], (event_id, key)
    assert _row(seeded, "ev-evil")["merged_into"] is None
    assert json.loads(str(_row(seeded, "ev-refusal")["locked_fields"])) == []
    assert [h["action"] for h in review.history(seeded, "ev-evil")] == ["merge", "unmerge"]
    with pytest.raises(review.ReviewError, match="not merged"):
        review.unmerge(seeded, "ev-evil", "ana")


def test_unmerge_puts_links_back(seeded: Store) -> None:
    review.merge(seeded, "ev-appeal5", "ev-refusal", "ana", type="video_appeal")
    review.undo(seeded, "ev-appeal5", "ana")
    assert [tuple(r) for r in seeded.query("SELECT from_event, to_event FROM event_relations")] == [
        ("ev-refusal", "ev-dismissal")]
    assert _row(seeded, "ev-appeal5")["type"] == "video_appeal"


def test_undo_of_a_split_puts_the_mentions_back(seeded: Store) -> None:
    mentions = _mentions_of(seeded, "ev-appeal5")
    new_id = review.split(seeded, "ev-appeal5", [mentions[1]], "ana")
    review.undo(seeded, new_id, "ana")
    assert _mentions_of(seeded, "ev-appeal5") == mentions and _mentions_of(seeded, new_id) == []
    assert seeded.scalar("SELECT COUNT(*) FROM event_separations") == 0
    assert event_as_dict(seeded, new_id)["id"] == "ev-appeal5"  # the split-off URL leads back
    # the same split again works, and undo again
    again = review.split(seeded, "ev-appeal5", [mentions[1]], "ana")
    assert event_as_dict(seeded, again)["id"] == again and _mentions_of(seeded, again) == [mentions[1]]
    review.undo(seeded, "ev-appeal5", "ana")
    assert _mentions_of(seeded, "ev-appeal5") == mentions
    with pytest.raises(review.ReviewError, match="nothing to undo"):
        review.undo(seeded, "ev-appeal5", "ana")


def test_undo_after_resolve_and_chained_merges(seeded: Store) -> None:
    review.merge(seeded, "ev-appeal5", "ev-appeal5b", "ana")
    review.merge(seeded, "ev-refusal", "ev-appeal5", "ana", type="refusal")
    resolve_mentions(seeded, rebuild=True)
    review.unmerge(seeded, "ev-appeal5b", "ana")  # its mention now sits in ev-refusal
    assert [d["document_id"] for d in event_as_dict(seeded, "ev-appeal5b")["sources"]] == ["tg/gamma/55"]
    assert "withdraw_to_rear_or_home" not in event_as_dict(seeded, "ev-refusal")["demands"]


def test_cli_merge_of_two_types_and_undo(cli, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    with Store(db_path) as store:
        seed(store)
    refused = cli("review", "merge", "ev-refusal", "ev-evil")
    assert refused.exit_code != 0
    assert "ev-refusal is a refusal" in refused.output and "ev-evil is a written_appeal" in refused.output
    assert "--type" in refused.output
    bad = cli("review", "merge", "ev-refusal", "ev-evil", "--type", "picnic")
    assert bad.exit_code != 0 and "unknown type 'picnic'" in bad.output
    assert cli("review", "merge", "ev-refusal", "ev-evil", "--type", "refusal").exit_code == 0
    undone = cli("review", "undo", "ev-evil")
    assert undone.exit_code == 0, undone.output
    with Store(db_path) as store:
        assert store.scalar("SELECT merged_into FROM events WHERE id = 'ev-evil'") is None
    assert cli("review", "undo", "ev-evil").exit_code != 0


def test_type_evidence_comes_from_mentions_of_that_type(seeded: Store) -> None:
    review.merge(seeded, "ev-refusal", "ev-evil", "ana", type="refusal")
    quotes = [e["quote"] for e in event_as_dict(seeded, "ev-refusal")["evidence"] if e["field"] == "type"]
    assert quotes == ["refused to return to the front"]  # not the written appeal's words
    assert {e["document_id"] for e in event_as_dict(seeded, "ev-refusal")["evidence"]} >= {"tg/evil/1"}


@pytest.mark.parametrize("chosen", [None, "refusal"])
def test_a_type_an_analyst_set_survives_a_merge_into_an_event_of_that_type(seeded: Store, chosen: str | None) -> None:
    # two video-appeal reports whose event an analyst typed a refusal; merged into a refusal event
    review.edit_field(seeded, "ev-appeal5", "type", "refusal", "ana")
    review.merge(seeded, "ev-refusal", "ev-appeal5", "ana", type=chosen)
    row = seeded.query("SELECT type, locked_fields FROM events WHERE id = 'ev-refusal'")[0]
    assert row["type"] == "refusal" and "type" in json.loads(row["locked_fields"])  # the votes say video_appeal
    resolve_mentions(seeded, rebuild=True)
    assert seeded.scalar("SELECT type FROM events WHERE id = 'ev-refusal'") == "refusal"
    review.undo(seeded, "ev-refusal", "ana")
    assert seeded.scalar("SELECT locked_fields FROM events WHERE id = 'ev-refusal'") == "[]"


def test_a_merge_no_one_typed_is_typed_by_its_mentions(seeded: Store) -> None:
    review.merge(seeded, "ev-appeal5", "ev-appeal5b", "ana")  # both video appeals, nobody chose
    row = seeded.query("SELECT type, locked_fields FROM events WHERE id = 'ev-appeal5'")[0]
    assert row["type"] == "video_appeal" and json.loads(row["locked_fields"]) == []
