"""``dissentwatch train``: fit the detection model from labelled examples, reproducibly.

Labels come from gold JSONL (the ``eval`` shape), from Telegram exports (every post a negative
unless a labels file says otherwise) and, with ``--from-store``, from analysts' decisions
(confirmed and edited events are positives of their type, rejected ones negatives). The model
records the data's hash, the code and encoder versions and its own out-of-fold scores.
"""

from __future__ import annotations

import logging
import platform
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from dissentwatch import __version__
from dissentwatch.learn.dataset import Example, data_hash
from dissentwatch.learn.encoders import encoder
from dissentwatch.learn.features import FEATURES_VERSION, rule_names
from dissentwatch.learn.heads import SEED, LinearHead, fit_binary, fit_exclusive, fit_one_vs_rest
from dissentwatch.learn.model import DetectionModel
from dissentwatch.models import EVENT_TYPES
from dissentwatch.store import Store

log = logging.getLogger(__name__)

C_DOCUMENT = 0.05
C_SENTENCE = 0.1
# doc_types: how sure the document head must be of a type no rule candidate carries before the type
# is added at its best sentence. Out of fold 0.6 scores as 0.5 does (type macro-F1 0.474 against
# 0.475; 0.7: 0.459), and keeps a quoted complaint inside a report of video appeals from being read
# as a refusal of its own (the first seed article).
DEFAULT_THRESHOLDS = {"relevant": 0.5, "doc_types": 0.6}
RELEVANCE_RULE = "mean(document head, max sentence head)"


def _doc_matrix(examples: Sequence[Example], kind: str) -> np.ndarray:
    return np.stack([np.concatenate([ex.doc_vectors[kind], ex.view.doc_signals]) for ex in examples if ex.view])


def _sentence_rows(examples: Sequence[Example], kind: str) -> tuple[np.ndarray, list[str], list[str]]:
    rows, labels, groups = [], [], []
    for ex in examples:
        assert ex.view is not None
        vectors = ex.sentence_vectors[kind]
        for r, label in enumerate(ex.sentence_labels):
            if label is not None:
                rows.append(np.concatenate([vectors[r], ex.view.sentence_signals[r]]))
                labels.append(label)
                groups.append(ex.group)
    return np.stack(rows), labels, groups


def fit_heads(examples: Sequence[Example], kind: str) -> dict[str, LinearHead]:
    """The four heads of one encoder, from examples prepared with that encoder's vectors."""
    groups = [ex.group for ex in examples]
    x = _doc_matrix(examples, kind)
    relevant = np.asarray([ex.relevant for ex in examples], dtype=int)
    types = np.asarray([[t in ex.types for t in EVENT_TYPES] for ex in examples], dtype=int)
    sx, sy, sgroups = _sentence_rows(examples, kind)
    is_event = np.asarray([label != "none" for label in sy], dtype=int)
    typed = [i for i, label in enumerate(sy) if label in EVENT_TYPES]
    # quotes stand in for short posts when learning what a sentence and a type look like, but
    # not for the document head: a short post about soldiers is most often not a report
    whole = np.asarray([ex.source != "quote" for ex in examples])
    return {
        "relevant": fit_binary(x[whole], relevant[whole], [g for g, w in zip(groups, whole, strict=True) if w],
                               "relevant", c=C_DOCUMENT),
        # which types, given that the document reports something (its relevance is the other head)
        "doc_types": fit_one_vs_rest(x[relevant == 1], types[relevant == 1],
                                     [g for g, r in zip(groups, relevant.tolist(), strict=True) if r],
                                     list(EVENT_TYPES), c=C_DOCUMENT),
        "sentence": fit_binary(sx, is_event, sgroups, "event", c=C_SENTENCE),
        "sentence_type": fit_exclusive(sx[typed], [sy[i] for i in typed], list(EVENT_TYPES), c=C_SENTENCE),
    }


def fit_model(examples: Sequence[Example], kinds: Sequence[str], sources: dict[str, Any] | None = None,
              thresholds: dict[str, float] | None = None) -> DetectionModel:
    """A model with one set of heads per encoder in ``kinds``; examples must be prepared."""
    heads = {kind: fit_heads(examples, kind) for kind in kinds}
    digest = data_hash(list(examples))
    meta = {
        "version": "detect_model.v2.unsaved",  # save() names it after its weights
        "features": FEATURES_VERSION, "rule_signals": rule_names(),
        "encoders_versions": {k: getattr(encoder(k), "name", k) for k in kinds},
        "code": f"dissentwatch {__version__}", "python": platform.python_version(), "seed": SEED,
        "trained": datetime.now(UTC).isoformat(timespec="seconds"),
        "data": {"sha256_16": digest, "examples": len(examples),
                 "relevant": sum(ex.relevant for ex in examples),
                 "by_source": {s: sum(ex.source == s for ex in examples) for s in sorted({ex.source for ex in examples})},
                 **(sources or {})},
        "thresholds": thresholds or dict(DEFAULT_THRESHOLDS),
        "relevance": RELEVANCE_RULE,
        "c": {"document": C_DOCUMENT, "sentence": C_SENTENCE},
    }
    return DetectionModel(heads, meta)


