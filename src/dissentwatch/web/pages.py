"""HTML pages: dashboard, events table and its exports, event, document, search, review queue,
login. Stable URLs: ``/events``, ``/events/{id}``, ``/documents/{id}``, ``/search?q=``, ``/review``."""

from __future__ import annotations

import csv
import io
import json
import secrets
from collections.abc import Iterator
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from dissentwatch.publish.counts import count_events
from dissentwatch.publish.export import CSV_COLUMNS, flatten_event
from dissentwatch.publish.shape import (
    event_sources_page,
    event_summaries,
    events_as_dicts,
    row_date_label,
)
from dissentwatch.resolve.reasons import describe_reason
from dissentwatch.review import EDITABLE_FIELDS, undoable
from dissentwatch.review.values import edit_choices
from dissentwatch.store import Store
from dissentwatch.store.documents import search_documents
from dissentwatch.store.events import (
    best_quotes,
    event_document_ids,
    event_mention_rows,
    get_event_row,
    query_events,
)
from dissentwatch.web import auth
from dissentwatch.web.app import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Settings,
    lang_of,
    page,
    render,
    settings_of,
    store_of,
)
from dissentwatch.web.public import (
    PUBLIC_EVENT,
    is_public_document,
    listing_filters,
    public_event_ids,
    visible_event_row,
    visible_related,
)
from dissentwatch.web.views import (
    TYPE_COLOURS,
    Listing,
    csv_safe,
    document_by_external_id,
    highlight,
    int_param,
    map_points,
    parse_listing,
    show,
    timeline,
)

SHOWN_ELSEWHERE = {"id", "sources", "evidence", "sources_count", "sources_url", "related", "review_status", "confidence"}
SOURCES_PER_PAGE = 50
QUOTES_PER_FIELD = 10
EXPORT_LIMIT = 100_000


@page()
def dashboard(request: Request) -> Response:
    store = store_of(request)
    public = settings_of(request).public
    latest = [] if public else [
        {**dict(r), "date_shown": row_date_label(r)[0], "date_kind": row_date_label(r)[1]} for r in store.query(
            "SELECT * FROM events WHERE merged_into IS NULL AND review_status = 'new' ORDER BY updated DESC LIMIT 10")]
    version = (store.scalar("SELECT MAX(updated) FROM events"), store.scalar("SELECT MAX(id) FROM decisions"),
               store.scalar("SELECT MAX(rowid) FROM documents"))
    summary = settings_of(request).cached("dashboard", lambda: _summary(store, public), version)
    return render(request, "dashboard.html", {**summary, "latest": latest, "colours": TYPE_COLOURS})


def _summary(store: Store, public: bool = False) -> dict[str, Any]:
    """The dashboard's aggregates over every event (every public one in public mode): counts,
    the chart, the map."""
    only = listing_filters({}, public)
    documents = store.scalar(
        "SELECT COUNT(DISTINCT m.document_id) FROM mentions m JOIN event_mentions em ON em.mention_id = m.id "
        f"JOIN events e ON e.id = em.event_id WHERE {PUBLIC_EVENT}") if public else store.scalar(
        "SELECT COUNT(*) FROM documents")
    return {
        "by_type": count_events(store, by=["type"], **only),
        "by_status": count_events(store, by=["review_status"], totals=False, include_rejected=True, **only),
        "chart": timeline(store, public=public), "map": map_points(store, public=public),
        "documents": documents,
    }


@page()
def events_table(request: Request) -> Response:
    store = store_of(request)
    listing = parse_listing(request.query_params)
    filters = listing_filters(listing.filters, settings_of(request).public)
    rows, total = query_events(store, **filters, sort=listing.sort, desc=listing.desc,
                               limit=listing.limit, offset=listing.offset)
    return render(request, "events.html", {
        "rows": [_row_view(r) for r in rows], "total": total, "listing": listing,
        "prev_offset": max(listing.offset - listing.limit, 0) if listing.offset else None,
        "next_offset": listing.offset + listing.limit if listing.offset + listing.limit < total else None,
    })


