"""Grouped K-fold by occurrence: every record of one occurrence lands in the same fold."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence

import numpy as np

FOLDS_SEED = "dissentwatch-folds.v1"


def assign_folds(groups: Sequence[str], k: int = 5, seed: str = FOLDS_SEED) -> np.ndarray:
    """Fold number (0..k-1) of each row. Groups are dealt, largest first, to the fold with the
    fewest rows; ties are broken by a seeded hash of the group, so folds are reproducible and
    balanced, and no group is split."""
    if k < 2:
        raise ValueError("cross-validation needs at least 2 folds")
    sizes = Counter(groups)
    order = sorted(sizes, key=lambda g: (-sizes[g], hashlib.sha256(f"{seed}:{g}".encode()).hexdigest()))
    load = [0] * k
    fold_of_group: dict[str, int] = {}
    for group in order:
        target = min(range(k), key=lambda f: (load[f], f))
        fold_of_group[group] = target
        load[target] += sizes[group]
    return np.asarray([fold_of_group[g] for g in groups], dtype=np.int64)
