"""Resolve throughput and memory: N synthetic mentions (default 100,000) clustered into events.

Synthetic occurrences (units, dates, regions from the gazetteers' ranges) are each reported by
1-8 documents in up to three languages over a few days, some of them verbatim copies. The store
is generated first; resolve then runs in a fresh child process so that its time and peak RSS
are its own. Also printed: pairwise precision/recall against the synthetic truth, and the time
of an incremental run that places 1% more mentions.

    python benchmarks/bench_resolve.py [--mentions 100000] [--keep DB] [--stages]

``--stages`` profiles the first run and prints the share of resolve's time in each stage: reading
the mentions, blocking (the candidate events of each mention), scoring the candidates, the rest
of placing, writing the links, re-aggregating the events, relations. It is what decides whether
the blocking and scoring would pay to spread over Dask workers.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from itertools import combinations
from pathlib import Path
from typing import Any

from dissentwatch.store import Store

TYPES = ["video_appeal", "video_appeal", "written_appeal", "refusal", "desertion", "prosecution", "dismissal"]
KINDS = ["regiment", "brigade", "battalion", "division"]
REGIONS = [f"RU-R{i:02d}" for i in range(85)]
WORDS = ["бойцы", "мобилизованные", "полк", "бригада", "обращение", "видео", "президенту", "командование", "штурм", "потери", "soldiers", "appeal", "video", "regiment", "brigade", "assault", "losses", "vidéo", "soldats", "régiment"]


def synthetic_reports(n_mentions: int, seed: int = 7, start: date = date(2022, 3, 1), span_days: int = 1300,
                      first_occurrence: int = 0, words_per_text: int = 40) -> list[dict[str, Any]]:
    """Reports (one mention each) of synthetic occurrences, with the occurrence as truth.

    ``words_per_text`` above 40 makes article-like texts: that many words of each occurrence's
    story, a quoted sentence of the soldiers (the same in all its reports) and each report's own
    wording, so that the mention spans, evidence quotes and text signatures are as large as
    real ones."""
    rng = random.Random(seed)
    reports: list[dict[str, Any]] = []
    occurrence = first_occurrence
    while len(reports) < n_mentions:
        occurrence += 1
        day = start + timedelta(days=rng.randrange(span_days))
        fields: dict[str, Any] = {"date": day.isoformat()}
        if rng.random() < 0.7:
            fields["unit"] = {"name": "", "number": str(rng.randrange(1, 1500)), "kind": rng.choice(KINDS)}
        if rng.random() < 0.6:
            fields["home_regions"] = [{"name": r, "iso": r} for r in rng.sample(REGIONS, rng.randint(1, 3))]
        kind = rng.choice(TYPES)
        words = " ".join(rng.choice(WORDS) for _ in range(40))
        if words_per_text > 40:
            story = " ".join(f"{rng.choice(WORDS)}{rng.randrange(400)}" for _ in range(words_per_text))
            said = " ".join(f"{rng.choice(WORDS)}{rng.randrange(400)}" for _ in range(25))
            words = f"{story} «{said}» {words}"
        for copy in range(rng.randint(1, 8)):
            report = dict(fields)
            if rng.random() < 0.3:
                report.pop("date")  # a report that does not repeat the date
            published = day + timedelta(days=rng.randint(0, 4), hours=copy)
            verbatim = copy > 0 and rng.random() < 0.25
            text = words if verbatim else f"{words} {occurrence} {copy} {rng.random()}"
            if words_per_text > 40 and not verbatim:
                text += " " + " ".join(f"{rng.choice(WORDS)}{rng.randrange(4000)}" for _ in range(words_per_text // 2))
            reports.append({"occurrence": occurrence, "type": kind, "fields": report,
                            "published": published.isoformat() + "T00:00:00Z", "text": text, "verbatim": verbatim})
    return reports[:n_mentions]


def write_store(path: Path, reports: list[dict[str, Any]]) -> None:
    now = "2025-01-01T00:00:00Z"
    with Store(path) as store, store.transaction() as conn:
        first_by_hash: dict[str, int] = {}
        for i, r in enumerate(reports, 1):
            digest = hashlib.sha256(r["text"].encode()).hexdigest()
            conn.execute(
                "INSERT INTO documents (id, source_kind, external_id, text, content_hash, collected, updated, "
                "published, language, outlet, copy_of) VALUES (?, 'files', ?, ?, ?, ?, ?, ?, 'ru', ?, ?)",
                (i, f"bench/{i}", r["text"], digest, now, now, r["published"], f"outlet{i % 300}",
                 first_by_hash.get(digest)),
            )
            first_by_hash.setdefault(digest, i)
            conn.execute(
                'INSERT INTO mentions (id, key, document_id, type, fields, confidence, extractor, start, "end", created) '
                "VALUES (?, ?, ?, ?, ?, 0.7, 'bench', 0, ?, ?)",
                (i, f"{i}:{r['type']}:0", i, r["type"], json.dumps(r["fields"]), span_end(r), now),
            )
            conn.execute('INSERT INTO evidence (mention_id, field, document_id, start, "end", quote) '
                         "VALUES (?, 'type', ?, 0, ?, ?)", (i, i, quote_end(r), r["text"][:quote_end(r)]))


def span_end(report: dict[str, Any]) -> int:
    """The mention's end: 60 characters of the short texts, the whole text (to 1,500) of long ones."""
    return 60 if len(report["text"]) < 1000 else min(len(report["text"]), 1500)