def _row_view(row: Any) -> dict[str, Any]:
    regions = json.loads(row["home_regions"] or "[]")
    return {
        "id": row["id"], "type": row["type"], "date": row_date_label(row)[0], "date_kind": row_date_label(row)[1],
        "unit": row["unit_name"] or " ".join(x for x in (row["unit_number"], row["unit_kind"]) if x),
        "regions": ", ".join(str(r.get("name") or r.get("iso") or "") for r in regions if isinstance(r, dict)),
        "sources": row["sources_count"], "confidence": round(float(row["confidence"]), 2),
        "review_status": row["review_status"], "outlets": ", ".join(json.loads(row["outlets"] or "[]")),
    }


def _export_pages(settings: Settings, listing: Listing) -> Iterator[list[dict[str, Any]]]:
    """The current view in the export shape, 500 events per step. Each step opens the store of
    the thread it runs in: a streaming response may advance the generator from any worker."""
    offset = listing.offset
    filters = listing_filters(listing.filters, settings.public)
    while offset < listing.offset + EXPORT_LIMIT:
        store = settings.store()
        rows, _ = query_events(store, **filters, sort=listing.sort, desc=listing.desc, limit=500, offset=offset)
        if not rows:
            return
        shapes = list(events_as_dicts(store, rows))
        for shape in shapes:
            shape["related"] = visible_related(store, shape["related"], settings.public)
        yield shapes
        offset += len(rows)


def _csv_chunks(pages: Iterator[list[dict[str, Any]]]) -> Iterator[str]:
    """The CSV export's shape (docs/exports.md): UTF-8 with a BOM, true/false, plus cells a
    spreadsheet would run as formulas made inert."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.DictWriter(buffer, fieldnames=list(CSV_COLUMNS), extrasaction="ignore")
    writer.writeheader()
    for shapes in pages:
        writer.writerows(csv_safe(flatten_event(shape)) for shape in shapes)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def _json_chunks(pages: Iterator[list[dict[str, Any]]]) -> Iterator[str]:
    yield "["
    first = True
    for shapes in pages:
        for shape in shapes:
            yield ("\n" if first else ",\n") + json.dumps(shape, ensure_ascii=False)
            first = False
    yield "\n]\n"


@page()
def export_csv(request: Request) -> Response:
    pages = _export_pages(settings_of(request), parse_listing(request.query_params))
    return StreamingResponse(_csv_chunks(pages), media_type="text/csv; charset=utf-8",
                             headers={"content-disposition": 'attachment; filename="events.csv"'})


@page()
def export_json(request: Request) -> Response:
    pages = _export_pages(settings_of(request), parse_listing(request.query_params))
    return StreamingResponse(_json_chunks(pages), media_type="application/json",
                             headers={"content-disposition": 'attachment; filename="events.json"'})


@page()
def event_page(request: Request) -> Response:
    store = store_of(request)
    public = settings_of(request).public
    event_id = request.path_params["event_id"]
    row = visible_event_row(store, event_id, public)
    if row is None:
        raise HTTPException(404, f"no event {event_id!r}")
    if row["id"] != event_id:
        return RedirectResponse(f"/events/{row['id']}", status_code=301)
    offset = int_param(request.query_params, "sources", 0, 0, 10**9)
    shape = next(event_summaries(store, [row]))
    sources = event_sources_page(store, row, offset, SOURCES_PER_PAGE)
    evidence = [ev for s in sources["sources"] for ev in s["evidence"]]
    doc_ids, total = event_document_ids(store, row["id"], offset, SOURCES_PER_PAGE)
    members = event_mention_rows(store, [row["id"]], document_ids=doc_ids)
    member_count = store.scalar("SELECT COUNT(*) FROM event_mentions WHERE event_id = ?", (row["id"],))
    return render(request, "event.html", {
        "event": shape, "row": row,
        "fields": _field_views(shape, evidence, json.loads(row["locked_fields"] or "[]"), lang_of(request)),
        "documents": _documents_with_evidence(store, row["id"], members, doc_ids), "members": members,
        "member_count": member_count, "sources_total": total, "sources_offset": offset,
        "capped": None if public else json.loads(row["fields"] or "{}").get("cluster_capped"),
        "sources_shown": {s["document_id"] for s in sources["sources"]},
        "prev_sources": max(offset - SOURCES_PER_PAGE, 0) if offset else None,
        "next_sources": offset + SOURCES_PER_PAGE if offset + SOURCES_PER_PAGE < total else None,
        "related": _related_views(store, visible_related(store, shape["related"], public)),
        "history": [] if public else _history(store, row["id"]),  # names analysts: never public
        "editable": EDITABLE_FIELDS, "undoable": None if public else undoable(store, row["id"]),
        "choices": edit_choices(shape),
    })


def _field_views(shape: dict[str, Any], evidence: list[dict[str, Any]], locked: list[str],
                 lang: str) -> list[dict[str, Any]]:
    """The event's fields with the quotes (of the sources on this page) that back them."""
    by_field: dict[str, list[dict[str, Any]]] = {}
    for ev in evidence:
        quotes = by_field.setdefault(ev["field"], [])
        if len(quotes) < QUOTES_PER_FIELD and all(q["quote"] != ev["quote"] for q in quotes):
            quotes.append(ev)  # a repost quotes the same words
    keys = [k for k in shape if k not in SHOWN_ELSEWHERE]
    keys += [k for k in by_field if k not in keys]
    return [{"key": k, "value": show(shape.get(k), k, lang), "raw": json.dumps(shape.get(k), ensure_ascii=False),
             "evidence": by_field.get(k, []), "locked": k in locked} for k in keys]


