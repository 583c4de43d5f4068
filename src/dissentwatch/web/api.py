"""The read API: events in the export shape of DESIGN.md with the events table's filters,
one event, one document (by the id it was imported with), counts, and the newest events for
pages that poll. ``/openapi.json`` describes it."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from dissentwatch import __version__
from dissentwatch.publish.counts import DIMENSIONS, count_events
from dissentwatch.publish.shape import event_sources_page, event_summaries
from dissentwatch.store import Store
from dissentwatch.store.events import DATE_PATTERN, SORTS, query_events
from dissentwatch.validation import region_names
from dissentwatch.web.app import api, route, settings_of, store_of
from dissentwatch.web.public import (
    PUBLIC_EVENT,
    is_public_document,
    listing_filters,
    public_event_ids,
    visible_event_row,
    visible_related,
)
from dissentwatch.web.views import MAX_LIMIT, document_by_external_id, int_param, parse_listing

SOURCES_PAGE = 100


def _json(data: Any, status_code: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status_code)


@api
def list_events(request: Request) -> Response:
    store = store_of(request)
    listing = parse_listing(request.query_params)
    public = settings_of(request).public
    rows, total = query_events(store, **listing_filters(listing.filters, public), sort=listing.sort,
                               desc=listing.desc, limit=listing.limit, offset=listing.offset)
    following = listing.offset + len(rows)
    return _json({
        "total": total, "limit": listing.limit, "offset": listing.offset,
        "next": f"/api/events?{listing.query_string(offset=following)}" if following < total else None,
        "events": [_visible(store, e, public) for e in event_summaries(store, rows)],
    })


@api
def get_event(request: Request) -> Response:
    store = store_of(request)
    event_id = request.path_params["event_id"]
    public = settings_of(request).public
    row = visible_event_row(store, event_id, public)
    if row is None:
        raise HTTPException(404, f"no event {event_id!r}")
    if row["id"] != event_id:
        return RedirectResponse(f"/api/events/{row['id']}", status_code=301)
    return _json(_visible(store, next(event_summaries(store, [row])), public))


def _visible(store: Store, event: dict[str, Any], public: bool) -> dict[str, Any]:
    event["related"] = visible_related(store, event["related"], public)
    return event


@api
def get_event_sources(request: Request) -> Response:
    """A page of an event's sources with their evidence quotes (``offset``, ``limit`` up to 500)."""
    store = store_of(request)
    event_id = request.path_params["event_id"]
    row = visible_event_row(store, event_id, settings_of(request).public)
    if row is None:
        raise HTTPException(404, f"no event {event_id!r}")
    offset = int_param(request.query_params, "offset", 0, 0, 10**9)
    limit = int_param(request.query_params, "limit", SOURCES_PAGE, 1, MAX_LIMIT)
    if row["id"] != event_id:
        return RedirectResponse(f"/api/events/{row['id']}/sources?offset={offset}&limit={limit}", status_code=301)
    return _json(event_sources_page(store, row, offset, limit))


def document_as_dict(store: Store, external_id: str, public: bool = False) -> dict[str, Any] | None:
    """A document as the documents export shapes it, plus its text, source and mentions (in
    public mode: a source of a public event, with its mentions of public events only)."""
    doc = document_by_external_id(store, external_id)
    if doc is None or (public and not is_public_document(store, doc["id"])):
        return None
    mentions = store.query(
        'SELECT m.id, m.type, m.confidence, m.start, m."end", COALESCE(e.merged_into, e.id) AS event_id '
        "FROM mentions m LEFT JOIN event_mentions em ON em.mention_id = m.id "
        "LEFT JOIN events e ON e.id = em.event_id WHERE m.document_id = ? ORDER BY m.start", (doc["id"],),
    )
    aggregates = store.query('SELECT quote, number, counted, start, "end" FROM aggregates '
                             "WHERE document_id = ? ORDER BY start", (doc["id"],))
    if public:
        shown = public_event_ids(store, (m["event_id"] for m in mentions if m["event_id"]))
        mentions = [m for m in mentions if m["event_id"] in shown]
    event_ids = sorted({m["event_id"] for m in mentions if m["event_id"]})
    return {
        "id": doc["external_id"], "language": doc["language"], "relevant": bool(event_ids),
        "event_ids": event_ids, "aggregates": [dict(a) for a in aggregates],
        "source_kind": doc["source_kind"], "url": doc["url"], "outlet": doc["outlet"], "title": doc["title"],
        "published": doc["published"], "text": doc["text"],
        "mentions": [dict(m) for m in mentions],
    }


@api
def get_document(request: Request) -> Response:
    found = document_as_dict(store_of(request), request.path_params["document_id"], settings_of(request).public)
    if found is None:
        raise HTTPException(404, f"no document {request.path_params['document_id']!r}")
    return _json(found)


