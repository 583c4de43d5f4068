"""What ``serve --public`` shows: confirmed events only, their sources and quotes, no user names
and no review history. Every page and API route asks these functions, so one rule decides.

An event is public when an analyst confirmed it (an event edited since is shown again once it is
confirmed again). A document is public when it is a source of a public event, and then only its
mentions of public events are shown. Merged-away ids, unreviewed and rejected events are 404s.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from dissentwatch.store import Store
from dissentwatch.store.events import get_event_row

PUBLIC_STATUSES: tuple[str, ...] = ("confirmed",)
NO_STATUS = "-"  # a review status no event has: a public filter asking only for hidden ones
PUBLIC_EVENT = "e.merged_into IS NULL AND e.review_status IN ('confirmed')"
"""The SQL condition over ``events e`` of a public event."""


def listing_filters(filters: Mapping[str, Any], public: bool) -> dict[str, Any]:
    """The filters of an events view; in public mode the review status is narrowed to the public
    statuses (asking only for others matches nothing)."""
    out = dict(filters)
    if public:
        asked = out.get("review_status") or []
        asked = [asked] if isinstance(asked, str) else list(asked)
        allowed = [s for s in asked if s in PUBLIC_STATUSES] if asked else list(PUBLIC_STATUSES)
        out["review_status"] = allowed or [NO_STATUS]
    return out


def visible_event_row(store: Store, event_id: str, public: bool) -> sqlite3.Row | None:
    """The event row (following merges), or None; in public mode None unless the id names a
    public event itself."""
    row = get_event_row(store, event_id)
    if row is not None and public and (row["id"] != event_id or row["review_status"] not in PUBLIC_STATUSES):
        return None
    return row


def public_event_ids(store: Store, event_ids: Iterable[str]) -> set[str]:
    ids = sorted(set(event_ids))
    if not ids:
        return set()
    marks = ",".join("?" * len(ids))
    return {r[0] for r in store.query(f"SELECT e.id FROM events e WHERE e.id IN ({marks}) AND {PUBLIC_EVENT}", ids)}


def visible_related(store: Store, related: Sequence[dict[str, Any]], public: bool) -> list[dict[str, Any]]:
    """Relations to other events; in public mode only those to public events."""
    if not public:
        return list(related)
    shown = public_event_ids(store, (r["event_id"] for r in related))
    return [r for r in related if r["event_id"] in shown]


def is_public_document(store: Store, document_id: int) -> bool:
    """True when the document is a source of a public event."""
    return bool(store.scalar(
        "SELECT 1 FROM mentions m JOIN event_mentions em ON em.mention_id = m.id "
        f"JOIN events e ON e.id = em.event_id WHERE m.document_id = ? AND {PUBLIC_EVENT} LIMIT 1",
        (document_id,)))


def live_condition(public: bool) -> str:
    """The SQL condition over ``events e`` of the events the dashboard's chart and map count."""
    return PUBLIC_EVENT if public else "e.merged_into IS NULL AND e.review_status != 'rejected'"
