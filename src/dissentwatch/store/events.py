"""Event rows: writing what resolve produces, and the query every listing is built on.

An event row keeps the whole export shape in ``fields`` (the source of truth) and a few
denormalised columns (type, date, unit, regions, languages, outlets) for filtering, sorting and
counting. ``events_regions`` holds one row per region for region filters and counts.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from dissentwatch.models import utcnow
from dissentwatch.store import Store
from dissentwatch.store.documents import fts_query

DATE_USED = "COALESCE(e.sort_date, substr(e.first_published, 1, 10))"
"""The day (or month, or year) an event is filtered (``--since``/``--until``), counted by month
and placed on the timeline by: its own date where it has one (a date without a year takes the
year of its first report), else the day its first source was published."""
DATE_USED_FROM = (
    f"CASE WHEN {DATE_USED} IS NULL THEN NULL "
    "WHEN COALESCE(json_extract(e.fields, '$.date'), '') != '' THEN 'event_date' ELSE 'first_report' END")
"""Where :data:`DATE_USED` comes from: ``event_date``, ``first_report`` (an undated event, placed
by its first source's publication) or NULL (nothing dates it: no date filter matches it)."""
DATE_USED_FROM_VALUES = ("event_date", "first_report")


def date_used(event_date: str | None, sort_date: str | None, first_published: str | None) -> tuple[str | None, str | None]:
    """(:data:`DATE_USED`, :data:`DATE_USED_FROM`) of one event, in Python."""
    used = sort_date or (first_published[:10] if first_published else None)
    if used is None:
        return None, None
    return used, "event_date" if event_date else "first_report"


SORTS: dict[str, str] = {
    "date": "COALESCE(e.sort_date, e.first_published, '')",
    "published": "COALESCE(e.first_published, '')",
    "confidence": "e.confidence",
    # how far the event's probability is from a coin toss: ascending puts the model's least
    # certain candidates first, where an analyst's decision teaches the next training run most
    "uncertainty": "ABS(e.confidence - 0.5)",
    "sources": "e.sources_count",
    "updated": "e.updated",
    "type": "e.type",
    "unit": "COALESCE(CAST(e.unit_number AS INTEGER), 0)",
}

_ISO_REGION = re.compile(r"^[A-Za-z]{2}-[A-Za-z0-9]{1,3}$")
_UNIT_NUMBER = re.compile(r"\d{1,5}")


# -- writing ----------------------------------------------------------------------------


def event_columns(shape: Mapping[str, Any]) -> dict[str, Any]:
    """The denormalised columns of an event row, taken from its export-shape dict."""
    unit = shape.get("unit") or {}
    sources = shape.get("sources") or []
    return {
        "type": shape["type"],
        "by_relatives": int(bool(shape.get("by_relatives"))),
        "date": shape.get("date"),
        "date_precision": shape.get("date_precision"),
        "date_kind": shape.get("date_kind"),
        "unit_name": unit.get("name"),
        "unit_number": unit.get("number"),
        "unit_kind": unit.get("kind"),
        "unit_canonical_id": unit.get("canonical_id"),
        "affiliation": shape.get("affiliation"),
        "status": shape.get("status"),
        "home_regions": _json(shape.get("home_regions") or []),
        "location": _json(shape["location"]) if shape.get("location") else None,
        "addressee": shape.get("addressee"),
        "grievances": _json(shape.get("grievances") or []),
        "demands": _json(shape.get("demands") or []),
        "fields": _json(dict(shape)),
        "confidence": float(shape.get("confidence") or 0.5),
        "first_published": min((s["published"] for s in sources if s.get("published")), default=None),
        "sort_date": shape.get("sort_date"),
        "sources_count": len(sources),
        "languages": _json(sorted({s["language"] for s in sources if s.get("language")})),
        "outlets": _json(sorted({s["outlet"] for s in sources if s.get("outlet")})),
    }


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=False)


def upsert_event(
    conn: sqlite3.Connection, event_id: str, shape: Mapping[str, Any], *,
    resolver: str = "", run_id: int | None = None,
) -> None:
    """Insert or update one event row from its export shape (review columns are left alone)."""
    cols = event_columns(shape)
    cols.update(id=event_id, resolver=resolver, run_id=run_id, now=utcnow())
    names = [c for c in cols if c != "now"]
    updates = ", ".join(f"{c} = excluded.{c}" for c in names if c != "id")
    conn.execute(
        f"INSERT INTO events ({', '.join(names)}, created, updated) "
        f"VALUES ({', '.join(':' + c for c in names)}, :now, :now) "
        f"ON CONFLICT(id) DO UPDATE SET {updates}, updated = :now",
        cols,
    )
    write_event_regions(conn, event_id, shape)


