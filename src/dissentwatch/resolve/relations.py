"""Typed links between events of one unit: a plea, its denial, a criminal case, a verdict.

Events are grouped by unit (canonical id, else number and kind) and ordered by date; each event
is linked to the one before it in its group:

- ``denial``: a later appeal whose reports carry denial or retraction cues;
- ``prosecution_of``: a prosecution after an appeal, refusal, mutiny or desertion;
- ``verdict_of``: a prosecution with verdict cues after an earlier prosecution;
- ``repeat_by_unit``: another appeal by the same unit;
- ``follow_up``: anything else by the same unit within ``follow_up_days``.

Links made by resolve carry ``{"resolver": ...}`` in their reason and are recomputed each run;
links an analyst made are never touched.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from dissentwatch.resolve.features import settings
from dissentwatch.store.events import add_relation

RESOLVER = "relations.v1"


@dataclass(frozen=True, slots=True)
class EventFacts:
    """What relations need to know about one event."""

    id: str
    type: str
    unit: str | None        # "canonical id" or "number/kind"
    when: str | None        # sortable ISO date
    denial: bool = False
    verdict: bool = False


def relation_between(earlier: EventFacts, later: EventFacts) -> str | None:
    """The relation of ``later`` to ``earlier`` (same unit, later date), or None."""
    appeals = {"video_appeal", "written_appeal"}
    if later.type in appeals and earlier.type in appeals:
        return "denial" if later.denial and not earlier.denial else "repeat_by_unit"
    if later.type == "prosecution":
        if earlier.type == "prosecution":
            return "verdict_of" if later.verdict and not earlier.verdict else "follow_up"
        return "prosecution_of"
    if earlier.when and later.when and _days(earlier.when, later.when) > int(settings()["follow_up_days"]):
        return None
    return "follow_up"


def _days(a: str, b: str) -> int:
    try:
        return (date.fromisoformat(_full(b)) - date.fromisoformat(_full(a))).days
    except ValueError:
        return 0


def _full(value: str) -> str:
    return value if len(value) >= 10 else (value + "-01-01")[:10] if len(value) == 4 else value + "-01"


def link_events(conn: sqlite3.Connection, events: Iterable[EventFacts]) -> int:
    """Replace resolve's own relations with those between consecutive events of each unit."""
    conn.execute("DELETE FROM event_relations WHERE json_extract(reason, '$.resolver') IS NOT NULL")
    groups: dict[str, list[EventFacts]] = {}
    for event in events:
        if event.unit and event.when:
            groups.setdefault(event.unit, []).append(event)
    made = 0
    for unit, members in groups.items():
        members.sort(key=lambda e: (e.when or "", e.id))
        for earlier, later in zip(members, members[1:], strict=False):
            if earlier.when == later.when and earlier.type == later.type:
                continue  # same day, same kind: two reports resolve kept apart, not a sequel
            relation = relation_between(earlier, later)
            if relation:
                add_relation(conn, earlier.id, later.id, relation,
                             {"resolver": RESOLVER, "unit": unit, "from": earlier.when, "to": later.when})
                made += 1
    return made
