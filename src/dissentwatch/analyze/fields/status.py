"""Service status (mobilized, contract, conscript, volunteer, prisoner recruit): the key named most."""

from __future__ import annotations

import re
from collections import Counter

from dissentwatch.analyze.fields import lexicon
from dissentwatch.analyze.fields.lexicon import Hit

_NEGATION = re.compile(r"(?<!\w)(?:not|no|never|не|ні|не є|pas|ni|nie|kein\w*|nicht)\s+(?:\w+\s+)?$", re.IGNORECASE)


def _negated(text: str, hit: Hit) -> bool:
    """"We are not professional soldiers", «мы не контрактники»."""
    return bool(_NEGATION.search(text[max(0, hit.start - 25) : hit.start]))


def status(text: str, start: int, end: int, lang: str | None) -> Hit | None:
    """The first hit of the status named most often in ``text[start:end]`` (ties: the first named)."""
    hits = [h for h in lexicon.load("status").find(text, lang, start, end) if not _negated(text, h)]
    if not hits:
        return None
    counts = Counter(h.key for h in hits)
    if "mobilized" in counts and "conscript" in counts:
        del counts["conscript"]  # the English press calls the mobilized "conscripts"
    best = max(counts, key=lambda k: (counts[k], -next(i for i, h in enumerate(hits) if h.key == k)))
    return next(h for h in hits if h.key == best)