def _documents_with_evidence(
    store: Store, event_id: str, members: list[Any], doc_ids: list[int],
) -> list[dict[str, Any]]:
    """The source documents of this page with their evidence spans highlighted."""
    spans: dict[int, list[tuple[int, int, str]]] = {}
    marks = ",".join("?" * len(doc_ids))
    for ev in store.query(
        'SELECT ev.document_id, ev.start, ev."end", ev.field FROM event_mentions em '
        f"JOIN evidence ev ON ev.mention_id = em.mention_id WHERE em.event_id = ? AND ev.document_id IN ({marks})",
        (event_id, *doc_ids),
    ):
        spans.setdefault(ev["document_id"], []).append((ev["start"], ev["end"], ev["field"]))
    texts = {r[0]: r[1] or "" for r in store.query(f"SELECT id, text FROM documents WHERE id IN ({marks})", doc_ids)}
    out: list[dict[str, Any]] = []
    by_document: dict[int, dict[str, Any]] = {}
    for m in members:
        why = describe_reason(m["reason"], bool(m["pinned"]))
        if m["document_id"] in by_document:
            if why not in by_document[m["document_id"]]["why"]:
                by_document[m["document_id"]]["why"].append(why)
            continue
        by_document[m["document_id"]] = {"member": m, "why": [why],
                                         "segments": highlight(texts.get(m["document_id"], ""),
                                                               spans.get(m["document_id"], []))}
        out.append(by_document[m["document_id"]])
    return out


