"""Random sequences of merge, split, edit, undo and resolve on a real SQLite store; after every
step each event shows only what its current sources (their evidence) or an analyst gave, and
a resolve keeps every analyst's decision."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from dissentwatch import review
from dissentwatch.models import EVENT_TYPES
from dissentwatch.publish.shape import event_as_dict
from dissentwatch.resolve.aggregate import sort_date
from dissentwatch.resolve.resolver import resolve_mentions
from dissentwatch.store import Store
from eventfactory import add_document, mention, save

# (text, published, type, by_relatives, fields, evidence quote per field); written for this test
REPORTS: list[tuple[str, str, str, bool, dict[str, Any], dict[str, str]]] = [
    ("Men of the 255th regiment filmed an appeal on 6 March to the president asking for rotation.",
     "2023-03-06T10:00:00Z", "video_appeal", False,
     {"unit": {"name": "255th regiment", "number": "255", "kind": "regiment"}, "date": "2023-03-06",
      "addressee": "head_of_state", "demands": ["rotation_or_leave"]},
     {"unit": "255th regiment", "date": "6 March", "addressee": "the president", "demands": "asking for rotation"}),
    ("Wives of men in the 255th regiment sent a letter on 7 March to the governor about unpaid wages.",
     "2023-03-07T09:00:00Z", "written_appeal", True,
     {"unit": {"name": "255th regiment", "number": "255", "kind": "regiment"}, "date": "2023-03-07",
      "addressee": "governor", "grievances": ["pay"]},
     {"unit": "255th regiment", "date": "7 March", "addressee": "the governor", "grievances": "unpaid wages",
      "by_relatives": "Wives of men"}),
    ("A contract soldier of the 155th brigade would not go back to the front on 12 April.",
     "2023-04-12T08:00:00Z", "refusal", False,
     {"unit": {"name": "155th brigade", "number": "155", "kind": "brigade"}, "date": "2023-04-12",
      "status": "contract"},
     {"unit": "155th brigade", "date": "12 April", "status": "contract soldier"}),
    ("Several men of the 155th brigade left their positions without leave on 14 April.",
     "2023-04-14T08:00:00Z", "desertion", False,
     {"unit": {"name": "155th brigade", "number": "155", "kind": "brigade"}, "date": "2023-04-14"},
     {"unit": "155th brigade", "date": "14 April"}),
    ("Mobilised men of the 36th brigade spoke on camera on 2 May about being sent into frontal assaults.",
     "2023-05-02T12:00:00Z", "video_appeal", False,
     {"unit": {"name": "36th brigade", "number": "36", "kind": "brigade"}, "date": "2023-05-02",
      "status": "mobilized", "grievances": ["frontal_assaults"]},
     {"unit": "36th brigade", "date": "2 May", "status": "Mobilised men", "grievances": "frontal assaults"}),
    ("On 20 May a garrison court sentenced a 155th brigade soldier for refusing orders.",
     "2023-05-21T07:00:00Z", "prosecution", False,
     {"unit": {"name": "155th brigade", "number": "155", "kind": "brigade"}, "date": "2023-05-20"},
     {"unit": "155th brigade", "date": "On 20 May"}),
]
EDITS: list[tuple[str, Any]] = [
    ("participants", 12), ("addressee", "defence_ministry"), ("date", "2023-06-01"), ("type", "mutiny"),
    ("demands", ["pay"]), ("by_relatives", True),
]
CHECKED = ("date", "status", "addressee", "grievances", "demands", "unit", "participants")


@pytest.fixture(scope="module")
def base_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("property") / "base.db"
    with Store(path) as store:
        for i, (text, published, type_, by_relatives, fields, quotes) in enumerate(REPORTS):
            doc = add_document(store, f"r{i}", text, published=published, language="en")
            m = mention(store, doc, type_, text.split()[0], fields=fields, evidence=quotes)
            m.by_relatives = by_relatives
            for ev in m.evidence:
                if ev.field == "by_relatives":
                    ev.value = True
            save(store, doc, m)
        resolve_mentions(store)
    return path


@pytest.fixture
def fresh(base_db: Path) -> Iterator[Any]:
    """A function giving a new copy of the resolved store for each Hypothesis example."""
    with tempfile.TemporaryDirectory() as tmp:
        count = [0]

        def copy() -> Path:
            count[0] += 1
            target = Path(tmp) / f"example{count[0]}.db"
            shutil.copy(base_db, target)
            return target

        yield copy


STEP = st.one_of(
    st.tuples(st.just("merge"), st.integers(0, 9), st.integers(0, 9), st.none() | st.integers(0, 9)),
    st.tuples(st.just("split"), st.integers(0, 9), st.integers(1, 62)),
    st.tuples(st.just("edit"), st.integers(0, 9), st.integers(0, len(EDITS) - 1)),
    st.tuples(st.just("undo"), st.integers(0, 20)),
    st.tuples(st.just("resolve"), st.booleans()),
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(STEP, min_size=1, max_size=10))
def test_random_decisions_keep_events_sourced(fresh: Any, steps: list[tuple[Any, ...]]) -> None:
    with Store(fresh()) as store:
        check_invariants(store)
        for step in steps:
            if step[0] == "resolve":
                _resolve_keeps_decisions(store, rebuild=step[1])
            else:
                _decide(store, step)
            check_invariants(store)


def _live(store: Store) -> list[str]:
    return [r[0] for r in store.query("SELECT id FROM events WHERE merged_into IS NULL ORDER BY id")]


def _decide(store: Store, step: tuple[Any, ...]) -> None:
    live = _live(store)
    kind = step[0]
    try:
        if kind == "merge":
            _merge(store, live[step[1] % len(live)], live[step[2] % len(live)], step[3])
        elif kind == "split":
            event_id = live[step[1] % len(live)]
            members = [r[0] for r in store.query(
                "SELECT mention_id FROM event_mentions WHERE event_id = ? ORDER BY mention_id", (event_id,))]
            mask = step[2] % max(1, 2 ** len(members) - 2) + 1  # a proper, non-empty subset
            chosen = [m for i, m in enumerate(members) if mask >> i & 1]
            review.split(store, event_id, chosen, "prop")
        elif kind == "edit":
            field, value = EDITS[step[2]]
            review.edit_field(store, live[step[1] % len(live)], field, value, "prop")
        else:
            decided = [r[0] for r in store.query("SELECT DISTINCT event_id FROM decisions ORDER BY event_id")]
            if not decided:
                raise review.ReviewError("no decision yet")
            review.undo(store, decided[step[1] % len(decided)], "prop")
        event(f"{kind}: made")
    except review.ReviewError:
        event(f"{kind}: refused")  # refused decisions (a split taking every mention, nothing to undo ...) change nothing


def _merge(store: Store, target: str, source: str, choice: int | None) -> None:
    types = {r[0]: r[1] for r in store.query("SELECT id, type FROM events WHERE id IN (?, ?)", (target, source))}
    chosen = None if choice is None else EVENT_TYPES[choice % len(EVENT_TYPES)]
    if chosen is None and target != source and types[target] != types[source]:
        with pytest.raises(review.TypeChoiceNeeded):
            review.merge(store, target, source, "prop")
        return
    review.merge(store, target, source, "prop", type=chosen)
    if chosen is not None:
        assert store.scalar("SELECT type FROM events WHERE id = ?", (target,)) == chosen


def _decisions(store: Store) -> dict[str, Any]:
    """What analysts decided, as resolve must leave it."""
    return {
        "locked": {r["id"]: {f: json.loads(r["fields"]).get(f) for f in json.loads(r["locked_fields"])}
                   for r in store.query("SELECT id, fields, locked_fields FROM events")},
        "pinned": sorted(tuple(r) for r in store.query("SELECT mention_id, event_id FROM event_mentions WHERE pinned = 1")),
        "merged": {r[0]: r[1] for r in store.query("SELECT id, merged_into FROM events WHERE merged_into IS NOT NULL")},
        "separated": sorted(tuple(r) for r in store.query("SELECT event_a, event_b FROM event_separations")),
        "review": {r[0]: r[1] for r in store.query("SELECT id, review_status FROM events WHERE review_status != 'new'")},
    }


def _resolve_keeps_decisions(store: Store, rebuild: bool) -> None:
    before = _decisions(store)
    resolve_mentions(store, rebuild=rebuild)
    after = _decisions(store)
    for key in ("pinned", "merged", "separated", "review"):
        assert after[key] == before[key], key
    for event_id, locked in before["locked"].items():
        assert after["locked"].get(event_id) == locked, event_id


def check_invariants(store: Store) -> None:
    held = {r[0]: r[1] for r in store.query("SELECT mention_id, COUNT(*) FROM event_mentions GROUP BY mention_id")}
    assert set(held) == {r[0] for r in store.query("SELECT id FROM mentions")} and set(held.values()) == {1}
    assert store.scalar("SELECT COUNT(*) FROM event_mentions em JOIN events e ON e.id = em.event_id "
                        "WHERE e.merged_into IS NOT NULL") == 0
    live = set(_live(store))
    for r in store.query("SELECT from_event, to_event FROM event_relations"):
        assert r[0] in live and r[1] in live and r[0] != r[1], tuple(r)
    for event_id in live:
        _check_event(store, event_id)


def _check_event(store: Store, event_id: str) -> None:
    row = store.query("SELECT * FROM events WHERE id = ?", (event_id,))[0]
    members = store.query(
        "SELECT m.id, m.type, m.by_relatives, d.published FROM event_mentions em JOIN mentions m ON m.id = em.mention_id "
        "JOIN documents d ON d.id = m.document_id WHERE em.event_id = ?", (event_id,))
    if not members:
        return  # an analyst's empty event (none is made here): nothing to check against
    locked = set(json.loads(row["locked_fields"]))
    fields = json.loads(row["fields"])
    shape = event_as_dict(store, event_id)
    evidence = _evidence_values(store, [m["id"] for m in members])
    assert shape["type"] == row["type"]
    if "type" not in locked:
        assert row["type"] in {m["type"] for m in members}, (event_id, row["type"])
    if shape["by_relatives"] and "by_relatives" not in locked:
        assert any(m["by_relatives"] for m in members) and "by_relatives" in evidence
    for field in CHECKED:
        value = shape[field]
        if field in locked:
            assert value == fields[field], (event_id, field)
        elif value not in (None, [], {}):
            assert _backed(field, value, evidence.get(field, [])), (event_id, field, value, evidence.get(field))
    published = min(m["published"] for m in members)
    assert row["sort_date"] == sort_date(shape["date"], published), event_id
    assert row["date"] == shape["date"] and json.loads(row["demands"]) == shape["demands"], event_id
    assert row["sources_count"] == len(shape["sources"]) == len(members)


def _evidence_values(store: Store, mention_ids: list[int]) -> dict[str, list[Any]]:
    marks = ",".join("?" * len(mention_ids))
    out: dict[str, list[Any]] = {}
    for r in store.query(f"SELECT field, value FROM evidence WHERE mention_id IN ({marks})", mention_ids):
        out.setdefault(r["field"], []).append(json.loads(r["value"]) if r["value"] is not None else None)
    return out


def _backed(field: str, value: Any, backing: list[Any]) -> bool:
    """True when a current source's evidence backs ``value`` (each item of a list)."""
    if field == "unit":
        return any(isinstance(b, dict) and b.get("number") == value.get("number") for b in backing)
    if isinstance(value, list):
        items = [i for b in backing if isinstance(b, list) for i in b]
        return all(v in items for v in value)
    return value in backing
