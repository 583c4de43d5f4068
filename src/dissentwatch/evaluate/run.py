"""``dissentwatch eval``: import DOCS into a temporary store, analyze, compare with GOLD.

Scores: document relevance; event type per type and macro (predicted mentions matched to gold
events of the same document greedily, same type required); accuracy of unit number, date and
addressee on matched pairs; set F1 of home regions and grievances; evidence validity; aggregate
recall; everything again per language. Other stages add scores with :func:`register_metric`:
a function ``(store, context) -> dict`` whose result lands under ``extra[name]``.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dissentwatch.evaluate.metrics import PRF, greedy_match, set_counts
from dissentwatch.models import Mention
from dissentwatch.store import Store

Metric = Callable[[Store, "EvalContext"], dict[str, Any]]
_METRICS: dict[str, Metric] = {}


class EvalError(Exception):
    """Bad evaluation input, with the file and line it came from."""


def register_metric(name: str, metric: Metric) -> None:
    """Add a score to every evaluation report (e.g. clustering against ``same_event`` tags)."""
    _METRICS[name] = metric


@dataclass
class EvalContext:
    """What a metric may read: the DOCS records, the gold records and the store ids."""

    docs: dict[str, dict[str, Any]]
    gold: dict[str, dict[str, Any]]
    document_ids: dict[str, int]
    mentions: dict[str, list[Mention]] = field(default_factory=dict)


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """Objects of a JSON Lines file; a bad line raises :class:`EvalError` naming file and line."""
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise EvalError(f"{path}:{number}: not JSON: {exc.msg}") from exc
            if not isinstance(record, dict) or "id" not in record:
                raise EvalError(f"{path}:{number}: expected an object with an 'id'")
            yield record


def evaluate(
    docs_path: Path, gold_path: Path, workers: int = 1, db_path: Path | None = None, embeddings: bool = False,
    model: Any = None,
) -> dict[str, Any]:
    """Run the whole comparison; a temporary store unless ``db_path`` is given."""
    from dissentwatch.analyze.pipeline import analyze_store
    from dissentwatch.collect.files import collect_files
    from dissentwatch.store.documents import ingest

    docs = {str(r["id"]): r for r in read_jsonl(docs_path)}
    gold = {str(r["id"]): r for r in read_jsonl(gold_path)}
    with tempfile.TemporaryDirectory() as tmp, Store(db_path or Path(tmp) / "eval.db") as store:
        ingest(store, collect_files([docs_path]))
        analyze_store(store, workers=workers, command=f"eval {docs_path}", embeddings=embeddings, model=model)
        ids = {r["external_id"]: r["id"] for r in store.query("SELECT id, external_id FROM documents")}
        context = EvalContext(docs, gold, {k: v for k, v in ids.items() if k in docs})
        report = compute_report(store, context)
        report["model"] = getattr(model, "version", None) or "rules"
        return report


def _load_mentions(store: Store, context: EvalContext) -> None:
    from dissentwatch.store.mentions import load_mentions

    by_doc: dict[int, list[Mention]] = {}
    for m in load_mentions(store):
        by_doc.setdefault(m.document_id, []).append(m)
    context.mentions = {ext: by_doc.get(doc_id, []) for ext, doc_id in context.document_ids.items()}


def compute_report(store: Store, context: EvalContext) -> dict[str, Any]:
    """Every score of the report, overall and per language, plus registered extras."""
    from dissentwatch.evaluate.scoring import Scores, evidence_validity

    _load_mentions(store, context)
    overall = Scores()
    by_language: dict[str, Scores] = {}
    for ext, gold_record in context.gold.items():
        if ext not in context.document_ids:
            continue
        lang = str(context.docs.get(ext, {}).get("language") or _store_language(store, context.document_ids[ext]))
        for scores in (overall, by_language.setdefault(lang, Scores())):
            scores.add_document(store, context.document_ids[ext], gold_record, context.mentions.get(ext, []))
    report = overall.as_dict()
    report["evidence"] = evidence_validity(store)
    report["by_language"] = {lang: s.as_dict(brief=True) for lang, s in sorted(by_language.items())}
    report["missing_documents"] = sorted(set(context.gold) - set(context.document_ids))
    report["extra"] = {name: metric(store, context) for name, metric in _METRICS.items()}
    return report


def _store_language(store: Store, document_id: int) -> str:
    return str(store.scalar("SELECT language FROM documents WHERE id = ?", (document_id,)) or "unknown")


def prf_row(name: str, value: PRF) -> dict[str, Any]:
    return {"name": name, **value.as_dict()}


def greedy_type_match(gold_events: list[dict[str, Any]], mentions: list[Mention]) -> list[tuple[int, int]]:
    """Pairs of (gold event, mention) of the same type, preferring same relatives flag and unit."""

    def score(g: dict[str, Any], m: Mention) -> float:
        if g.get("type") != m.type:
            return 0.0
        unit = (m.fields.get("unit") or {}).get("number") if isinstance(m.fields.get("unit"), dict) else None
        return 1.0 + 0.5 * (bool(g.get("by_relatives")) == m.by_relatives) + 0.25 * (
            g.get("unit_number") is not None and str(g.get("unit_number")) == str(unit))

    return greedy_match(gold_events, mentions, score)


__all__ = ["EvalContext", "EvalError", "compute_report", "evaluate", "greedy_type_match", "register_metric",
           "set_counts"]
