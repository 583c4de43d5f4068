"""Benchmark: ``dissentwatch report`` over a 100,000-event store, in every format.

    python benchmarks/bench_report.py [--events 100000] [--db /tmp/dissentwatch_bench_report.db] [--out /tmp/bench_report]

Builds (or reuses) the synthetic store of ``bench_web.py`` (N events over 2022-2025, N mentions,
N/5 documents), then times the report on a quarter (about N/16 events) and on a whole year
(about N/4), in md, html and pdf: the store queries alone, then each format end to end (queries,
figures, rendering, writing). Target: every report under 30 s.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_web import build  # noqa: E402

from dissentwatch.publish.report import build_report, write_report  # noqa: E402
from dissentwatch.publish.report_period import Period  # noqa: E402
from dissentwatch.store import Store  # noqa: E402

PERIODS = (("quarter", "2024-01-01", "2024-03-31"), ("year", "2024-01-01", "2024-12-31"))
TARGET_S = 30.0


def run(path: Path, out: Path) -> float:
    out.mkdir(parents=True, exist_ok=True)
    worst = 0.0
    with Store(path) as store:
        total = store.scalar("SELECT COUNT(*) FROM events")
        print(f"{total} events in the store; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(f"{'period':8} {'events':>7} {'listed':>6} {'queries':>8} {'md':>7} {'html':>7} {'pdf':>7}  (seconds)")
        for name, since, until in PERIODS:
            period = Period.parse(since, until)
            t0 = time.perf_counter()
            report = build_report(store, period)
            queries = time.perf_counter() - t0
            times = []
            for fmt in ("md", "html", "pdf"):
                t0 = time.perf_counter()
                write_report(build_report(store, period), fmt, out / f"{name}.{fmt}")
                times.append(time.perf_counter() - t0)
            worst = max(worst, *times)
            print(f"{name:8} {report.events:>7} {len(report.table):>6} {queries:>8.2f} "
                  + " ".join(f"{t:>7.2f}" for t in times))
    print(f"slowest report: {worst:.2f} s (target < {TARGET_S:.0f} s); files in {out}")
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/dissentwatch_bench_report.db"))
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench_report"))
    args = parser.parse_args()
    if not args.db.exists():
        build(args.db, args.events)
    if run(args.db, args.out) > TARGET_S:
        sys.exit(1)


if __name__ == "__main__":
    main()
