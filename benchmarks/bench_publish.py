"""Benchmark: the exports and the report, plain and ``--pseudonymise``, over a 100,000-event store.

    python benchmarks/bench_publish.py [--events 100000] [--db /tmp/dissentwatch_bench_publish.db]
                                       [--out /tmp/bench_publish] [--only NAME ...]

Builds (or reuses) the synthetic store of ``bench_web.py`` with ``people=True`` (N events over
2022-2025, N mentions, N/5 documents, each document naming an invented soldier and a relative,
every event quoting both sentences and carrying an address form with the soldier's name), then
runs each command as its own process (``python -m dissentwatch``) and prints its wall time and
peak RSS. After a pseudonymised command it counts what is left of the invented surnames in the
output (must be 0) and how many pseudonyms it holds. ``--only`` runs some commands (by name).
"""

from __future__ import annotations

import argparse
import os
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_web import PEOPLE, build  # noqa: E402

from dissentwatch.publish.pseudonymise import PSEUDONYM_PATTERN  # noqa: E402

KEY = "bench-publish-key-0123456789abcdef"
SURNAMES = re.compile("|".join(sorted({s for *_, surnames, _, _, _ in PEOPLE.values() for s in surnames})))


def commands(out: Path) -> list[tuple[str, list[str], Path | None]]:
    """(name, arguments of ``dissentwatch``, the output to check for names or None)."""
    year = ["--since", "2024-01-01", "--until", "2024-12-31"]
    return [
        ("dataset", ["export", "dataset", str(out / "dataset")], None),
        ("dataset --validate", ["export", "dataset", str(out / "dataset"), "--validate"], None),
        ("events csv", ["export", "events", "--format", "csv", "--out", str(out / "events.csv")], None),
        ("events csv --pseudonymise", ["export", "events", "--format", "csv", "--pseudonymise",
                                       "--out", str(out / "events-p.csv")], out / "events-p.csv"),
        ("dataset --pseudonymise", ["export", "dataset", str(out / "dataset-p"), "--pseudonymise"],
         out / "dataset-p" / "events.csv"),
        ("report pdf year", ["report", *year, "--format", "pdf", "--out", str(out / "year.pdf")], None),
        ("report pdf year --pseudonymise", ["report", *year, "--format", "pdf", "--pseudonymise",
                                            "--out", str(out / "year-p.pdf")], None),
        ("sqlite --pseudonymise", ["export", "sqlite", "--pseudonymise", "--out", str(out / "copy-p.db")],
         out / "copy-p.db"),
    ]


def timed(args: list[str], db: Path) -> tuple[float, float, int, str]:
    """(wall seconds, peak RSS in MiB, exit status, the last line of stderr) of one command."""
    env = {**os.environ, "DISSENTWATCH_PSEUDONYM_KEY": KEY}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(Path(__file__).parents[1] / "src"), env.get("PYTHONPATH")) if p)
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "dissentwatch", "-q", "--db", str(db), *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    lines = [line for line in err.strip().splitlines() if line.strip()]
    return wall, usage.ru_maxrss / 1024, proc.returncode, lines[-1] if lines else ""


def names_left(path: Path) -> tuple[int, int]:
    """(invented surnames, pseudonyms) in an output: a CSV file, or a store copy's texts,
    quotes and fields."""
    texts: list[str]
    if path.suffix == ".db":
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        texts = [r[0] or "" for r in conn.execute(
            "SELECT text FROM documents UNION ALL SELECT quote FROM evidence UNION ALL SELECT fields FROM events "
            "UNION ALL SELECT fields FROM mentions")]
        conn.close()
    else:
        texts = [path.read_text("utf-8-sig")]
    return (sum(len(SURNAMES.findall(t)) for t in texts), sum(len(PSEUDONYM_PATTERN.findall(t)) for t in texts))


def run(db: Path, out: Path, only: list[str], log: Callable[[str], None] = print) -> int:
    out.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    counts = [conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("events", "documents", "evidence")]
    chars = conn.execute("SELECT SUM(LENGTH(text)) FROM documents").fetchone()[0]
    conn.close()
    log(f"{counts[0]} events, {counts[1]} documents ({chars / 1e6:.1f} M characters), {counts[2]} evidence rows; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    log(f"{'command':32} {'wall s':>8} {'peak RSS MiB':>12} {'names left':>10} {'pseudonyms':>10}  output")
    failed = 0
    for name, args, check in commands(out):
        if only and name not in only:
            continue
        wall, rss, rc, last = timed(args, db)
        left, pseudonyms = names_left(check) if check is not None and rc == 0 else (None, None)
        failed += rc != 0 or bool(left)
        log(f"{name:32} {wall:>8.1f} {rss:>12.0f} {'' if left is None else left:>10} "
            f"{'' if pseudonyms is None else pseudonyms:>10}  {'' if rc == 0 else f'exit {rc}: '}{last[:90]}")
    return failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=None,
                        help="The store (built when missing); default /tmp/dissentwatch_bench_publish_<events>.db")
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench_publish"))
    parser.add_argument("--only", nargs="*", default=[], help="Run only these commands (the names printed).")
    args = parser.parse_args()
    db = args.db or Path(f"/tmp/dissentwatch_bench_publish_{args.events}.db")
    if not db.exists():
        build(db, args.events, people=True)
    if run(db, args.out, args.only):
        sys.exit(1)


if __name__ == "__main__":
    main()