@api
def counts(request: Request) -> Response:
    listing = parse_listing(request.query_params)
    by = [d.strip() for d in (request.query_params.get("by") or "type").split(",") if d.strip()]
    unknown = [d for d in by if d not in DIMENSIONS]
    if unknown or not by or len(by) > 3:
        raise HTTPException(400, f"by takes one to three of {', '.join(DIMENSIONS)}")
    rejected = (request.query_params.get("include_rejected") or "").lower() in ("1", "true", "yes")
    filters = listing_filters(listing.filters, settings_of(request).public)
    result = count_events(store_of(request), by=by, include_rejected=rejected, **filters)
    return _json(result.as_dict())


@api
def latest(request: Request) -> Response:
    """Events created after ``after`` (an ISO time), newest last: what polling pages add."""
    after = (request.query_params.get("after") or "")[:40]
    live = PUBLIC_EVENT if settings_of(request).public else "e.merged_into IS NULL"
    rows = store_of(request).query(
        "SELECT id, type, date, review_status, confidence, created, unit_name FROM events e "
        f"WHERE {live} AND created > ? ORDER BY created, id LIMIT 50", (after,),
    )
    now = store_of(request).scalar(f"SELECT MAX(created) FROM events e WHERE {live}") or after
    return _json({"now": now, "events": [dict(r) for r in rows]})


async def openapi(request: Request) -> Response:
    return _json(openapi_document())


_FILTERS: list[tuple[str, str, dict[str, Any]]] = [
    ("type", "event type (repeatable)", {"type": "array", "items": {"type": "string", "enum": [
        "video_appeal", "written_appeal", "refusal", "mutiny", "desertion", "dismissal", "prosecution",
        "legal_challenge"]}}),
    ("since", "first date, inclusive: 2023, 2023-03 or 2023-03-06; compared with the event's date_used: its "
     "event date, or for an undated event its first report's publication (date_used_from first_report)",
     {"type": "string", "pattern": DATE_PATTERN}),
    ("until", "last date, inclusive; compared with date_used, as since", {"type": "string", "pattern": DATE_PATTERN}),
    ("region", "ISO 3166-2 code of a region of the gazetteer (its name, in any language, is accepted too)",
     {"type": "string", "enum": sorted(region_names())}),
    ("unit", "unit number or name: 255, 255th regiment", {"type": "string", "maxLength": 200}),
    ("review_status", "new, confirmed, rejected, edited (repeatable)", {"type": "array", "items": {
        "type": "string", "enum": ["new", "confirmed", "rejected", "edited"]}}),
    ("language", "language of a source document", {"type": "string", "maxLength": 200}),
    ("outlet", "outlet or channel of a source document", {"type": "string", "maxLength": 200}),
    ("q", "full-text search over sources and evidence quotes", {"type": "string", "maxLength": 200}),
]