def quote_end(report: dict[str, Any]) -> int:
    return 20 if len(report["text"]) < 1000 else 300


def peak_rss_mib() -> float:
    """This process's peak resident set size. ``getrusage``'s ``ru_maxrss`` survives ``exec``, so
    in the resolve child it would report the generating parent's peak (the synthetic texts)
    whenever that was higher; Linux's ``VmHWM`` belongs to the child's own memory."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def run_resolve(path: Path) -> dict[str, Any]:
    """Resolve in this process; time and peak RSS."""
    from dissentwatch.resolve.resolver import resolve_mentions

    started, cpu = time.perf_counter(), time.process_time()
    with Store(path) as store:
        stats = resolve_mentions(store)
    return {"seconds": round(time.perf_counter() - started, 2), "cpu_seconds": round(time.process_time() - cpu, 2),
            "peak_rss_mib": peak_rss_mib(),
            "stats": stats.as_dict()}


def stage_shares(path: Path) -> dict[str, Any]:
    """Resolve with a clock around each stage (a wrapper per call, no profiler): seconds and
    share of the whole. Blocking is ``Clusterer.candidates``; scoring is ``factors`` (the raw
    signals of each candidate pair) and ``weigh``; both run inside ``Clusterer.assign``."""
    from collections.abc import Callable, Iterator

    from dissentwatch.resolve import cluster, resolver

    spent: dict[str, float] = {}

    def timed(label: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - started
        return wrapper

    def timed_iter(label: str, function: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
        def wrapper(*args: Any, **kwargs: Any) -> Iterator[Any]:
            iterator = function(*args, **kwargs)
            while True:
                started = time.perf_counter()
                try:
                    item = next(iterator)
                except StopIteration:
                    spent[label] = spent.get(label, 0.0) + time.perf_counter() - started
                    return
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - started
                yield item
        return wrapper

    cluster.Clusterer.candidates = timed("blocking: candidate events (Clusterer.candidates)",  # type: ignore[method-assign]
                                         cluster.Clusterer.candidates)
    cluster.factors = timed("scoring: signals of each candidate pair (factors)", cluster.factors)
    cluster.weigh = timed("scoring: weights (weigh)", cluster.weigh)
    cluster.Clusterer.assign = timed("placing, all of it (Clusterer.assign)", cluster.Clusterer.assign)  # type: ignore[method-assign]
    resolver.iter_features = timed_iter("reading mentions (iter_features)", resolver.iter_features)
    resolver._write_links = timed("writing links (_write_links)", resolver._write_links)
    resolver.refresh_events = timed("re-aggregating events (refresh_events)", resolver.refresh_events)
    resolver.link_events = timed("relations (link_events)", resolver.link_events)
    started = time.perf_counter()
    with Store(path) as store:
        resolver.resolve_mentions(store)
    total = time.perf_counter() - started
    out: dict[str, Any] = {"total_seconds": round(total, 1)}
    for label, seconds in spent.items():
        out[label] = f"{seconds:.1f} s ({seconds / total:.0%})"
    return out


def child_resolve(path: Path, stages: bool = False) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--resolve-only", str(path), *(["--stages"] if stages else [])],
                         capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def pairwise_quality(path: Path, reports: list[dict[str, Any]], sample: int = 4000) -> dict[str, float]:
    with Store(path) as store:
        event_of = {r[0]: r[1] for r in store.query("SELECT mention_id, event_id FROM event_mentions")}
    ids = list(range(1, min(sample, len(reports)) + 1))
    tp = fp = fn = 0
    for a, b in combinations(ids, 2):
        same_true = reports[a - 1]["occurrence"] == reports[b - 1]["occurrence"]
        same_pred = event_of.get(a) == event_of.get(b)
        tp += same_true and same_pred
        fp += same_pred and not same_true
        fn += same_true and not same_pred
    p, r = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / max(p + r, 1e-9), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mentions", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="write the store here and keep it")
    parser.add_argument("--words", type=int, default=40,
                        help="words per text: 40 (short texts, the original bench) or more (article-like, e.g. 300)")
    parser.add_argument("--stages", action="store_true", help="Profile the first run: time per stage.")
    parser.add_argument("--resolve-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.resolve_only:
        print(json.dumps(stage_shares(args.resolve_only) if args.stages else run_resolve(args.resolve_only)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "bench.db"
        base = synthetic_reports(args.mentions, words_per_text=args.words)
        # the next day's news: 1% more mentions published in the last month of the period
        extra = synthetic_reports(args.mentions // 100, seed=8, start=date(2025, 9, 1), span_days=30,
                                  first_occurrence=10**7, words_per_text=args.words)
        started = time.perf_counter()
        write_store(path, base)
        print(f"generated {len(base)} mentions in {time.perf_counter() - started:.1f}s", file=sys.stderr)
        if args.stages:
            print(json.dumps(child_resolve(path, stages=True), indent=1, ensure_ascii=False))
            return
        first = child_resolve(path)
        print(f"resolve {len(base)} mentions: {first['seconds']} s wall ({first['cpu_seconds']} s CPU), peak RSS {first['peak_rss_mib']} MiB, "
              f"events {first['stats']['events_founded']}, relations {first['stats']['relations']}")
        print(f"pairwise vs synthetic truth (first 4000 mentions): {pairwise_quality(path, base)}")
        write_more(path, extra, offset=len(base))
        again = child_resolve(path)
        print(f"incremental (new documents of the last month): {again['stats']['mentions_placed']} new mentions in {again['seconds']} s wall "
              f"({again['cpu_seconds']} s CPU) "
              f"(peak RSS {again['peak_rss_mib']} MiB)")


def write_more(path: Path, reports: list[dict[str, Any]], offset: int) -> None:
    now = "2025-01-02T00:00:00Z"
    with Store(path) as store, store.transaction() as conn:
        for i, r in enumerate(reports, offset + 1):
            conn.execute(
                "INSERT INTO documents (id, source_kind, external_id, text, content_hash, collected, updated, "
                "published, language) VALUES (?, 'files', ?, ?, ?, ?, ?, ?, 'en')",
                (i, f"bench/{i}", r["text"], hashlib.sha256(r["text"].encode()).hexdigest(), now, now, r["published"]),
            )
            conn.execute(
                'INSERT INTO mentions (id, key, document_id, type, fields, confidence, extractor, start, "end", created) '
                "VALUES (?, ?, ?, ?, ?, 0.7, 'bench', 0, ?, ?)",
                (i, f"{i}:{r['type']}:0", i, r["type"], json.dumps(r["fields"]), span_end(r), now),
            )


if __name__ == "__main__":
    main()
