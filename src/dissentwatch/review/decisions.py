"""Analysts' decisions on events: confirm, reject, edit a field, merge two events, split one.

Every decision is one transaction that changes the events and writes a ``decisions`` row (who,
when, the state before and after, as JSON): the audit log. The contract with resolve: an edited
field is added to ``events.locked_fields``; merged and split mentions are ``pinned`` in
``event_mentions``; a split records an ``event_separations`` row; a merged-away event keeps its
row with ``merged_into`` set, so its old URL leads to the event it went into.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from dissentwatch.models import EVENT_TYPES, utcnow, vocabulary
from dissentwatch.store import Store
from dissentwatch.store.events import upsert_event, write_event_regions

REVIEW_STATUSES = ("new", "confirmed", "rejected", "edited")

# Export-shape field -> the denormalised event columns that mirror it.
_COLUMNS: dict[str, tuple[str, ...]] = {
    "type": ("type",), "date": ("date",), "date_precision": ("date_precision",),
    "date_kind": ("date_kind",), "affiliation": ("affiliation",), "status": ("status",),
    "addressee": ("addressee",), "home_regions": ("home_regions",), "location": ("location",),
    "grievances": ("grievances",), "demands": ("demands",), "by_relatives": ("by_relatives",),
    "unit": ("unit_name", "unit_number", "unit_kind", "unit_canonical_id"),
}
_VOCAB_FIELDS = {"affiliation": "affiliation", "status": "status", "addressee": "addressee"}
_VOCAB_LISTS = {"grievances": "grievances", "demands": "demands"}
EDITABLE_FIELDS: tuple[str, ...] = (
    "type", "by_relatives", "date", "date_precision", "date_kind", "unit", "affiliation", "status",
    "participants", "faces_covered", "spokesperson", "home_regions", "location", "addressee",
    "address_form", "grievances", "demands", "killed_claimed", "wounded_claimed", "disclaimers",
)


class ReviewError(ValueError):
    """A decision that cannot be made (unknown event, bad value, merge into itself ...)."""


def _event(conn: sqlite3.Connection, event_id: str) -> sqlite3.Row:
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
        row = _event(conn, event_id)
        conn.execute("UPDATE events SET review_status = ?, updated = ? WHERE id = ?", (status, utcnow(), event_id))
        record_decision(conn, event_id, action, user, field="review_status",
                        before={"review_status": row["review_status"]}, after={"review_status": status}, note=note)


def confirm(store: Store, event_id: str, user: str, note: str | None = None) -> None:
    set_review_status(store, event_id, "confirmed", user, note)


def reject(store: Store, event_id: str, user: str, note: str | None = None) -> None:
    set_review_status(store, event_id, "rejected", user, note)


def check_value(field: str, value: Any) -> Any:
    """The value an analyst gave for ``field``, checked against its vocabulary or shape."""
    if field not in EDITABLE_FIELDS:
        raise ReviewError(f"field {field!r} cannot be edited: use one of {', '.join(EDITABLE_FIELDS)}")
    if value in ("", [], {}):
        return None
    if field == "type" and value not in EVENT_TYPES:
        raise ReviewError(f"unknown type {value!r}: use one of {', '.join(EVENT_TYPES)}")
    if field in _VOCAB_FIELDS and value is not None and value not in vocabulary(_VOCAB_FIELDS[field]):
        raise ReviewError(f"unknown {field} {value!r}")
    if field in _VOCAB_LISTS and value is not None:
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        bad = [v for v in value if v not in vocabulary(_VOCAB_LISTS[field])]
        if bad:
            raise ReviewError(f"unknown {field}: {', '.join(map(str, bad))}")
    if field == "unit" and isinstance(value, str):
        value = {"name": value}
    if field in ("home_regions", "disclaimers") and isinstance(value, str):
        value = [{"name": v.strip()} if field == "home_regions" else v.strip() for v in value.split(";") if v.strip()]
    if field in ("by_relatives", "faces_covered", "spokesperson") and not isinstance(value, bool | None):
        raise ReviewError(f"{field} takes true or false, not {value!r}")
    return value


def edit_field(store: Store, event_id: str, field: str, value: Any, user: str, note: str | None = None) -> None:
    """Set one field of an event; the field is locked against later pipeline runs."""
    value = check_value(field, value)
    with store.transaction() as conn:
        row = _event(conn, event_id)
        fields: dict[str, Any] = json.loads(row["fields"] or "{}")
        before = fields.get(field)
        fields[field] = value
        locked = sorted(set(json.loads(row["locked_fields"] or "[]")) | {field})
        _write_fields(conn, row, fields)
        conn.execute(
            "UPDATE events SET locked_fields = ?, review_status = 'edited', updated = ? WHERE id = ?",
            (json.dumps(locked), utcnow(), event_id),
        )
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


def merge(store: Store, target_id: str, source_id: str, user: str, note: str | None = None) -> None:
    """Merge event ``source_id`` into ``target_id``: its mentions move over, pinned.

    The source keeps its row with ``merged_into`` set (old links redirect); fields the target
    lacks are taken from the source.
    """
    if target_id == source_id:
        raise ReviewError("cannot merge an event into itself")
    with store.transaction() as conn:
        target, source = _event(conn, target_id), _event(conn, source_id)
        moved = [r[0] for r in conn.execute("SELECT mention_id FROM event_mentions WHERE event_id = ?", (source_id,))]
        conn.execute(
            "INSERT INTO event_mentions (event_id, mention_id, score, reason, pinned) "
            "SELECT ?, mention_id, score, json_set(reason, '$.merged_from', ?), 1 FROM event_mentions "
            "WHERE event_id = ? ON CONFLICT(event_id, mention_id) DO UPDATE SET pinned = 1",
            (target_id, source_id, source_id),
        )
        conn.execute("DELETE FROM event_mentions WHERE event_id = ?", (source_id,))
        conn.execute("UPDATE event_mentions SET pinned = 1 WHERE event_id = ?", (target_id,))
        fields = json.loads(target["fields"] or "{}")
        taken = _fill_missing(fields, json.loads(source["fields"] or "{}"))
        _write_fields(conn, target, fields)
        _refresh_sources(conn, target_id)
        now = utcnow()
        conn.execute("UPDATE events SET merged_into = ?, updated = ? WHERE id = ?", (target_id, now, source_id))
        conn.execute("UPDATE events SET merged_into = ? WHERE merged_into = ?", (target_id, source_id))
        conn.execute("UPDATE events SET updated = ? WHERE id = ?", (now, target_id))
        before = {"target": target_id, "source": source_id, "source_mentions": moved}
        after = {"merged_into": target_id, "fields_taken": taken}
        for event_id in (target_id, source_id):
            record_decision(conn, event_id, "merge", user, before=before, after=after, note=note)


def _fill_missing(fields: dict[str, Any], other: dict[str, Any]) -> list[str]:
    taken = []
    for key, value in other.items():
        if key in ("id", "sources", "evidence", "related", "review_status", "confidence"):
            continue
        if fields.get(key) in (None, [], {}, "") and value not in (None, [], {}, ""):
            fields[key] = value
            taken.append(key)
    return taken


def _refresh_sources(conn: sqlite3.Connection, event_id: str) -> None:
    """Recompute the source columns of an event (count, languages, outlets, first publication)."""
    rows = conn.execute(
        "SELECT DISTINCT d.id, d.published, d.language, d.outlet FROM event_mentions em "
        "JOIN mentions m ON m.id = em.mention_id JOIN documents d ON d.id = m.document_id "
        "WHERE em.event_id = ?", (event_id,),
    ).fetchall()
    conn.execute(
        "UPDATE events SET sources_count = ?, languages = ?, outlets = ?, first_published = ? WHERE id = ?",
        (len(rows), json.dumps(sorted({r["language"] for r in rows if r["language"]})),
         json.dumps(sorted({r["outlet"] for r in rows if r["outlet"]}), ensure_ascii=False),
         min((r["published"] for r in rows if r["published"]), default=None), event_id),
    )


def split(
    store: Store, event_id: str, mention_ids: Sequence[int], user: str, note: str | None = None
) -> str:
    """Move the given mentions of an event into a new event of their own; returns its id.

    Both events' mentions are pinned and the pair is recorded in ``event_separations`` so that
    resolve keeps them apart.
    """
    chosen = sorted({int(m) for m in mention_ids})
    with store.transaction() as conn:
        row = _event(conn, event_id)
        members = {r[0] for r in conn.execute("SELECT mention_id FROM event_mentions WHERE event_id = ?", (event_id,))}
        if not chosen or not set(chosen) <= members:
            raise ReviewError(f"mentions {chosen} are not all in event {event_id!r}")
        if set(chosen) == members:
            raise ReviewError("a split must leave at least one mention in the event")
        new_id = "ev-s" + hashlib.sha256(f"{event_id}:{chosen}".encode()).hexdigest()[:14]
        shape = _shape_of_mentions(conn, chosen, row["type"])
        upsert_event(conn, new_id, shape, resolver="review.split")
        marks = ",".join("?" * len(chosen))
        conn.execute(f"DELETE FROM event_mentions WHERE event_id = ? AND mention_id IN ({marks})", (event_id, *chosen))
        conn.executemany("INSERT OR REPLACE INTO event_mentions (event_id, mention_id, score, reason, pinned) "
                         "VALUES (?, ?, 1.0, '{\"split_from\": true}', 1)", [(new_id, m) for m in chosen])
        conn.execute("UPDATE event_mentions SET pinned = 1 WHERE event_id = ?", (event_id,))
        conn.execute("INSERT OR IGNORE INTO event_separations (event_a, event_b, created) VALUES (?, ?, ?)",
                     (event_id, new_id, utcnow()))
        _refresh_sources(conn, event_id)
        _refresh_sources(conn, new_id)
        for target in (event_id, new_id):
            record_decision(conn, target, "split", user, before={"event": event_id, "mentions": sorted(members)},
                            after={"event": event_id, "new_event": new_id, "moved": chosen}, note=note)
    return new_id


def _shape_of_mentions(conn: sqlite3.Connection, mention_ids: Sequence[int], fallback_type: str) -> dict[str, Any]:
    """The export-shape fields of a new event built from some mentions (first one wins)."""
    marks = ",".join("?" * len(mention_ids))
    rows = conn.execute(
        f"SELECT m.type, m.by_relatives, m.fields, m.confidence, d.published, d.language, d.outlet, "
        f"d.external_id, d.url FROM mentions m JOIN documents d ON d.id = m.document_id "
        f"WHERE m.id IN ({marks}) ORDER BY COALESCE(d.published, d.collected), m.id", list(mention_ids),
    ).fetchall()
    shape: dict[str, Any] = {}
    for r in rows:
        _fill_missing(shape, json.loads(r["fields"] or "{}"))
    shape["type"] = rows[0]["type"] if rows else fallback_type
    shape["by_relatives"] = bool(rows[0]["by_relatives"]) if rows else False
    shape["confidence"] = max((r["confidence"] for r in rows), default=0.5)
    shape["sources"] = [{"document_id": r["external_id"], "url": r["url"], "outlet": r["outlet"],
                         "published": r["published"], "language": r["language"]} for r in rows]
    fields = {k: v for k, v in shape.items() if k != "sources"}
    return {**fields, "sources": shape["sources"]}


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