def write_event_regions(conn: sqlite3.Connection, event_id: str, shape: Mapping[str, Any]) -> None:
    """Replace the ``events_regions`` rows of an event (home regions, and the location's region)."""
    conn.execute("DELETE FROM events_regions WHERE event_id = ?", (event_id,))
    rows: dict[tuple[str, str, str], tuple[float | None, float | None]] = {}
    for r in shape.get("home_regions") or []:
        if isinstance(r, dict):
            rows.setdefault(("home", r.get("iso") or "", r.get("name") or ""), (_coordinate(r, "lat"), _coordinate(r, "lon")))
    location = shape.get("location") or {}
    if location.get("region_iso"):
        rows.setdefault(("location", location["region_iso"], location.get("region_name") or location["region_iso"]),
                        (None, None))
    conn.executemany(
        "INSERT OR IGNORE INTO events_regions (event_id, role, iso, name, lat, lon) VALUES (?, ?, ?, ?, ?, ?)",
        [(event_id, *key, *point) for key, point in rows.items() if key[1] or key[2]],
    )


def _coordinate(region: Mapping[str, Any], key: str) -> float | None:
    value = region.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def link_mentions(
    conn: sqlite3.Connection, event_id: str, links: Iterable[tuple[int, float, Mapping[str, Any]]]
) -> None:
    """Attach mentions to an event with a score and the reason (never moves a pinned mention)."""
    for mention_id, score, reason in links:
        pinned = conn.execute(
            "SELECT 1 FROM event_mentions WHERE mention_id = ? AND pinned = 1 AND event_id != ?",
            (mention_id, event_id),
        ).fetchone()
        if pinned:
            continue
        conn.execute("DELETE FROM event_mentions WHERE mention_id = ? AND event_id != ? AND pinned = 0",
                     (mention_id, event_id))
        conn.execute(
            "INSERT INTO event_mentions (event_id, mention_id, score, reason) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(event_id, mention_id) DO UPDATE SET score = excluded.score, reason = excluded.reason",
            (event_id, mention_id, score, _json(dict(reason))),
        )


def add_relation(
    conn: sqlite3.Connection, from_event: str, to_event: str, relation: str, reason: Mapping[str, Any]
) -> None:
    """A typed link between two events (idempotent)."""
    conn.execute(
        "INSERT INTO event_relations (from_event, to_event, relation, reason, created) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT(from_event, to_event, relation) DO UPDATE SET reason = excluded.reason",
        (from_event, to_event, relation, _json(dict(reason)), utcnow()),
    )


# -- reading ----------------------------------------------------------------------------


def get_event_row(store: Store, event_id: str) -> sqlite3.Row | None:
    """One event row by id; an id merged away by an analyst leads to the event it went into."""
    seen: set[str] = set()
    while event_id not in seen:
        seen.add(event_id)
        rows = store.query("SELECT * FROM events WHERE id = ?", (event_id,))
        if not rows:
            return None
        if not rows[0]["merged_into"]:
            return rows[0]
        event_id = rows[0]["merged_into"]
    return None


def event_mention_rows(
    store: Store, event_ids: Sequence[str], document_ids: Sequence[int] | None = None,
) -> list[sqlite3.Row]:
    """(event_id, mention, its document) rows for the given events (and only these documents,
    when given), in publication order."""
    if not event_ids:
        return []
    marks = ",".join("?" * len(event_ids))
    only = f" AND d.id IN ({','.join('?' * len(document_ids))})" if document_ids is not None else ""
    return store.query(
        "SELECT em.event_id, em.score, em.reason, em.pinned, m.id AS mention_id, m.type AS mention_type, "
        "m.fields AS mention_fields, m.confidence AS mention_confidence, m.by_relatives AS mention_by_relatives, "
        "d.id AS document_id, d.copy_of, "
        "d.external_id, d.url, d.outlet, d.published, d.language, d.title "
        "FROM event_mentions em JOIN mentions m ON m.id = em.mention_id "
        "JOIN documents d ON d.id = m.document_id "
        f"WHERE em.event_id IN ({marks}){only} ORDER BY COALESCE(d.published, d.collected), d.id, m.id",
        [*event_ids, *(document_ids or [])],
    )


