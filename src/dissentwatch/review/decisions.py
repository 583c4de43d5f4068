"""Analysts' decisions on events: confirm, reject, edit a field, merge two events, split one.

Every decision is one transaction that changes the events and writes a ``decisions`` row (who,
when, the state before and after, as JSON): the audit log. The contract with resolve: an edited
field is added to ``events.locked_fields``; merged and split mentions are ``pinned`` in
``event_mentions``; a split records an ``event_separations`` row; a merged-away event keeps its
row with ``merged_into`` set, so its old URL leads to the event it went into. After every
decision the events it changed are rebuilt from the mentions they hold now and the locked
fields, so no value outlives the source it came from. ``review.undo`` takes a merge or a split back.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from dissentwatch.models import EVENT_TYPES, utcnow
from dissentwatch.review.values import checked_value
from dissentwatch.store import Store
from dissentwatch.store.events import upsert_event, write_event_regions
from dissentwatch.validation import InvalidValue

REVIEW_STATUSES = ("new", "confirmed", "rejected", "edited")

# Export-shape field -> the denormalised event columns that mirror it.
_COLUMNS: dict[str, tuple[str, ...]] = {
    "type": ("type",), "date": ("date",), "date_precision": ("date_precision",),
    "date_kind": ("date_kind",), "affiliation": ("affiliation",), "status": ("status",),
    "addressee": ("addressee",), "home_regions": ("home_regions",), "location": ("location",),
    "grievances": ("grievances",), "demands": ("demands",), "by_relatives": ("by_relatives",),
    "unit": ("unit_name", "unit_number", "unit_kind", "unit_canonical_id"),
}
EDITABLE_FIELDS: tuple[str, ...] = (
    "type", "by_relatives", "date", "date_precision", "date_kind", "unit", "affiliation", "status",
    "participants", "faces_covered", "spokesperson", "home_regions", "location", "addressee",
    "address_form", "grievances", "demands", "killed_claimed", "wounded_claimed", "disclaimers",
)


class ReviewError(ValueError):
    """A decision that cannot be made (unknown event, bad value, merge into itself ...)."""


def live_event(conn: sqlite3.Connection, event_id: str) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM events WHERE id = ?", (event_id,)).fetchone()
    if row is None:
        raise ReviewError(f"no event {event_id!r}")
    if row["merged_into"]:
        raise ReviewError(f"event {event_id!r} was merged into {row['merged_into']!r}")
    return row


def record_decision(
    conn: sqlite3.Connection, event_id: str, action: str, user: str, *,
    field: str | None = None, before: Any = None, after: Any = None, note: str | None = None,
) -> int:
    """Append one row to the audit log; returns its id."""
    cur = conn.execute(
        "INSERT INTO decisions (event_id, action, field, before, after, user, at, note) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (event_id, action, field, json.dumps(before, ensure_ascii=False),
         json.dumps(after, ensure_ascii=False), user, utcnow(), note),
    )
    return int(cur.lastrowid or 0)


def set_review_status(store: Store, event_id: str, status: str, user: str, note: str | None = None) -> None:
    """Confirm, reject or reset an event's review status, with an audit row."""
    if status not in REVIEW_STATUSES:
        raise ReviewError(f"unknown review status {status!r}: use one of {', '.join(REVIEW_STATUSES)}")
    action = {"confirmed": "confirm", "rejected": "reject"}.get(status, "status")
    with store.transaction() as conn:
        row = live_event(conn, event_id)
        conn.execute("UPDATE events SET review_status = ?, updated = ? WHERE id = ?", (status, utcnow(), event_id))
        record_decision(conn, event_id, action, user, field="review_status",
                        before={"review_status": row["review_status"]}, after={"review_status": status}, note=note)


def confirm(store: Store, event_id: str, user: str, note: str | None = None) -> None:
    set_review_status(store, event_id, "confirmed", user, note)


def reject(store: Store, event_id: str, user: str, note: str | None = None) -> None:
    set_review_status(store, event_id, "rejected", user, note)


