"""Small linear heads: standardised features → logistic regression → calibrated probability.

Run time needs numpy only (weights are arrays in the artefact). Fitting needs scikit-learn
(extra ``train``). Binary and one-vs-rest heads are calibrated by Platt scaling fitted on
out-of-fold decision values, so that a probability of 0.8 means about 8 in 10.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

SEED = 20261203


@dataclass
class LinearHead:
    """``labels[k]`` scored by ``sigmoid(a_k * (x·w_k + b_k) + c_k)`` (``softmax`` when ``exclusive``)."""

    labels: list[str]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray       # (k, d)
    intercept: np.ndarray  # (k,)
    platt: np.ndarray      # (k, 2): slope and offset of the calibration
    exclusive: bool = False

    def decision(self, x: np.ndarray) -> np.ndarray:
        z = (np.atleast_2d(x) - self.mean) / self.scale
        return np.asarray(z @ self.coef.T + self.intercept)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """(n, k) probabilities."""
        d = self.decision(x)
        if self.exclusive:
            d = d * self.platt[:, 0]
            d = d - d.max(axis=1, keepdims=True)
            e = np.exp(d)
            return np.asarray(e / e.sum(axis=1, keepdims=True))
        return np.asarray(1.0 / (1.0 + np.exp(-(d * self.platt[:, 0] + self.platt[:, 1]))))

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {f"{prefix}.{k}": v for k, v in (("mean", self.mean), ("scale", self.scale), ("coef", self.coef),
                                                ("intercept", self.intercept), ("platt", self.platt))}

    @classmethod
    def from_arrays(cls, prefix: str, arrays: dict[str, np.ndarray], labels: list[str], exclusive: bool) -> LinearHead:
        get = lambda k: np.asarray(arrays[f"{prefix}.{k}"], dtype=np.float64)  # noqa: E731
        return cls(labels, get("mean"), get("scale"), get("coef"), get("intercept"), get("platt"), exclusive)


def _scaler(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    return mean, np.where(scale < 1e-6, 1.0, scale)


def _logistic(c: float, balanced: bool) -> object:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=2000, class_weight="balanced" if balanced else None, random_state=SEED)


def _platt(decision: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Slope and offset of a 1-D logistic fit of ``y`` on out-of-fold decision values."""
    from sklearn.linear_model import LogisticRegression

    if len(set(y.tolist())) < 2:
        return 1.0, 0.0
    fit = LogisticRegression(C=1e4, max_iter=1000).fit(decision.reshape(-1, 1), y)
    return float(fit.coef_[0, 0]), float(fit.intercept_[0])




def fit_binary(x: np.ndarray, y: np.ndarray, groups: Sequence[str], label: str, c: float = 0.5,
               balanced: bool = True, folds: int = 5) -> LinearHead:
    """A calibrated binary head: weights fitted on all rows, calibration on grouped out-of-fold
    decision values."""
    return fit_one_vs_rest(x, y.reshape(-1, 1), groups, [label], c, balanced, folds)


def fit_one_vs_rest(x: np.ndarray, y: np.ndarray, groups: Sequence[str], labels: list[str], c: float = 0.5,
                    balanced: bool = True, folds: int = 5) -> LinearHead:
    from dissentwatch.learn.folds import assign_folds

    mean, scale = _scaler(x)
    z = (x - mean) / scale
    fold_of = assign_folds(groups, folds)
    coef, intercept, platt = [], [], []
    for j in range(y.shape[1]):
        target = y[:, j].astype(int)
        if len(set(target.tolist())) < 2:
            coef.append(np.zeros(x.shape[1]))
            intercept.append(-10.0 if target.sum() == 0 else 10.0)
            platt.append((1.0, 0.0))
            continue
        model = _logistic(c, balanced).fit(z, target)  # type: ignore[attr-defined]
        coef.append(model.coef_[0])
        intercept.append(float(model.intercept_[0]))
        oof = np.zeros(len(target))
        for f in sorted(set(fold_of.tolist())):
            test, train = fold_of == f, fold_of != f
            if len(set(target[train].tolist())) < 2:
                oof[test] = model.decision_function(z[test])
                continue
            inner = _logistic(c, balanced).fit(z[train], target[train])  # type: ignore[attr-defined]
            oof[test] = inner.decision_function(z[test])
        platt.append(_platt(oof, target))
    return LinearHead(labels, mean, scale, np.asarray(coef), np.asarray(intercept), np.asarray(platt))


def fit_exclusive(x: np.ndarray, y: Sequence[str], labels: list[str], c: float = 0.5) -> LinearHead:
    """A multinomial head over ``labels`` (one label per row)."""
    from sklearn.linear_model import LogisticRegression

    mean, scale = _scaler(x)
    z = (x - mean) / scale
    present = sorted(set(y), key=labels.index)
    if len(present) < 2:  # a corpus of one type: every sentence that carries an event is of it
        intercept = np.full(len(labels), -30.0)
        if present:
            intercept[labels.index(present[0])] = 0.0
        return LinearHead(labels, mean, scale, np.zeros((len(labels), x.shape[1])), intercept,
                          np.ones((len(labels), 2)), exclusive=True)
    model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced", random_state=SEED).fit(z, list(y))
    coef = np.full((len(labels), x.shape[1]), 0.0)
    intercept = np.full(len(labels), -30.0)
    if len(present) == 2:  # scikit-learn stores one row for two classes
        coef[labels.index(present[1])], intercept[labels.index(present[1])] = model.coef_[0], model.intercept_[0]
        intercept[labels.index(present[0])] = 0.0
    else:
        for row, label in enumerate(model.classes_):
            coef[labels.index(label)], intercept[labels.index(label)] = model.coef_[row], model.intercept_[row]
    platt = np.ones((len(labels), 2))
    return LinearHead(labels, mean, scale, coef, intercept, platt, exclusive=True)
