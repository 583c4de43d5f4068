"""Every writer of one SQLite store at once, as in production: no "database is locked", no lost
decision, no duplicate link.

Against one real store file, for about 15 s and all at the same time:

- a ``watch`` collector (the real :class:`dissentwatch.watch.Watcher`, its source a generator of
  new posts and of edits to earlier ones) ingesting in a process of its own;
- ``dissentwatch analyze`` and ``dissentwatch resolve`` run again and again, each a process;
- the web app served by uvicorn on 127.0.0.1 (``dissentwatch serve``, a process), where three
  analysts, logged in through the form, confirm and reject events, several times each.

Then one more ``resolve`` runs and the store is checked: every decision the app answered with
success is in the audit trail and is what the event says now (confirmed stays confirmed,
rejected stays rejected), the mentions an event held when an analyst decided are still in it, no
mention is in two events, every run finished ``ok``, and nothing anywhere said "locked".
"""

from __future__ import annotations

import json
import os
import random
import re
import socket
import subprocess
import sys
import textwrap
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

pytest.importorskip("uvicorn")
pytest.importorskip("argon2")
httpx = pytest.importorskip("httpx")

import dissentwatch  # noqa: E402
from dissentwatch.models import Document  # noqa: E402
from dissentwatch.store import Store  # noqa: E402
from dissentwatch.store.documents import ingest  # noqa: E402
from dissentwatch.web import auth  # noqa: E402

SRC = str(Path(dissentwatch.__file__).resolve().parents[1])
ENV = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", ""),
       "DISSENTWATCH_DB": "", "PYTHONUNBUFFERED": "1"}
SECONDS = 14.0
ANALYSTS = {"ana": "analyst-pass-1", "bea": "analyst-pass-2", "cem": "analyst-pass-3"}

EVENTS = [
    "Мобилизованные из {n}-го мотострелкового полка записали видеообращение к президенту и жалуются, "
    "что их бросили на передовую без артиллерии.",
    "Около {k} контрактников {n}-й бригады отказались идти на штурм, сообщает телеграм-канал.",
    "Военный суд приговорил рядового {n}-го полка к {k} годам колонии за самовольное оставление части.",
    "Soldiers of the {n}th brigade recorded a video appeal to the defence minister, complaining of "
    "heavy losses and no fire support.",
]
FILLER = [
    "В Твери завершили ремонт моста через реку, движение открыто в обе стороны.",
    "Синоптики обещают в выходные до {k} градусов тепла и кратковременные дожди.",
    "The city council approved a new budget for public transport on Monday.",
]

COLLECTOR = textwrap.dedent('''
    """A watch loop whose one source yields generated posts, and edits of earlier ones."""
    import logging, random, sys, threading, time
    from pathlib import Path
    sys.path.insert(0, {tests!r})
    from test_concurrent_writers import post
    from dissentwatch.models import Document
    from dissentwatch.store import Store
    from dissentwatch.store.documents import ingest
    from dissentwatch.watch import Source, WatchConfig, Watcher

    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    db, stop_file, first = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    rng, counter = random.Random(5), [first]

    def collect(store, source):
        docs = []
        for _ in range(40):
            docs.append(Document("feed", f"gen/{{counter[0]}}", post(rng, counter[0]), language="ru",
                                 published=f"2024-03-{{1 + counter[0] % 28:02d}}T10:00:00Z"))
            counter[0] += 1
        for _ in range(3):  # an edited post: analyze finds it changed and analyzes it again
            old = rng.randrange(0, counter[0])
            docs.append(Document("feed", f"gen/{{old}}", post(rng, old) + " Дополнено.", language="ru",
                                 published=f"2024-03-{{1 + old % 28:02d}}T10:00:00Z"))
        return ingest(store, docs, batch_size=20)

    stop = threading.Event()
    with Store(db) as store:
        watcher = Watcher(store, WatchConfig([Source("feed", "generated", 0.01)], tick=0.01),
                          {{"feed": collect}}, [], stop=stop)
        while not stop_file.exists():
            watcher.run(max_cycles=watcher.cycles + 1)
            time.sleep(0.05)
    print(f"collector: {{counter[0] - first}} new posts, {{watcher.totals.as_dict()}}")
''')


