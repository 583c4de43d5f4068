"""The review library on a real store: every decision changes the events and writes the audit log."""

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


@pytest.fixture
def seeded(store: Store) -> Store:
    seed(store)
    return store


def _mentions(store: Store, event_id: str) -> list[tuple[int, int]]:
    return [tuple(r) for r in store.query(
        "SELECT mention_id, pinned FROM event_mentions WHERE event_id = ? ORDER BY mention_id", (event_id,))]


def test_confirm_and_reject_are_logged(seeded: Store) -> None:
    review.confirm(seeded, "ev-refusal", "ana", note="two sources agree")
    review.reject(seeded, "ev-evil", "ana")
    assert seeded.scalar("SELECT review_status FROM events WHERE id = 'ev-refusal'") == "confirmed"
    log = review.history(seeded, "ev-refusal")
    assert log[0]["action"] == "confirm" and log[0]["user"] == "ana" and log[0]["note"] == "two sources agree"
    assert log[0]["before"] == {"review_status": "new"} and log[0]["after"] == {"review_status": "confirmed"}
    assert log[0]["at"].endswith("Z")
    assert review.history(seeded, "ev-evil")[0]["after"] == {"review_status": "rejected"}


def test_unknown_event_and_status(seeded: Store) -> None:
    with pytest.raises(review.ReviewError, match="no event"):
        review.confirm(seeded, "ev-nope", "ana")
    with pytest.raises(review.ReviewError, match="unknown review status"):
        review.set_review_status(seeded, "ev-refusal", "maybe", "ana")
    assert seeded.scalar("SELECT COUNT(*) FROM decisions") == 0


def test_edit_locks_the_field_and_updates_columns(seeded: Store) -> None:
    review.edit_field(seeded, "ev-refusal", "unit", {"name": "255th regiment", "number": "255", "kind": "regiment"}, "ana")
    review.edit_field(seeded, "ev-refusal", "grievances", "pay, poor_command", "ana")
    row = seeded.query("SELECT * FROM events WHERE id = 'ev-refusal'")[0]
    assert row["unit_number"] == "255" and row["review_status"] == "edited"
    assert json.loads(row["locked_fields"]) == ["grievances", "unit"]
    shape = event_as_dict(seeded, "ev-refusal")
    assert shape["unit"]["name"] == "255th regiment" and shape["grievances"] == ["pay", "poor_command"]
    log = review.history(seeded, "ev-refusal")
    assert log[0]["before"] == {"unit": None} and log[0]["field"] == "unit"


def test_edit_checks_vocabularies(seeded: Store) -> None:
    with pytest.raises(review.ReviewError, match="unknown grievances 'cake'; allowed: frontal_assaults"):
        review.edit_field(seeded, "ev-refusal", "grievances", ["pay", "cake"], "ana")
    with pytest.raises(review.ReviewError, match="unknown type"):
        review.edit_field(seeded, "ev-refusal", "type", "picnic", "ana")
    with pytest.raises(review.ReviewError, match="cannot be edited"):
        review.edit_field(seeded, "ev-refusal", "review_status", "confirmed", "ana")
    review.edit_field(seeded, "ev-refusal", "type", "desertion", "ana")
    assert seeded.scalar("SELECT type FROM events WHERE id = 'ev-refusal'") == "desertion"


def test_edit_of_home_regions_rewrites_region_rows(seeded: Store) -> None:
    region = {"name": "Arkhangelsk Oblast", "iso": "RU-ARK", "lat": 64.5, "lon": 40.5}
    review.edit_field(seeded, "ev-refusal", "home_regions", [region], "ana")
    assert seeded.query("SELECT iso FROM events_regions WHERE event_id = 'ev-refusal' AND role = 'home'")[0][0] == "RU-ARK"


def test_merge_moves_and_pins_mentions(seeded: Store) -> None:
    before_target = _mentions(seeded, "ev-appeal5")
    moved = _mentions(seeded, "ev-appeal5b")
    review.merge(seeded, "ev-appeal5", "ev-appeal5b", "ana")
    after = _mentions(seeded, "ev-appeal5")
    assert sorted(m for m, _ in after) == sorted(m for m, _ in before_target + moved)
    assert all(pinned == 1 for _, pinned in after)
    assert _mentions(seeded, "ev-appeal5b") == []
    assert seeded.scalar("SELECT merged_into FROM events WHERE id = 'ev-appeal5b'") == "ev-appeal5"
    shape = event_as_dict(seeded, "ev-appeal5b")  # the old id leads to the target
    assert shape["id"] == "ev-appeal5" and len(shape["sources"]) == 3
    assert "withdraw_to_rear_or_home" in shape["demands"]  # filled in from the merged event
    assert seeded.scalar("SELECT sources_count FROM events WHERE id = 'ev-appeal5'") == 3
    for event_id in ("ev-appeal5", "ev-appeal5b"):
        assert review.history(seeded, event_id)[0]["action"] == "merge"


def test_merge_refuses_self_and_merged(seeded: Store) -> None:
    with pytest.raises(review.ReviewError, match="itself"):
        review.merge(seeded, "ev-refusal", "ev-refusal", "ana")
    review.merge(seeded, "ev-appeal5", "ev-appeal5b", "ana")
    with pytest.raises(review.ReviewError, match="was merged into"):
        review.merge(seeded, "ev-refusal", "ev-appeal5b", "ana")


def test_split_makes_a_separate_pinned_event(seeded: Store) -> None:
    mentions = [m for m, _ in _mentions(seeded, "ev-appeal5")]
    new_id = review.split(seeded, "ev-appeal5", [mentions[1]], "ana")
    assert [m for m, _ in _mentions(seeded, new_id)] == [mentions[1]]
    assert all(p == 1 for _, p in _mentions(seeded, "ev-appeal5") + _mentions(seeded, new_id))
    assert seeded.query("SELECT event_a, event_b FROM event_separations")[0][:] == ("ev-appeal5", new_id)
    shape = event_as_dict(seeded, new_id)
    assert shape["type"] == "video_appeal" and [s["document_id"] for s in shape["sources"]] == ["news/beta/7"]
    assert event_as_dict(seeded, "ev-appeal5")["sources"][0]["document_id"] == "tg/alpha/101"
    assert review.history(seeded, new_id)[0]["after"]["moved"] == [mentions[1]]
    # the same split again is refused: those mentions are no longer in the event
    with pytest.raises(review.ReviewError):
        review.split(seeded, "ev-appeal5", [mentions[1]], "ana")


def test_split_must_leave_a_mention(seeded: Store) -> None:
    mentions = [m for m, _ in _mentions(seeded, "ev-appeal5")]
    with pytest.raises(review.ReviewError, match="at least one"):
        review.split(seeded, "ev-appeal5", mentions, "ana")


def test_cli_review_commands(cli, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    with Store(db_path) as store:
        seed(store)
    assert cli("review", "confirm", "ev-refusal", "--user", "ana").exit_code == 0
    assert cli("review", "edit", "ev-refusal", "participants", "12", "--user", "ana").exit_code == 0
    assert cli("review", "merge", "ev-appeal5", "ev-appeal5b").exit_code == 0
    bad = cli("review", "edit", "ev-refusal", "status", "pirate")
    assert bad.exit_code != 0 and "unknown status" in bad.output
    history = json.loads(cli("review", "history", "ev-refusal", "--json").output)
    assert [h["action"] for h in history] == ["confirm", "edit"]
    assert history[1]["after"] == {"participants": 12}
    merged = json.loads(cli("review", "history", "ev-appeal5b", "--json").output)
    assert merged[0]["user"].startswith("cli:")
