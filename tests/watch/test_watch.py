from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dissentwatch.collect.http import Fetcher
from dissentwatch.store import Store
from dissentwatch.watch import ConfigError, Watcher, default_collectors, load_config, parse_interval

from .sources import Server, Site

PLEA = "Soldiers of a rifle battalion recorded an address to the governor about missing rotation."


@pytest.fixture
def site() -> Iterator[tuple[Site, Server]]:
    s = Site()
    server = Server(s)
    server.start()
    yield s, server
    server.stop()


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def write_config(tmp_path: Path, server: Server, **extra: str) -> Path:
    path = tmp_path / "watch.toml"
    lines = [
        'interval = "0.3s"',
        "tick = 0.1",
        f'[[feeds]]\nurl = "{server.url("/feed.xml")}"',
        f'[[pages]]\nurl = "{server.url("/page.html")}"\ninterval = "0.5s"',
        "[pipeline]\nanalyze = false\nresolve = false",
        "[http]\ntimeout = 2\nretries = 0\nmin_interval = 0",
    ]
    lines += [f"{k} = {v}" for k, v in extra.items()]
    path.write_text("\n".join(lines), "utf-8")
    return path


def count(store: Store, kind: str) -> int:
    return int(store.scalar("SELECT COUNT(*) FROM documents WHERE source_kind = ?", (kind,)))


def test_parse_interval_and_bad_config(tmp_path: Path) -> None:
    assert parse_interval("15m", "x") == 900
    assert parse_interval(90, "x") == 90
    with pytest.raises(ConfigError, match="not a duration"):
        parse_interval("soon", "x")
    bad = tmp_path / "bad.toml"
    bad.write_text('[[feeds]]\ninterval = "5m"\n', "utf-8")
    with pytest.raises(ConfigError, match=r"\[\[feeds\]\] #1: needs url"):
        load_config(bad)


def test_watch_picks_up_new_items_and_survives_the_server_going_away(
    tmp_path: Path, db_path: Path, store: Store, site: tuple[Site, Server]
) -> None:
    content, server = site
    content.items.append(("First", PLEA))
    content.page_text = "A statement by relatives of mobilized men.\nThey ask the prosecutor to investigate."
    config = load_config(write_config(tmp_path, server))
    stage_calls: list[int] = []
    stop = threading.Event()

    def run_watcher() -> None:  # the loop has its own connection, as in the real process
        with Store(db_path) as own, Fetcher(timeout=2, retries=0, min_interval=0) as fetcher:
            Watcher(own, config, default_collectors(config, fetcher),
                    [("count", lambda s: stage_calls.append(count(s, "feed")))], stop=stop).run()

    thread = threading.Thread(target=run_watcher, daemon=True)
    thread.start()
    try:
        wait_for(lambda: count(store, "feed") == 1 and count(store, "web") == 1)
        content.items.append(("Second", "A new appeal was posted while the watcher ran."))
        wait_for(lambda: count(store, "feed") == 2)
        server.stop()  # the site goes away: errors are logged, the loop keeps going
        feed_key = config.sources[0].key
        errors_before = int(store.get_state(feed_key).get("errors", 0))
        wait_for(lambda: int(store.get_state(feed_key).get("errors", 0)) > errors_before)
        assert thread.is_alive()
        content.items.append(("Third", "Published while the site was down."))
        server.start()  # back on the same port
        wait_for(lambda: count(store, "feed") == 3)
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
    assert stage_calls and stage_calls[-1] >= 2  # stages ran after new documents
    assert "127.0.0.1" in store.get_state(feed_key)["last_error"]


def test_schedule_survives_a_restart(tmp_path: Path, db_path: Path, site: tuple[Site, Server]) -> None:
    content, server = site
    content.items.append(("First", PLEA))
    path = write_config(tmp_path, server)
    config = load_config(path)
    config.sources[0] = type(config.sources[0])("feed", config.sources[0].target, 3600.0)
    with Store(db_path) as store, Fetcher(timeout=2, retries=0, min_interval=0) as fetcher:
        Watcher(store, config, default_collectors(config, fetcher), []).run(max_cycles=1)
        assert count(store, "feed") == 1
    requests = content.requests
    with Store(db_path) as store, Fetcher(timeout=2, retries=0, min_interval=0) as fetcher:
        watcher = Watcher(store, config, default_collectors(config, fetcher), [])
        assert config.sources[0] not in watcher.due()  # not due again for an hour, after a restart too
        time.sleep(0.6)  # the page (every 0.5 s) is due again
        watcher.run(max_cycles=1)
    assert content.requests == requests + 1  # only the page was fetched


def test_watch_command_stops_on_sigterm(tmp_path: Path, db_path: Path, site: tuple[Site, Server]) -> None:
    content, server = site
    content.items.append(("First", PLEA))
    config = write_config(tmp_path, server)
    env = {**os.environ, "DISSENTWATCH_DB": str(db_path)}
    proc = subprocess.Popen([sys.executable, "-m", "dissentwatch", "watch", str(config)], env=env,
                            stderr=subprocess.PIPE, text=True)
    try:
        def stored() -> bool:
            try:
                with sqlite3.connect(db_path) as conn:
                    return conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0] >= 2
            except sqlite3.Error:
                return False

        wait_for(stored, 60)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "watch stopped" in err and "feed http://127.0.0.1" in err
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT status FROM runs WHERE stage = 'watch'").fetchone()[0] == "ok"


def test_new_documents_go_through_analyze_and_resolve(tmp_path: Path, store: Store,
                                                      site: tuple[Site, Server]) -> None:
    from dissentwatch.watch import default_stages

    content, server = site
    content.items.append(("Обращение", "Бойцы 255-го мотострелкового полка записали видеообращение к президенту: "
                                       "их отправляют в штурмы без техники."))
    config = load_config(write_config(tmp_path, server))
    config.analyze = config.resolve = True
    stages = default_stages(config)
    assert [name for name, _ in stages] == ["analyze", "resolve"]
    with Fetcher(timeout=2, retries=0, min_interval=0) as fetcher:
        Watcher(store, config, default_collectors(config, fetcher), stages).run(max_cycles=1)
    assert store.scalar("SELECT COUNT(*) FROM mentions") >= 1
    assert store.scalar("SELECT type FROM events LIMIT 1") == "video_appeal"
    assert {r["stage"] for r in store.query("SELECT stage FROM runs")} >= {"analyze", "resolve"}


def test_watch_command_rejects_a_bad_config(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "watch.toml"
    config.write_text('[[pages]]\nurl = "http://127.0.0.1:9/x"\ninterval = "often"\n', "utf-8")
    result = cli("watch", str(config))
    assert result.exit_code == 1
    assert "[[pages]] #1: interval 'often' is not a duration" in result.output
