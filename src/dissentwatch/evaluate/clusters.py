"""Clustering and geocoding scores against the development data.

Gold clusters are the ``same_event`` tags of the JSONL file: documents sharing a tag report one
occurrence. Scores are computed over documents that report at least one gold event (read from
the gold file beside it, ``dev_gold.jsonl``; without it, over records marked ``positive``).
Two documents are predicted together when they share an event. Untagged documents are
singletons: merging one with anything counts as a false pair. Tags are per document, so a
document reporting two occurrences carries the tag of one of them while it rightly shares an
event with the reports of the other too. Three views of that ambiguity are given: ``pairwise``
counts every cross-tag pair as false (the strict bound); ``pairwise_multi_event_open`` does not
count cross-tag pairs that involve a document with several gold events (neither right nor
wrong by the tags); ``single_event_documents`` scores only documents with exactly one gold
event, where a tag names an occurrence without ambiguity.

- pairwise precision / recall / F1 over document pairs;
- B-cubed precision / recall / F1 (per document, averaged);
- home-region geocoding: of the gold home regions of each document, the share found, with the
  right ISO 3166-2 code, among the regions of that document's events (``accuracy``, end to end:
  a document analyze missed loses all its regions); the same over the documents analyze found
  relevant (``accuracy_detected``, the geocoding itself); and of the regions we output for those
  documents, the share that are gold (``precision``).
"""

from __future__ import annotations

import json
from itertools import combinations
from pathlib import Path
from typing import Any

from dissentwatch.resolve.features import region_name_key
from dissentwatch.resolve.places import region_iso
from dissentwatch.store import Store


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{number}: not JSON: {exc}") from exc
    return rows


def gold_path_for(docs_path: Path) -> Path:
    return docs_path.with_name(docs_path.stem + "_gold" + docs_path.suffix)


def _predicted_events(store: Store) -> dict[str, set[str]]:
    """Events of each document, by the id the document was imported with."""
    out: dict[str, set[str]] = {}
    for row in store.query(
        "SELECT d.external_id, COALESCE(e.merged_into, e.id) AS event_id FROM documents d "
        "JOIN mentions m ON m.document_id = d.id JOIN event_mentions em ON em.mention_id = m.id "
        "JOIN events e ON e.id = em.event_id WHERE e.review_status != 'rejected'"
    ):
        out.setdefault(row["external_id"], set()).add(row["event_id"])
    return out


def _f1(p: float, r: float) -> float:
    return round(2 * p * r / (p + r), 4) if p + r else 0.0


def pairwise(items: list[str], gold: dict[str, str | None], predicted: dict[str, set[str]],
             open_documents: set[str] | None = None) -> dict[str, Any]:
    """Pairwise scores over document pairs. A pair predicted together across two tags counts
    as a false pair unless one of its documents is in ``open_documents`` (documents reporting
    several occurrences, whose one tag cannot say which of them the other report shares)."""
    tp = fp = fn = 0
    open_documents = open_documents or set()
    for a, b in combinations(items, 2):
        same_gold = gold.get(a) is not None and gold.get(a) == gold.get(b)
        same_pred = bool(predicted.get(a, set()) & predicted.get(b, set()))
        tp += same_gold and same_pred
        fp += same_pred and not same_gold and a not in open_documents and b not in open_documents
        fn += same_gold and not same_pred
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": _f1(p, r), "tp": tp, "fp": fp, "fn": fn}


def bcubed(items: list[str], gold: dict[str, str | None], predicted: dict[str, set[str]]) -> dict[str, Any]:
    precision = recall = 0.0
    for a in items:
        pred = {b for b in items if b == a or predicted.get(a, set()) & predicted.get(b, set())}
        true = {b for b in items if b == a or (gold.get(a) is not None and gold.get(a) == gold.get(b))}
        precision += len(pred & true) / len(pred)
        recall += len(pred & true) / len(true)
    n = len(items) or 1
    p, r = precision / n, recall / n
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": _f1(p, r)}


