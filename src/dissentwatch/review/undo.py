"""Taking a merge or a split back: the events return with the mentions they had, rebuilt.

A merge decision records what the two events held (mentions and their pins, the target's
locked fields, the links it redirected); ``unmerge`` puts that back and writes its own
decision. A split is undone by moving the split-off mentions back: the split-off event is then
marked ``merged_into`` the original (its URL leads there) and the separation is dropped.
Each undo names the decision rows it takes back (``after.undoes``), so ``undo`` always takes
back the latest merge or split not yet undone.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Sequence
from typing import Any

from dissentwatch.models import utcnow
from dissentwatch.review.decisions import (
    ReviewError,
    live_event,
    mention_ids_of,
    recompute,
    record_decision,
    redirect_links,
)
from dissentwatch.store import Store

log = logging.getLogger(__name__)


def undo(store: Store, event_id: str, user: str, note: str | None = None) -> str:
    """Take back the latest merge or split of ``event_id`` (a merged-away id: its own merge).
    Returns what was done, e.g. "ev-b unmerged from ev-a"."""
    row = store.query("SELECT merged_into FROM events WHERE id = ?", (event_id,))
    if row and row[0]["merged_into"]:
        holder = unmerge(store, event_id, user, note)
        return f"{event_id} unmerged from {holder}"
    action, other = _last_undoable(store, event_id)
    if action == "merge":
        holder = unmerge(store, other, user, note)
        return f"{other} unmerged from {holder}"
    original = unsplit(store, other, user, note)
    return f"{other} put back into {original}"


def _last_undoable(store: Store, event_id: str) -> tuple[str, str]:
    found = undoable(store, event_id)
    if found is None:
        raise ReviewError(f"nothing to undo for event {event_id!r}: no merge or split of it stands")
    return found


def undoable(store: Store, event_id: str) -> tuple[str, str] | None:
    """("merge", the merged-away id) or ("split", the split-off id) of the latest decision
    on ``event_id`` still standing; None when there is none."""
    undone: set[int] = set()
    for r in store.query("SELECT id, action, before, after FROM decisions WHERE event_id = ? AND action IN "
                         "('merge', 'split', 'unmerge', 'unsplit') ORDER BY id DESC", (event_id,)):
        after = json.loads(r["after"] or "null") or {}
        if r["action"] in ("unmerge", "unsplit"):
            undone.update(after.get("undoes") or [])
        elif r["id"] not in undone:
            before = json.loads(r["before"] or "null") or {}
            if r["action"] == "split":
                return "split", str(after["new_event"])
            if before.get("target") == event_id:
                return "merge", str(before["source"])
    return None


def unmerge(store: Store, event_id: str, user: str, note: str | None = None) -> str:
    """Take merged-away event ``event_id`` out of the event it went into; returns that event's id."""
    with store.transaction() as conn:
        row = conn.execute("SELECT * FROM events WHERE id = ?", (event_id,)).fetchone()
        if row is None:
            raise ReviewError(f"no event {event_id!r}")
        if not row["merged_into"]:
            raise ReviewError(f"event {event_id!r} is not merged into another event")
        holder = live_event(conn, row["merged_into"])["id"]
        decision = _merge_decision(conn, event_id)
        before, after = json.loads(decision["before"]), json.loads(decision["after"])
        mentions = _mentions_back(conn, event_id, holder, before["source_mentions"])
        _put_mentions(conn, holder, event_id, mentions, before.get("source_pins"))
        if holder == before["target"]:
            _restore_pins(conn, holder, before.get("target_pins"))
            if after.get("type_locked"):
                _unlock_type(conn, holder, before)
        _restore_merged_into(conn, event_id, holder, after.get("redirected") or [])
        _restore_links(conn, after.get("links") or [])
        recompute(store, event_id, holder)
        _record_undo(conn, "unmerge", decision, (event_id, holder), user, note,
                     {"event": event_id, "from": holder, "mentions": mentions})
    return str(holder)


def _merge_decision(conn: sqlite3.Connection, event_id: str) -> sqlite3.Row:
    row = conn.execute(
        "SELECT * FROM decisions WHERE event_id = ? AND action = 'merge' "
        "AND json_extract(before, '$.source') = ? ORDER BY id DESC LIMIT 1", (event_id, event_id)).fetchone()
    if row is None:
        raise ReviewError(f"the audit log has no merge of {event_id!r} to undo")
    return row


def _mentions_back(conn: sqlite3.Connection, event_id: str, holder: str, had: Sequence[int]) -> list[int]:
    """The mentions ``event_id`` had that ``holder`` still holds (refused if none, or all of it)."""
    holds = set(mention_ids_of(conn, holder))
    back = sorted(holds & {int(m) for m in had})
    if not back:
        raise ReviewError(f"cannot unmerge {event_id!r}: its mentions have all left {holder!r} since the merge")
    if set(back) == holds:
        raise ReviewError(f"cannot unmerge {event_id!r}: {holder!r} would be left without mentions")
    return back


