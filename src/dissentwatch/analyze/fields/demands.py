"""Demands: vocabulary keys from the lexicon ``data/demands.json``, each with its first hit.

A phrase counts as a demand only in a request («просим», "they ask", «ils réclament») standing
shortly before it in the same sentence, or when the phrase itself is a request («верните»).
"""

from __future__ import annotations

from dissentwatch.analyze.fields import lexicon
from dissentwatch.analyze.fields.lexicon import Hit

_WINDOW = 120
_SENTENCE_END = ".!?\n"


def _requested(text: str, hit: Hit, requests: list[Hit]) -> bool:
    for cue in requests:
        if cue.start <= hit.start and hit.start - cue.end <= _WINDOW:
            between = text[cue.end : hit.start]
            if not any(ch in between for ch in _SENTENCE_END):
                return True
    return False


def demands(text: str, start: int, end: int, lang: str | None) -> dict[str, Hit]:
    """The demands made in ``text[start:end]``."""
    requests = lexicon.load("cues", "request").find(text, lang, max(0, start - _WINDOW), end)
    out: dict[str, Hit] = {}
    for hit in lexicon.load("demands").find(text, lang, start, end):
        if _requested(text, hit, requests):
            out.setdefault(hit.key, hit)
    return out
