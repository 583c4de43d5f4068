"""The analyst web app: a Starlette ASGI application over the dissentwatch store.

``create_app(db_path, public=False)`` builds it. Pages need a logged-in user (or ``public``
mode, read-only with no review controls); the ``/api`` routes take a bearer token from
``dissentwatch users token NAME`` or a session. Every POST carries the session's CSRF token.
Templates are autoescaped and every response carries a strict Content-Security-Policy: no
inline script or style, nothing from another origin, no framing.
"""

from __future__ import annotations

import functools
import logging
import secrets
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, pass_context
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dissentwatch import __version__
from dissentwatch.models import EVENT_TYPES, label
from dissentwatch.store import Store
from dissentwatch.web import auth
from dissentwatch.web.views import safe_url, show

log = logging.getLogger(__name__)

SESSION_COOKIE = "dw_session"
LOGIN_CSRF_COOKIE = "dw_login_csrf"
LANG_COOKIE = "dw_lang"
LANGUAGES = ("en", "ru")
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
]

Handler = Callable[[Request], Awaitable[Response]]
SyncHandler = Callable[[Request], Response]


class Settings:
    """What the app was started with, plus one store per thread."""

    def __init__(self, db_path: Path, public: bool) -> None:
        self.db_path, self.public = db_path, public
        self.pseudonymised = False
        self._local = threading.local()
        self.login_limiter = auth.RateLimiter(limit=5, window=300.0)
        self._cache: dict[str, tuple[float, Any, Any]] = {}  # worker threads share it: whole tuples, swapped

    def cached(self, key: str, compute: Callable[[], Any], version: Any = None, ttl: float = 15.0) -> Any:
        """A value kept while ``version`` (e.g. the newest event change) stays the same, and at
        least ``ttl`` seconds when it changes often; decisions made through the app clear it."""
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit is not None and (hit[1] == version or now - hit[0] < ttl):
            return hit[2]
        value = compute()
        self._cache[key] = (now, version, value)
        return value

    def clear_cache(self) -> None:
        self._cache.clear()

    def store(self) -> Store:
        store = getattr(self._local, "store", None)
        if store is None:
            store = Store(self.db_path, migrate=False)
            self._local.store = store
        return store


class SecurityHeaders:
    """ASGI middleware that adds the CSP and friends to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in SECURITY_HEADERS if k not in names]
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, send_with_headers)


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def store_of(request: Request) -> Store:
    return settings_of(request).store()


def current_user(request: Request) -> auth.User | None:
    """The user of the session cookie or bearer token (cached on the request)."""
    if hasattr(request.state, "user"):
        user: auth.User | None = request.state.user
        return user
    user, csrf = None, None
    store = store_of(request)
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        user = auth.user_for_token(store, header[7:].strip())
    elif request.cookies.get(SESSION_COOKIE):
        found = auth.session_user(store, request.cookies[SESSION_COOKIE])
        if found is not None:
            user, csrf = found
    request.state.user, request.state.csrf = user, csrf
    return user


def login_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return "/login?next=" + quote(target, safe="")


def page(role: str = "viewer") -> Callable[[SyncHandler], Handler]:
    """Guard a page: a user with ``role`` (or public mode for viewer pages), else the login form.

    The handler is a plain function run in the thread pool with its thread's own store: no
    query, however long, holds up the event loop and the other clients."""

    def decorate(handler: SyncHandler) -> Handler:
        @functools.wraps(handler)
        async def guarded(request: Request) -> Response:
            return await run_in_threadpool(_checked_page, request, role, handler)

        return guarded

    return decorate


def _checked_page(request: Request, role: str, handler: SyncHandler) -> Response:
    settings = settings_of(request)
    user = None if settings.public else current_user(request)
    if settings.public and role != "viewer":
        raise HTTPException(403, "this server is a read-only public view")
    if not settings.public and user is None:
        return RedirectResponse(login_url(request), status_code=303)
    if user is not None and not user.can(role):
        raise HTTPException(403, f"this needs the {role} role")
    return handler(request)


def api(handler: SyncHandler) -> Handler:
    """Guard an API route: a bearer token or session of any role, or public mode (run in the
    thread pool, as pages are)."""

    def checked(request: Request) -> Response:
        if not settings_of(request).public and current_user(request) is None:
            return JSONResponse({"error": "authentication required: send 'Authorization: Bearer TOKEN'"},
                                status_code=401, headers={"www-authenticate": "Bearer"})
        return handler(request)

    @functools.wraps(handler)
    async def guarded(request: Request) -> Response:
        return await run_in_threadpool(checked, request)

    return guarded


def action(role: str = "analyst") -> Callable[[SyncHandler], Handler]:
    """Guard a POST that changes something: role, then the session's CSRF token. The form is
    read on the event loop (:func:`form_of` gives it to the handler), the rest runs in the pool."""

    def decorate(handler: SyncHandler) -> Handler:
        def checked(request: Request) -> Response:
            form = form_of(request)
            token = request.headers.get("x-csrf-token") or str(form.get("csrf") or "")
            expected = getattr(request.state, "csrf", None)
            if not expected or not secrets.compare_digest(token, expected):
                raise HTTPException(403, "missing or wrong CSRF token: reload the page and try again")
            response = handler(request)
            settings_of(request).clear_cache()
            return response

        @functools.wraps(handler)
        async def guarded(request: Request) -> Response:
            request.state.form = await request.form()
            return await run_in_threadpool(_checked_page, request, role, checked)

        return guarded

    return decorate


def form_of(request: Request) -> FormData:
    """The form an :func:`action` guard read before running its handler."""
    form: FormData = request.state.form
    return form


@pass_context
def _label_filter(context: Any, key: str | None, vocab: str = "type") -> str:
    """``{{ key | label("grievances") }}``: the label in the page's language."""
    return label(vocab, key, context.get("lang", "en")) if key else ""


