"""HTML pages: dashboard, events table and its exports, event, document, search, review queue,
login. Stable URLs: ``/events``, ``/events/{id}``, ``/documents/{id}``, ``/search?q=``, ``/review``."""

from __future__ import annotations

import csv
import io
import json
import secrets
from collections.abc import Iterator
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from dissentwatch.publish.counts import count_events
from dissentwatch.publish.export import CSV_COLUMNS, flatten_event
from dissentwatch.publish.shape import event_as_dict, events_as_dicts, row_date_label
from dissentwatch.resolve.reasons import describe_reason
from dissentwatch.review import EDITABLE_FIELDS, undoable
from dissentwatch.review.values import edit_choices
from dissentwatch.store import Store
from dissentwatch.store.documents import search_documents
from dissentwatch.store.events import event_mention_rows, get_event_row, query_events
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
from dissentwatch.web.views import (
    TYPE_COLOURS,
    Listing,
    csv_safe,
    document_by_external_id,
    highlight,
    map_points,
    parse_listing,
    show,
    timeline,
)

SHOWN_ELSEWHERE = {"id", "sources", "evidence", "related", "review_status", "confidence"}
EXPORT_LIMIT = 100_000


@page()
async def dashboard(request: Request) -> Response:
    store = store_of(request)
    latest = [{**dict(r), "date_shown": row_date_label(r)[0], "date_kind": row_date_label(r)[1]} for r in store.query(
        "SELECT * FROM events WHERE merged_into IS NULL AND review_status = 'new' ORDER BY updated DESC LIMIT 10")]
    version = (store.scalar("SELECT MAX(updated) FROM events"), store.scalar("SELECT MAX(id) FROM decisions"),
               store.scalar("SELECT MAX(rowid) FROM documents"))
    summary = settings_of(request).cached("dashboard", lambda: _summary(store), version)
    return render(request, "dashboard.html", {**summary, "latest": latest, "colours": TYPE_COLOURS})


def _summary(store: Store) -> dict[str, Any]:
    """The dashboard's aggregates over every event: counts, the chart, the map."""
    return {
        "by_type": count_events(store, by=["type"]),
        "by_status": count_events(store, by=["review_status"], totals=False, include_rejected=True),
        "chart": timeline(store), "map": map_points(store),
        "documents": store.scalar("SELECT COUNT(*) FROM documents"),
    }


