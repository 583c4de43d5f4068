"""Events in the public export shape of DESIGN.md ("Data contracts").

The stored ``events.fields`` JSON holds the aggregated field values; review columns
(``review_status``, ``confidence``), sources, evidence and relations are read live from their
tables so that an analyst's action shows at once. Keys come out in the documented order; keys
added later (``wounded_claimed``, ``disclaimers`` ...) follow them, first ``date_used`` and
``date_used_from``: the date filters, counts and the timeline go by, and whether it is the
event's own date (``event_date``) or, for an undated event, its first report's publication
(``first_report``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from dissentwatch.resolve.places import region_iso
from dissentwatch.store import Store
from dissentwatch.store.events import (
    date_used,
    event_document_ids,
    event_mention_rows,
    get_event_row,
)

EXPORT_KEYS: tuple[str, ...] = (
    "id", "type", "by_relatives", "date", "date_precision", "date_kind", "unit", "affiliation",
    "status", "participants", "faces_covered", "spokesperson", "home_regions", "location",
    "addressee", "grievances", "demands", "killed_claimed", "confidence", "review_status",
    "related", "sources", "evidence",
)
LIST_KEYS = frozenset({"home_regions", "grievances", "demands", "related", "sources", "evidence"})
INTERNAL_KEYS = frozenset({"sort_date", "cues", "cluster_capped"})
SOURCED_KEYS: tuple[str, ...] = (
    "date", "unit", "affiliation", "status", "participants", "faces_covered", "spokesperson", "home_regions",
    "location", "addressee", "address_form", "grievances", "demands", "killed_claimed", "wounded_claimed",
    "disclaimers",
)
"""Fields whose values come from the mentions' fields (the rest are derived or set by review)."""
_SCALAR_KEYS = frozenset({"affiliation", "status", "addressee", "address_form"})
_UNION_KEYS = frozenset({"grievances", "demands", "disclaimers"})


def event_as_dict(store: Store, event: str | sqlite3.Row) -> dict[str, Any]:
    """One event in the export shape, by id (merged-away ids lead to their target) or row."""
    row = get_event_row(store, event) if isinstance(event, str) else event
    if row is None:
        raise KeyError(f"no event {event!r}")
    return next(iter(events_as_dicts(store, [row])))


def events_as_dicts(store: Store, rows: Sequence[sqlite3.Row]) -> Iterator[dict[str, Any]]:
    """Export shapes for many event rows, reading sources, evidence and relations in bulk."""
    ids = [r["id"] for r in rows]
    members = _group(event_mention_rows(store, ids), "event_id")
    evidence = _evidence(store, ids)
    related = _related(store, ids)
    for row in rows:
        spans = evidence.get(row["id"], [])
        yield _shape(row, members.get(row["id"], []), spans, related.get(row["id"], []),
                     quoted={e["field"] for e in spans})


def event_summaries(store: Store, rows: Sequence[sqlite3.Row]) -> Iterator[dict[str, Any]]:
    """The export shape without the ``sources`` and ``evidence`` lists, which grow with every
    report: ``sources_count`` says how many there are, ``sources_url`` where to page through
    them with their quotes (:func:`event_sources_page`). What the web API serves."""
    ids = [r["id"] for r in rows]
    members = _group(_member_fields(store, ids), "event_id")
    related = _related(store, ids)
    quoted = _quoted_fields(store, ids)
    for row in rows:
        shape = _shape(row, members.get(row["id"], []), [], related.get(row["id"], []), with_sources=False,
                       quoted=quoted.get(row["id"], set()))
        del shape["sources"], shape["evidence"]
        shape["sources_count"] = len({m["document_id"] for m in members.get(row["id"], [])})
        shape["sources_url"] = f"/api/events/{row['id']}/sources"
        yield shape


def event_sources_page(store: Store, row: sqlite3.Row, offset: int, limit: int) -> dict[str, Any]:
    """One page of an event's sources in publication order, each with the evidence quotes of its
    text that back the event's fields (as the export's ``evidence`` filters them)."""
    event_id = row["id"]
    doc_ids, total = event_document_ids(store, event_id, offset, limit)
    members = event_mention_rows(store, [event_id], document_ids=doc_ids) if doc_ids else []
    fields = _shape(row, _member_fields(store, [event_id]), [], [], with_sources=False,
                    quoted=_quoted_fields(store, [event_id]).get(event_id, set()))
    evidence: dict[str, list[dict[str, Any]]] = {}
    for e in _evidence(store, [event_id], document_ids=doc_ids).get(event_id, []) if doc_ids else []:
        if _has_value(fields, e["field"]) and _supports(fields, e):
            evidence.setdefault(e["document_id"], []).append(_public(e))
    sources = [{**s, "evidence": evidence.get(s["document_id"], [])} for s in _sources(members)]
    following = offset + len(sources)
    return {"event_id": event_id, "total": total, "offset": offset, "limit": limit, "sources": sources,
            "next": f"/api/events/{event_id}/sources?offset={following}&limit={limit}" if following < total else None}