def post(rng: random.Random, i: int) -> str:
    """A post: ordinary news, or (one in three) the report of an event by one of 40 units."""
    sentences = [rng.choice(FILLER).format(k=rng.randint(2, 30)) for _ in range(rng.randint(1, 3))]
    if i % 3 == 0:
        sentences.insert(1, rng.choice(EVENTS).format(n=100 + rng.randrange(40), k=rng.randint(3, 40)))
    return " ".join(sentences) + f" #{i}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Outcome:
    """What the processes and the analysts saw."""

    outputs: list[str] = field(default_factory=list)         # every process's stdout + stderr
    failures: list[str] = field(default_factory=list)        # exit codes != 0, HTTP errors
    decisions: list[tuple[str, str, str, float, frozenset[int]]] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    runs: dict[str, int] = field(default_factory=dict)
    lock = threading.Lock()


def _cli(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dissentwatch", "--db", str(db), "-q", *args],
                          capture_output=True, text=True, env=ENV, timeout=120)


def _repeat(db: Path, args: tuple[str, ...], until: float, outcome: Outcome) -> None:
    """Run one CLI command again and again until ``until``."""
    name = args[0]
    while time.monotonic() < until:
        done = _cli(db, *args)
        with outcome.lock:
            outcome.outputs.append(f"{name}: {done.stdout}{done.stderr}")
            outcome.runs[name] = outcome.runs.get(name, 0) + 1
            if done.returncode:
                outcome.failures.append(f"{name} exit {done.returncode}: {done.stderr[-500:]}")


def _members(db: Path, event_id: str) -> frozenset[int]:
    import sqlite3

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return frozenset(r[0] for r in conn.execute("SELECT mention_id FROM event_mentions WHERE event_id = ?",
                                                    (event_id,)))
    finally:
        conn.close()


def _review(base: str, db: Path, name: str, events: list[str], until: float, outcome: Outcome) -> None:
    """Log in through the form; confirm or reject each of ``events``, round after round."""
    rng = random.Random(name)
    with httpx.Client(base_url=base, timeout=60) as client:
        page = client.get("/login")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert token, page.text[:300]
        response = client.post("/login", data={"csrf": token.group(1), "name": name,
                                               "password": ANALYSTS[name], "next": "/"})
        assert response.status_code == 303, response.text[:300]
        found = re.search(r'data-csrf="([^"]+)"', client.get("/events").text)
        assert found
        csrf = found.group(1)
        while time.monotonic() < until:
            for event_id in events:
                if time.monotonic() >= until:
                    break
                action = rng.choice(["confirm", "reject"])
                started = time.perf_counter()
                response = client.post(f"/events/{event_id}/{action}", data={"csrf": csrf},
                                       headers={"accept": "application/json"})
                elapsed = time.perf_counter() - started
                members = _members(db, event_id)
                with outcome.lock:
                    outcome.latencies.append(elapsed)
                    outcome.outputs.append(f"{name} {action} {event_id}: {response.status_code} {response.text[:300]}")
                    if response.status_code == 200 and response.json().get("ok"):
                        outcome.decisions.append((name, event_id, action, time.monotonic(), members))
                    else:
                        outcome.failures.append(f"{name} {action} {event_id}: {response.status_code} "
                                                f"{response.text[:300]}")
                time.sleep(rng.uniform(0.0, 0.05))


def _seed(db: Path, count: int) -> None:
    rng = random.Random(1)
    with Store(db) as store:
        ingest(store, [Document("feed", f"gen/{i}", post(rng, i), language="ru",
                                published=f"2024-03-{1 + i % 28:02d}T10:00:00Z") for i in range(count)])
        for name, password in ANALYSTS.items():
            auth.add_user(store, name, "analyst", password)