def check_value(field: str, value: Any) -> Any:
    """The value an analyst gave for ``field``, checked against its vocabulary, date format or
    the gazetteer (``review.values``) and put in the export shape."""
    if field not in EDITABLE_FIELDS:
        raise ReviewError(f"field {field!r} cannot be edited: use one of {', '.join(EDITABLE_FIELDS)}")
    try:
        return checked_value(field, value)
    except InvalidValue as exc:
        raise ReviewError(str(exc)) from None


def edit_field(store: Store, event_id: str, field: str, value: Any, user: str, note: str | None = None) -> None:
    """Set one field of an event; the field is locked against later pipeline runs."""
    value = check_value(field, value)
    with store.transaction() as conn:
        row = live_event(conn, event_id)
        fields: dict[str, Any] = json.loads(row["fields"] or "{}")
        before = fields.get(field)
        fields[field] = value
        locked = sorted(set(json.loads(row["locked_fields"] or "[]")) | {field})
        _write_fields(conn, row, fields)
        conn.execute(
            "UPDATE events SET locked_fields = ?, review_status = 'edited', updated = ? WHERE id = ?",
            (json.dumps(locked), utcnow(), event_id),
        )
        recompute(store, event_id)
        record_decision(conn, event_id, "edit", user, field=field, before={field: before},
                        after={field: value}, note=note)


def _write_fields(conn: sqlite3.Connection, row: sqlite3.Row, fields: dict[str, Any]) -> None:
    """Store the fields JSON and the columns that mirror it."""
    unit = fields.get("unit") or {}
    values: dict[str, Any] = {
        "type": fields.get("type") or row["type"],
        "by_relatives": int(bool(fields.get("by_relatives", row["by_relatives"]))),
        "unit_name": unit.get("name"), "unit_number": unit.get("number"),
        "unit_kind": unit.get("kind"), "unit_canonical_id": unit.get("canonical_id"),
        "home_regions": json.dumps(fields.get("home_regions") or [], ensure_ascii=False),
        "location": json.dumps(fields["location"], ensure_ascii=False) if fields.get("location") else None,
        "grievances": json.dumps(fields.get("grievances") or [], ensure_ascii=False),
        "demands": json.dumps(fields.get("demands") or [], ensure_ascii=False),
    }
    for name in ("date", "date_precision", "date_kind", "affiliation", "status", "addressee"):
        values[name] = fields.get(name)
    if fields.get("type"):
        fields["type"] = values["type"]
    sets = ", ".join(f"{c} = :{c}" for c in values)
    conn.execute(f"UPDATE events SET {sets}, fields = :fields WHERE id = :id",
                 {**values, "fields": json.dumps(fields, ensure_ascii=False), "id": row["id"]})
    write_event_regions(conn, row["id"], fields)


class TypeChoiceNeeded(ReviewError):
    """A merge of two events of different types, with no type chosen for the result."""

    def __init__(self, target: sqlite3.Row, source: sqlite3.Row) -> None:
        self.types = (str(target["type"]), str(source["type"]))
        super().__init__(
            f"{target['id']} is a {target['type']} and {source['id']} is a {source['type']}: "
            f"choose the type of the merged event ({self.types[0]} or {self.types[1]})")


def merge(
    store: Store, target_id: str, source_id: str, user: str, note: str | None = None, *,
    type: str | None = None,
) -> None:
    """Merge event ``source_id`` into ``target_id``: its mentions move over, pinned, and the
    target is rebuilt from all its mentions.

    Events of different types merge only with ``type`` chosen (kept as an analyst's edit). The
    source keeps its row with ``merged_into`` set (old links redirect); relations of the source
    now belong to the target. ``review.undo`` takes the merge back.
    """
    if target_id == source_id:
        raise ReviewError("cannot merge an event into itself")
    with store.transaction() as conn:
        target, source = live_event(conn, target_id), live_event(conn, source_id)
        chosen = _merged_type(target, source, type)
        before = {"target": target_id, "source": source_id, "source_mentions": mention_ids_of(conn, source_id),
                  "source_pins": _pins(conn, source_id), "target_pins": _pins(conn, target_id),
                  "target_locked": json.loads(target["locked_fields"] or "[]"),
                  "target_type": json.loads(target["fields"] or "{}").get("type")}
        _move_mentions(conn, source_id, target_id)
        redirected = [r[0] for r in conn.execute("SELECT id FROM events WHERE merged_into = ?", (source_id,))]
        now = utcnow()
        conn.execute("UPDATE events SET merged_into = ?, updated = ? WHERE id = ?", (target_id, now, source_id))
        conn.execute("UPDATE events SET merged_into = ? WHERE merged_into = ?", (target_id, source_id))
        links = redirect_links(conn, source_id, target_id)
        type_locked = _lock_type(conn, target, source, chosen or str(target["type"]), explicit=chosen is not None)
        recompute(store, target_id)
        after = {"merged_into": target_id, "type": chosen, "type_locked": type_locked, "links": links,
                 "redirected": redirected}
        for event_id in (target_id, source_id):
            record_decision(conn, event_id, "merge", user, before=before, after=after, note=note)


