"""The web app through Starlette's TestClient: auth, CSRF, roles, pages, exports, API."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from dw_seed import PAYLOAD_IMG, PAYLOAD_SCRIPT
from starlette.testclient import TestClient

from conftest import PASSWORDS, csrf_of, free_port, login
from dissentwatch import review
from dissentwatch.publish.counts import count_events
from dissentwatch.store import Store
from dissentwatch.web import auth
from dissentwatch.web.app import create_app


def test_pages_need_login(app_client: TestClient) -> None:
    response = app_client.get("/events?type=refusal", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fevents%3Ftype%3Drefusal"


def test_login_wrong_password_then_right(app_client: TestClient) -> None:
    page = app_client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    bad = app_client.post("/login", data={"csrf": token, "name": "ana", "password": "nope"})
    assert bad.status_code == 401
    assert "Wrong name or password" in bad.text
    login(app_client, "ana")
    assert app_client.get("/").status_code == 200


def test_login_needs_its_csrf_cookie(app_client: TestClient) -> None:
    response = app_client.post("/login", data={"csrf": "forged", "name": "ana", "password": PASSWORDS["ana"]})
    assert response.status_code == 403


def test_login_is_rate_limited(app_client: TestClient) -> None:
    page = app_client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    codes = [app_client.post("/login", data={"csrf": token, "name": "ana", "password": f"wrong{i}"}).status_code
             for i in range(6)]
    assert codes[:5] == [401] * 5
    assert codes[5] == 429
    # even the right password is refused while the limit holds
    ok = app_client.post("/login", data={"csrf": token, "name": "ana", "password": PASSWORDS["ana"]},
                         follow_redirects=False)
    assert ok.status_code == 429


def test_login_next_cannot_leave_the_site(app_client: TestClient) -> None:
    page = app_client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    response = app_client.post("/login", data={"csrf": token, "name": "ana", "password": PASSWORDS["ana"],
                                               "next": "//evil.example/"}, follow_redirects=False)
    assert response.headers["location"] == "/"


def test_security_headers(app_client: TestClient) -> None:
    response = app_client.get("/login")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert app_client.get("/static/app.js").headers["content-security-policy"] == csp


def test_post_without_csrf_is_refused(app_client: TestClient) -> None:
    login(app_client, "ana")
    assert app_client.post("/events/ev-refusal/confirm", data={}).status_code == 403
    assert app_client.post("/events/ev-refusal/confirm", data={"csrf": "wrong"}).status_code == 403
    with Store(app_client.app.state.settings.db_path) as store:  # type: ignore[attr-defined]
        assert store.scalar("SELECT review_status FROM events WHERE id = 'ev-refusal'") == "new"
        assert store.scalar("SELECT COUNT(*) FROM decisions") == 0


def test_analyst_confirms_and_the_audit_log_shows_it(app_client: TestClient) -> None:
    csrf = login(app_client, "ana")
    response = app_client.post("/events/ev-refusal/confirm", data={"csrf": csrf}, follow_redirects=False)
    assert response.status_code == 303
    page = app_client.get("/events/ev-refusal")
    assert 'id="review-status">confirmed' in page.text
    history = page.text[page.text.index('id="history"'):]
    assert "ana" in history and "confirm" in history


def test_viewer_cannot_review(app_client: TestClient) -> None:
    csrf = login(app_client, "vic")
    assert app_client.post("/events/ev-refusal/confirm", data={"csrf": csrf}).status_code == 403
    assert app_client.get("/review").status_code == 403
    assert 'action="/events/ev-refusal/confirm"' not in app_client.get("/events/ev-refusal").text


def test_admin_sees_users(app_client: TestClient) -> None:
    login(app_client, "adm")
    page = app_client.get("/admin/users")
    assert page.status_code == 200 and "analyst" in page.text


def test_edit_merge_split_through_forms(app_client: TestClient) -> None:
    csrf = login(app_client, "ana")
    edit = app_client.post("/events/ev-refusal/edit", data={"csrf": csrf, "field": "status", "value": "mobilized"})
    assert edit.status_code == 200
    bad = app_client.post("/events/ev-refusal/edit", data={"csrf": csrf, "field": "status", "value": "pirate"})
    assert bad.status_code == 400 and "unknown status" in bad.text
    before = app_client.get("/events/ev-appeal5").text
    assert "Why here: founded the event" in before and "Why here: joined, score 4: type +0.5, unit +2, date +1.5" in before
    merge = app_client.post("/review/merge", data={"csrf": csrf, "event": ["ev-appeal5", "ev-appeal5b"]},
                            follow_redirects=False)
    assert merge.headers["location"] == "/events/ev-appeal5"
    merged = app_client.get("/events/ev-appeal5").text
    assert merged.count("pinned by an analyst") == 2 and "merged in by an analyst from ev-appeal5b" in merged
    # the merged-away id leads to the event it went into
    old = app_client.get("/events/ev-appeal5b", follow_redirects=False)
    assert old.status_code == 301 and old.headers["location"] == "/events/ev-appeal5"
    event = app_client.get("/api/events/ev-appeal5/sources").json()
    assert {s["document_id"] for s in event["sources"]} == {"tg/alpha/101", "news/beta/7", "tg/gamma/55"}
    mention = re.search(r'name="mention" value="(\d+)"', app_client.get("/events/ev-appeal5").text)
    assert mention
    split = app_client.post("/events/ev-appeal5/split", data={"csrf": csrf, "mention": mention.group(1)},
                            headers={"accept": "application/json"})
    assert split.status_code == 200
    new_id = split.json()["new_event"]
    assert app_client.get(f"/api/events/{new_id}/sources").json()["sources"]


def test_hostile_text_is_escaped(app_client: TestClient) -> None:
    login(app_client, "ana")
    for url in ("/events/ev-evil", "/documents/tg/evil/1", "/events?q=regiment", "/review", "/search?q=regiment"):
        text = app_client.get(url).text
        assert PAYLOAD_SCRIPT not in text and PAYLOAD_IMG not in text, url
        assert "<script>window" not in text and "<img src=x" not in text, url
    page = app_client.get("/events/ev-evil").text
    assert "&lt;script&gt;window.__pwned" in page
    # a javascript: URL is never made a link
    assert "javascript:" not in app_client.get("/documents/news/delta/4").text


def test_events_filters_sorting_paging(app_client: TestClient) -> None:
    login(app_client, "vic")
    page = app_client.get("/events?type=video_appeal")
    assert "ev-appeal5" in page.text and "ev-refusal" not in page.text
    assert "ev-refusal" in app_client.get("/events?region=&q=Belgorod").text
    assert "ev-appeal5" in app_client.get("/events?region=RU-KGD").text
    assert "ev-refusal" not in app_client.get("/events?region=RU-KGD").text
    assert "ev-dismissal" in app_client.get("/events?since=2023-03-01&until=2023-03-04").text
    assert "ev-appeal5\"" not in app_client.get("/events?since=2023-03-01&until=2023-03-04").text
    assert "ev-refusal" in app_client.get("/events?language=en&outlet=Delta").text
    first = app_client.get("/events?limit=2&sort=date&desc=0")
    assert "1–2 of 5" in first.text and 'rel="next"' in first.text
    assert app_client.get("/events?type=bogus").status_code == 400
    assert app_client.get("/events?limit=0").status_code == 400


def test_export_of_the_current_view(app_client: TestClient) -> None:
    login(app_client, "vic")
    exported = app_client.get("/events.csv?type=video_appeal")
    assert exported.content.startswith(b"\xef\xbb\xbfid,")  # the BOM, as in `export events --format csv`
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert {r["id"] for r in rows} == {"ev-appeal5", "ev-appeal5b"}
    assert app_client.get("/events.csv?type=bogus").status_code == 400
    data = app_client.get("/events.json?type=refusal").json()
    assert [e["id"] for e in data] == ["ev-refusal"]
    assert data[0]["evidence"][0]["quote"]


def test_dashboard_counts_match_the_counts_library(app_client: TestClient, seeded_db: Path) -> None:
    login(app_client, "vic")
    page = app_client.get("/")
    with Store(seeded_db) as store:
        expected = count_events(store, by=["type"])
    assert f'id="count-events">{expected.events}<' in page.text
    assert "<svg class=\"chart\"" in page.text and "<svg class=\"map\"" in page.text
    assert "Kaliningrad Oblast (home)" in page.text


def test_api_needs_a_token(app_client: TestClient, seeded_db: Path) -> None:
    assert app_client.get("/api/events").status_code == 401
    assert app_client.get("/api/events", headers={"authorization": "Bearer dw_wrong"}).status_code == 401
    with Store(seeded_db) as store:
        token = auth.new_token(store, "vic")
        stored = store.scalar("SELECT token_hash FROM api_tokens")
    assert token not in stored
    headers = {"authorization": f"Bearer {token}"}
    page = app_client.get("/api/events?limit=2&sort=date&desc=0", headers=headers).json()
    assert page["total"] == 5 and len(page["events"]) == 2 and page["next"]
    following = app_client.get(page["next"], headers=headers).json()
    assert following["offset"] == 2
    one = app_client.get("/api/events/ev-appeal5", headers=headers).json()
    assert one["unit"]["number"] == "5" and one["home_regions"][0]["iso"] == "RU-KGD"
    assert one["sources_count"] == 2 and "sources" not in one and "evidence" not in one
    sources = app_client.get(one["sources_url"], headers=headers).json()
    assert sources["total"] == 2 and sources["next"] is None
    quotes = [ev for s in sources["sources"] for ev in s["evidence"]]
    assert quotes
    for ev in quotes:
        doc = app_client.get(f"/api/documents/{ev['document_id']}", headers=headers).json()
        assert doc["text"][ev["start"]:ev["end"]] == ev["quote"]
    counts = app_client.get("/api/counts?by=type", headers=headers).json()
    assert counts["total"]["events"] == 5
    assert app_client.get("/api/events/nope", headers=headers).status_code == 404
    assert app_client.get("/api/counts?by=nonsense", headers=headers).status_code == 400


def test_openapi_lists_the_api(app_client: TestClient) -> None:
    doc = app_client.get("/openapi.json").json()
    assert set(doc["paths"]) == {"/api/events", "/api/events/{event_id}", "/api/events/{event_id}/sources",
                                 "/api/documents/{document_id}", "/api/counts"}


def test_public_view_is_read_only(seeded_db: Path) -> None:
    with Store(seeded_db) as store:
        review.set_review_status(store, "ev-refusal", "confirmed", "ana")
    with TestClient(create_app(seeded_db, public=True), base_url="http://127.0.0.1") as client:
        page = client.get("/events/ev-refusal")
        assert page.status_code == 200
        assert "/confirm" not in page.text and "public read-only view" in page.text
        assert client.get("/review").status_code == 403
        assert client.post("/events/ev-refusal/confirm", data={"csrf": "x"}).status_code == 403
        assert client.post("/login", data={}).status_code == 403
        assert client.get("/api/events").status_code == 200


def test_latest_polling_sees_new_events(app_client: TestClient, seeded_db: Path) -> None:
    login(app_client, "vic")
    now = app_client.get("/api/latest").json()["now"]
    with Store(seeded_db) as store, store.transaction() as conn:
        conn.execute("UPDATE events SET created = '2999-01-01T00:00:00Z' WHERE id = 'ev-refusal'")
    fresh = app_client.get(f"/api/latest?after={now}").json()
    assert [e["id"] for e in fresh["events"]] == ["ev-refusal"]


def test_logout_ends_the_session(app_client: TestClient) -> None:
    csrf = login(app_client, "ana")
    assert app_client.post("/logout", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    assert app_client.get("/events", follow_redirects=False).status_code == 303


def test_cli_users(cli, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    added = cli("users", "add", "zoe", "--role", "analyst", "--password-stdin", input="long-password\n")
    assert added.exit_code == 0, added.output
    token = cli("users", "token", "zoe").output.strip()
    assert token.startswith("dw_")
    listed = json.loads(cli("users", "list", "--json").output)
    assert listed[0]["name"] == "zoe" and listed[0]["tokens"] == 1
    with Store(db_path) as store:
        assert auth.user_for_token(store, token) == auth.get_user(store, "zoe")
        assert auth.authenticate(store, "zoe", "long-password") is not None
        assert store.scalar("SELECT password_hash FROM users").startswith("$argon2")
    assert cli("users", "token", "nobody").exit_code != 0
    short = cli("users", "add", "x", "--role", "viewer", "--password-stdin", input="short\n")
    assert short.exit_code != 0


@pytest.mark.parametrize("path", ["/", "/events", "/review", "/events/ev-appeal5", "/documents/tg/alpha/101"])
def test_pages_render_for_an_analyst(app_client: TestClient, path: str) -> None:
    login(app_client, "ana")
    response = app_client.get(path)
    assert response.status_code == 200
    assert csrf_of(app_client) in response.text


def test_serve_command_runs_the_app(seeded_db: Path) -> None:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "dissentwatch", "--db", str(seeded_db), "-q", "serve",
                             "--port", str(port), "--public"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline, response = time.monotonic() + 30, None
        while time.monotonic() < deadline and response is None:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/events", timeout=2)
            except httpx.TransportError:
                time.sleep(0.2)
        assert response is not None and response.status_code == 200
        assert "public read-only view" in response.text
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_api_counts_equal_the_counts_command(app_client: TestClient, seeded_db: Path, cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DISSENTWATCH_DB", str(seeded_db))
    with Store(seeded_db) as store:
        token = auth.new_token(store, "vic")
        review.reject(store, "ev-evil", "ana")
    result = cli("counts", "--by", "type", "--json")
    assert result.exit_code == 0, result.output
    from_cli = json.loads(result.output)
    api = app_client.get("/api/counts?by=type", headers={"authorization": f"Bearer {token}"}).json()
    assert api["total"]["events"] == 4
    assert api == from_cli


def test_api_events_equal_the_export(app_client: TestClient, seeded_db: Path, cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DISSENTWATCH_DB", str(seeded_db))
    with Store(seeded_db) as store:
        token = auth.new_token(store, "vic")
    exported = json.loads(cli("export", "events", "--format", "json").stdout)
    headers = {"authorization": f"Bearer {token}"}
    api = app_client.get("/api/events?sort=date&desc=0&limit=500", headers=headers).json()["events"]
    for event in api:  # the API pages the sources, each with its quotes; together: the export
        assert event.pop("sources_url") == f"/api/events/{event['id']}/sources"
        page = app_client.get(f"/api/events/{event['id']}/sources?limit=1", headers=headers).json()
        sources = page["sources"]
        while page["next"]:
            page = app_client.get(page["next"], headers=headers).json()
            sources += page["sources"]
        assert event.pop("sources_count") == len(sources) == page["total"]
        event["evidence"] = sorted((ev for s in sources for ev in s.pop("evidence")), key=json.dumps)
        event["sources"] = sources
    for event in exported:
        event["evidence"] = sorted(event["evidence"], key=json.dumps)
    assert sorted(api, key=lambda e: e["id"]) == sorted(exported, key=lambda e: e["id"])


def test_labels_in_russian(app_client: TestClient) -> None:
    login(app_client, "vic")
    page = app_client.get("/events?lang=ru")
    assert "Видеообращение" in page.text and '<html lang="ru">' in page.text
    assert "Видеообращение" in app_client.get("/events/ev-appeal5").text  # the cookie keeps the choice
    assert "Video appeal" in app_client.get("/events/ev-appeal5?lang=en").text
    fresh = TestClient(app_client.app, base_url="http://127.0.0.1")
    login(fresh, "vic")
    assert "Видеообращение" in fresh.get("/events", headers={"accept-language": "ru-RU,ru;q=0.9"}).text
