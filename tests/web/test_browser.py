"""The app in a real browser: Debian's chromium, headless, driven by Playwright, against uvicorn
on 127.0.0.1. Screenshots of the dashboard and an event page go to ``artifacts/``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dw_seed import MENTIONS

from conftest import PASSWORDS
from dissentwatch.store import Store
from dissentwatch.store.events import upsert_event

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium at /usr/bin/chromium"),
]
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.problems = []  # console errors and page errors, for the tests to check
    page.on("pageerror", lambda exc: page.problems.append(f"pageerror: {exc}"))
    page.on("console", lambda msg: page.problems.append(f"console {msg.type}: {msg.text}")
            if msg.type == "error" else None)
    page.on("dialog", lambda dialog: (page.problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    yield page
    context.close()


def log_in(page: Any, base: str, name: str = "ana") -> None:
    page.goto(f"{base}/login")
    page.fill('input[name="name"]', name)
    page.fill('input[name="password"]', PASSWORDS[name])
    page.click('button[type="submit"]')
    page.wait_for_url(f"{base}/")


def test_login_filter_open_confirm_merge_audit(page: Any, live_server: str) -> None:
    log_in(page, live_server)
    assert page.locator("svg.chart rect").count() > 0
    assert page.locator("svg.map path.country").count() > 5
    assert page.locator("svg.map circle.place").count() >= 3
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

    # filter the events table to refusals
    page.goto(f"{live_server}/events")
    page.select_option('form.filters select[name="type"]', "refusal")
    page.click('form.filters button[type="submit"]')
    page.wait_for_url("**/events?type=refusal*")
    ids = page.locator("table.events tbody tr[data-event]").evaluate_all("rows => rows.map(r => r.dataset.event)")
    assert ids == ["ev-refusal"]

    # open it, and confirm it
    page.click('a[href="/events/ev-refusal"]')
    page.wait_for_url("**/events/ev-refusal")
    assert page.locator("mark.ev").count() >= 3  # evidence highlighted inside the source text
    with page.expect_navigation():
        page.click('.controls button[data-action="confirm"]')
    assert page.text_content("#review-status") == "confirmed"
    history = page.text_content("#history") or ""
    assert "ana" in history and "confirm" in history

    # merge two candidates from the review queue (most confident first: ev-appeal5 is ticked first)
    page.goto(f"{live_server}/review?order=confident")
    page.check('tr[data-event="ev-appeal5"] input[type="checkbox"]')
    page.check('tr[data-event="ev-appeal5b"] input[type="checkbox"]')
    with page.expect_navigation():
        page.click("#merge-button")
    assert page.locator('tr[data-event="ev-appeal5b"]').count() == 0  # gone from the queue
    page.goto(f"{live_server}/events/ev-appeal5b")  # the old URL leads to the merged event
    assert page.url.endswith("/events/ev-appeal5")
    history = page.text_content("#history") or ""
    assert "merge" in history and "ev-appeal5b" in history
    assert page.locator("article.source").count() == 3
    page.screenshot(path=str(ARTIFACTS / "event.png"), full_page=True)
    assert page.problems == []


def test_hostile_posts_run_nothing(page: Any, live_server: str) -> None:
    log_in(page, live_server)
    for path in ("/events/ev-evil", "/documents/tg/evil/1", "/events?q=regiment", "/search?q=regiment",
                 "/review", "/documents/news/delta/4"):
        page.goto(f"{live_server}{path}")
        page.wait_for_load_state("load")
        page.wait_for_timeout(300)
        assert page.evaluate("() => window.__pwned") is None, path
        assert "PWNED" not in page.title(), path
        assert page.locator("script:not([src])").count() == 0, path
        assert page.locator("img").count() == 0, path
    page.goto(f"{live_server}/events/ev-evil")
    assert "<script>window.__pwned" in (page.text_content("table.fields") or "")  # shown as text
    assert page.problems == []


def test_keyboard_confirm_and_live_updates(page: Any, live_server: str, seeded_db: Path) -> None:
    log_in(page, live_server)
    page.goto(f"{live_server}/review")
    first = page.locator("table.events tbody tr[data-event]").first.get_attribute("data-event")
    page.keyboard.press("j")
    with page.expect_navigation():
        page.keyboard.press("c")
    with Store(seeded_db) as store:
        assert store.scalar("SELECT review_status FROM events WHERE id = ?", (first,)) == "confirmed"

    page.goto(f"{live_server}/")
    page.wait_for_selector("body[data-polled]", timeout=15000)  # the first poll has set the clock
    _, _, type_, fields, _, _ = MENTIONS[3]
    with Store(seeded_db) as store, store.transaction() as conn:
        upsert_event(conn, "ev-live-new", {**fields, "type": "mutiny", "sort_date": "2023-06-01",
                                           "date": "2023-06-01"}, resolver="test")
        conn.execute("UPDATE events SET created = '2999-01-01T00:00:00Z' WHERE id = 'ev-live-new'")
    page.wait_for_selector('#latest li[data-event="ev-live-new"]', timeout=12000)
    assert page.problems == []