_DECISIONS = """
SELECT e.id AS event_id, e.type, e.review_status, m.document_id, d.text, d.language,
       (SELECT quote FROM evidence x WHERE x.mention_id = m.id AND x.field = 'type' LIMIT 1) AS quote
FROM events e JOIN event_mentions em ON em.event_id = e.id JOIN mentions m ON m.id = em.mention_id
JOIN documents d ON d.id = m.document_id
WHERE e.merged_into IS NULL AND e.review_status IN ('confirmed', 'edited', 'rejected')
ORDER BY m.document_id
"""


def store_examples(store: Store) -> list[Example]:
    """Analysts' decisions as examples: a document is relevant when one of its reviewed events
    was confirmed or edited (of that event's type, quoted by its evidence), negative when all its
    reviewed events were rejected. Groups are the events, so one occurrence stays in one fold."""
    by_doc: dict[int, Example] = {}
    for row in store.query(_DECISIONS):
        ex = by_doc.get(row["document_id"])
        if ex is None:
            ex = by_doc[row["document_id"]] = Example(
                id=f"store:{row['document_id']}", text=row["text"] or "", language=row["language"],
                group=f"event:{row['event_id']}", relevant=False, source="store")
        if row["review_status"] != "rejected":
            ex.relevant = True
            ex.types.add(row["type"])
            if row["quote"]:
                ex.evidence.append((row["quote"], row["type"]))
    return [ex for ex in by_doc.values() if ex.text.strip()]


def _summary(report: dict[str, Any]) -> dict[str, Any]:
    summary: dict[str, Any] = {"relevance_f1": report["relevance"]["f1"], "type_macro_f1": report["type_macro_f1"],
                               "by_language": {lang: {"documents": row["documents"], "relevance_f1": row["relevance"]["f1"],
                                                       "type_macro_f1": row["type_macro_f1"]}
                                                for lang, row in report["by_language"].items()}}
    clusters = report.get("extra", {}).get("clusters", {})
    if clusters:
        summary["clusters"] = clusters
    if "stream" in report:
        summary["stream"] = {k: v for k, v in report["stream"].items() if k != "list"}
    return summary


def _old_scores(out: Path) -> dict[str, Any] | None:
    from dissentwatch.learn.model import ModelError, load_model

    try:
        return dict(load_model(out).meta.get("oof") or {})
    except ModelError:
        return None


def _worse(new: dict[str, Any], old: dict[str, Any] | None) -> bool:
    if not old or old.get("relevance_f1") is None:
        return False
    return bool(new["relevance_f1"] + new["type_macro_f1"] < old["relevance_f1"] + (old.get("type_macro_f1") or 0.0))


def train_and_save(docs: Path, gold: Path, streams: list[Path], labels: Path | None, store: Store | None,
                   kinds: tuple[str, ...], folds: int, out: Path, force: bool = False) -> dict[str, Any]:
    """Out-of-fold scores first, then the model fitted on everything, written unless it is worse."""
    import json

    from dissentwatch.learn.crossval import cross_validate, load_examples
    from dissentwatch.learn.dataset import prepare
    from dissentwatch.learn.encoders import VectorCache

    cache = VectorCache()
    extra = store_examples(store) if store is not None else []
    if extra:
        prepare(extra, cache, kinds)
    report = cross_validate(docs, gold, folds, streams, labels, kinds, cache, extra)
    gold_ex, stream_ex = load_examples(docs, gold, streams, labels, kinds, cache)
    sources = {"gold": str(docs.name), "streams": [p.name for p in streams], "labels": labels.name if labels else None,
               "store_examples": len(extra)}
    model = fit_model([*gold_ex, *stream_ex, *extra], kinds, sources)
    model.meta["thresholds"]["relevant"] = report["threshold"]["threshold"]  # chosen out of fold
    model.meta["oof"] = _summary(report)
    model.meta["oof"]["folds"] = folds
    old = _old_scores(out)
    written = force or not _worse(model.meta["oof"], old)
    if written:
        model.save(out)
        (out / "oof.json").write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", "utf-8")
    return {"written": written, "out": str(out), "version": model.version, "oof": model.meta["oof"],
            "previous_oof": old, "reason": None if written else "scores worse out of fold than the model in --out"}
