"""Editing in a real browser (chromium, headless, against uvicorn): vocabulary fields are set
from choices; a free-text value that is not valid shows the message and changes nothing."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_browser import ARGS, CHROMIUM, log_in

from dissentwatch.store import Store

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium at /usr/bin/chromium"),
]
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def page() -> Iterator[Any]:
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        browser.close()


def _refusal(db: Path) -> dict[str, Any]:
    with Store(db, migrate=False) as store:
        row = store.query("SELECT fields, locked_fields FROM events WHERE id = 'ev-refusal'")[0]
        return {"fields": json.loads(row["fields"]), "locked": json.loads(row["locked_fields"])}


def test_vocabulary_fields_are_set_from_choices(page: Any, live_server: str, seeded_db: Path) -> None:
    log_in(page, live_server)
    page.goto(f"{live_server}/events/ev-refusal")
    page.click("details.choices summary")
    status = page.locator('form.choice[data-field="status"] select[name="value"]')
    assert "prisoner_recruit" in status.locator("option").evaluate_all("o => o.map(x => x.value)")
    assert status.input_value() == "contract"  # the event's current value is selected
    status.select_option("mobilized")
    with page.expect_navigation():
        page.click('form.choice[data-field="status"] button[type="submit"]')
    page.click("details.choices summary")
    page.select_option('form.choice[data-field="grievances"] select[name="value"]', ["pay", "poor_command"])
    with page.expect_navigation():
        page.click('form.choice[data-field="grievances"] button[type="submit"]')
    stored = _refusal(seeded_db)
    assert stored["fields"]["status"] == "mobilized" and sorted(stored["fields"]["grievances"]) == ["pay", "poor_command"]
    assert stored["locked"] == ["grievances", "status"]


def test_a_bad_free_text_value_shows_the_message(page: Any, live_server: str, seeded_db: Path) -> None:
    before = _refusal(seeded_db)
    log_in(page, live_server)
    page.goto(f"{live_server}/events/ev-refusal")
    page.select_option('form.edit select[name="field"]', "home_regions")
    page.fill('form.edit input[name="value"]', "Atlantis")
    with page.expect_navigation():
        page.click('form.edit button[type="submit"]')
    message = page.text_content("p.error") or ""
    assert "unknown home region 'Atlantis': not in the gazetteer of regions" in message
    assert _refusal(seeded_db) == before
