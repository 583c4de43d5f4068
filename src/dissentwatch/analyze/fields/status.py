"""Service status (mobilized, contract, conscript, volunteer, prisoner recruit): the key named most."""

from __future__ import annotations

from collections import Counter

from dissentwatch.analyze.fields import lexicon
from dissentwatch.analyze.fields.lexicon import Hit


def status(text: str, start: int, end: int, lang: str | None) -> Hit | None:
    """The first hit of the status named most often in ``text[start:end]`` (ties: the first named)."""
    hits = lexicon.load("status").find(text, lang, start, end)
    if not hits:
        return None
    counts = Counter(h.key for h in hits)
    best = max(counts, key=lambda k: (counts[k], -next(i for i, h in enumerate(hits) if h.key == k)))
    return next(h for h in hits if h.key == best)