def _related_views(store: Store, related: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for rel in related:
        other = get_event_row(store, rel["event_id"])
        shown, kind = row_date_label(other) if other else ("", "undated")
        out.append({**rel, "type": other["type"] if other else None, "date": shown, "date_kind": kind})
    return out


def _history(store: Store, event_id: str) -> list[dict[str, Any]]:
    rows = store.query(
        "SELECT * FROM decisions WHERE event_id = ? OR (action != 'merge' AND event_id IN "
        "(SELECT id FROM events WHERE merged_into = ?)) ORDER BY id DESC", (event_id, event_id),
    )
    return [dict(r) for r in rows]


@page()
def document_page(request: Request) -> Response:
    store = store_of(request)
    public = settings_of(request).public
    doc = document_by_external_id(store, request.path_params["document_id"])
    if doc is None or (public and not is_public_document(store, doc["id"])):
        raise HTTPException(404, f"no document {request.path_params['document_id']!r}")
    mentions = store.query(
        "SELECT m.*, em.event_id FROM mentions m LEFT JOIN event_mentions em ON em.mention_id = m.id "
        "WHERE m.document_id = ? ORDER BY m.start", (doc["id"],),
    )
    if public:  # only what public events make of this text
        shown = public_event_ids(store, (m["event_id"] for m in mentions if m["event_id"]))
        mentions = [m for m in mentions if m["event_id"] in shown]
    spans = [(e["start"], e["end"], e["field"]) for e in store.query(
        'SELECT mention_id, start, "end", field FROM evidence WHERE document_id = ?', (doc["id"],))
        if not public or e["mention_id"] in {m["id"] for m in mentions}]
    event_ids = sorted({m["event_id"] for m in mentions if m["event_id"]})
    events = [{**dict(r), "date_shown": row_date_label(r)[0], "date_kind": row_date_label(r)[1]}
              for r in (get_event_row(store, e) for e in event_ids) if r is not None]
    aggregates = store.query("SELECT * FROM aggregates WHERE document_id = ? ORDER BY start", (doc["id"],))
    return render(request, "document.html", {
        "doc": doc, "segments": highlight(doc["text"], spans), "mentions": mentions,
        "events": events, "aggregates": aggregates,
    })


@page()
def search_page(request: Request) -> Response:
    store = store_of(request)
    q = (request.query_params.get("q") or "").strip()[:200]
    events, total, documents = [], 0, []
    if q:
        public = settings_of(request).public
        rows, total = query_events(store, **listing_filters({"q": q}, public), limit=50)
        events = [_row_view(r) for r in rows]
        documents = [d for d in search_documents(store, q, limit=50)
                     if not public or is_public_document(store, d["id"])]
    return render(request, "search.html", {"q": q, "events": events, "total": total, "documents": documents})


@page("analyst")
def review_queue(request: Request) -> Response:
    store = store_of(request)
    order = request.query_params.get("order", "uncertain")
    if order not in REVIEW_ORDERS:
        raise HTTPException(400, f"unknown order {order!r}: use one of {', '.join(REVIEW_ORDERS)}")
    sort, desc = REVIEW_ORDERS[order]
    rows, total = query_events(store, review_status="new", sort=sort, desc=desc, limit=200)
    quotes = best_quotes(store, [r["id"] for r in rows])
    views = [{**_row_view(r), "quote": quotes.get(r["id"], {}).get("quote"),
              "probability": quotes.get(r["id"], {}).get("probability")} for r in rows]
    return render(request, "review.html", {"rows": views, "total": total, "order": order})


REVIEW_ORDERS: dict[str, tuple[str, bool]] = {
    "uncertain": ("uncertainty", False),  # probability nearest 0.5 first
    "confident": ("confidence", True),
}


@page("admin")
def users_page(request: Request) -> Response:
    return render(request, "users.html", {"users": auth.list_users(store_of(request))})


def login_form(request: Request) -> Response:  # sync: Starlette runs it in the thread pool
    if settings_of(request).public:
        return RedirectResponse("/", status_code=303)
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", {"login_csrf": token, "next": _safe_next(request), "error": None})
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", max_age=3600)
    return response


def _safe_next(request: Request, form_value: str | None = None) -> str:
    target = form_value if form_value is not None else request.query_params.get("next", "/")
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


async def login(request: Request) -> Response:
    if settings_of(request).public:
        raise HTTPException(403, "this server is a read-only public view")
    form = await request.form()
    return await run_in_threadpool(_login, request, form)  # argon2 and the store, off the event loop


def _login(request: Request, form: FormData) -> Response:
    settings = settings_of(request)
    name, password = str(form.get("name") or "")[:64], str(form.get("password") or "")[:1024]
    cookie_token = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie_token or not secrets.compare_digest(cookie_token, str(form.get("csrf") or "")):
        raise HTTPException(403, "missing or wrong CSRF token: reload the login page")
    client = request.client.host if request.client else "?"
    keys = (f"ip:{client}", f"user:{name}")
    if settings.login_limiter.blocked(*keys):
        return _login_again(request, cookie_token, "Too many failed attempts: wait a few minutes.", 429)
    user = auth.authenticate(settings.store(), name, password)
    if user is None:
        settings.login_limiter.fail(*keys)
        return _login_again(request, cookie_token, "Wrong name or password.", 401)
    settings.login_limiter.clear(f"user:{name}")
    session_id, _ = auth.start_session(settings.store(), user)
    response = RedirectResponse(_safe_next(request, str(form.get("next") or "/")), status_code=303)
    response.set_cookie(SESSION_COOKIE, session_id, httponly=True, samesite="lax",
                        max_age=auth.SESSION_DAYS * 86400, secure=request.url.scheme == "https")
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


def _login_again(request: Request, token: str, error: str, status: int) -> Response:
    return render(request, "login.html", {"login_csrf": token, "next": "/", "error": error}, status_code=status)


def routes() -> list[Route]:
    from dissentwatch.web.app import route

    return [
        route("/", dashboard), route("/events", events_table), route("/events.csv", export_csv),
        route("/events.json", export_json), route("/events/{event_id}", event_page),
        route("/documents/{document_id:path}", document_page), route("/search", search_page),
        route("/review", review_queue), route("/admin/users", users_page),
        route("/login", login_form), route("/login", login, ["POST"]),
    ]
