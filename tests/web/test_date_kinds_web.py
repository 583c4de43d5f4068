"""The web pages say which date an event is listed, filtered and charted by (issue 13, item 7)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from dissentwatch.store import Store
from dissentwatch.web import auth
from dissentwatch.web.app import create_app
from eventfactory import events_of, seed_dates


def login(client: TestClient, name: str, password: str) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token
    response = client.post("/login", data={"csrf": token.group(1), "name": name, "password": password, "next": "/"},
                           follow_redirects=False)
    assert response.status_code == 303, response.text


@pytest.fixture
def client(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    path = tmp_path / "dates.db"
    with Store(path) as store:
        seed_dates(store)
        auth.add_user(store, "ana", "analyst", "analyst-pass-1")
        ids = {x: next(iter(events_of(store, x))) for x in ("tg/1", "tg/2", "files/3")}
    with TestClient(create_app(path), base_url="http://127.0.0.1") as c:
        login(c, "ana", "analyst-pass-1")
        yield c, ids


def _row(html: str, event_id: str) -> str:
    found = re.search(rf'<tr data-event="{event_id}".*?</tr>', html, re.S)
    assert found, event_id
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(0)).split())


def test_the_events_table_marks_the_date_kind(client: tuple[TestClient, dict[str, str]]) -> None:
    c, ids = client
    page = c.get("/events").text
    assert "2023-02-28 occurred" in _row(page, ids["tg/1"])
    assert "2023-04-10 first report (undated)" in _row(page, ids["tg/2"])
    assert "— undated" in _row(page, ids["files/3"])
    assert "From and To filter on the same date" in page


def test_the_from_filter_matches_the_undated_event_by_its_report(client: tuple[TestClient, dict[str, str]]) -> None:
    c, ids = client
    page = c.get("/events", params={"since": "2023-04-01"}).text
    assert "2023-04-10 first report (undated)" in _row(page, ids["tg/2"])
    assert ids["tg/1"] not in page


def test_the_event_page_says_its_date_is_a_report_date(client: tuple[TestClient, dict[str, str]]) -> None:
    c, ids = client
    heading = re.search(r"<h1>.*?</h1>", c.get(f"/events/{ids['tg/2']}").text, re.S)
    assert heading
    text = " ".join(re.sub(r"<[^>]+>", " ", heading.group(0)).split())
    assert "undated (first reported 2023-04-10: filters, counts and the timeline use that day)" in text
    dated = re.search(r"<h1>.*?</h1>", c.get(f"/events/{ids['tg/1']}").text, re.S)
    assert dated and "2023-02-28" in dated.group(0) and "(occurred)" in dated.group(0)


def test_the_timeline_says_what_it_counts(client: tuple[TestClient, dict[str, str]]) -> None:
    c, _ = client
    page = " ".join(re.sub(r"<[^>]+>", " ", c.get("/").text).split())
    assert ("By event date (1 events); 1 undated events by the day their first report was published; "
            "1 with no date at all are not shown.") in page
    assert "(first report (undated))" in page  # the latest candidates list


def test_the_api_events_and_counts_say_it_too(client: tuple[TestClient, dict[str, str]], tmp_path: Path) -> None:
    c, ids = client
    with Store(tmp_path / "dates.db") as store:
        token = auth.new_token(store, "ana")
    headers = {"Authorization": f"Bearer {token}"}
    event = c.get(f"/api/events/{ids['tg/2']}", headers=headers).json()
    assert event["date_used"] == "2023-04-10" and event["date_used_from"] == "first_report"
    counts = c.get("/api/counts", params={"by": "month"}, headers=headers).json()
    assert counts["dates"]["first_report"] == 1


def test_a_document_page_marks_its_events_date_kind(client: tuple[TestClient, dict[str, str]]) -> None:
    c, _ = client
    page = " ".join(re.sub(r"<[^>]+>", " ", c.get("/documents/tg/2").text).split())
    assert "2023-04-10 (first report (undated))" in page