@page()
async def events_table(request: Request) -> Response:
    store = store_of(request)
    listing = parse_listing(request.query_params)
    rows, total = query_events(store, **listing.filters, sort=listing.sort, desc=listing.desc,
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
    while offset < listing.offset + EXPORT_LIMIT:
        store = settings.store()
        rows, _ = query_events(store, **listing.filters, sort=listing.sort, desc=listing.desc,
                               limit=500, offset=offset)
        if not rows:
            return
        yield list(events_as_dicts(store, rows))
        offset += len(rows)


def _csv_chunks(pages: Iterator[list[dict[str, Any]]]) -> Iterator[str]:
    buffer = io.StringIO()
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
async def export_csv(request: Request) -> Response:
    pages = _export_pages(settings_of(request), parse_listing(request.query_params))
    return StreamingResponse(_csv_chunks(pages), media_type="text/csv; charset=utf-8",
                             headers={"content-disposition": 'attachment; filename="events.csv"'})


@page()
async def export_json(request: Request) -> Response:
    pages = _export_pages(settings_of(request), parse_listing(request.query_params))
    return StreamingResponse(_json_chunks(pages), media_type="application/json",
                             headers={"content-disposition": 'attachment; filename="events.json"'})


@page()
async def event_page(request: Request) -> Response:
    store = store_of(request)
    event_id = request.path_params["event_id"]
    row = get_event_row(store, event_id)
    if row is None:
        raise HTTPException(404, f"no event {event_id!r}")
    if row["id"] != event_id:
        return RedirectResponse(f"/events/{row['id']}", status_code=301)
    shape = event_as_dict(store, row)
    members = event_mention_rows(store, [row["id"]])
    return render(request, "event.html", {
        "event": shape, "row": row, "fields": _field_views(shape, json.loads(row["locked_fields"] or "[]"), lang_of(request)),
        "documents": _documents_with_evidence(store, row["id"], members), "members": members,
        "related": _related_views(store, shape["related"]), "history": _history(store, row["id"]),
        "editable": EDITABLE_FIELDS, "undoable": undoable(store, row["id"]), "choices": edit_choices(shape),
    })


def _field_views(shape: dict[str, Any], locked: list[str], lang: str) -> list[dict[str, Any]]:
    by_field: dict[str, list[dict[str, Any]]] = {}
    for ev in shape["evidence"]:
        quotes = by_field.setdefault(ev["field"], [])
        if all(q["quote"] != ev["quote"] for q in quotes):  # a repost quotes the same words
            quotes.append(ev)
    keys = [k for k in shape if k not in SHOWN_ELSEWHERE]
    keys += [k for k in by_field if k not in keys]
    return [{"key": k, "value": show(shape.get(k), k, lang), "raw": json.dumps(shape.get(k), ensure_ascii=False),
             "evidence": by_field.get(k, []), "locked": k in locked} for k in keys]


def _documents_with_evidence(store: Store, event_id: str, members: list[Any]) -> list[dict[str, Any]]:
    spans: dict[int, list[tuple[int, int, str]]] = {}
    for ev in store.query(
        'SELECT ev.document_id, ev.start, ev."end", ev.field FROM event_mentions em '
        "JOIN evidence ev ON ev.mention_id = em.mention_id WHERE em.event_id = ?", (event_id,),
    ):
        spans.setdefault(ev["document_id"], []).append((ev["start"], ev["end"], ev["field"]))
    out: list[dict[str, Any]] = []
    by_document: dict[int, dict[str, Any]] = {}
    for m in members:
        why = describe_reason(m["reason"], bool(m["pinned"]))
        if m["document_id"] in by_document:
            if why not in by_document[m["document_id"]]["why"]:
                by_document[m["document_id"]]["why"].append(why)
            continue
        text = store.scalar("SELECT text FROM documents WHERE id = ?", (m["document_id"],)) or ""
        by_document[m["document_id"]] = {"member": m, "why": [why],
                                         "segments": highlight(text, spans.get(m["document_id"], []))}
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
async def document_page(request: Request) -> Response:
    store = store_of(request)
    doc = document_by_external_id(store, request.path_params["document_id"])
    if doc is None:
        raise HTTPException(404, f"no document {request.path_params['document_id']!r}")
    mentions = store.query(
        "SELECT m.*, em.event_id FROM mentions m LEFT JOIN event_mentions em ON em.mention_id = m.id "
        "WHERE m.document_id = ? ORDER BY m.start", (doc["id"],),
    )
    spans = [(e["start"], e["end"], e["field"]) for e in store.query(
        'SELECT start, "end", field FROM evidence WHERE document_id = ?', (doc["id"],))]
    event_ids = sorted({m["event_id"] for m in mentions if m["event_id"]})
    events = [{**dict(r), "date_shown": row_date_label(r)[0], "date_kind": row_date_label(r)[1]}
              for r in (get_event_row(store, e) for e in event_ids) if r is not None]
    aggregates = store.query("SELECT * FROM aggregates WHERE document_id = ? ORDER BY start", (doc["id"],))
    return render(request, "document.html", {
        "doc": doc, "segments": highlight(doc["text"], spans), "mentions": mentions,
        "events": events, "aggregates": aggregates,
    })


@page()
async def search_page(request: Request) -> Response:
    store = store_of(request)
    q = (request.query_params.get("q") or "").strip()[:200]
    events, total, documents = [], 0, []
    if q:
        rows, total = query_events(store, q=q, limit=50)
        events = [_row_view(r) for r in rows]
        documents = search_documents(store, q, limit=50)
    return render(request, "search.html", {"q": q, "events": events, "total": total, "documents": documents})


@page("analyst")
async def review_queue(request: Request) -> Response:
    store = store_of(request)
    rows, total = query_events(store, review_status="new", sort="confidence", desc=True, limit=200)
    return render(request, "review.html", {"rows": [_row_view(r) for r in rows], "total": total})


@page("admin")
async def users_page(request: Request) -> Response:
    return render(request, "users.html", {"users": auth.list_users(store_of(request))})


async def login_form(request: Request) -> Response:
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
    settings = settings_of(request)
    if settings.public:
        raise HTTPException(403, "this server is a read-only public view")
    form = await request.form()
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