def event_document_ids(store: Store, event_id: str, offset: int, limit: int) -> tuple[list[int], int]:
    """A page of the ids of an event's source documents, in publication order, and how many
    there are in all."""
    total = int(store.scalar("SELECT COUNT(DISTINCT m.document_id) FROM event_mentions em "
                             "JOIN mentions m ON m.id = em.mention_id WHERE em.event_id = ?", (event_id,)) or 0)
    ids = [int(r[0]) for r in store.query(
        "SELECT d.id FROM documents d WHERE d.id IN (SELECT m.document_id FROM event_mentions em "
        "JOIN mentions m ON m.id = em.mention_id WHERE em.event_id = ?) "
        "ORDER BY COALESCE(d.published, d.collected), d.id LIMIT ? OFFSET ?", (event_id, limit, offset))]
    return ids, total


DATE_PATTERN = r"^[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?$"
"""What ``since``/``until`` accept: a year, a month or a day, written YYYY, YYYY-MM or YYYY-MM-DD."""
_DATE_FILTER = re.compile(DATE_PATTERN)


def is_date_filter(value: str) -> bool:
    """True for a year, month or day that ``since``/``until`` can compare with (month 13 or day 40
    would silently match nothing). A day past its month's end ("2023-02-30") still bounds that
    month correctly, so it passes."""
    return _DATE_FILTER.fullmatch(value) is not None


def query_events(
    store: Store,
    *,
    type: str | Sequence[str] | None = None,
    since: str | None = None,
    until: str | None = None,
    region: str | None = None,
    unit: str | int | None = None,
    review_status: str | Sequence[str] | None = None,
    language: str | None = None,
    outlet: str | None = None,
    q: str | None = None,
    include_rejected: bool = True,
    date_field: str = "event",
    sort: str = "date",
    desc: bool = True,
    limit: int | None = 50,
    offset: int = 0,
) -> tuple[list[sqlite3.Row], int]:
    """Events matching every filter given, sorted and paged; returns (rows, total matching).

    ``since``/``until`` are inclusive ISO dates (or months, "2023-03") compared with the event
    date (the first publication when the date is unknown). ``region`` is an ISO 3166-2 code or
    a name; ``unit`` a number ("255", 255, "255th regiment") or text. ``q`` searches evidence
    quotes and the text of the events' documents. Events an analyst merged away are left out.
    """
    where, params = event_filters(type=type, since=since, until=until, region=region, unit=unit,
                                  review_status=review_status, language=language, outlet=outlet, q=q,
                                  include_rejected=include_rejected, date_field=date_field)
    sql_where = " AND ".join(where)
    total = int(store.scalar(f"SELECT COUNT(*) FROM events e WHERE {sql_where}", params) or 0)
    sql = f"SELECT e.* FROM events e WHERE {sql_where} ORDER BY {_order(sort, desc)}"
    page: list[Any] = list(params)
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        page += [int(limit), int(offset)]
    return store.query(sql, page), total


def event_ids(store: Store, *, sort: str = "date", desc: bool = True, **filters: Any) -> list[str]:
    """The ids of the events matching ``filters`` (those of :func:`query_events`), all of them,
    in the order :func:`query_events` pages them: what reads every event reads in one query
    (paging with OFFSET rescans the skipped rows on every page)."""
    where, params = event_filters(**filters)
    return [r[0] for r in store.query(
        f"SELECT e.id FROM events e WHERE {' AND '.join(where)} ORDER BY {_order(sort, desc)}", params)]


def _order(sort: str, desc: bool) -> str:
    order = SORTS.get(sort)
    if order is None:
        raise ValueError(f"unknown sort {sort!r}: use one of {', '.join(SORTS)}")
    direction = "DESC" if desc else "ASC"
    return f"{order} {direction}, e.id {direction}"