def _quoted_fields(store: Store, event_ids: Sequence[str]) -> dict[str, set[str]]:
    """For each event, the fields some quote of its current mentions backs."""
    out: dict[str, set[str]] = {}
    ids = list(event_ids)
    for lo in range(0, len(ids), 500):
        part = ids[lo : lo + 500]
        for r in store.query(
                "SELECT DISTINCT em.event_id, ev.field FROM event_mentions em "
                "JOIN evidence ev ON ev.mention_id = em.mention_id "
                f"WHERE em.event_id IN ({','.join('?' * len(part))})", part):
            out.setdefault(r["event_id"], set()).add(r["field"])
    return out


def _member_fields(store: Store, event_ids: Sequence[str]) -> list[sqlite3.Row]:
    """What :func:`_keep_sourced` reads of each member mention: its fields, no document."""
    if not event_ids:
        return []
    marks = ",".join("?" * len(event_ids))
    return store.query(
        "SELECT em.event_id, m.document_id, m.fields AS mention_fields, m.by_relatives AS mention_by_relatives "
        f"FROM event_mentions em JOIN mentions m ON m.id = em.mention_id WHERE em.event_id IN ({marks})",
        list(event_ids))


def _shape(
    row: sqlite3.Row, members: list[sqlite3.Row], evidence: list[dict[str, Any]], related: list[dict[str, Any]],
    with_sources: bool = True, quoted: set[str] | None = None,
) -> dict[str, Any]:
    fields: dict[str, Any] = json.loads(row["fields"] or "{}")
    fields.update(
        id=row["id"], type=row["type"], by_relatives=bool(row["by_relatives"]),
        confidence=round(float(row["confidence"]), 3), review_status=row["review_status"],
        related=related, sources=_sources(members) if with_sources else [],
    )
    _keep_sourced(fields, members, set(json.loads(row["locked_fields"] or "[]")), quoted)
    fields["evidence"] = [_public(e) for e in evidence if _has_value(fields, e["field"]) and _supports(fields, e)]
    shape = {key: fields.get(key, [] if key in LIST_KEYS else None) for key in EXPORT_KEYS}
    shape["date_used"], shape["date_used_from"] = date_used(fields.get("date"), row["sort_date"], row["first_published"])
    shape.update({k: v for k, v in fields.items() if k not in shape and k not in INTERNAL_KEYS})
    return shape


def date_label(date: str | None, date_kind: str | None, used: str | None, used_from: str | None) -> tuple[str, str]:
    """(date, its kind) as listings and pages show them: the event's own date and whether it is
    when it occurred or when it was first published; for an undated event the day its first
    report was published, marked "first report (undated)", the date filters and counts use for
    it; ("", "undated") when nothing dates the event."""
    if date:  # its own date, also one no filter can place ("--03-06" and no dated report)
        return str(date), str(date_kind or "occurred")
    if used_from == "first_report" and used:
        return str(used), "first report (undated)"
    return "", "undated"


def row_date_label(row: sqlite3.Row) -> tuple[str, str]:
    """:func:`date_label` of an ``events`` row."""
    used, used_from = date_used(row["date"], row["sort_date"], row["first_published"])
    return date_label(row["date"], row["date_kind"], used, used_from)


def _keep_sourced(fields: dict[str, Any], members: Sequence[sqlite3.Row], locked: set[str],
                  quoted: set[str] | None = None) -> None:
    """Blank what no current mention gives and no analyst set: a value left over from a source
    the event no longer has (a store written before merges and splits rebuilt events) is never
    shown or exported. With ``quoted`` (the fields some quote of the current mentions backs), a
    value no quote backs is blanked too: every field an analyst sees has its evidence."""
    given = [json.loads(m["mention_fields"] or "{}") for m in members]
    for key in SOURCED_KEYS:
        if key in locked or _empty(fields.get(key)):
            continue
        values = [g[key] for g in given if not _empty(g.get(key))]
        if (quoted is not None and key not in quoted) or not values or (
                key in _SCALAR_KEYS and fields[key] not in values):
            fields[key] = [] if key in LIST_KEYS or key in _UNION_KEYS else None
        elif key in _UNION_KEYS and isinstance(fields[key], list):
            have = {json.dumps(v, sort_keys=True) for vs in values if isinstance(vs, list) for v in vs}
            fields[key] = [v for v in fields[key] if json.dumps(v, sort_keys=True) in have]
    if _empty(fields.get("date")) and "date" not in locked:
        fields["date_precision"] = fields["date_kind"] = None
    if fields["by_relatives"] and "by_relatives" not in locked and not any(m["mention_by_relatives"] for m in members):
        fields["by_relatives"] = False


def _empty(value: Any) -> bool:
    return value is None or value == [] or value == {} or value == ""


