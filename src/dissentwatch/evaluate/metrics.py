"""Pure metric helpers: precision/recall/F1, set overlap, greedy matching, clustering scores."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any, TypeVar

G = TypeVar("G")
P = TypeVar("P")


@dataclass
class PRF:
    """True positives, false positives, false negatives and the scores they give."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def support(self) -> int:
        return self.tp + self.fn

    def __iadd__(self, other: PRF) -> PRF:
        self.tp, self.fp, self.fn = self.tp + other.tp, self.fp + other.fp, self.fn + other.fn
        return self

    def as_dict(self) -> dict[str, Any]:
        """Scores rounded; None where nothing was there to score (no gold and no prediction)."""
        empty = not (self.tp + self.fp + self.fn)
        scores = {k: None if empty else round(getattr(self, k), 4) for k in ("precision", "recall", "f1")}
        return {**scores, "tp": self.tp, "fp": self.fp, "fn": self.fn, "support": self.support}


def prf(tp: int, fp: int, fn: int) -> PRF:
    return PRF(tp, fp, fn)


def set_counts(gold: Iterable[Hashable], predicted: Iterable[Hashable]) -> PRF:
    """Overlap of two sets as tp/fp/fn (sum these over pairs for a micro set F1)."""
    g, p = set(gold), set(predicted)
    return PRF(len(g & p), len(p - g), len(g - p))


def greedy_match(
    gold: Sequence[G], predicted: Sequence[P], score: Callable[[G, P], float]
) -> list[tuple[int, int]]:
    """Pairs (gold index, predicted index), best scores first; a score <= 0 never matches."""
    scored = sorted(
        ((score(g, p), i, j) for i, g in enumerate(gold) for j, p in enumerate(predicted)),
        key=lambda t: (-t[0], t[1], t[2]),
    )
    used_g: set[int] = set()
    used_p: set[int] = set()
    pairs = []
    for value, i, j in scored:
        if value > 0 and i not in used_g and j not in used_p:
            pairs.append((i, j))
            used_g.add(i)
            used_p.add(j)
    return sorted(pairs)


def _pairs(clusters: Mapping[Hashable, Hashable]) -> set[frozenset[Hashable]]:
    by_label: dict[Hashable, list[Hashable]] = {}
    for item, label in clusters.items():
        by_label.setdefault(label, []).append(item)
    return {frozenset(pair) for members in by_label.values() for pair in combinations(members, 2)}


def pairwise_prf(gold: Mapping[Hashable, Hashable], predicted: Mapping[Hashable, Hashable]) -> PRF:
    """Pairwise clustering scores: item → cluster label maps over the same items."""
    items = set(gold) & set(predicted)
    g = _pairs({i: gold[i] for i in items})
    p = _pairs({i: predicted[i] for i in items})
    return PRF(len(g & p), len(p - g), len(g - p))


def bcubed(gold: Mapping[Hashable, Hashable], predicted: Mapping[Hashable, Hashable]) -> dict[str, float]:
    """B-cubed precision, recall and F1 of a clustering (item → label maps)."""
    items = sorted(set(gold) & set(predicted), key=str)
    if not items:
        return {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    precision = recall = 0.0
    for item in items:
        same_p = {o for o in items if predicted[o] == predicted[item]}
        same_g = {o for o in items if gold[o] == gold[item]}
        both = len(same_p & same_g)
        precision += both / len(same_p)
        recall += both / len(same_g)
    p, r = precision / len(items), recall / len(items)
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / (p + r) if p + r else 0.0, 4)}
