"""Learning resolve's weights from the occurrence tags (``dissentwatch train-resolve``).

Resolve joins a mention to the candidate event whose signals add up to the most, if at least
the threshold. Here the weights of those signals are fitted instead of set by hand:

- the mentions of the gold documents (:mod:`dissentwatch.resolve.goldset`) are clustered in
  resolve's order with every mention filed under its true event (teacher forcing); each
  candidate event the blocking offers a mention is a pair, its raw factors
  (:func:`~dissentwatch.resolve.cluster.factors`) the features, the label whether the event is
  the mention's occurrence (the documents' ``same_event`` tags; an untagged document is an
  occurrence of its own);
- a logistic regression (deterministic, class-balanced) over those pairs gives one weight per
  factor and a bias; each weight is drawn towards its hand weight (L2 with strength ``1/c``:
  a factor the data never show keeps its hand weight) and keeps its sign. Joining when the
  probability is at least ``p`` is joining when the weighted sum is at least
  ``logit(p) - bias``, so the learned weights drop into resolve's scoring and every join's
  reason still names its signals;
- ``c`` and ``p`` are chosen to maximise the pairwise F1 of the resulting clusters out of fold,
  folds grouped by occurrence (every report of one occurrence in one fold);
- the recorded quality is nested: for each outer fold the weights are fitted and ``c``, ``p``
  chosen on the other folds alone (inner folds), then the held-out fold is clustered and
  scored. The hand weights are scored on the same folds. The held-out fold is resolved together
  with the other folds' mentions (its distractors, as in a store), and only pairs of two
  held-out documents are counted.
"""

from __future__ import annotations

import hashlib
import json
import math
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dissentwatch.evaluate.clusters import _read_jsonl
from dissentwatch.learn.folds import assign_folds
from dissentwatch.resolve.cluster import SIGNAL_OF, Clusterer
from dissentwatch.resolve.features import MentionFeatures, hand_settings, iter_features

SEED = 0
CS = (0.1, 0.3, 1.0)  # strengths of the pull towards the hand weights tried (smaller: stronger)
PRIOR = 1.0  # the weights are drawn towards the hand weights times this (0: towards zero)
FAMILY_POOL = 20  # resolve's family_pool: the newest events of its family every mention also meets
# A fold is scored resolved among all the mentions in scope (the others are its distractors, as
# in a real store), only its own pairs counted; False: resolved alone.
CONTEXT = True
TRAIN_POOL = 0  # the pool when collecting the training pairs (0: the pairs the blocking offers)
PROBABILITIES = tuple(round(0.05 * i, 2) for i in range(2, 20))  # 0.10 .. 0.95
LEARNED_KEYS = tuple(k for k in SIGNAL_OF if not k.startswith("embedding_"))  # similarity is not trained


@dataclass(frozen=True, slots=True)
class Labelled:
    """A mention, its document's id and the occurrence it reports."""

    features: MentionFeatures
    document: str
    occurrence: str


def occurrence_of(doc: dict[str, Any]) -> str:
    """A document's occurrence: its ``same_event`` tag, or the document alone."""
    return str(doc.get("same_event") or f"doc:{doc['id']}")


def labelled_mentions(docs_path: Path, gold_path: Path) -> tuple[list[Labelled], dict[str, str], list[str]]:
    """(mentions in resolve's order, occurrence of each document, documents with gold events)."""
    from dissentwatch.collect.files import collect_files
    from dissentwatch.resolve.goldset import load_gold_mentions
    from dissentwatch.store import Store
    from dissentwatch.store.documents import ingest

    docs = _read_jsonl(docs_path)
    occurrence = {str(d["id"]): occurrence_of(d) for d in docs}
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "gold.db") as store:
        ingest(store, collect_files([docs_path]))
        load_gold_mentions(store, gold_path)
        external = {r[0]: str(r[1]) for r in store.query("SELECT id, external_id FROM documents")}
        mentions = [Labelled(m, external[m.document_id], occurrence.get(external[m.document_id], ""))
                    for m in iter_features(store)]
    items = sorted({m.document for m in mentions})
    return mentions, occurrence, items


def pairs(mentions: Sequence[Labelled], pool: int | None = None) -> tuple[list[dict[str, float]], list[int]]:
    """Teacher-forced pairs: every (mention, candidate event) the blocking offers, with the raw
    factors and whether the event is the mention's occurrence."""
    clusterer = Clusterer(pool=FAMILY_POOL if pool is None else pool)
    rows: list[dict[str, float]] = []
    labels: list[int] = []
    for item in mentions:
        truth = f"{item.occurrence}|{item.features.family}"
        for profile, raw in clusterer.scored_candidates(item.features):
            rows.append(raw)
            labels.append(int(profile.id == truth))
        clusterer.add_existing(truth, item.features)
    return rows, labels


