"""Load test of the web server: 50 concurrent clients over the 100k store, on loopback.

    python benchmarks/bench_server.py [--events 100000] [--heavy 35000] [--clients 50]
                                      [--requests 20] [--db /tmp/dissentwatch_bench_server.db]

Builds (or reuses) the synthetic store of ``bench_web.py`` (N events, N mentions, N/5
documents) plus one event of ``--heavy`` sources (what a resolver bug once made: 35,000), starts
the real server (``dissentwatch serve``) on 127.0.0.1 in its own process, then

1. runs ``--clients`` concurrent clients, each making ``--requests`` requests drawn from a mix of
   pages and API calls (filtered lists, events, their sources, counts, polling), and reports
   p50 / p95 / p99 / max latency and the throughput;
2. fetches the heavy event (its page, its API record, a page of 500 of its sources) over and
   over while a light client polls ``/api/latest``, and reports how long the light requests
   waited: the target is that a heavy page never delays a light one by more than a second.

Everything stays on loopback and is bounded by the arguments. Nothing is mocked.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "web"))
from bench_web import build  # noqa: E402
from dw_seed import add_heavy_event  # noqa: E402  (the heavy event the server tests use)

from dissentwatch.store import Store  # noqa: E402

HEAVY = "ev-heavy"


def prepare(path: Path, n_events: int, n_heavy: int) -> str:
    """The store (built once) and a fresh API token."""
    from dissentwatch.web import auth

    if not path.exists():
        build(path, n_events)
    with Store(path) as store:
        if n_heavy and store.scalar("SELECT COUNT(*) FROM events WHERE id = ?", (HEAVY,)) == 0:
            t0 = time.perf_counter()
            add_heavy_event(store, HEAVY, n_heavy)
            print(f"heavy event: {n_heavy} sources in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        auth.add_user(store, "bench", "viewer")
        return auth.new_token(store, "bench")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(path: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "dissentwatch", "--db", str(path), "-q", "serve",
                             "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/login", timeout=2)
            return proc, base
        except httpx.TransportError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("the server did not start")


def light_urls(path: Path, rnd: random.Random) -> list[str]:
    """A mix of what analysts and scripts ask for, over real ids of the store."""
    with Store(path) as store:
        ids = [r[0] for r in store.query("SELECT id FROM events WHERE id != ? ORDER BY random() LIMIT 200", (HEAVY,))]
        docs = [r[0] for r in store.query("SELECT external_id FROM documents WHERE external_id LIKE 'bench/%' "
                                          "ORDER BY random() LIMIT 100")]
    urls = ["/api/events", "/api/events?type=video_appeal", "/api/events?type=refusal&since=2023-01-01&until=2023-12-31",
            "/api/events?region=RU-KGD&review_status=new", "/api/events?unit=255", "/events?type=desertion",
            "/events?outlet=Delta&since=2024-01", "/api/counts?by=type", "/api/latest", "/events?sort=confidence"]
    urls += [f"/api/events/{rnd.choice(ids)}" for _ in range(10)]
    urls += [f"/api/events/{rnd.choice(ids)}/sources" for _ in range(5)]
    urls += [f"/events/{rnd.choice(ids)}" for _ in range(5)]
    urls += [f"/api/documents/{rnd.choice(docs)}" for _ in range(5)]
    return urls


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


async def concurrent_clients(base: str, token: str, urls: list[str], clients: int, per_client: int,
                             seed: int) -> dict[str, Any]:
    latencies: list[float] = []
    by_kind: dict[str, list[float]] = {}
    errors: list[str] = []
    headers = {"authorization": f"Bearer {token}"}

    async def one(i: int) -> None:
        rnd = random.Random(seed + i)
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120) as client:
            for _ in range(per_client):
                url = rnd.choice(urls)
                t0 = time.perf_counter()
                response = await client.get(url)
                latencies.append(time.perf_counter() - t0)
                by_kind.setdefault(_kind(url), []).append(latencies[-1])
                if response.status_code != 200:
                    errors.append(f"{response.status_code} {url}")

    t0 = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(clients)))
    wall = time.perf_counter() - t0
    return {"requests": len(latencies), "errors": errors, "by_kind": by_kind, "wall": wall, "p50": percentile(latencies, 50),
            "p95": percentile(latencies, 95), "p99": percentile(latencies, 99), "max": max(latencies)}


def _kind(url: str) -> str:
    """The route of a URL, for the per-route figures: /api/events/{id}/sources, /events?..."""
    path, _, query = url.partition("?")
    parts = path.split("/")
    if len(parts) > 3 and parts[1] == "api" and parts[2] in ("events", "documents"):
        return "/".join(parts[:3]) + "/{id}" + ("/sources" if parts[-1] == "sources" else "")
    if len(parts) > 2 and parts[1] == "events":
        return "/events/{id}"
    return path + ("?filters" if query else "")


def light_while_heavy(base: str, token: str, heavy: list[str], rounds: int) -> dict[str, Any]:
    """Poll /api/latest while another client fetches the heavy URLs ``rounds`` times."""
    headers = {"authorization": f"Bearer {token}"}
    heavy_times: dict[str, list[float]] = {u: [] for u in heavy}
    sizes: dict[str, int] = {}

    def fetch() -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=600) as client:
            for _ in range(rounds):
                for url in heavy:
                    t0 = time.perf_counter()
                    response = client.get(url)
                    heavy_times[url].append(time.perf_counter() - t0)
                    sizes[url] = len(response.content)
                    if response.status_code != 200:
                        raise RuntimeError(f"{response.status_code} on {url}")

    with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
        idle = []
        for _ in range(20):
            t0 = time.perf_counter()
            client.get("/api/latest")
            idle.append(time.perf_counter() - t0)
        worker = threading.Thread(target=fetch)
        worker.start()
        light: list[float] = []
        while worker.is_alive():
            t0 = time.perf_counter()
            client.get("/api/latest")
            light.append(time.perf_counter() - t0)
            time.sleep(0.02)
        worker.join()
    return {"idle_median": statistics.median(idle), "light": light, "heavy": heavy_times, "sizes": sizes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--heavy", type=int, default=35_000, help="Sources of the heavy event (0: none).")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=20, help="Requests per client.")
    parser.add_argument("--rounds", type=int, default=2, help="Times the heavy URLs are fetched.")
    parser.add_argument("--db", type=Path, default=Path("/tmp/dissentwatch_bench_server.db"))
    args = parser.parse_args()
    token = prepare(args.db, args.events, args.heavy)
    with Store(args.db) as store:
        n_events, n_docs = store.scalar("SELECT COUNT(*) FROM events"), store.scalar("SELECT COUNT(*) FROM documents")
    proc, base = start_server(args.db)
    try:
        urls = light_urls(args.db, random.Random(11))
        print(f"store: {n_events} events, {n_docs} documents; heavy event: {args.heavy} sources; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        result = asyncio.run(concurrent_clients(base, token, urls, args.clients, args.requests, seed=3))
        print(f"{args.clients} concurrent clients, {result['requests']} requests in {result['wall']:.1f} s "
              f"({result['requests'] / result['wall']:.0f}/s): latency p50 {result['p50'] * 1000:.0f} ms, "
              f"p95 {result['p95'] * 1000:.0f} ms, p99 {result['p99'] * 1000:.0f} ms, max {result['max'] * 1000:.0f} ms; "
              f"{len(result['errors'])} errors {result['errors'][:3]}")
        for kind, times in sorted(result["by_kind"].items(), key=lambda kv: -statistics.median(kv[1])):
            print(f"  {kind:32} {len(times):4} requests, median {statistics.median(times) * 1000:5.0f} ms, "
                  f"p95 {percentile(times, 95) * 1000:5.0f} ms")
        if args.heavy:
            heavy = [f"/events/{HEAVY}", f"/api/events/{HEAVY}", f"/api/events/{HEAVY}/sources?limit=500",
                     f"/events/{HEAVY}?sources=30000"]
            found = light_while_heavy(base, token, heavy, args.rounds)
            for url, times in found["heavy"].items():
                print(f"heavy {url}: median {statistics.median(times) * 1000:.0f} ms, "
                      f"{found['sizes'][url] / 1000:.0f} kB")
            light = found["light"]
            worst = max(light)
            print(f"light /api/latest while heavy: {len(light)} requests, median {statistics.median(light) * 1000:.0f} ms, "
                  f"p95 {percentile(light, 95) * 1000:.0f} ms, max {worst * 1000:.0f} ms "
                  f"(idle median {found['idle_median'] * 1000:.0f} ms): "
                  f"{'OK' if worst < 1.0 else 'SLOW'} (target: a heavy page never delays a light one by > 1 s)")
    finally:
        proc.terminate()
        proc.wait(timeout=20)


if __name__ == "__main__":
    main()
