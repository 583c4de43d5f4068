"""Benchmark: the events table of the web app over 100,000 synthetic events.

    python benchmarks/bench_web.py [--events 100000] [--db /tmp/bench_web.db] [--runs 15]

Builds (or reuses) a store with N events, N mentions and N/5 documents, then times, server
side, a filtered page of 50 events: the query alone (``query_events``), the HTML page and the
JSON API page (through the ASGI app, in process). Target: a filtered page under 200 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dissentwatch.models import EVENT_TYPES, Document
from dissentwatch.store import Store
from dissentwatch.store.documents import ingest
from dissentwatch.store.events import query_events, upsert_event

REGIONS = [
    ("Kaliningrad Oblast", "RU-KGD", 54.7, 20.5), ("Murmansk Oblast", "RU-MUR", 68.97, 33.07),
    ("Arkhangelsk Oblast", "RU-ARK", 64.5, 40.5), ("Moscow Oblast", "RU-MOS", 55.7, 37.6),
    ("Republic of Buryatia", "RU-BU", 51.8, 107.6), ("Sverdlovsk Oblast", "RU-SVE", 56.8, 60.6),
    ("Belgorod Oblast", "RU-BEL", 50.6, 36.6), ("Tuva Republic", "RU-TY", 51.7, 94.4),
]
OUTLETS = ["alpha_channel", "Beta News", "gamma_channel", "Delta", "Echo Daily", "foxtrot_tg"]
DOMAIN = ["soldiers", "brigade", "regiment", "appeal", "video", "refused", "front", "commander", "assault",
          "supplies", "rotation", "leave", "mobilized", "contract", "court", "lawyer", "decree", "dismissed",
          "wounded"]


def _text(rnd: random.Random, vocabulary: list[str], weights: list[float]) -> str:
    """40 words drawn Zipf-like from a 3,000-word vocabulary, with two domain words."""
    words = rnd.choices(vocabulary, weights=weights, k=38) + rnd.sample(DOMAIN, 2)
    rnd.shuffle(words)
    return " ".join(words)


# Invented people for ``build(..., people=True)``: a soldier and a relative named in every document.
PEOPLE = {
    "ru": (["Иван", "Алексей", "Сергей", "Дмитрий", "Николай", "Павел", "Олег", "Михаил"],
           ["Анна", "Мария", "Елена", "Ольга", "Наталья", "Татьяна"],
           ["Петров", "Смирнов", "Кузнецов", "Волков", "Соколов", "Морозов", "Лебедев", "Орлов"],
           "Рядовой {soldier} из {n}-й бригады записал видеообращение.",
           "Жена солдата, {relative}, говорит, что командир не ответил.", "от имени {soldier}"),
    "uk": (["Тарас", "Андрій", "Богдан", "Остап", "Микола"], ["Оксана", "Олена", "Ірина"],
           ["Коваленко", "Шевчук", "Бондаренко", "Мельник", "Кравчук", "Ткаченко"],
           "Мобілізований {soldier} з {n}-ї бригади відмовився йти в атаку.",
           "Його мати {relative} розповіла про це.", "від імені {soldier}"),
    "en": (["John", "Peter", "Mark", "David", "Thomas", "Paul"], ["Mary", "Anna", "Helen", "Kate"],
           ["Harrow", "Mills", "Carter", "Dawson", "Fletcher", "Baker"],
           "Private {soldier} of the {n}th brigade refused to fight.",
           "His wife {relative} said the commander did not answer.", "on behalf of {soldier}"),
}


@dataclass
class _People:
    """What ``people=True`` adds to a document: its two sentences with names, where they stand
    in the text, and the address form of its events."""

    text: str
    spokesperson: tuple[int, int]
    relative: tuple[int, int]
    address_form: str


def _people_text(rnd: random.Random, i: int, language: str, body: str, number: int) -> _People:
    """``Post i:``, a soldier's sentence, the random words, a relative's sentence; every fourth
    document gives a private Telegram link too."""
    firsts, female, surnames, soldier_s, relative_s, address = PEOPLE.get(language, PEOPLE["ru"])
    soldier = f"{rnd.choice(firsts)} {rnd.choice(surnames)}"
    surname = rnd.choice(surnames)
    relative = f"{rnd.choice(female)} {surname + 'а' if language == 'ru' else surname}"
    first = soldier_s.format(soldier=soldier, n=number)
    second = relative_s.format(relative=relative)
    head = f"Post {i}: "
    text = head + first + " " + body + " " + second + (f" t.me/family_{i}" if i % 4 == 0 else "")
    at = len(head) + len(first) + 1 + len(body) + 1
    return _People(text, (len(head), len(head) + len(first)), (at, at + len(second)),
                   address.format(soldier=soldier))


def build(path: Path, n_events: int, seed: int = 7, people: bool = False) -> None:
    """N events, N mentions and N/5 documents. ``people``: every document names a soldier and a
    relative (invented, from :data:`PEOPLE`), and every event quotes both sentences and carries
    an address form with the soldier's name (what ``--pseudonymise`` has to rewrite)."""
    rnd = random.Random(seed)
    n_docs = max(n_events // 5, 1)
    store = Store(path)
    t0 = time.perf_counter()
    vocabulary = ["".join(rnd.choice("abcdefghiklmnoprstuvy") for _ in range(rnd.randint(3, 9))) for _ in range(3000)]
    weights = [1 / (rank + 1) for rank in range(len(vocabulary))]
    named: dict[str, _People] = {}

    def text(i: int, language: str) -> str:
        body = _text(rnd, vocabulary, weights)
        number = rnd.randint(1, 400)
        if not people:
            return f"Post {i}: " + body + f" {number}th"
        named[f"bench/{i}"] = _people_text(rnd, i, language, body, number)
        return named[f"bench/{i}"].text

    def document(i: int) -> Document:
        outlet, language = rnd.choice(OUTLETS), rnd.choice(["ru", "ru", "en", "uk"])
        published = f"20{rnd.randint(22, 25)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}T10:00:00Z"
        return Document(source_kind="files", external_id=f"bench/{i}", outlet=outlet, language=language,
                        published=published, text=text(i, language))

    ingest(store, (document(i) for i in range(n_docs)), batch_size=5000)
    print(f"documents: {n_docs} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    doc_rows = store.query("SELECT id, external_id, url, outlet, published, language FROM documents")
    t0 = time.perf_counter()
    with store.transaction() as conn:
        for i in range(n_events):
            doc = doc_rows[i % len(doc_rows)]
            person = named.get(doc["external_id"])
            fields = {"spokesperson": True, "address_form": person.address_form} if person else {}
            cur = conn.execute(
                'INSERT INTO mentions (key, document_id, type, fields, confidence, extractor, start, "end", created) '
                "VALUES (?, ?, ?, ?, ?, 'bench.v1', ?, ?, '2024-01-01T00:00:00Z')",
                (f"{doc['id']}:bench:{i}", doc["id"], rnd.choice(EVENT_TYPES), json.dumps(fields, ensure_ascii=False),
                 rnd.random(), i, i + 5))
            mention_id = cur.lastrowid
            conn.execute('INSERT INTO evidence (mention_id, field, document_id, start, "end", quote) '
                         "VALUES (?, 'type', ?, 0, 4, 'Post')", (mention_id, doc["id"]))
            if person:
                for field_name, (start, end) in (("spokesperson", person.spokesperson), ("evidence", person.relative),
                                                 ("address_form", person.spokesperson)):
                    conn.execute('INSERT INTO evidence (mention_id, field, document_id, start, "end", quote) '
                                 "VALUES (?, ?, ?, ?, ?, ?)",
                                 (mention_id, field_name, doc["id"], start, end, person.text[start:end]))
            event_id = f"ev-bench{i:07d}"
            upsert_event(conn, event_id, {**_shape(rnd, doc), **fields}, resolver="bench")
            conn.execute("INSERT INTO event_mentions (event_id, mention_id, score) VALUES (?, ?, 1.0)",
                         (event_id, mention_id))
            if i % 3 == 0:
                conn.execute("UPDATE events SET review_status = ? WHERE id = ?",
                             (rnd.choice(["confirmed", "rejected", "edited"]), event_id))
    store.conn.execute("ANALYZE")
    print(f"events: {n_events} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    store.close()


def _shape(rnd: random.Random, doc: Any) -> dict[str, Any]:
    name, iso, lat, lon = rnd.choice(REGIONS)
    date = doc["published"][:10]
    number = str(rnd.randint(1, 400))
    return {
        "type": rnd.choice(EVENT_TYPES), "date": date, "date_precision": "day", "sort_date": date,
        "unit": {"name": f"{number}th regiment", "number": number, "kind": rnd.choice(["regiment", "brigade"])},
        "home_regions": [{"name": name, "iso": iso, "lat": lat, "lon": lon}],
        "grievances": rnd.sample(["frontal_assaults", "pay", "poor_command", "supplies"], 2),
        "confidence": round(rnd.random(), 3),
        "sources": [{"document_id": doc["external_id"], "url": doc["url"], "outlet": doc["outlet"],
                     "published": doc["published"], "language": doc["language"]}],
    }


QUERIES: list[dict[str, Any]] = [
    {},
    {"type": "video_appeal"},
    {"type": "refusal", "since": "2023-01-01", "until": "2023-12-31"},
    {"region": "RU-KGD", "review_status": "new"},
    {"unit": "255", "type": "video_appeal"},
    {"language": "en", "type": "desertion"},
    {"outlet": "Delta", "since": "2024-01"},
    {"q": "regiment lawyer", "type": "mutiny"},
    {"type": "dismissal", "sort": "confidence"},
    {"region": "RU-BU", "since": "2024-06-01", "sort": "sources", "offset": 500},
]


def _timed(fn: Any, runs: int) -> tuple[float, float, float]:
    """Median and p95 wall time, and median CPU time of this process, in ms. On a shared machine
    the CPU time shows the server's own cost when other processes compete for the cores."""
    times, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    times.sort()
    return statistics.median(times), times[max(int(len(times) * 0.95) - 1, 0)], statistics.median(cpu)


def _query_string(q: dict[str, Any]) -> str:
    from urllib.parse import urlencode

    return urlencode(q)


def run(path: Path, runs: int) -> None:
    from starlette.testclient import TestClient

    from dissentwatch.web import auth
    from dissentwatch.web.app import create_app

    store = Store(path)
    total_events = store.scalar("SELECT COUNT(*) FROM events")
    auth.add_user(store, "bench", "viewer", "bench-password")
    token = auth.new_token(store, "bench")
    client = TestClient(create_app(path), base_url="http://127.0.0.1")
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    client.post("/login", data={"csrf": csrf, "name": "bench", "password": "bench-password"})
    headers = {"authorization": f"Bearer {token}"}
    print(f"{total_events} events; times in ms, median / p95 of {runs} runs, page of 50; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'filters':58} {'matching':>8} {'query':>13} {'HTML page':>13} {'HTML CPU':>8} {'API page':>13}")
    worst = 0.0
    for q in QUERIES:
        worst = max(worst, _measure(store, client, headers, q, runs))
    dash = _timed(lambda: _ok(client.get("/")), max(runs // 3, 3))
    cold = _timed(lambda: (client.app.state.settings.clear_cache(), _ok(client.get("/"))), 1)
    print(f"dashboard (counts, chart, map over all events): {cold[0]:.1f} ms uncached, "
          f"{dash[0]:.1f} / {dash[1]:.1f} ms cached")
    print(f"slowest median HTML page: {worst:.1f} ms (target < 200 ms): {'OK' if worst < 200 else 'SLOW'}")


def _measure(store: Store, client: Any, headers: dict[str, str], q: dict[str, Any], runs: int) -> float:
    """Print the figures of one filtered page; returns the median time of the HTML page."""
    kwargs = {k: v for k, v in q.items() if k not in ("sort", "offset")}
    sort, offset = q.get("sort", "date"), int(q.get("offset", 0))
    _, matching = query_events(store, **kwargs, sort=sort, limit=50, offset=offset)
    query_t = _timed(lambda: query_events(store, **kwargs, sort=sort, limit=50, offset=offset), runs)
    qs = _query_string(q)
    html_t = _timed(lambda: _ok(client.get(f"/events?{qs}")), runs)
    api_t = _timed(lambda: _ok(client.get(f"/api/events?{qs}&limit=50", headers=headers)), runs)
    label = ", ".join(f"{k}={v}" for k, v in q.items()) or "(no filter)"
    print(f"{label:58} {matching:>8} {query_t[0]:6.1f}/{query_t[1]:6.1f} {html_t[0]:6.1f}/{html_t[1]:6.1f} "
          f"{html_t[2]:8.1f} {api_t[0]:6.1f}/{api_t[1]:6.1f}")
    return html_t[0]


def _ok(response: Any) -> None:
    if response.status_code != 200:
        raise RuntimeError(f"{response.status_code}: {response.text[:200]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/dissentwatch_bench_web.db"))
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--rebuild", action="store_true", help="Build the store again even if it exists.")
    args = parser.parse_args()
    if args.rebuild and args.db.exists():
        for suffix in ("", "-wal", "-shm"):
            Path(f"{args.db}{suffix}").unlink(missing_ok=True)
    if not args.db.exists():
        build(args.db, args.events)
    run(args.db, args.runs)


if __name__ == "__main__":
    main()