def matrix(rows: Sequence[dict[str, float]]) -> np.ndarray:
    return np.asarray([[row.get(k, 0.0) for k in LEARNED_KEYS] for row in rows], dtype=np.float64)


@dataclass(frozen=True, slots=True)
class Fit:
    weights: dict[str, float]
    bias: float

    def threshold(self, probability: float) -> float:
        """The score at which the pair probability reaches ``probability``."""
        return round(math.log(probability / (1 - probability)) - self.bias, 4)


def sign_bounds() -> list[tuple[float | None, float | None]]:
    """Each weight keeps the sign of its hand weight (a shared unit never argues against one
    occurrence, a conflicting one never for it); keys weighted 0 by hand are free."""
    hand = hand_settings()["weights"]
    return [(0.0, None) if hand.get(k, 0) > 0 else (None, 0.0) if hand.get(k, 0) < 0 else (None, None)
            for k in LEARNED_KEYS]


def fit(mentions: Sequence[Labelled], pool: int | None = None, c: float = 1.0) -> Fit:
    """Class-balanced, L2-regularised logistic regression over the teacher-forced pairs of
    ``mentions``, each weight bounded to its hand weight's sign (L-BFGS-B; deterministic)."""
    from scipy.optimize import minimize

    rows, labels = pairs(mentions, TRAIN_POOL if pool is None else pool)
    y = np.asarray(labels, dtype=np.float64)
    if len(set(labels)) < 2:
        raise ValueError("the training mentions need both joined and separate pairs")
    x = matrix(rows)
    n, positives = len(y), y.sum()
    sample = np.where(y == 1, n / (2 * positives), n / (2 * (n - positives)))
    sign = 2 * y - 1

    prior = np.asarray([float(hand_settings()["weights"].get(k, 0.0)) for k in LEARNED_KEYS]) * PRIOR

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        z = x @ theta[:-1] + theta[-1]
        margin = sign * z
        shift = theta[:-1] - prior
        value = float(sample @ np.logaddexp(0, -margin)) + 0.5 / c * float(shift @ shift)
        g = -sample * sign / (1 + np.exp(margin))
        grad = np.append(x.T @ g + shift / c, g.sum())
        return value, grad

    bounds = sign_bounds() + [(None, None)]
    result = minimize(loss, np.zeros(x.shape[1] + 1), jac=True, method="L-BFGS-B", bounds=bounds,
                      options={"maxiter": 5000})
    weights = {k: round(float(w), 4) for k, w in zip(LEARNED_KEYS, result.x[:-1], strict=True)}
    return Fit(weights, round(float(result.x[-1]), 4))


def cluster(mentions: Sequence[Labelled], weights: dict[str, float], threshold: float,
            pool: int | None = None) -> dict[str, set[str]]:
    """Events of each document when ``mentions`` alone are resolved with these weights."""
    clusterer = Clusterer(weights=weights, threshold=threshold, pool=FAMILY_POOL if pool is None else pool)
    placed = [(item.document, clusterer.assign(item.features).event_id) for item in mentions]
    out: dict[str, set[str]] = {}
    for document, event_id in placed:
        while event_id in clusterer.redirect and clusterer.redirect[event_id] != event_id:
            event_id = clusterer.redirect[event_id]
        out.setdefault(document, set()).add(event_id)
    return out


class Tally:
    """Pairwise counts and B-cubed sums over documents, added up fold by fold."""

    def __init__(self) -> None:
        self.tp = self.fp = self.fn = 0
        self.bp = self.br = 0.0
        self.n = 0

    def add(self, items: Sequence[str], occurrence: dict[str, str], predicted: dict[str, set[str]]) -> None:
        for i, a in enumerate(items):
            for b in items[i + 1:]:
                same_gold = occurrence[a] == occurrence[b]
                same_pred = bool(predicted.get(a, set()) & predicted.get(b, set()))
                self.tp += same_gold and same_pred
                self.fp += same_pred and not same_gold
                self.fn += same_gold and not same_pred
            pred = {b for b in items if b == a or predicted.get(a, set()) & predicted.get(b, set())}
            true = {b for b in items if occurrence[b] == occurrence[a]}
            self.bp += len(pred & true) / len(pred)
            self.br += len(pred & true) / len(true)
            self.n += 1

    @property
    def f1(self) -> float:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, Any]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        bp, br = (self.bp / self.n, self.br / self.n) if self.n else (1.0, 1.0)
        return {"pairwise": {"precision": round(p, 4), "recall": round(r, 4), "f1": round(self.f1, 4),
                             "tp": self.tp, "fp": self.fp, "fn": self.fn},
                "bcubed": {"precision": round(bp, 4), "recall": round(br, 4),
                           "f1": round(2 * bp * br / (bp + br), 4) if bp + br else 0.0},
                "documents": self.n}


