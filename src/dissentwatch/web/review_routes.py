"""The POSTs that change something: review decisions and logout. Each needs a session with the
analyst role and its CSRF token; each decision goes through ``dissentwatch.review`` and so into
the audit log."""

from __future__ import annotations

import json
from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from dissentwatch import review
from dissentwatch.models import EVENT_TYPES
from dissentwatch.store import Store
from dissentwatch.web import auth
from dissentwatch.web.app import (
    SESSION_COOKIE,
    action,
    current_user,
    form_of,
    render,
    route,
    store_of,
)


def _user_name(request: Request) -> str:
    user = current_user(request)
    assert user is not None  # the action guard let only users through
    return user.name


def _back(request: Request, form: FormData, default: str, result: dict[str, Any]) -> Response:
    """JSON for scripts that ask for it, else a redirect to ``next`` (a local path) or ``default``."""
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"ok": True, **result})
    target = str(form.get("next") or default)
    if not target.startswith("/") or target.startswith("//"):
        target = default
    return RedirectResponse(target, status_code=303)


def _decide(request: Request, status: str) -> Response:
    form = form_of(request)
    event_id = request.path_params["event_id"]
    try:
        review.set_review_status(store_of(request), event_id, status, _user_name(request),
                                 note=str(form.get("note") or "") or None)
    except review.ReviewError as exc:
        raise HTTPException(400, str(exc)) from None
    return _back(request, form, f"/events/{event_id}", {"event_id": event_id, "review_status": status})


@action()
def confirm(request: Request) -> Response:
    return _decide(request, "confirmed")


@action()
def reject(request: Request) -> Response:
    return _decide(request, "rejected")


def parse_value(raw: str) -> Any:
    """A form value: JSON when it parses (``true``, ``12``, ``["pay"]``, ``{"name": ...}``), else text."""
    raw = raw.strip()
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def form_value(form: FormData) -> Any:
    """The edit form's value: a list when a multiple choice sent several, else :func:`parse_value`."""
    values = [str(v) for v in form.getlist("value")]
    return values if len(values) > 1 else parse_value(values[0] if values else "")


@action()
def edit(request: Request) -> Response:
    form = form_of(request)
    event_id = request.path_params["event_id"]
    field = str(form.get("field") or "")
    value = form_value(form)
    try:
        review.edit_field(store_of(request), event_id, field, value, _user_name(request),
                          note=str(form.get("note") or "") or None)
    except review.ReviewError as exc:
        raise HTTPException(400, str(exc)) from None
    return _back(request, form, f"/events/{event_id}", {"event_id": event_id, "field": field})


@action()
def merge(request: Request) -> Response:
    """Merge the events named in ``other`` (one or more) into this one; events of different
    types need ``type`` (else a page asks for it)."""
    form = form_of(request)
    target = request.path_params["event_id"]
    others = [str(v).strip() for v in form.getlist("other") if str(v).strip()]
    if not others:
        raise HTTPException(400, "name the event to merge into this one")
    return _merge_all(request, form, target, others, f"/events/{target}/merge")


@action()
def merge_selected(request: Request) -> Response:
    """From the review queue: the first selected event absorbs the others."""
    form = form_of(request)
    ids = [str(v) for v in form.getlist("event") if str(v)]
    if len(ids) < 2:
        raise HTTPException(400, "select at least two events to merge")
    return _merge_all(request, form, ids[0], ids[1:], "/review/merge")


def _merge_all(request: Request, form: FormData, target: str, others: list[str], again: str) -> Response:
    """All the merges or none; two types and no ``type`` chosen: the page that asks for one."""
    store = store_of(request)
    chosen = str(form.get("type") or "").strip() or None
    types = _types_of(store, [target, *others])
    if chosen is None and len(set(types.values())) > 1:
        return _choose_type(request, form, target, others, types, again)
    try:
        with store.transaction():
            for other in others:
                review.merge(store, target, other, _user_name(request), type=chosen)
    except review.ReviewError as exc:
        raise HTTPException(400, str(exc)) from None
    return _back(request, form, f"/events/{target}", {"event_id": target, "merged": others})


def _types_of(store: Store, event_ids: list[str]) -> dict[str, str]:
    marks = ",".join("?" * len(event_ids))
    rows = store.query(f"SELECT id, type FROM events WHERE id IN ({marks}) AND merged_into IS NULL", event_ids)
    found = {r["id"]: r["type"] for r in rows}
    return {e: found[e] for e in event_ids if e in found}  # the kept event first


def _choose_type(
    request: Request, form: FormData, target: str, others: list[str], types: dict[str, str], again: str,
) -> Response:
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"ok": False, "error": "the events' types differ: choose one with 'type'",
                             "types": types}, status_code=409)
    field = "other" if again.startswith("/events/") else "event"
    ids = others if field == "other" else [target, *others]
    return render(request, "merge_type.html", {
        "action": again, "field": field, "ids": ids, "target": target, "types": types,
        "choices": list(dict.fromkeys([*types.values(), *EVENT_TYPES])), "next": str(form.get("next") or ""),
    })  # a form to fill in, not an error: scripts asking for JSON get the 409


@action()
def undo(request: Request) -> Response:
    """Take back the latest merge or split of this event (a merged-away id: its own merge)."""
    form = form_of(request)
    event_id = request.path_params["event_id"]
    try:
        done = review.undo(store_of(request), event_id, _user_name(request),
                           note=str(form.get("note") or "") or None)
    except review.ReviewError as exc:
        raise HTTPException(400, str(exc)) from None
    return _back(request, form, f"/events/{event_id}", {"event_id": event_id, "undone": done})


@action()
def split(request: Request) -> Response:
    form = form_of(request)
    event_id = request.path_params["event_id"]
    try:
        mention_ids = [int(str(v)) for v in form.getlist("mention")]
        new_id = review.split(store_of(request), event_id, mention_ids, _user_name(request))
    except ValueError as exc:  # ReviewError is a ValueError, and so is a bad mention id
        raise HTTPException(400, str(exc)) from None
    return _back(request, form, f"/events/{new_id}", {"event_id": event_id, "new_event": new_id})


@action("viewer")
def logout(request: Request) -> Response:
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        auth.end_session(store_of(request), session_id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


def routes() -> list[Route]:
    post = ["POST"]
    return [
        route("/events/{event_id}/confirm", confirm, post), route("/events/{event_id}/reject", reject, post),
        route("/events/{event_id}/edit", edit, post), route("/events/{event_id}/merge", merge, post),
        route("/events/{event_id}/split", split, post), route("/events/{event_id}/undo", undo, post),
        route("/review/merge", merge_selected, post),
        route("/logout", logout, post),
    ]