def _wait_for(base: str, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode}")
        try:
            httpx.get(base + "/login", timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


def test_reviews_watch_analyze_and_resolve_at_once_lose_nothing(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    _seed(db, 600)
    for args in (("analyze", "--rules-only", "--workers", "1"), ("resolve",)):
        done = _cli(db, *args)
        assert done.returncode == 0, done.stderr
    with Store(db) as store:
        events = [r[0] for r in store.query("SELECT id FROM events ORDER BY id")]
    assert len(events) >= 30, "the seed should make events to review"
    rng = random.Random(3)
    rng.shuffle(events)
    shares = {name: events[i::len(ANALYSTS)][:12] for i, name in enumerate(ANALYSTS)}

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server_log, collector_log = tmp_path / "server.log", tmp_path / "collector.log"
    server = subprocess.Popen([sys.executable, "-m", "dissentwatch", "--db", str(db), "serve", "--port", str(port)],
                              stdout=server_log.open("w"), stderr=subprocess.STDOUT, text=True, env=ENV)
    stop_file = tmp_path / "stop"
    script = tmp_path / "collector.py"
    script.write_text(COLLECTOR.format(tests=str(Path(__file__).parent)), "utf-8")
    collector = subprocess.Popen([sys.executable, str(script), str(db), str(stop_file), "600"],
                                 stdout=collector_log.open("w"), stderr=subprocess.STDOUT, text=True, env=ENV)
    outcome = Outcome()
    try:
        _wait_for(base, server)
        until = time.monotonic() + SECONDS
        threads = [threading.Thread(target=_repeat, args=(db, ("analyze", "--rules-only", "--workers", "1",
                                                               "--batch-size", "50"), until, outcome)),
                   threading.Thread(target=_repeat, args=(db, ("resolve",), until, outcome))]
        threads += [threading.Thread(target=_review, args=(base, db, name, shares[name], until, outcome))
                    for name in ANALYSTS]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        stop_file.touch()
        collector.wait(timeout=60)
        server.terminate()
        server.wait(timeout=30)
    collected, served = collector_log.read_text("utf-8"), server_log.read_text("utf-8")
    outcome.outputs += [f"collector: {collected}", f"server: {served}"]
    assert collector.returncode == 0, collected[-2000:]
    # "a later run": the analysts' decisions must survive it too
    for args in (("analyze", "--rules-only", "--workers", "1"), ("resolve",)):
        done = _cli(db, *args)
        outcome.outputs.append(f"final {args[0]}: {done.stdout}{done.stderr}")
        assert done.returncode == 0, done.stderr

    locked = [o for o in outcome.outputs if "locked" in o.lower()]
    assert not locked, locked[:3]
    assert not outcome.failures, outcome.failures[:5]
    assert outcome.runs.get("analyze", 0) >= 2 and outcome.runs.get("resolve", 0) >= 2, outcome.runs
    assert len(outcome.decisions) >= 30, len(outcome.decisions)
    print(f"\n{len(outcome.decisions)} decisions, slowest {max(outcome.latencies):.2f} s, "
          f"runs {outcome.runs}; {collected.strip().splitlines()[-1]}")

    with Store(db) as store:
        audit = store.query("SELECT event_id, action, user FROM decisions ORDER BY id")
        status = {r[0]: r[1] for r in store.query("SELECT id, review_status FROM events WHERE merged_into IS NULL")}
        doubled = store.query("SELECT mention_id FROM event_mentions GROUP BY mention_id HAVING COUNT(*) > 1")
        unlinked = store.scalar("SELECT COUNT(*) FROM mentions WHERE id NOT IN (SELECT mention_id FROM event_mentions)")
        runs = store.query("SELECT stage, status FROM runs WHERE status IS NOT 'ok'")
        longest = store.query("SELECT stage, MAX(json_extract(stats, '$.longest_write_s')) FROM runs GROUP BY stage")
        links = {(r[0], r[1]) for r in store.query("SELECT event_id, mention_id FROM event_mentions")}
        mentions = {r[0] for r in store.query("SELECT id FROM mentions")}
        new_documents = store.scalar("SELECT COUNT(*) FROM documents") - 600
    assert new_documents > 100, "the collector should have ingested while the others ran"
    # every decision that succeeded is in the audit trail, in the order the analyst made them
    for name in ANALYSTS:
        made = [(e, a) for n, e, a, _, _ in outcome.decisions if n == name]
        logged = [(r["event_id"], r["action"]) for r in audit if r["user"] == name]
        assert logged == made, name
    last = {}
    for _, event_id, action, _, members in sorted(outcome.decisions, key=lambda d: d[3]):
        last[event_id] = (action, members)
    for event_id, (action, members) in last.items():
        assert status.get(event_id) == {"confirm": "confirmed", "reject": "rejected"}[action], event_id
        # the mentions it held when decided (those a re-analysis kept) are still its own
        assert {(event_id, m) for m in members if m in mentions} <= links, event_id
    assert not doubled, f"mentions in two events: {[r[0] for r in doubled][:10]}"
    assert unlinked == 0
    assert not runs, [tuple(r) for r in runs]
    print("longest write lock held per stage (s):", {r[0]: r[1] for r in longest})
    # the pipeline's write transactions are short: a reviewer never waits long for one
    assert all(r[1] is None or r[1] < 5.0 for r in longest), [tuple(r) for r in longest]


# -- the races, one at a time, made to happen -------------------------------------------------

UNIT_255 = {"name": "255-го полка", "number": "255", "kind": "regiment"}


def test_a_writer_waits_out_a_lock_held_past_the_busy_timeout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process's transaction longer than SQLite's busy timeout: the write waits and
    succeeds (it used to fail with "database is locked")."""
    import sqlite3

    import dissentwatch.store as store_module

    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_MS", 100)
    monkeypatch.setattr(store_module, "WRITE_WAIT_SECONDS", 10.0)
    db = tmp_path / "busy.db"
    with Store(db) as store:
        other = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
        other.execute("BEGIN IMMEDIATE")
        release = threading.Timer(0.8, other.execute, args=("COMMIT",))
        release.start()
        started = time.monotonic()
        store.set_state("k", {"v": 1})
        waited = time.monotonic() - started
        release.join()
        other.close()
        assert store.get_state("k") == {"v": 1}
        assert waited >= 0.6 and store.write_waits >= 1


def test_writers_of_one_process_take_turns(tmp_path: Path) -> None:
    """Eight threads, each with its own connection, writing at once: all their rows land."""
    db = tmp_path / "turns.db"
    Store(db).close()
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            with Store(db) as store:
                for i in range(25):
                    store.set_state(f"t{n}:{i}", {"i": i})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with Store(db) as store:
        assert store.scalar("SELECT COUNT(*) FROM collector_state") == 200


def test_an_event_confirmed_while_resolve_runs_is_not_folded_into_another(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Resolve read both events as untouched, then an analyst confirmed them before resolve
    wrote the report that bridges them: neither loses its mentions."""
    from dissentwatch.resolve import resolver
    from dissentwatch.review.decisions import confirm
    from eventfactory import events_of, save_bridge, save_bridged_pair

    store = Store(tmp_path / "bridge.db")
    bridge = save_bridged_pair(store)
    resolver.resolve_mentions(store)
    (ea,), (eb,) = events_of(store, "b1"), events_of(store, "b2")
    save_bridge(store, bridge)
    write_links = resolver._write_links

    def analyst_first(*args: object, **kwargs: object) -> None:
        with Store(store.path) as web:  # the web app's own connection
            confirm(web, ea, "ana")
            confirm(web, eb, "ana")
        write_links(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(resolver, "_write_links", analyst_first)
    resolver.resolve_mentions(store)
    assert events_of(store, "b1") == {ea} and events_of(store, "b2") == {eb}
    assert len(events_of(store, "b3")) == 1
    assert {r[0] for r in store.query("SELECT review_status FROM events WHERE id IN (?, ?)", (ea, eb))} == {"confirmed"}
    store.close()


def test_a_field_edited_while_resolve_aggregates_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Resolve aggregated an event, then an analyst edited a field of it before resolve wrote
    it: the edit stays (the event is aggregated again, its field locked)."""
    from dissentwatch.resolve import resolver
    from dissentwatch.review.decisions import edit_field
    from eventfactory import add_document, events_of, mention, save

    store = Store(tmp_path / "edit.db")
    a = add_document(store, "a", "Бойцы 255-го полка записали обращение 6 марта.", published="2023-03-06T00:00:00Z")
    save(store, a, mention(store, a, "video_appeal", "записали обращение", fields={"unit": UNIT_255, "date": "2023-03-06"}))
    resolver.resolve_mentions(store)
    (event,) = events_of(store, "a")
    b = add_document(store, "b", "Ещё раз: бойцы 255-го полка записали обращение 6 марта.",
                     published="2023-03-06T05:00:00Z")
    save(store, b, mention(store, b, "video_appeal", "записали обращение", fields={"unit": UNIT_255, "date": "2023-03-06"}))
    shapes = resolver._shapes
    edited: list[str] = []

    def analyst_between(*args: object, **kwargs: object) -> dict[str, dict[str, object]]:
        result = shapes(*args, **kwargs)  # type: ignore[arg-type]
        if not edited:
            edited.append(event)
            with Store(store.path) as web:
                edit_field(web, event, "participants", 42, "ana")
        return result

    monkeypatch.setattr(resolver, "_shapes", analyst_between)
    resolver.resolve_mentions(store)
    assert events_of(store, "b") == {event}
    row = store.query("SELECT fields, locked_fields, review_status, sources_count FROM events WHERE id = ?", (event,))[0]
    assert json.loads(row["fields"])["participants"] == 42
    assert "participants" in json.loads(row["locked_fields"]) and row["review_status"] == "edited"
    assert row["sources_count"] == 2
    store.close()