def folds_of(items: Sequence[str], occurrence: dict[str, str], k: int) -> dict[str, int]:
    """Fold of each document, grouped by occurrence (no occurrence is split)."""
    return dict(zip(items, (int(f) for f in assign_folds([occurrence[i] for i in items], k)), strict=True))


Choice = tuple[float, float]  # (c, probability threshold)


def sweep(mentions: Sequence[Labelled], items: Sequence[str], occurrence: dict[str, str],
          k: int) -> dict[Choice, Tally]:
    """Out-of-fold clusters for every regularisation strength and probability threshold: per
    fold, fit on the other folds, resolve all the mentions and score the fold's pairs."""
    fold = folds_of(items, occurrence, k)
    tallies = {(c, p): Tally() for c in CS for p in PROBABILITIES}
    for f in sorted(set(fold.values())):
        train = [m for m in mentions if fold[m.document] != f]
        test = [m for m in mentions if fold[m.document] == f]
        test_items = [i for i in items if fold[i] == f]
        for c in CS:
            fitted = fit(train, c=c)
            for p in PROBABILITIES:
                tallies[(c, p)].add(test_items, occurrence,
                                    cluster(mentions if CONTEXT else test, fitted.weights, fitted.threshold(p)))
    return tallies


def best_choice(tallies: dict[Choice, Tally]) -> Choice:
    """The (c, threshold) of the best F1 (ties: the stronger pull, then the threshold nearest 0.5)."""
    return max(tallies, key=lambda cp: (round(tallies[cp].f1, 6), -cp[0], -abs(cp[1] - 0.5)))


def out_of_fold(mentions: Sequence[Labelled], items: Sequence[str], occurrence: dict[str, str],
                k: int = 5) -> dict[str, Any]:
    """Nested out-of-fold scores of the hand weights and of the learned ones, on the same folds."""
    hand = hand_settings()
    fold = folds_of(items, occurrence, k)
    before, after = Tally(), Tally()
    chosen: list[Choice] = []
    for f in sorted(set(fold.values())):
        train = [m for m in mentions if fold[m.document] != f]
        test = [m for m in mentions if fold[m.document] == f]
        train_items = [i for i in items if fold[i] != f]
        test_items = [i for i in items if fold[i] == f]
        scope = mentions if CONTEXT else test
        c, p = best_choice(sweep(train, train_items, occurrence, k - 1))
        chosen.append((c, p))
        fitted = fit(train, c=c)
        after.add(test_items, occurrence, cluster(scope, fitted.weights, fitted.threshold(p)))
        before.add(test_items, occurrence, cluster(scope, hand["weights"], float(hand["threshold"]),
                                                   int(hand.get("family_pool", 0))))
    return {"folds": k, "grouped_by": "occurrence (same_event tag; untagged: the document)",
            "hand": before.as_dict(), "learned": after.as_dict(),
            "chosen_c_and_probability": [list(cp) for cp in chosen]}


def train_resolve(docs_path: Path, gold_path: Path, k: int = 5) -> dict[str, Any]:
    """The learned settings: weights and bias fitted on all pairs, the probability threshold
    chosen out of fold, and the nested out-of-fold scores."""
    mentions, occurrence, items = labelled_mentions(docs_path, gold_path)
    if len({occurrence[i] for i in items}) < k:
        raise ValueError(f"{k} folds need at least {k} occurrences")
    tallies = sweep(mentions, items, occurrence, k)
    c, p = best_choice(tallies)
    fitted = fit(mentions, c=c)
    rows, labels = pairs(mentions)
    digest = hashlib.sha256(json.dumps([fitted.weights, fitted.bias, p], sort_keys=True).encode()).hexdigest()[:10]
    return {
        "about": "Resolve weights learned from occurrence tags (dissentwatch train-resolve); "
                 "they replace the hand weights of resolve.json key by key.",
        "version": f"learned-{digest}",
        "weights": fitted.weights,
        "bias": fitted.bias,
        "probability": p,
        "threshold": fitted.threshold(p),
        "family_pool": FAMILY_POOL,
        "trained_on": {"documents": len(items), "mentions": len(mentions), "pairs": len(labels),
                       "joined_pairs": int(sum(labels)), "occurrences": len({occurrence[i] for i in items}),
                       "data_sha256": _sha256(docs_path, gold_path), "c": c, "seed": SEED},
        "sweep_f1": {f"c={q[0]} p={q[1]}": round(t.f1, 4) for q, t in tallies.items()},
        "oof": out_of_fold(mentions, items, occurrence, k),
    }


def _sha256(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
