"""The review queue: least certain candidates first, each with the sentence that carries it and
the model's probability."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from conftest import login


def _order(html: str) -> list[str]:
    body = html[html.index('id="queue"'):]
    return re.findall(r'<tr data-event="([^"]+)"', body)


def test_queue_puts_the_least_certain_first_and_shows_sentence_and_probability(app_client: TestClient) -> None:
    login(app_client, "ana")
    page = app_client.get("/review")
    assert page.status_code == 200
    # seeded confidences: ev-evil 0.6, ev-appeal5b 0.7, ev-dismissal 0.75, ev-refusal 0.8, ev-appeal5 0.9
    assert _order(page.text) == ["ev-evil", "ev-appeal5b", "ev-dismissal", "ev-refusal", "ev-appeal5"]
    assert "least certain first" in page.text
    row = page.text[page.text.index('<tr data-event="ev-appeal5" '):]
    row = row[: row.index("</tr>")]
    # the sentence of its most confident mention (0.9), not of the other (0.85)
    assert "<q>записали видеообращение</q>" in row and "released a video" not in row
    assert '<td class="num probability">0.90</td>' in row
    hostile = page.text[page.text.index('<tr data-event="ev-evil" '):]
    assert "<script" not in hostile[: hostile.index("</tr>")]  # the quote is escaped


def test_queue_can_be_ordered_most_confident_first(app_client: TestClient) -> None:
    login(app_client, "ana")
    page = app_client.get("/review?order=confident")
    assert _order(page.text) == ["ev-appeal5", "ev-refusal", "ev-dismissal", "ev-appeal5b", "ev-evil"]
    bad = app_client.get("/review?order=random")
    assert bad.status_code == 400 and "uncertain, confident" in bad.text
