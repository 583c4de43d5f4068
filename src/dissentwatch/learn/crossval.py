"""The honest protocol: grouped K-fold by occurrence, through the whole analyze stage.

Each fold's documents are analyzed by a model fitted without them (nor any record of their
occurrences); the stream's channels are dealt to folds too, so a channel's posts are judged by
a model that never saw that channel. The report is the ``dissentwatch eval`` report of the
out-of-fold analysis, plus the stream's out-of-fold flags.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dissentwatch.learn.dataset import (
    Example,
    gold_examples,
    prepare,
    quote_examples,
    read_stream_labels,
    stream_examples,
)
from dissentwatch.learn.encoders import VectorCache
from dissentwatch.learn.folds import assign_folds
from dissentwatch.learn.model import DetectionModel

log = logging.getLogger(__name__)
DEFAULT_ENCODERS = ("use", "e5")


def fold_groups(examples: Sequence[Example]) -> list[str]:
    """The unit that must not straddle folds: the occurrence; for stream posts, their channel."""
    return [f"channel:{ex.id.split('/')[0]}" if ex.source == "stream" else ex.group for ex in examples]


def check_folds(groups: Sequence[str], folds: np.ndarray) -> None:
    seen: dict[str, int] = {}
    for group, fold in zip(groups, folds.tolist(), strict=True):
        if seen.setdefault(group, fold) != fold:
            raise AssertionError(f"occurrence {group} is in folds {seen[group]} and {fold}")


def load_examples(docs: Path, gold: Path, streams: Sequence[Path], labels: Path | None,
                  kinds: Sequence[str], cache: VectorCache) -> tuple[list[Example], list[Example]]:
    """Gold records (followed by their quotes as short documents) and stream posts, prepared."""
    gold_ex = gold_examples(docs, gold)
    gold_ex += quote_examples(gold_ex)
    stream_ex = stream_examples(list(streams), read_stream_labels(labels)) if streams else []
    prepare(gold_ex + stream_ex, cache, tuple(kinds))
    return gold_ex, stream_ex


def out_of_fold(examples: list[Example], k: int, fit: Callable[[list[Example]], DetectionModel],
                ) -> tuple[np.ndarray, list[DetectionModel]]:
    """Fold of every example and the model fitted for each fold."""
    groups = fold_groups(examples)
    stream = np.asarray([ex.source == "stream" for ex in examples])
    folds = np.zeros(len(examples), dtype=np.int64)
    for part in (~stream, stream):  # records and channels are each dealt evenly over the folds
        if part.any():
            folds[part] = assign_folds([g for g, p in zip(groups, part.tolist(), strict=True) if p], k)
    check_folds(groups, folds)
    models = []
    for f in range(k):
        train = [ex for ex, g in zip(examples, folds.tolist(), strict=True) if g != f]
        log.info("fold %d/%d: fitting on %d examples", f + 1, k, len(train))
        models.append(fit(train))
    return folds, models


def stream_flags(stream: Sequence[Example], folds: np.ndarray, models: Sequence[DetectionModel],
                 total_posts: int) -> dict[str, Any]:
    """Out-of-fold flags of the stream posts (each judged by the model of its channel's fold)."""
    flagged = []
    for ex, f in zip(stream, folds.tolist(), strict=True):
        model = models[f]
        assert ex.view is not None
        judgement = model.judge_vectors(ex.encoder, ex.view, ex.doc_vectors[ex.encoder], ex.sentence_vectors[ex.encoder])
        if judgement.relevant >= model.threshold:
            top = max(judgement.doc_types, key=lambda t: judgement.doc_types[t])
            flagged.append({"post": ex.id, "probability": round(judgement.relevant, 3), "type": top,
                            "labelled_positive": ex.relevant})
    return {"posts": total_posts, "flagged": len(flagged),
            "per_10000": round(10_000 * len(flagged) / total_posts, 2) if total_posts else None,
            "list": sorted(flagged, key=lambda r: -r["probability"])}


def cross_validate(docs: Path, gold: Path, k: int = 5, streams: Sequence[Path] = (), labels: Path | None = None,
                   kinds: Sequence[str] = DEFAULT_ENCODERS, cache: VectorCache | None = None,
                   extra: Sequence[Example] = (), unscored: Collection[str] = ()) -> dict[str, Any]:
    """The out-of-fold ``eval`` report of DOCS/GOLD (and the stream's out-of-fold flags);
    ``extra`` examples (analysts' decisions) are learned from in every fold, never scored.
    Records whose id is in ``unscored`` are learned from and analyzed but left out of the
    report: the records the rules were written against, say, so that the rule-based field
    extractors are scored only on text they were not fitted to."""
    from dissentwatch.learn.train import fit_model

    cache = cache or VectorCache()
    gold_ex, stream_ex = load_examples(docs, gold, streams, labels, kinds, cache)
    examples = gold_ex + stream_ex
    folds, models = out_of_fold(examples, k, lambda train: fit_model([*train, *extra], kinds))
    total = _count_posts(streams) if streams else 0
    chosen = choose_threshold(examples, folds, models, total)
    for model in models:
        model.meta["thresholds"]["relevant"] = chosen["threshold"]
    report = _analyze_folds(docs, gold, gold_ex, folds[: len(gold_ex)], models, cache, set(unscored))
    report["threshold"] = chosen
    report["cv"] = {"folds": k, "groups": len(set(fold_groups(examples))),
                    "records_per_fold": np.bincount(folds[: len(gold_ex)][[ex.source == "gold" for ex in gold_ex]],
                                                    minlength=k).tolist(),
                    "stream_examples": len(stream_ex)}
    if streams:
        report["stream"] = stream_flags(stream_ex, folds[len(gold_ex):], models, total)
    return report


MAX_FLAGS_PER_10K = 5.0
THRESHOLDS = tuple(round(0.3 + 0.05 * i, 2) for i in range(14))  # 0.30 … 0.95


def oof_relevance(examples: Sequence[Example], folds: np.ndarray, models: Sequence[DetectionModel]) -> np.ndarray:
    """Each example's relevance as judged by the model of the fold that did not see it."""
    out = np.zeros(len(examples))
    for i, (ex, f) in enumerate(zip(examples, folds.tolist(), strict=True)):
        assert ex.view is not None
        out[i] = models[f].judge_vectors(ex.encoder, ex.view, ex.doc_vectors[ex.encoder],
                                         ex.sentence_vectors[ex.encoder]).relevant
    return out


def choose_threshold(examples: Sequence[Example], folds: np.ndarray, models: Sequence[DetectionModel],
                     stream_posts: int) -> dict[str, Any]:
    """The relevance threshold with the best out-of-fold F1 on the labelled records among those
    that flag at most ``MAX_FLAGS_PER_10K`` of the stream's posts (all thresholds without a stream)."""
    scores = oof_relevance(examples, folds, models)
    gold = np.asarray([ex.source == "gold" for ex in examples])
    stream = np.asarray([ex.source == "stream" and not ex.relevant for ex in examples])
    y = np.asarray([ex.relevant for ex in examples])[gold]
    rows = []
    for t in THRESHOLDS:
        hit = scores[gold] >= t
        tp, fp, fn = int((hit & y).sum()), int((hit & ~y).sum()), int((~hit & y).sum())
        per_10k = 10_000 * float((scores[stream] >= t).sum()) / stream_posts if stream_posts else 0.0
        rows.append({"threshold": t, "f1": round(2 * tp / max(1, 2 * tp + fp + fn), 4), "stream_per_10000": round(per_10k, 2)})
    allowed = [r for r in rows if r["stream_per_10000"] <= MAX_FLAGS_PER_10K] or rows[-1:]
    best = max(allowed, key=lambda r: (r["f1"], -r["threshold"]))
    return {**best, "max_stream_per_10000": MAX_FLAGS_PER_10K if stream_posts else None, "grid": rows}


def _count_posts(streams: Sequence[Path]) -> int:
    return len(stream_examples(list(streams), only_candidates=False))


def _analyze_folds(docs: Path, gold: Path, gold_ex: list[Example], folds: np.ndarray,
                   models: list[DetectionModel], cache: VectorCache, unscored: set[str] | None = None,
                   ) -> dict[str, Any]:
    from dissentwatch.analyze.pipeline import MODEL, analyze_ids, use_model
    from dissentwatch.collect.files import collect_files
    from dissentwatch.evaluate.run import EvalContext, compute_report, read_jsonl
    from dissentwatch.store import Store
    from dissentwatch.store.documents import ingest

    docs_by_id = {str(r["id"]): r for r in read_jsonl(docs)}
    gold_by_id = {str(r["id"]): r for r in read_jsonl(gold)}
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "cv.db") as store:
        ingest(store, collect_files([docs]))
        ids = {r["external_id"]: r["id"] for r in store.query("SELECT id, external_id FROM documents")}
        fold_of = {ex.id: f for ex, f in zip(gold_ex, folds.tolist(), strict=True)}
        try:
            MODEL["cache"] = cache
            for f, model in enumerate(models):
                use_model(model)
                fold_ids = [doc_id for ext, doc_id in ids.items() if fold_of.get(ext) == f]
                analyze_ids(store, fold_ids, f"eval --cv fold {f + 1}")
        finally:
            MODEL["cache"] = None
            use_model(None)
        scored = {k: v for k, v in docs_by_id.items() if k not in (unscored or set())}
        context = EvalContext(scored, {k: v for k, v in gold_by_id.items() if k in scored},
                              {k: v for k, v in ids.items() if k in scored})
        return compute_report(store, context)
