"""Merge and split in a real browser: the event page after each shows only what its current
sources give. Screenshots go to ``$DW_SCREENS`` (default ``artifacts/``): after_merge.png,
after_split.png, merge_type.png."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from test_browser import ARTIFACTS, CHROMIUM, browser, log_in, page  # noqa: F401 (fixtures)

from dissentwatch.store import Store

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium at /usr/bin/chromium"),
]
SCREENS = Path(os.environ.get("DW_SCREENS") or ARTIFACTS)


def _field(page: Any, key: str) -> str:  # noqa: F811
    row = page.locator("table.fields tbody tr").filter(has=page.locator(f"th:text-is('{key}')"))
    text = (row.locator("td").first.text_content() or "").strip() if row.count() else ""
    return "" if text == "—" else text


def test_event_page_after_merge_and_split(page: Any, live_server: str, seeded_db: Path) -> None:  # noqa: F811
    SCREENS.mkdir(parents=True, exist_ok=True)
    log_in(page, live_server)
    page.goto(f"{live_server}/events/ev-refusal")
    assert _field(page, "demands") == "" and _field(page, "unit") == ""
    page.fill('form.merge input[name="other"]', "ev-evil")
    with page.expect_navigation():
        page.click('form.merge button[type="submit"]')
    assert "choose the type" in (page.text_content("main") or page.content())  # not merged on one press
    page.screenshot(path=str(SCREENS / "merge_type.png"), full_page=True)
    page.check('input[name="type"][value="refusal"]')
    with page.expect_navigation():
        page.click('#merge-type-form button[type="submit"]')
    page.wait_for_url("**/events/ev-refusal")
    assert page.locator("article.source").count() == 2
    assert _field(page, "demands") != "" and "99" in _field(page, "unit")
    type_quotes = page.locator("table.fields q.ev-type").all_text_contents()
    assert type_quotes == ["refused to return to the front"]  # the written appeal's words back no refusal
    page.screenshot(path=str(SCREENS / "after_merge.png"), full_page=True)

    with Store(seeded_db) as store:
        evil = store.scalar("SELECT m.id FROM mentions m JOIN documents d ON d.id = m.document_id "
                            "WHERE d.external_id = 'tg/evil/1'")
    page.check(f'input[name="mention"][value="{evil}"]')
    with page.expect_navigation():
        page.click('#split-form button[type="submit"]')
    page.goto(f"{live_server}/events/ev-refusal")
    assert page.locator("article.source").count() == 1
    assert _field(page, "demands") == "" and _field(page, "unit") == ""
    assert "Refusal" in (page.text_content("h1") or "") and "2023-04-22" in (page.text_content("h1") or "")
    page.screenshot(path=str(SCREENS / "after_split.png"), full_page=True)
    assert page.problems == []