def _params(*extra: tuple[str, str, dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for name, description, schema in [*_FILTERS, *extra]:
        param: dict[str, Any] = {"name": name, "in": "query", "required": False, "description": description,
                                 "schema": schema}
        if schema.get("type") == "array":
            param.update(style="form", explode=True)
        out.append(param)
    return out


def _responses(ok: str, schema: dict[str, Any]) -> dict[str, Any]:
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    return {"200": {"description": ok, "content": {"application/json": {"schema": schema}}},
            "400": {"description": "a bad parameter", "content": error},
            "401": {"description": "no or bad token", "content": error},
            "404": {"description": "not found", "content": error}}


def _by_pattern() -> str:
    names = "|".join(DIMENSIONS)
    return f"^({names})(,({names})){{0,2}}$"


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.0 description of the read API."""
    event = {"$ref": "#/components/schemas/Event"}
    paging: list[tuple[str, str, dict[str, Any]]] = [
        ("sort", "sort key", {"type": "string", "enum": list(SORTS)}),
        ("desc", "descending (default true)", {"type": "boolean"}),
        ("limit", "page size", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}),
        ("offset", "rows to skip", {"type": "integer", "minimum": 0, "maximum": 10**9}),
    ]
    path_id = {"in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "dissentwatch read API", "version": __version__,
                 "description": "Events in the export shape of DESIGN.md. Authenticate with "
                                "'Authorization: Bearer TOKEN' (dissentwatch users token NAME)."},
        "security": [{"bearer": []}],
        "paths": {
            "/api/events": {"get": {"operationId": "listEvents", "summary": "Events, filtered, sorted, paged",
                                    "parameters": _params(*paging),
                                    "responses": _responses("a page of events", {"$ref": "#/components/schemas/EventPage"})}},
            "/api/events/{event_id}": {"get": {"operationId": "getEvent", "summary": "One event",
                                               "parameters": [{"name": "event_id", **path_id}],
                                               "responses": _responses("the event", event)}},
            "/api/events/{event_id}/sources": {"get": {
                "operationId": "getEventSources",
                "summary": "A page of an event's sources, each with its evidence quotes",
                "parameters": [{"name": "event_id", **path_id}, *[
                    {"name": n, "in": "query", "required": False, "description": d, "schema": sch}
                    for n, d, sch in paging[2:]]],
                "responses": _responses("a page of sources", {"$ref": "#/components/schemas/SourcePage"})}},
            "/api/documents/{document_id}": {"get": {
                "operationId": "getDocument", "summary": "One document by the id it was imported with",
                "parameters": [{"name": "document_id", **path_id}],
                "responses": _responses("the document", {"$ref": "#/components/schemas/Document"})}},
            "/api/counts": {"get": {
                "operationId": "countEvents", "summary": "Event counts, as `dissentwatch counts` gives them",
                "parameters": _params(("by", "comma-separated dimensions (one to three): " + ", ".join(DIMENSIONS),
                                       {"type": "string", "pattern": _by_pattern()}),
                                      ("include_rejected", "count rejected events too", {"type": "boolean"})),
                "responses": _responses("the counts", {"$ref": "#/components/schemas/Counts"})}},
        },
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
                       "schemas": _schemas()},
    }


def _schemas() -> dict[str, Any]:
    nullable_str = {"type": "string", "nullable": True}
    return {
        "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
        "Event": {"type": "object", "required": ["id", "type", "review_status", "sources_count", "sources_url"],
                  "properties": {
                      "id": {"type": "string"}, "type": {"type": "string"}, "by_relatives": {"type": "boolean"},
                      "date": nullable_str, "date_precision": nullable_str, "date_kind": nullable_str,
                      "date_used": {**nullable_str, "description": "the date filters, counts and the timeline "
                                    "use: the event date, or for an undated event its first report's publication"},
                      "date_used_from": {**nullable_str, "enum": ["event_date", "first_report", None]},
                      "unit": {"type": "object", "nullable": True}, "affiliation": nullable_str,
                      "status": nullable_str, "home_regions": {"type": "array", "items": {"type": "object"}},
                      "location": {"type": "object", "nullable": True}, "addressee": nullable_str,
                      "grievances": {"type": "array", "items": {"type": "string"}},
                      "demands": {"type": "array", "items": {"type": "string"}},
                      "confidence": {"type": "number"}, "review_status": {"type": "string"},
                      "related": {"type": "array", "items": {"type": "object"}},
                      "sources_count": {"type": "integer"}, "sources_url": {"type": "string"}}},
        "SourcePage": {"type": "object", "required": ["event_id", "total", "offset", "limit", "sources"],
                       "properties": {
                           "event_id": {"type": "string"}, "total": {"type": "integer"},
                           "offset": {"type": "integer"}, "limit": {"type": "integer"}, "next": nullable_str,
                           "sources": {"type": "array", "items": {"type": "object", "properties": {
                               "document_id": {"type": "string"}, "url": nullable_str, "outlet": nullable_str,
                               "published": nullable_str, "language": nullable_str,
                               "evidence": {"type": "array", "items": {"type": "object"}}}}}}},
        "EventPage": {"type": "object", "required": ["total", "limit", "offset", "events"], "properties": {
            "total": {"type": "integer"}, "limit": {"type": "integer"}, "offset": {"type": "integer"},
            "next": nullable_str, "events": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}}}},
        "Document": {"type": "object", "required": ["id", "relevant", "event_ids", "aggregates", "text"],
                     "properties": {"id": {"type": "string"}, "language": nullable_str,
                                    "relevant": {"type": "boolean"},
                                    "event_ids": {"type": "array", "items": {"type": "string"}},
                                    "aggregates": {"type": "array", "items": {"type": "object"}},
                                    "text": {"type": "string"}}},
        "Counts": {"type": "object", "required": ["by", "total", "groups"], "properties": {
            "by": {"type": "array", "items": {"type": "string"}}, "total": {"type": "object"},
            "dates": {"type": "object", "description": "which date the filters and periods used (basis), and how "
                      "many events were dated by their own date (event_date), by their first report "
                      "(first_report) or not at all (undated)"},
            "groups": {"type": "array", "items": {"type": "object"}}}},
    }


def routes() -> list[Route]:
    return [
        route("/api/events", list_events), route("/api/events/{event_id}", get_event),
        route("/api/events/{event_id}/sources", get_event_sources),
        route("/api/documents/{document_id:path}", get_document), route("/api/counts", counts),
        route("/api/latest", latest), route("/openapi.json", openapi),
    ]
