"""A heavy request never stalls a light one: the real server on 127.0.0.1, a real store with an
event of thousands of sources, one client fetching it while another asks for small pages."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from dw_seed import add_heavy_event

from conftest import serving
from dissentwatch.store import Store
from dissentwatch.web import auth

HEAVY = "ev-heavy"
N_SOURCES = 15000


@pytest.fixture(scope="module")
def heavy_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    path = tmp_path_factory.mktemp("heavy") / "heavy.db"
    with Store(path) as store:
        add_heavy_event(store, HEAVY, N_SOURCES)
        auth.add_user(store, "vic", "viewer")
        token = auth.new_token(store, "vic")
    with serving(path) as base:
        yield base, token


def _light_latencies_while(base: str, token: str, heavy_paths: list[str]) -> tuple[list[float], list[float]]:
    """Fetch the heavy paths in threads; meanwhile time light requests, one after another."""
    headers = {"authorization": f"Bearer {token}"}
    heavy_times: list[float] = []

    def fetch_heavy(path: str) -> None:
        t0 = time.perf_counter()
        response = httpx.get(base + path, headers=headers, timeout=300)
        assert response.status_code == 200, response.text[:200]
        heavy_times.append(time.perf_counter() - t0)

    threads = [threading.Thread(target=fetch_heavy, args=(p,)) for p in heavy_paths]
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        client.get("/api/latest")  # a warm connection, a thread that has opened its store
        for t in threads:
            t.start()
        time.sleep(0.05)
        light: list[float] = []
        while any(t.is_alive() for t in threads) or len(light) < 5:
            t0 = time.perf_counter()
            assert client.get("/api/latest").status_code == 200
            light.append(time.perf_counter() - t0)
            time.sleep(0.02)
    for t in threads:
        t.join()
    return light, heavy_times


def test_a_heavy_event_never_delays_a_light_request_by_a_second(heavy_server: tuple[str, str]) -> None:
    base, token = heavy_server
    heavy = [f"/events/{HEAVY}", f"/api/events/{HEAVY}", "/api/events", f"/events/{HEAVY}"]
    light, heavy_times = _light_latencies_while(base, token, heavy)
    print(f"light max {max(light):.3f} s over {len(light)}, heavy {[round(h, 2) for h in heavy_times]}")
    assert len(heavy_times) == len(heavy)
    # before the fix a light request waited for the heavy one (6 s here); the 1 s target itself is
    # measured by benchmarks/bench_server.py: this bound catches a stall without failing on a
    # busy CI machine, where a light request has been seen to take 1.05 s
    assert max(light) < 2.0, f"a light request waited {max(light):.2f} s (heavy took {max(heavy_times):.2f} s)"


def test_the_api_and_the_event_page_page_the_sources(heavy_server: tuple[str, str]) -> None:
    base, token = heavy_server
    with httpx.Client(base_url=base, headers={"authorization": f"Bearer {token}"}, timeout=120) as client:
        listing = client.get("/api/events")
        assert len(listing.content) < 20_000  # counts and a link, not 15,000 sources and their quotes
        (event,) = listing.json()["events"]
        assert event["sources_count"] == N_SOURCES and "sources" not in event and "evidence" not in event
        assert len(client.get(f"/api/events/{HEAVY}").content) < 20_000
        first = client.get(f"{event['sources_url']}?limit=500").json()
        assert first["total"] == N_SOURCES and len(first["sources"]) == 500
        assert {ev["quote"] for ev in first["sources"][0]["evidence"]} == {"refused orders", "7th brigade"}
        second = client.get(first["next"]).json()
        assert second["offset"] == 500
        assert not {s["document_id"] for s in first["sources"]} & {s["document_id"] for s in second["sources"]}
        assert client.get(f"{event['sources_url']}?limit=501").status_code == 400
        page = client.get(f"/events/{HEAVY}")
        assert page.text.count('class="source"') == 50 and f"of {N_SOURCES}" in page.text
        assert len(page.content) < 500_000
        later = client.get(f"/events/{HEAVY}?sources=50")
        assert 'rel="prev"' in later.text and "heavy/ev-heavy" in later.text