def best_quotes(store: Store, event_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """For each event, the sentence that carries it (the type evidence of its most confident
    mention), with that mention's probability and document: what the review queue shows."""
    out: dict[str, dict[str, Any]] = {}
    ids = list(event_ids)
    for lo in range(0, len(ids), 500):
        part = ids[lo : lo + 500]
        rows = store.query(
            f"""SELECT em.event_id, m.confidence, m.document_id, x.quote FROM event_mentions em
                JOIN mentions m ON m.id = em.mention_id
                JOIN evidence x ON x.mention_id = m.id AND x.field = 'type'
                WHERE em.event_id IN ({','.join('?' * len(part))})
                ORDER BY m.confidence DESC, m.id""", part)
        for row in rows:
            out.setdefault(row["event_id"], {"quote": row["quote"], "probability": float(row["confidence"]),
                                             "document_id": row["document_id"]})
    return out


def event_filters(**f: Any) -> tuple[list[str], list[Any]]:
    """SQL conditions over ``events e`` (and their parameters) for the filters of ``query_events``;
    ``include_rejected=False`` leaves rejected events out, ``date_field="published"`` filters
    on the first publication instead of the event date."""
    where: list[str] = ["e.merged_into IS NULL"]
    if f.get("include_rejected") is False:
        where.append("e.review_status != 'rejected'")
    params: list[Any] = []

    def add(clause: str, *values: Any) -> None:
        where.append(clause)
        params.extend(values)

    for column in ("type", "review_status"):
        values = [f.get(column)] if isinstance(f.get(column), str) else list(f.get(column) or [])
        if values:
            add(f"e.{column} IN ({','.join('?' * len(values))})", *values)
    date_expr = DATE_USED
    if f.get("date_field") == "published":
        date_expr = "substr(e.first_published, 1, 10)"
    f = {k: f.get(k) for k in ("since", "until", "region", "unit", "language", "outlet", "q")}
    if f["since"]:
        add(f"{date_expr} >= ?", f["since"])
    if f["until"]:
        add(f"{date_expr} <= ?", _end_of(f["until"]))
    if f["region"]:
        clause, values = _region_clause(str(f["region"]))
        add(clause, *values)
    if f["unit"] is not None and str(f["unit"]).strip():
        clause, values = _unit_clause(str(f["unit"]))
        add(clause, *values)
    for column in ("language", "outlet"):
        if f[column]:
            add(f"e.id IN (SELECT em.event_id FROM event_mentions em JOIN mentions m ON m.id = em.mention_id "
                f"JOIN documents d ON d.id = m.document_id WHERE d.{column} = ?)", f[column])
    if f["q"] and fts_query(f["q"]):
        add(_text_clause(), fts_query(f["q"]), f"%{f['q']}%")
    return where, params


def _end_of(value: str) -> str:
    """The last sortable string of a day, month or year: "2023-03" -> "2023-03-99"."""
    if len(value) == 4:
        return value + "-99"
    if len(value) == 7:
        return value + "-99"
    return value[:10]


def _region_clause(region: str) -> tuple[str, list[Any]]:
    if _ISO_REGION.match(region):
        return "e.id IN (SELECT event_id FROM events_regions WHERE iso = ?)", [region.upper()]
    iso = _region_iso(region)
    if iso:
        return "e.id IN (SELECT event_id FROM events_regions WHERE iso = ? OR name LIKE ?)", [iso, f"%{region}%"]
    return "e.id IN (SELECT event_id FROM events_regions WHERE name LIKE ?)", [f"%{region}%"]


def _region_iso(name: str) -> str | None:
    """The ISO code of a region name through the places gazetteer, when it is installed."""
    from dissentwatch.resolve.places import region_iso

    return region_iso(name)


def _unit_clause(unit: str) -> tuple[str, list[Any]]:
    number = _UNIT_NUMBER.search(unit)
    if number:
        clause = "e.unit_number = ?"
        values: list[Any] = [number.group(0).lstrip("0") or "0"]
        from dissentwatch.resolve.units import kind_in_text

        kind = kind_in_text(unit)
        if kind:
            clause += " AND (e.unit_kind = ? OR e.unit_kind IS NULL)"
            values.append(kind)
        return f"({clause})", values
    return "(e.unit_name LIKE ? OR e.unit_canonical_id LIKE ?)", [f"%{unit}%", f"%{unit}%"]


def _text_clause() -> str:
    return (
        "e.id IN (SELECT em.event_id FROM event_mentions em JOIN mentions m ON m.id = em.mention_id "
        "WHERE m.document_id IN (SELECT rowid FROM documents_fts WHERE documents_fts MATCH ?) "
        "OR m.id IN (SELECT mention_id FROM evidence WHERE quote LIKE ?))"
    )
