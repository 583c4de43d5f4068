"""Bad filters on a real server: the JSON API answers 400 with the message, pages show it."""

from __future__ import annotations

import html
from pathlib import Path

import httpx
import pytest

from conftest import PASSWORDS
from dissentwatch.store import Store
from dissentwatch.web import auth


@pytest.fixture
def token(seeded_db: Path) -> str:
    with Store(seeded_db) as store:
        return auth.new_token(store, "vic")


@pytest.mark.parametrize(("query", "said"), [
    ("type=refusl", "unknown type 'refusl' (did you mean 'refusal'?); allowed: video_appeal"),
    ("review_status=confirmd", "unknown review status 'confirmd' (did you mean 'confirmed'?)"),
    ("region=XX-YYY", "unknown region 'XX-YYY': not in the gazetteer of regions"),
])
def test_api_answers_400_with_a_json_error(live_server: str, token: str, query: str, said: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    for path in ("/api/events", "/api/counts"):
        response = httpx.get(f"{live_server}{path}?{query}", headers=headers, timeout=10)
        assert response.status_code == 400, path
        assert response.headers["content-type"].startswith("application/json")
        assert said in response.json()["error"], path


def test_events_page_shows_the_message(live_server: str) -> None:
    with httpx.Client(base_url=live_server, timeout=10) as client:
        form = client.get("/login").text
        csrf = form.split('name="csrf" value="')[1].split('"')[0]
        client.post("/login", data={"csrf": csrf, "name": "vic", "password": PASSWORDS["vic"], "next": "/"})
        page = client.get("/events?region=XX-YYY")
        assert page.status_code == 400 and "text/html" in page.headers["content-type"]
        assert "unknown region 'XX-YYY'" in html.unescape(page.text)
        assert client.get("/events?region=RU-KGD").status_code == 200
