"""An analyst's edit is checked before anything is written: vocabularies, the event model's
date formats, counts, and the gazetteer of regions. A refused edit leaves no trace."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

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


def _snapshot(store: Store) -> list[tuple[Any, ...]]:
    rows = store.query("SELECT * FROM events WHERE id = 'ev-refusal'")
    regions = store.query("SELECT * FROM events_regions WHERE event_id = 'ev-refusal' ORDER BY role, iso")
    return [tuple(r) for r in rows + regions] + [(store.scalar("SELECT COUNT(*) FROM decisions"),)]


@pytest.mark.parametrize(("field", "value", "said"), [
    ("date", "garbage", "date 'garbage' is not a date: write 2023-03-06, 2023-03, 2023 or --03-06"),
    ("date", "2023-02-30", "is not a date"),
    ("date", "2023-13", "is not a date"),
    ("date_precision", "week", "unknown date_precision 'week'; allowed: day, month, year"),
    ("participants", "many", "participants takes a number (12) or a range (5-10 or [5, 10]), not 'many'"),
    ("participants", [10, 5], "runs backwards"),
    ("participants", -3, "participants takes a number"),
    ("participants", True, "participants takes a number"),
    ("killed_claimed", "several", "killed_claimed takes a whole number"),
    ("home_regions", "Atlantis", "unknown home region 'Atlantis': not in the gazetteer of regions"),
    ("home_regions", [{"name": "Murmansk Oblast", "iso": "RU-KGD"}], "is RU-MUR, not 'RU-KGD'"),
    ("home_regions", [{"iso": "XX-YYY"}], "unknown home region 'XX-YYY'"),
    ("location", "Nowhereville", "unknown location 'Nowhereville': not in the gazetteer; give its coordinates"),
    ("location", {"name": "a field", "lat": 95, "lon": 30}, "location lat takes a number from -90 to 90"),
    ("status", "mobilised", "unknown status 'mobilised' (did you mean 'mobilized'?)"),
    ("affiliation", "wagner", "unknown affiliation 'wagner'; allowed: defence_ministry"),
    ("addressee", "pope", "unknown addressee 'pope'"),
    ("unit", {"name": "5th", "kind": "squadron"}, "unknown unit kind 'squadron'"),
    ("unit", {"name": "x", "colour": "red"}, "unit has unknown keys colour"),
    ("faces_covered", "maybe", "faces_covered takes true or false, not 'maybe'"),
    ("type", "", "type cannot be emptied"),
    ("demands", ["pay", "cake"], "unknown demands 'cake'"),
])
def test_a_bad_value_is_refused_and_nothing_is_written(seeded: Store, field: str, value: Any, said: str) -> None:
    before = _snapshot(seeded)
    with pytest.raises(review.ReviewError) as error:
        review.edit_field(seeded, "ev-refusal", field, value, "ana")
    assert said in str(error.value)
    assert _snapshot(seeded) == before


def test_good_values_are_stored_in_the_export_shape(seeded: Store) -> None:
    review.edit_field(seeded, "ev-refusal", "date", "--03-06", "ana")
    review.edit_field(seeded, "ev-refusal", "participants", "5-10", "ana")
    review.edit_field(seeded, "ev-refusal", "home_regions", "Калининградская область; ru-mur", "ana")
    review.edit_field(seeded, "ev-refusal", "location", "Belgorod", "ana")
    review.edit_field(seeded, "ev-refusal", "unit", 255, "ana")
    review.edit_field(seeded, "ev-refusal", "killed_claimed", "6", "ana")
    shape = event_as_dict(seeded, "ev-refusal")
    assert shape["date"] == "--03-06" and shape["participants"] == [5, 10] and shape["killed_claimed"] == 6
    assert [(r["iso"], r["name"]) for r in shape["home_regions"]] == [
        ("RU-KGD", "Kaliningrad Oblast"), ("RU-MUR", "Murmansk Oblast")]
    assert all(isinstance(r["lat"], float) and isinstance(r["lon"], float) for r in shape["home_regions"])
    assert shape["location"]["name"] == "Belgorod" and shape["location"]["lat"] is not None
    assert shape["unit"] == {"number": "255"}
    isos = {r[0] for r in seeded.query("SELECT iso FROM events_regions WHERE event_id = 'ev-refusal' AND role = 'home'")}
    assert isos == {"RU-KGD", "RU-MUR"}


def test_cli_edit_refuses_garbage_with_a_clear_message(seeded: Store, cli) -> None:  # type: ignore[no-untyped-def]
    before = _snapshot(seeded)
    for field, value, said in (("date", "garbage", "date 'garbage' is not a date"),
                               ("participants", "many", "participants takes a number"),
                               ("home_regions", "Atlantis", "unknown home region 'Atlantis'")):
        result = cli("review", "edit", "ev-refusal", field, value)
        assert result.exit_code == 1 and said in result.output, result.output
    assert _snapshot(seeded) == before
    exported = json.loads(cli("export", "events").stdout)
    refusal = next(e for e in exported if e["id"] == "ev-refusal")
    assert refusal["date"] == "2023-04-22" and refusal["participants"] is None and refusal["home_regions"] == []
    ok = cli("review", "edit", "ev-refusal", "date", "2023")
    assert ok.exit_code == 0 and event_as_dict(seeded, "ev-refusal")["date"] == "2023"