def lang_of(request: Request) -> str:
    """The language of labels: ``?lang=``, then the ``dw_lang`` cookie, then Accept-Language."""
    for value in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if value in LANGUAGES:
            return value
    accepted = request.headers.get("accept-language", "").lower()
    return "ru" if accepted.startswith(("ru", "uk", "be")) else "en"


def make_templates() -> Jinja2Templates:
    env = Environment(loader=PackageLoader("dissentwatch.web", "templates"), autoescape=True,
                      trim_blocks=True, lstrip_blocks=True)
    env.globals.update(label=label, EVENT_TYPES=EVENT_TYPES, version=__version__)
    env.filters["label"] = _label_filter
    env.filters["show"] = show
    env.filters["safe_url"] = safe_url
    return Jinja2Templates(env=env)


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    """A template with the user, their CSRF token and the mode in its context."""
    settings = settings_of(request)
    user = None if settings.public else current_user(request)
    context = {
        "request": request, "user": user, "public": settings.public, "pseudonymised": settings.pseudonymised,
        "lang": lang_of(request),
        "csrf": getattr(request.state, "csrf", None) or "",
        "can_review": bool(user and user.can("analyst")), **context,
    }
    templates: Jinja2Templates = request.app.state.templates
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(LANG_COOKIE, request.query_params["lang"], samesite="lax", max_age=365 * 86400)
    return response


def http_error(request: Request, exc: Exception) -> Response:
    """The error page or JSON (a plain function: Starlette runs it in the thread pool, since the
    page looks up the user)."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = exc.detail if isinstance(exc, HTTPException) else "internal error"
    if request.url.path.startswith("/api/") or request.url.path == "/openapi.json":
        return JSONResponse({"error": detail}, status_code=status)
    return render(request, "error.html", {"status": status, "detail": detail}, status_code=status)


def database_error(request: Request, exc: Exception) -> Response:
    log.warning("query failed on %s: %s", request.url.path, exc)
    return http_error(request, HTTPException(400, f"the query could not run: {exc}"))


def create_app(db_path: str | Path, *, public: bool = False, pseudonymiser: Any = None) -> Starlette:
    """The ASGI app over the database at ``db_path`` (migrated here, once). With
    ``pseudonymiser`` (public mode only) it serves a pseudonymised copy of the store, made now:
    events confirmed later show after a restart (docs/exports.md, "Pseudonymised exports")."""
    from dissentwatch.web import api as api_routes
    from dissentwatch.web import pages, review_routes

    if pseudonymiser is not None:
        if not public:
            raise ValueError("a pseudonymised view is a public one: pseudonymise only with public=True")
        from dissentwatch.publish.readonly import pseudonymised_public_copy

        db_path = pseudonymised_public_copy(Path(db_path), pseudonymiser)
    Store(db_path).close()
    routes = [
        *pages.routes(), *review_routes.routes(), *api_routes.routes(),
        Mount("/static", app=StaticFiles(packages=[("dissentwatch.web", "static")]), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={
        HTTPException: http_error, sqlite3.OperationalError: database_error,
    })
    app.state.settings = Settings(Path(db_path), public)
    app.state.settings.pseudonymised = pseudonymiser is not None
    app.state.templates = make_templates()
    app.add_middleware(SecurityHeaders)
    return app


def route(path: str, endpoint: Handler | SyncHandler, methods: list[str] | None = None) -> Route:
    return Route(path, endpoint, methods=methods or ["GET"])
