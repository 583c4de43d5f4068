"""Field extraction against the gold fields of a dev set (default ../shared/data/dev*.jsonl).

For every gold event, runs ``extract_fields`` on a segment of its document and compares the fields:
``--segment doc`` (the whole text), ``--segment evidence`` (the sentence holding the gold
evidence quote, with one sentence either side) or ``--segment pipeline`` (the spans the analyze
pipeline gives its mentions; gold events without a mention of their type are skipped). Prints accuracies, set F1 and per-key figures.

    python benchmarks/fields_dev_check.py [DOCS.jsonl GOLD.jsonl] [--segment doc|evidence] [-v]
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

from dissentwatch.analyze.fields import extract_fields
from dissentwatch.analyze.fields.places import normalise_region
from dissentwatch.analyze.text import sentences

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def _load(path: Path) -> dict[str, dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return {r["id"]: r for r in map(json.loads, f) if r.strip() if isinstance(r, str)} if False else {
            json.loads(line)["id"]: json.loads(line) for line in f if line.strip()}


def _segment(doc: dict[str, Any], event: dict[str, Any], mode: str) -> tuple[int, int]:
    text = doc["text"]
    if mode == "doc":
        return 0, len(text)
    quote = (event.get("evidence") or "").strip()
    at = text.find(quote[:60]) if quote else -1
    if at < 0:
        return 0, len(text)
    sents = sentences(text, doc.get("language"))
    idx = [i for i, s in enumerate(sents) if s.start <= at < s.end + 1] or [0]
    lo, hi = max(0, idx[0] - 1), min(len(sents) - 1, idx[0] + 1)
    stop = max(at + len(quote), sents[hi].end)
    return sents[lo].start, min(len(text), stop)


def _pipeline_mentions(doc: dict[str, Any]) -> list[Any]:
    from dissentwatch.analyze.pipeline import analyze_text

    return list(analyze_text(doc["text"], 1, doc.get("language"), doc.get("published")).mentions)


class Score:
    def __init__(self) -> None:
        self.tp: Counter[str] = Counter()
        self.fp: Counter[str] = Counter()
        self.fn: Counter[str] = Counter()

    def add(self, gold: set[str], pred: set[str]) -> None:
        for k in gold & pred:
            self.tp[k] += 1
        for k in pred - gold:
            self.fp[k] += 1
        for k in gold - pred:
            self.fn[k] += 1

    def f1(self, key: str | None = None) -> tuple[float, float, float]:
        tp = self.tp[key] if key else sum(self.tp.values())
        fp = self.fp[key] if key else sum(self.fp.values())
        fn = self.fn[key] if key else sum(self.fn.values())
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / (tp + fn) if tp + fn else 1.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _participants(value: Any) -> Any:
    return value[0] if isinstance(value, list) and len(value) == 2 and value[0] == value[1] else value


def _throughput(docs: dict[str, dict[str, Any]], rounds: int = 3) -> None:
    """Warm speed of extract_fields on whole documents (caches filled by the scoring pass)."""
    started = time.perf_counter()
    characters = 0
    for _ in range(rounds):
        for doc in docs.values():
            extract_fields(doc["text"], 0, len(doc["text"]), doc.get("language"), doc.get("published"), 1,
                           "video_appeal")
            characters += len(doc["text"])
    elapsed = time.perf_counter() - started
    count = rounds * len(docs)
    print(f"speed: {count / elapsed:.0f} documents/s, {characters / elapsed / 1000:.0f}k characters/s "
          f"(whole documents, warm, one core)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("docs", nargs="?", default=str(SHARED / "dev.jsonl"))
    parser.add_argument("gold", nargs="?", default=str(SHARED / "dev_gold.jsonl"))
    parser.add_argument("--segment", choices=["doc", "evidence", "pipeline"], default="doc")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    docs, gold = _load(Path(args.docs)), _load(Path(args.gold))
    acc: Counter[str] = Counter()
    acc_known: Counter[str] = Counter()
    known: Counter[str] = Counter()
    sets = {"grievances": Score(), "demands": Score(), "home_regions": Score()}
    by_lang: dict[str, dict[str, Score]] = {}
    n = 0
    bad_evidence = 0
    started = time.perf_counter()
    for doc_id, record in gold.items():
        doc = docs.get(doc_id)
        if doc is None:
            continue
        mentions = _pipeline_mentions(doc) if args.segment == "pipeline" else []
        for event in record.get("events", []):
            if args.segment == "pipeline":
                same = [m for m in mentions if m.type == event["type"]]
                if not same:
                    continue
                mentions.remove(same[0])
                fields, evidence = same[0].fields, [e for e in same[0].evidence if e.field != "type"]
            else:
                start, end = _segment(doc, event, args.segment)
                fields, evidence = extract_fields(doc["text"], start, end, doc.get("language"),
                                                  doc.get("published"), 1, event["type"])
            n += 1
            bad_evidence += sum(1 for e in evidence if not e.check(doc["text"]))
            unit = fields.get("unit") or {}
            pred = {"unit_number": unit.get("number"), "date": fields.get("date"),
                    "addressee": fields.get("addressee"), "status": fields.get("status"),
                    "participants": _participants(fields.get("participants")),
                    "killed_claimed": fields.get("killed_claimed"),
                    "faces_covered": fields.get("faces_covered"),
                    "affiliation": fields.get("affiliation"), "unit_kind": unit.get("kind")}
            wrong = []
            for key, value in pred.items():
                ok = value == event.get(key)
                acc[key] += ok
                if event.get(key) is not None:
                    known[key] += 1
                    acc_known[key] += ok
                if not ok:
                    wrong.append(f"{key}: gold={event.get(key)!r} pred={value!r}")
            gold_regions = {normalise_region(r) or r for r in event.get("home_regions", [])}
            pred_regions = {r["iso"] for r in fields.get("home_regions", [])}
            sets["home_regions"].add(gold_regions, pred_regions)
            for key in ("grievances", "demands"):
                sets[key].add(set(event.get(key) or []), set(fields.get(key) or []))
            lang = doc.get("language") or "?"
            by_lang.setdefault(lang, {"grievances": Score(), "home_regions": Score()})
            by_lang[lang]["grievances"].add(set(event.get("grievances") or []), set(fields.get("grievances") or []))
            by_lang[lang]["home_regions"].add(gold_regions, pred_regions)
            if gold_regions != pred_regions:
                wrong.append(f"home: gold={sorted(gold_regions)} pred={sorted(pred_regions)}")
            gold_set, pred_set = set(event.get("grievances") or []), set(fields.get("grievances") or [])
            if gold_set != pred_set:
                wrong.append(f"griev: missed={sorted(gold_set - pred_set)} extra={sorted(pred_set - gold_set)}")
            if args.verbose and wrong:
                print(f"-- {doc_id} [{doc.get('language')}] {event['type']}")
                for line in wrong:
                    print("   ", line)
    elapsed = time.perf_counter() - started
    print(f"events: {n}   segment: {args.segment}   time: {elapsed:.2f}s   invalid evidence spans: {bad_evidence}")
    for key in acc:
        print(f"{key:16s} accuracy {acc[key] / n:.3f}   on gold non-null: {acc_known[key]}/{known[key]}")
    for key, score in sets.items():
        p, r, f = score.f1()
        print(f"{key:16s} set P {p:.3f} R {r:.3f} F1 {f:.3f}")
    for lang in ("ru", "en", "fr", "uk"):
        if lang in by_lang:
            f_g = by_lang[lang]["grievances"].f1()[2]
            f_h = by_lang[lang]["home_regions"].f1()[2]
            print(f"language {lang}: grievances F1 {f_g:.3f}   home_regions F1 {f_h:.3f}")
    _throughput(docs)
    print("grievances per key (P/R/F1, tp fp fn):")
    score = sets["grievances"]
    for key in sorted(set(score.tp) | set(score.fp) | set(score.fn)):
        p, r, f = score.f1(key)
        print(f"   {key:26s} {p:.2f} {r:.2f} {f:.2f}   {score.tp[key]} {score.fp[key]} {score.fn[key]}")


if __name__ == "__main__":
    main()
