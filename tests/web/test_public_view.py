"""``serve --public`` publishes confirmed events only, their sources and quotes: never an
unreviewed or rejected event, a document that is not a source of a public event, a user's name
or the history of decisions. Every route the app registers is walked."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from urllib.parse import quote

import pytest
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from dissentwatch import review
from dissentwatch.models import Document
from dissentwatch.store import Store
from dissentwatch.store.documents import ingest
from dissentwatch.web import auth
from dissentwatch.web.app import create_app

ANALYST = "Radomira-Zvezdoletova"
NOTE = "tip from our contact in the regiment"
ORPHAN_TEXT = "An unrelated post no event cites, about the harvest festival."
PUBLIC_EVENT = "ev-refusal"
HIDDEN_EVENTS = ["ev-appeal5", "ev-appeal5b", "ev-dismissal", "ev-evil"]  # new, new, new, rejected
SECRETS = [
    ANALYST, NOTE, ORPHAN_TEXT, "History of decisions", *HIDDEN_EVENTS,
    "Бойцы 5-й бригады",          # the text of a source of unreviewed events only
    "dismissed several hundred",  # idem
    "99th regiment",              # the rejected event's unit and source
    "ana", "adm",                 # other accounts' names (as whole words)
]
QUERIES = {
    "/events": ["", "?review_status=new", "?review_status=rejected", "?review_status=edited",
                "?review_status=confirmed&review_status=new", "?q=brigade", "?type=video_appeal"],
    "/api/events": ["", "?review_status=new", "?review_status=rejected", "?q=brigade", "?limit=500"],
    "/events.csv": ["", "?review_status=new"], "/events.json": ["", "?review_status=rejected"],
    "/api/counts": ["", "?by=review_status&include_rejected=1", "?by=type,review_status"],
    "/search": ["?q=brigade", "?q=harvest", "?q=regiment", "?q=dismissed"],
    "/api/latest": ["", "?after=2000-01-01"],
}


@pytest.fixture
def public_db(seeded_db: Path) -> Path:
    with Store(seeded_db) as store:
        auth.add_user(store, ANALYST, "analyst", "long-password-1")
        review.set_review_status(store, PUBLIC_EVENT, "confirmed", ANALYST, note=NOTE)
        review.set_review_status(store, "ev-evil", "rejected", ANALYST, note=NOTE)
        review.edit_field(store, "ev-appeal5", "grievances", ["pay"], ANALYST, note=NOTE)
        ingest(store, [Document(source_kind="files", external_id="orphan/1", text=ORPHAN_TEXT, language="en",
                                outlet="farm_news", published="2023-05-02T10:00:00Z")])
    return seeded_db


def _leaks(text: str, url: str) -> list[str]:
    """The secrets in a response (a 404 may repeat the id that was asked for)."""
    found = []
    for secret in SECRETS:
        if secret in url:
            continue
        pattern = rf"\b{re.escape(secret)}\b" if secret in ("ana", "adm") else re.escape(secret)
        if re.search(pattern, text):
            found.append(secret)
    return found


def _urls(path: str, params: list[str], event_ids: list[str], document_ids: list[str]) -> list[str]:
    values = {"event_id": event_ids, "document_id": document_ids}
    urls = [path]
    for name in params:
        urls = [u.replace("{" + name + "}", quote(v, safe="/")).replace("{" + name + ":path}", quote(v, safe="/"))
                for u in urls for v in values[name]]
    return [u + q for u in urls for q in QUERIES.get(path, [""])]


def test_every_public_route_shows_confirmed_events_only(public_db: Path) -> None:
    with Store(public_db) as store:
        event_ids = [r[0] for r in store.query("SELECT id FROM events")] + ["nope"]
        document_ids = [r[0] for r in store.query("SELECT external_id FROM documents")] + ["nope/1"]
        decisions = store.scalar("SELECT COUNT(*) FROM decisions")
    app = create_app(public_db, public=True)
    walked: set[str] = set()
    with TestClient(app, base_url="http://127.0.0.1") as client:
        for r in app.routes:
            if isinstance(r, Mount):
                assert r.path == "/static"
                continue
            assert isinstance(r, Route)
            params = sorted(r.param_convertors)
            for url in _urls(r.path, params, event_ids, document_ids):
                for method in sorted(r.methods or []):
                    if method == "HEAD":
                        continue
                    response = client.request(method, url, data={"csrf": "x", "other": "ev-appeal5",
                                                                 "mention": "1", "event": HIDDEN_EVENTS},
                                              follow_redirects=False)
                    if method == "POST":
                        assert response.status_code == 403, (method, url, response.status_code)
                    else:
                        assert response.status_code in (200, 303, 400, 403, 404), (url, response.status_code)
                    shown = response.text + response.headers.get("location", "")
                    assert not _leaks(shown, url), (method, url, _leaks(shown, url))
                    walked.add(f"{method} {r.path}")
        # what the public view does show: the confirmed event, its sources and their quotes
        page = client.get(f"/events/{PUBLIC_EVENT}").text
        assert "refused to return to the front" in page and "Belgorod" in page
        assert client.get("/api/events").json()["total"] == 1
        assert client.get("/api/counts?include_rejected=1").json()["total"]["events"] == 1
        sources = client.get(f"/api/events/{PUBLIC_EVENT}/sources").json()["sources"]
        assert [s["document_id"] for s in sources] == ["news/delta/3"] and sources[0]["evidence"]
        assert client.get("/documents/news/delta/3").status_code == 200
        assert client.get("/documents/tg/alpha/101").status_code == 404
        assert client.get("/api/documents/orphan/1").status_code == 404
        assert client.get("/events/ev-appeal5").status_code == 404
    expected = {f"{m} {r.path}" for r in app.routes if isinstance(r, Route) for m in (r.methods or []) if m != "HEAD"}
    assert walked == expected
    with Store(public_db) as store:
        assert store.scalar("SELECT COUNT(*) FROM decisions") == decisions  # nothing was changed
        assert store.scalar("SELECT review_status FROM events WHERE id = 'ev-appeal5'") == "edited"


def test_the_read_only_copy_has_no_accounts_sessions_tokens_or_decisions(
    public_db: Path, tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    with Store(public_db) as store:
        token = auth.new_token(store, ANALYST)
        auth.start_session(store, auth.get_user(store, ANALYST))  # type: ignore[arg-type]
        secrets = [r[0] for r in store.query("SELECT password_hash FROM users WHERE password_hash IS NOT NULL")]
        secrets += [r[0] for r in store.query("SELECT token_hash FROM api_tokens UNION SELECT id_hash FROM user_sessions")]
    monkeypatch.setenv("DISSENTWATCH_DB", str(public_db))
    out = tmp_path / "copy.db"
    result = cli("export", "sqlite", "--out", str(out))
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    for secret in [ANALYST, NOTE, token, *secrets]:
        assert secret.encode() not in raw, secret[:20]
    conn = sqlite3.connect(f"{out.resolve().as_uri()}?mode=ro", uri=True)  # as Datasette --immutable reads it
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert not tables & {"users", "user_sessions", "api_tokens", "decisions"}
    assert {"events", "documents", "mentions", "evidence"} <= tables
    assert [r[0] for r in conn.execute("SELECT id FROM public_events")] == [PUBLIC_EVENT]
    assert [r[0] for r in conn.execute("SELECT document_id FROM public_sources")] == ["news/delta/3"]
    with pytest.raises(sqlite3.OperationalError):
        conn.execute("DELETE FROM events")
    conn.close()
    assert cli("export", "sqlite", "--out", str(public_db)).exit_code != 0