def _region_key(name: str) -> str:
    return region_iso(name) or region_name_key(name)


def geocoding(store: Store, gold_rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Home regions of each gold document against the regions of its predicted events."""
    predicted: dict[str, set[str]] = {}
    for row in store.query(
        "SELECT DISTINCT d.external_id, r.iso, r.name FROM documents d JOIN mentions m ON m.document_id = d.id "
        "JOIN event_mentions em ON em.mention_id = m.id JOIN events_regions r ON r.event_id = em.event_id "
        "WHERE r.role = 'home'"
    ):
        predicted.setdefault(row["external_id"], set()).add(row["iso"] or _region_key(row["name"]))
    detected = set(_predicted_events(store))
    found = total = output = correct_output = found_detected = total_detected = 0
    for doc in gold_rows:
        wanted = {_region_key(n) for e in doc.get("events", []) for n in e.get("home_regions") or []}
        got = predicted.get(doc["id"], set())
        total += len(wanted)
        found += len(wanted & got)
        if doc["id"] in detected:
            total_detected += len(wanted)
            found_detected += len(wanted & got)
        if wanted:
            output += len(got)
            correct_output += len(got & wanted)
    return {"accuracy": _ratio(found, total), "gold_regions": total, "found": found,
            "accuracy_detected": _ratio(found_detected, total_detected), "gold_regions_detected": total_detected,
            "precision": _ratio(correct_output, output), "output_regions": output}


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def cluster_scores(store: Store, docs_jsonl_path: str | Path, gold_jsonl_path: str | Path | None = None) -> dict[str, Any]:
    """Pairwise and B-cubed clustering scores and home-region geocoding accuracy on a dev set
    (the store holds the documents of ``docs_jsonl_path``, analysed and resolved)."""
    docs_path = Path(docs_jsonl_path)
    gold_file = Path(gold_jsonl_path) if gold_jsonl_path else gold_path_for(docs_path)
    gold_rows = _read_jsonl(gold_file) if gold_file.exists() else []
    return scores(store, _read_jsonl(docs_path), gold_rows)


def scores(store: Store, docs: list[dict[str, Any]], gold_rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The scores of :func:`cluster_scores` from records already read."""
    with_events = {g["id"] for g in gold_rows if g.get("events")}
    stored = {r[0] for r in store.query("SELECT external_id FROM documents")}
    items = [d["id"] for d in docs
             if d["id"] in stored and (d["id"] in with_events if gold_rows else d.get("positive"))]
    tags = {d["id"]: d.get("same_event") for d in docs}
    predicted = _predicted_events(store)
    single = {g["id"] for g in gold_rows if len(g.get("events") or []) == 1}
    multi = {g["id"] for g in gold_rows if len(g.get("events") or []) > 1}
    single_items = [i for i in items if i in single]
    return {
        "documents": len(items),
        "gold_clusters": len({tags[i] for i in items if tags.get(i)}),
        "predicted_events": len({e for i in items for e in predicted.get(i, set())}),
        "pairwise": pairwise(items, tags, predicted),
        "pairwise_multi_event_open": pairwise(items, tags, predicted, multi),
        "bcubed": bcubed(items, tags, predicted),
        "single_event_documents": {
            "documents": len(single_items),
            "pairwise": pairwise(single_items, tags, predicted),
            "bcubed": bcubed(single_items, tags, predicted),
        },
        "geocoding": geocoding(store, [g for g in gold_rows if g["id"] in stored]),
    }


def clusters_metric(store: Store, context: Any) -> dict[str, Any]:
    """For ``dissentwatch eval``: resolve the analysed store, then score its clusters.

    ``context`` is the evaluation context (``docs`` and ``gold``: records by id).
    """
    from dissentwatch.resolve.resolver import resolve_mentions

    resolve_mentions(store)
    return scores(store, list(context.docs.values()), list(context.gold.values()))
