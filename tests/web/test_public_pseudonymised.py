"""``serve --public --pseudonymise``: the real server on 127.0.0.1 shows confirmed events with
private people's names pseudonymised on every page and API route (quotes, document texts, search,
CSV/JSON downloads), public figures and outlets kept, and the store itself untouched."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from conftest import serving
from dissentwatch import review
from dissentwatch.publish.pseudonymise import PSEUDONYM_PATTERN, Pseudonymiser
from dissentwatch.store import Store

sys.path.insert(0, str(Path(__file__).parents[1]))
from pseudonymise_fixture import KEY, PRIVATE, seed_people  # noqa: E402


@pytest.fixture(scope="module")
def pseudonymised_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str], Path]]:
    path = tmp_path_factory.mktemp("pseudo") / "web.db"
    with Store(path) as store:
        ids = seed_people(store)
        for event_id in ids.values():
            review.set_review_status(store, event_id, "confirmed", "ana")
    with serving(path, public=True, pseudonymiser=Pseudonymiser(KEY)) as base:
        yield base, ids, path


def _private(text: str) -> list[str]:
    return [p for p in PRIVATE if p.casefold() in text.casefold()]


def test_every_page_and_route_shows_pseudonyms_only(pseudonymised_server: tuple[str, dict[str, str], Path]) -> None:
    base, ids, _ = pseudonymised_server
    documents = httpx.get(f"{base}/api/events/{ids['ru']}/sources", timeout=30).json()["sources"]
    paths = ["/", "/events", "/events.csv", "/events.json", "/api/events", "/api/latest",
             "/search?q=brigade", "/search?q=%D0%9B%D0%B8%D1%86%D0%BE"]
    for event_id in ids.values():
        paths += [f"/events/{event_id}", f"/api/events/{event_id}", f"/api/events/{event_id}/sources"]
    for doc in documents:
        paths += [f"/documents/{quote(doc['document_id'], safe='/')}", f"/api/documents/{quote(doc['document_id'], safe='/')}"]
    seen = ""
    for path in paths:
        response = httpx.get(base + path, timeout=30)
        assert response.status_code == 200, (path, response.status_code)
        assert _private(response.text) == [], (path, _private(response.text))
        seen += response.text
    assert PSEUDONYM_PATTERN.search(seen)
    assert "Андрей Белоусов" in seen and "Emmanuel Macron" in seen and "t.me/mediazzzona/4321" in seen
    assert "private names pseudonymised" in httpx.get(base + "/events", timeout=30).text
    # a search for a private name finds nothing (the page repeats the query, nothing else)
    found = httpx.get(base + "/search?q=Harrow", timeout=30).text
    assert "<small>0</small>" in found and 'class="empty"' in found


def test_the_store_itself_is_untouched(pseudonymised_server: tuple[str, dict[str, str], Path]) -> None:
    _, _, path = pseudonymised_server
    with Store(path) as store:
        assert _private(str(store.scalar("SELECT group_concat(text) FROM documents")))


def test_pseudonymise_needs_the_public_view(tmp_path: Path) -> None:
    from dissentwatch.web.app import create_app

    path = tmp_path / "web.db"
    Store(path).close()
    with pytest.raises(ValueError, match="public"):
        create_app(path, pseudonymiser=Pseudonymiser(KEY))


def test_serve_refuses_pseudonymise_without_public_or_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from dissentwatch.cli import main

    path = tmp_path / "web.db"
    Store(path).close()
    monkeypatch.setenv("DISSENTWATCH_DB", str(path))
    monkeypatch.delenv("DISSENTWATCH_PSEUDONYM_KEY", raising=False)
    runner = CliRunner()
    no_key = runner.invoke(main, ["serve", "--public", "--pseudonymise"])
    assert no_key.exit_code == 2 and "secret key" in no_key.output
    monkeypatch.setenv("DISSENTWATCH_PSEUDONYM_KEY", KEY.decode())
    not_public = runner.invoke(main, ["serve", "--pseudonymise"])
    assert not_public.exit_code == 2 and "--public" in not_public.output