def _has_value(fields: dict[str, Any], field: str) -> bool:
    """Evidence is kept for fields the event carries, and for spans about the event itself."""
    if field not in fields:
        return True
    value = fields[field]
    return value not in (None, [], {}, "")


def _public(evidence: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in evidence.items() if k not in ("value", "mention_type")}


def _supports(fields: dict[str, Any], evidence: dict[str, Any]) -> bool:
    """False when the span backs a value the event did not keep (another mention's date, a
    different unit); spans without a recorded value, and analyst-set fields, are kept."""
    value, chosen = evidence.get("value"), fields.get(evidence["field"])
    if evidence["field"] == "type":  # a written appeal's words do not back a refusal
        return evidence.get("mention_type") in (None, chosen)
    if value is None or chosen is None or evidence["field"] in ("type", "evidence"):
        return True
    if isinstance(chosen, list):
        items = value if isinstance(value, list) else [value]
        keys = set().union(*(_keys(c) for c in chosen)) if chosen else set()
        return not items or any(_keys(i) & keys for i in items)
    if isinstance(chosen, dict) or isinstance(value, dict):
        return bool(_keys(value) & _keys(chosen))
    return bool(value == chosen) or _date_compatible(evidence["field"], value, chosen)


def _keys(value: Any) -> set[str]:
    """What identifies a value: a region by code or names, a unit by number, a place by name."""
    if isinstance(value, dict):
        if value.get("number"):
            return {f"#{value['number']}"}
        names = {str(value[k]).casefold() for k in ("iso", "name", "surface") if value.get(k)}
        if value.get("name") and not value.get("iso"):
            names |= {iso.casefold() for iso in (region_iso(str(value["name"])),) if iso}
        return names or {json.dumps(value, sort_keys=True)}
    return {str(value).casefold()}


def _date_compatible(field: str, value: Any, chosen: Any) -> bool:
    return field == "date" and isinstance(value, str) and isinstance(chosen, str) and (
        value[-5:] == chosen[-5:] or chosen.startswith(value) or value.startswith(chosen))


def _sources(members: Iterable[sqlite3.Row]) -> list[dict[str, Any]]:
    seen: dict[int, dict[str, Any]] = {}
    for m in members:
        if m["document_id"] not in seen:
            seen[m["document_id"]] = {
                "document_id": m["external_id"], "url": m["url"], "outlet": m["outlet"],
                "published": m["published"], "language": m["language"],
            }
    return list(seen.values())


def _evidence(
    store: Store, event_ids: Sequence[str], document_ids: Sequence[int] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    if not event_ids:
        return {}
    marks = ",".join("?" * len(event_ids))
    only = f" AND ev.document_id IN ({','.join('?' * len(document_ids))})" if document_ids is not None else ""
    rows = store.query(
        'SELECT em.event_id, ev.field, ev.value, d.external_id, ev.start, ev."end", ev.quote, m.type AS mention_type '
        "FROM event_mentions em JOIN evidence ev ON ev.mention_id = em.mention_id "
        "JOIN mentions m ON m.id = em.mention_id "
        "JOIN documents d ON d.id = ev.document_id "
        f"WHERE em.event_id IN ({marks}){only} ORDER BY em.event_id, ev.document_id, ev.start, ev.id",
        [*event_ids, *(document_ids or [])],
    )
    out: dict[str, list[dict[str, Any]]] = {}
    seen: set[tuple[str, str, str, int, int]] = set()
    for r in rows:
        key = (r["event_id"], r["field"], r["external_id"], r["start"], r["end"])
        if key in seen:
            continue
        seen.add(key)
        out.setdefault(r["event_id"], []).append({
            "field": r["field"], "document_id": r["external_id"], "start": r["start"], "end": r["end"],
            "quote": r["quote"], "value": json.loads(r["value"]) if r["value"] is not None else None,
            "mention_type": r["mention_type"],
        })
    return out


def _related(store: Store, event_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    if not event_ids:
        return {}
    marks = ",".join("?" * len(event_ids))
    out: dict[str, list[dict[str, Any]]] = {}
    for r in store.query(
        f"SELECT from_event, to_event, relation FROM event_relations WHERE from_event IN ({marks}) "
        f"OR to_event IN ({marks}) ORDER BY created, from_event, to_event",
        [*event_ids, *event_ids],
    ):
        if r["from_event"] in event_ids:
            out.setdefault(r["from_event"], []).append(
                {"event_id": r["to_event"], "relation": r["relation"], "direction": "later"})
        if r["to_event"] in event_ids:
            out.setdefault(r["to_event"], []).append(
                {"event_id": r["from_event"], "relation": r["relation"], "direction": "earlier"})
    return out


def _group(rows: Iterable[sqlite3.Row], key: str) -> dict[Any, list[sqlite3.Row]]:
    out: dict[Any, list[sqlite3.Row]] = {}
    for r in rows:
        out.setdefault(r[key], []).append(r)
    return out