def _put_mentions(
    conn: sqlite3.Connection, holder: str, event_id: str, mentions: Sequence[int], pins: Any,
) -> None:
    """Move ``mentions`` from ``holder`` to ``event_id``, pinned as they were (else pinned)."""
    pinned = {int(m): int(p) for m, p in (pins or [])}
    marks = ",".join("?" * len(mentions))
    conn.execute(
        "INSERT OR REPLACE INTO event_mentions (event_id, mention_id, score, reason, pinned) "
        f"SELECT ?, mention_id, score, json_remove(reason, '$.merged_from'), 1 FROM event_mentions "
        f"WHERE event_id = ? AND mention_id IN ({marks})", (event_id, holder, *mentions))
    conn.execute(f"DELETE FROM event_mentions WHERE event_id = ? AND mention_id IN ({marks})", (holder, *mentions))
    _restore_pins(conn, event_id, [[m, pinned.get(m, 1)] for m in mentions])


def _restore_pins(conn: sqlite3.Connection, event_id: str, pins: Any) -> None:
    conn.executemany("UPDATE event_mentions SET pinned = ? WHERE event_id = ? AND mention_id = ?",
                     [(int(p), event_id, int(m)) for m, p in (pins or [])])


def _unlock_type(conn: sqlite3.Connection, holder: str, before: dict[str, Any]) -> None:
    """Take back the type lock a merge of two types set (unless an analyst had set it before)."""
    if "type" in (before.get("target_locked") or []):
        return
    row = conn.execute("SELECT fields, locked_fields FROM events WHERE id = ?", (holder,)).fetchone()
    fields = json.loads(row["fields"] or "{}")
    fields.pop("type", None)
    locked = [f for f in json.loads(row["locked_fields"] or "[]") if f != "type"]
    conn.execute("UPDATE events SET fields = ?, locked_fields = ? WHERE id = ?",
                 (json.dumps(fields, ensure_ascii=False), json.dumps(locked), holder))


def _restore_merged_into(conn: sqlite3.Connection, event_id: str, holder: str, redirected: Sequence[str]) -> None:
    conn.execute("UPDATE events SET merged_into = NULL, updated = ? WHERE id = ?", (utcnow(), event_id))
    conn.executemany("UPDATE events SET merged_into = ? WHERE id = ? AND merged_into = ?",
                     [(event_id, r, holder) for r in redirected])


def _restore_links(conn: sqlite3.Connection, links: Sequence[dict[str, Any]]) -> None:
    """Drop the links a merge made in place of others, and put the others back."""
    for link in links:
        if link.get("added"):
            conn.execute("DELETE FROM event_relations WHERE from_event = ? AND to_event = ? AND relation = ?",
                         (*link["added"], link["relation"]))
    for link in links:
        conn.execute(
            "INSERT OR IGNORE INTO event_relations (from_event, to_event, relation, reason, created) "
            "SELECT ?, ?, ?, ?, ? WHERE (SELECT COUNT(*) FROM events WHERE id IN (?, ?) AND merged_into IS NULL) = 2",
            (link["from_event"], link["to_event"], link["relation"], link["reason"], link["created"],
             link["from_event"], link["to_event"]))


def unsplit(store: Store, new_id: str, user: str, note: str | None = None) -> str:
    """Put the mentions of split-off event ``new_id`` back into the event it came from; returns that id."""
    with store.transaction() as conn:
        decision = conn.execute(
            "SELECT * FROM decisions WHERE event_id = ? AND action = 'split' "
            "AND json_extract(after, '$.new_event') = ? ORDER BY id DESC LIMIT 1", (new_id, new_id)).fetchone()
        if decision is None:
            raise ReviewError(f"the audit log has no split that made {new_id!r}")
        before = json.loads(decision["before"])
        original = live_event(conn, before["event"])["id"]
        live_event(conn, new_id)
        mentions = mention_ids_of(conn, new_id)
        conn.execute("UPDATE OR REPLACE event_mentions SET event_id = ?, reason = json_remove(reason, '$.split_from') "
                     "WHERE event_id = ?", (original, new_id))
        _restore_pins(conn, original, before.get("pins"))
        conn.execute("DELETE FROM event_separations WHERE event_a = ? AND event_b = ?", (original, new_id))
        conn.execute("UPDATE events SET merged_into = ?, updated = ? WHERE id = ? OR merged_into = ?",
                     (original, utcnow(), new_id, new_id))
        redirect_links(conn, new_id, original)
        recompute(store, original)
        _record_undo(conn, "unsplit", decision, (original, new_id), user, note,
                     {"event": original, "from": new_id, "mentions": mentions})
    return str(original)


def _record_undo(
    conn: sqlite3.Connection, action: str, decision: sqlite3.Row, event_ids: Sequence[str], user: str,
    note: str | None, what: dict[str, Any],
) -> None:
    """One decision row per event, naming the rows of the decision taken back."""
    undoes = [r[0] for r in conn.execute(
        "SELECT id FROM decisions WHERE action = ? AND before = ? AND after = ? AND at = ?",
        (decision["action"], decision["before"], decision["after"], decision["at"]))]
    for event_id in event_ids:
        record_decision(conn, event_id, action, user, before={"decision": decision["id"]},
                        after={**what, "undoes": undoes}, note=note)
    log.info("%s of decision %s by %s", action, decision["id"], user)
