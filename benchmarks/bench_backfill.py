"""A whole back-fill timed stage by stage: Telegram export import, analyze, resolve.

    python benchmarks/bench_backfill.py [--posts 1000000] [--configs sqlite,sqlite-dask,postgres]
                                        [--rules-only] [--keep DIR] [--workers 2]

Generates ``--posts`` Telegram posts (the templates of ``bench_analyze.py``: mostly ordinary
news in four languages, about one in eight reporting an event, Telegram markup, media, forwards,
edits and service messages mixed in) as one Telegram Desktop export (``result.json``), then runs
the real CLI, one process per stage, against a fresh SQLite store:

    dissentwatch collect telegram-export result.json
    dissentwatch analyze [--executor dask --workers 2]
    dissentwatch resolve

For each configuration it prints each stage's wall time, documents (or mentions) per second, and
the peak RSS of the stage's process and of each of its child processes (Dask workers and
nannies, pool workers), sampled with psutil every 0.2 s, and the whole back-fill's time. The
import is the same in every SQLite configuration: it runs once and the store is copied for the
others, its time counted in each. ``postgres`` is printed as not available while the
PostgreSQL store does not exist (``dissentwatch postgres`` only mirrors the SQLite store).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_analyze import make_post  # noqa: E402

BASE_UNIX = 1_640_995_200  # 2022-01-01T00:00:00Z
SRC = Path(__file__).resolve().parents[1] / "src"
POSTGRES_MISSING = "not available: the PostgreSQL store is not implemented (issue 14 item 1)"


def message(rng: random.Random, ident: int, relevant_share: float) -> dict[str, Any]:
    """One export message: a post of bench_analyze's generator, with the export's markup."""
    unix = BASE_UNIX + ident * 60  # a post a minute: 1M posts span about two years
    msg: dict[str, Any] = {"id": ident, "type": "message",
                           "date": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(unix + 10800)),
                           "date_unixtime": str(unix), "from": "Бенчмарк", "from_id": "channel1999999999"}
    roll = rng.random()
    if roll < 0.01:
        return {**msg, "type": "service", "action": "pin_message", "message_id": ident - 1, "text": "",
                "text_entities": []}
    _, text = make_post(rng, rng.random() < relevant_share)
    if roll < 0.3:
        cut = len(text) // 3
        msg["text"] = [text[:cut], {"type": "bold", "text": text[cut:cut + 12]}, text[cut + 12:], " ",
                       {"type": "text_link", "text": "источник", "href": f"https://example.org/{ident}"}]
    else:
        msg["text"] = text
    if roll > 0.9:
        msg.update({"photo": f"photos/photo_{ident}.jpg", "photo_file_size": 50000 + ident % 1000,
                    "width": 1280, "height": 720})
    if 0.5 < roll < 0.55:
        msg["forwarded_from"] = "Другой канал"
    if 0.6 < roll < 0.62:
        msg.update({"edited": msg["date"], "edited_unixtime": str(unix + 300)})
    return msg


def generate(folder: Path, posts: int, relevant_share: float = 0.12, seed: int = 11) -> Path:
    """Write ``folder/result.json`` (streamed: constant memory); returns its path."""
    rng = random.Random(seed)
    path = folder / "result.json"
    with path.open("w", encoding="utf-8") as out:
        out.write('{\n "name": "Бенчмарк",\n "type": "public_channel",\n "id": 1999999999,\n "messages": [\n')
        for ident in range(1, posts + 1):
            out.write(("  " if ident == 1 else ",\n  ") + json.dumps(message(rng, ident, relevant_share),
                                                                     ensure_ascii=False))
        out.write("\n ]\n}\n")
    return path


@dataclass
class StageResult:
    name: str
    seconds: float
    rc: int
    peak_parent_mib: float
    peak_children_mib: dict[str, float] = field(default_factory=dict)
    output: str = ""
    longest_write: float | None = None  # seconds the stage held the write lock at once, at most
    cpu_parent: float = 0.0    # CPU seconds of the stage's process (as last sampled)
    cpu_children: float = 0.0  # and of all its children together

    def children_top(self, limit: int = 6) -> dict[str, float]:
        return dict(list(self.peak_children_mib.items())[:limit])


class TreeSampler(threading.Thread):
    """Peak RSS of a process and of every descendant it starts, sampled every ``interval`` s."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peaks: dict[int, tuple[str, float]] = {}
        self.cpu: dict[int, float] = {}  # CPU seconds (user + system) at the last sample
        self.done = threading.Event()

    def run(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self.done.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            for proc in procs:
                try:
                    rss = proc.memory_info().rss / 2**20
                    name = _describe(proc)
                    times = proc.cpu_times()
                    self.cpu[proc.pid] = times.user + times.system
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
                if rss > self.peaks.get(proc.pid, ("", 0.0))[1]:
                    self.peaks[proc.pid] = (name, rss)
            self.done.wait(self.interval)


def _describe(proc: psutil.Process) -> str:
    cmd = " ".join(proc.cmdline())
    for marker, name in (("distributed.cli.dask_worker", "dask worker"), ("spawn_main", "worker process"),
                         ("nanny", "dask nanny"), ("forkserver", "forkserver"),
                         ("resource_tracker", "resource tracker")):
        if marker in cmd:
            return name
    return proc.name()


def run_stage(name: str, db: Path, args: list[str], log: Path) -> StageResult:
    env = {**os.environ, "PYTHONPATH": str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    cmd = [sys.executable, "-m", "dissentwatch", "--db", str(db), "-q", *args]
    started = time.perf_counter()
    with log.open("a") as out:
        out.write(f"$ {' '.join(cmd)}\n")
        out.flush()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True)
        sampler = TreeSampler(proc.pid)
        sampler.start()
        output, _ = proc.communicate()
        seconds = time.perf_counter() - started
        sampler.done.set()
        sampler.join()
        out.write(output)
    peaks = dict(sampler.peaks)
    parent = peaks.pop(proc.pid, ("", 0.0))[1]
    children: dict[str, float] = {}
    for index, (child_name, rss) in enumerate(sorted(peaks.values(), key=lambda p: -p[1])):
        children[f"{child_name} #{index + 1}"] = rss
    cpu = dict(sampler.cpu)
    return StageResult(name, seconds, proc.returncode, parent, children, output,
                       longest_write(db, {"import": "collect"}.get(name, name)),
                       cpu.pop(proc.pid, 0.0), sum(cpu.values()))


def longest_write(db: Path, stage: str) -> float | None:
    """The longest the stage's run held the write lock (its ``runs.stats``), if recorded."""
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        row = conn.execute("SELECT json_extract(stats, '$.longest_write_s') FROM runs WHERE stage = ? "
                           "ORDER BY id DESC LIMIT 1", (stage,)).fetchone()
        return float(row[0]) if row and row[0] is not None else None
    except sqlite3.Error:
        return None
    finally:
        conn.close()


def counts(db: Path) -> dict[str, int]:
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        return {table: int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
                for table in ("documents", "mentions", "events", "event_mentions")}
    finally:
        conn.close()


def report(config: str, stages: list[StageResult], units: dict[str, int], out: Any) -> None:
    total = sum(s.seconds for s in stages)
    print(f"\n== {config}: whole back-fill {total:,.1f} s ({total / 60:,.1f} min)", file=out)
    for s in stages:
        n = units[s.name]
        unit = "mentions" if s.name == "resolve" else "documents"
        kids = ", ".join(f"{k} {v:,.0f}" for k, v in s.children_top().items()) if s.peak_children_mib else "none"
        status = "" if s.rc == 0 else f"  FAILED rc={s.rc}: {s.output.strip().splitlines()[-1:]}"
        print(f"  {s.name:8s} {s.seconds:9,.1f} s  {s.seconds / max(total, 1e-9):5.1%}  {n / s.seconds:9,.0f} {unit}/s  "
              f"CPU s: process {s.cpu_parent:,.0f}, children {s.cpu_children:,.0f}  "
              f"longest write lock {'?' if s.longest_write is None else f'{s.longest_write:.2f} s'}  "
              f"peak RSS MiB: process {s.peak_parent_mib:,.0f}; children: {kids}{status}", file=out)
    print(f"  peak RSS of any process: {max([s.peak_parent_mib for s in stages] + [v for s in stages for v in s.peak_children_mib.values()]):,.0f} MiB",
          file=out)
    out.flush()


def copy_store(source: Path, dest: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        src = Path(f"{source}{suffix}")
        if src.exists():
            shutil.copyfile(src, f"{dest}{suffix}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--configs", default="sqlite,sqlite-dask,postgres",
                        help="Comma-separated: sqlite (one process per stage, analyze's local pool of "
                             "--workers), sqlite-dask (analyze --executor dask, a LocalCluster of --workers), "
                             "postgres.")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rules-only", action="store_true", help="analyze --rules-only (no learned model).")
    parser.add_argument("--relevant-share", type=float, default=0.12)
    parser.add_argument("--keep", type=Path, help="Write the export and stores here and keep them.")
    args = parser.parse_args(argv)
    configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    out = sys.stdout
    with tempfile.TemporaryDirectory(prefix="dw-backfill-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        log = folder / "stages.log"
        started = time.perf_counter()
        export = generate(folder, args.posts, args.relevant_share)
        print(f"generated {args.posts:,} posts, {export.stat().st_size / 1e6:,.0f} MB in "
              f"{time.perf_counter() - started:,.1f} s (not part of the back-fill); "
              f"{os.cpu_count()} CPUs; judge: {'rules alone' if args.rules_only else 'the packaged learned model'}",
              file=out)
        judge = ["--rules-only"] if args.rules_only else []
        imported: tuple[Path, StageResult] | None = None
        for config in configs:
            if config == "postgres":
                print(f"\n== postgres + LocalCluster: {POSTGRES_MISSING}", file=out)
                continue
            if config not in ("sqlite", "sqlite-dask"):
                raise SystemExit(f"unknown configuration {config!r}")
            db = folder / f"{config}.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            if imported is None:
                collect = run_stage("import", db, ["collect", "telegram-export", str(export)], log)
                imported = (folder / "imported.db", collect)
                if len([c for c in configs if c != "postgres"]) > 1:
                    copy_store(db, imported[0])  # the store as imported, for the other configurations
            else:
                copy_store(imported[0], db)
                collect = imported[1]
            executor = ["--executor", "dask", "--partition-size", "2000"] if config == "sqlite-dask" else []
            analyze = run_stage("analyze", db, ["analyze", "--workers", str(args.workers), "--batch-size", "2000",
                                                *executor, *judge], log)
            resolve = run_stage("resolve", db, ["resolve"], log)
            found = counts(db)
            print(f"\n{config}: {found['documents']:,} documents, {found['mentions']:,} mentions, "
                  f"{found['events']:,} events", file=out)
            report("SQLite, one process per stage" if config == "sqlite"
                   else f"SQLite + Dask LocalCluster of {args.workers} workers (analyze)",
                   [collect, analyze, resolve],
                   {"import": args.posts, "analyze": found["documents"], "resolve": found["mentions"]}, out)


if __name__ == "__main__":
    main()