def _merged_type(target: sqlite3.Row, source: sqlite3.Row, chosen: str | None) -> str | None:
    """The type an analyst chose for a merge (checked); refuses two types with no choice."""
    if chosen is not None:
        if chosen not in EVENT_TYPES:
            raise ReviewError(f"unknown type {chosen!r}: use one of {', '.join(EVENT_TYPES)}")
        return chosen
    if target["type"] != source["type"]:
        raise TypeChoiceNeeded(target, source)
    return None


def _lock_type(conn: sqlite3.Connection, target: sqlite3.Row, source: sqlite3.Row, chosen: str,
               explicit: bool) -> bool:
    """Keep the merged event's type as an analyst's edit when the votes of its mentions (already
    moved) could decide otherwise: a type the analyst chose for this merge, or one an analyst
    had set on either event (types equal, no choice asked) survives the rebuild."""
    locked_before = any("type" in json.loads(row["locked_fields"] or "[]") for row in (target, source))
    if not explicit and not locked_before:
        return False  # nobody decided the type: the mentions' votes do, as in resolve
    voted = {r[0] for r in conn.execute(
        "SELECT DISTINCT m.type FROM event_mentions em JOIN mentions m ON m.id = em.mention_id "
        "WHERE em.event_id = ?", (target["id"],))}
    if not locked_before and voted <= {chosen}:
        return False  # every mention says so already
    fields = json.loads(target["fields"] or "{}")
    fields["type"] = chosen
    locked = sorted(set(json.loads(target["locked_fields"] or "[]")) | {"type"})
    conn.execute("UPDATE events SET fields = ?, locked_fields = ? WHERE id = ?",
                 (json.dumps(fields, ensure_ascii=False), json.dumps(locked), target["id"]))
    return True


def _move_mentions(conn: sqlite3.Connection, source_id: str, target_id: str) -> None:
    conn.execute(
        "INSERT INTO event_mentions (event_id, mention_id, score, reason, pinned) "
        "SELECT ?, mention_id, score, json_set(reason, '$.merged_from', ?), 1 FROM event_mentions "
        "WHERE event_id = ? ON CONFLICT(event_id, mention_id) DO UPDATE SET pinned = 1",
        (target_id, source_id, source_id),
    )
    conn.execute("DELETE FROM event_mentions WHERE event_id = ?", (source_id,))
    conn.execute("UPDATE event_mentions SET pinned = 1 WHERE event_id = ?", (target_id,))


def mention_ids_of(conn: sqlite3.Connection, event_id: str) -> list[int]:
    return [r[0] for r in conn.execute(
        "SELECT mention_id FROM event_mentions WHERE event_id = ? ORDER BY mention_id", (event_id,))]


def _pins(conn: sqlite3.Connection, event_id: str) -> list[list[int]]:
    """[mention id, pinned] of each mention of an event, for an undo to put back."""
    return [[r[0], r[1]] for r in conn.execute(
        "SELECT mention_id, pinned FROM event_mentions WHERE event_id = ? ORDER BY mention_id", (event_id,))]


def redirect_links(conn: sqlite3.Connection, old: str, new: str) -> list[dict[str, Any]]:
    """Point the relations of event ``old`` at ``new`` (a link between the two is dropped);
    returns them as they were, each with ``added``: the link made in its place, if any."""
    rows = [dict(r) for r in conn.execute(
        "SELECT from_event, to_event, relation, reason, created FROM event_relations "
        "WHERE from_event = ? OR to_event = ?", (old, old))]
    conn.execute("DELETE FROM event_relations WHERE from_event = ? OR to_event = ?", (old, old))
    for r in rows:
        ends = [new if r["from_event"] == old else r["from_event"], new if r["to_event"] == old else r["to_event"]]
        cur = conn.execute(
            "INSERT OR IGNORE INTO event_relations (from_event, to_event, relation, reason, created) "
            "VALUES (?, ?, ?, ?, ?)", (*ends, r["relation"], r["reason"], r["created"])) if ends[0] != ends[1] else None
        r["added"] = ends if cur is not None and cur.rowcount == 1 else None
    return rows


def recompute(store: Store, *event_ids: str) -> None:
    """Rebuild events' fields, type and dates from their current mentions and the analysts'
    edits (``locked_fields``): nothing stays that no current source or analyst gave."""
    from dissentwatch.resolve.resolver import refresh_events

    refresh_events(store, list(event_ids), resolver="review")


def split(
    store: Store, event_id: str, mention_ids: Sequence[int], user: str, note: str | None = None
) -> str:
    """Move the given mentions of an event into a new event of their own; returns its id.

    Both events' mentions are pinned and the pair is recorded in ``event_separations`` so that
    resolve keeps them apart; both are rebuilt from the mentions they now have.
    """
    chosen = sorted({int(m) for m in mention_ids})
    with store.transaction() as conn:
        row = live_event(conn, event_id)
        members = set(mention_ids_of(conn, event_id))
        if not chosen or not set(chosen) <= members:
            raise ReviewError(f"mentions {chosen} are not all in event {event_id!r}")
        if set(chosen) == members:
            raise ReviewError("a split must leave at least one mention in the event")
        new_id = "ev-s" + hashlib.sha256(f"{event_id}:{chosen}".encode()).hexdigest()[:14]
        pins = _pins(conn, event_id)
        upsert_event(conn, new_id, {"type": row["type"]}, resolver="review.split")
        # the same split made again after an undo brings the event back as a fresh one
        conn.execute("UPDATE events SET merged_into = NULL, locked_fields = '[]', review_status = 'new' "
                     "WHERE id = ?", (new_id,))
        marks = ",".join("?" * len(chosen))
        conn.execute(f"DELETE FROM event_mentions WHERE event_id = ? AND mention_id IN ({marks})", (event_id, *chosen))
        conn.executemany("INSERT OR REPLACE INTO event_mentions (event_id, mention_id, score, reason, pinned) "
                         "VALUES (?, ?, 1.0, '{\"split_from\": true}', 1)", [(new_id, m) for m in chosen])
        conn.execute("UPDATE event_mentions SET pinned = 1 WHERE event_id = ?", (event_id,))
        conn.execute("INSERT OR IGNORE INTO event_separations (event_a, event_b, created) VALUES (?, ?, ?)",
                     (event_id, new_id, utcnow()))
        recompute(store, event_id, new_id)
        for target in (event_id, new_id):
            record_decision(conn, target, "split", user,
                            before={"event": event_id, "mentions": sorted(members), "pins": pins},
                            after={"event": event_id, "new_event": new_id, "moved": chosen}, note=note)
    return new_id


def history(store: Store, event_id: str) -> list[dict[str, Any]]:
    """The decisions about an event, oldest first, with before/after decoded."""
    rows = store.query("SELECT * FROM decisions WHERE event_id = ? ORDER BY id", (event_id,))
    return [
        {"id": r["id"], "event_id": r["event_id"], "action": r["action"], "field": r["field"],
         "before": json.loads(r["before"]) if r["before"] else None,
         "after": json.loads(r["after"]) if r["after"] else None,
         "user": r["user"], "at": r["at"], "note": r["note"]}
        for r in rows
    ]
