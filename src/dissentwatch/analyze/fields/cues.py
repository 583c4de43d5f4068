"""Faces covered, a spokesperson speaking for the group, and disclaimers («мы не против СВО»)."""

from __future__ import annotations

from dissentwatch.analyze.fields import lexicon
from dissentwatch.analyze.fields.lexicon import Hit


def _first(key: str, text: str, start: int, end: int, lang: str | None) -> Hit | None:
    hits = lexicon.load("cues", key).find(text, lang, start, end)
    return hits[0] if hits else None


def faces_covered(text: str, start: int, end: int, lang: str | None) -> Hit | None:
    """Balaclavas, masks, «лица закрыты»: the first such mention."""
    return _first("faces_covered", text, start, end, lang)


def spokesperson(text: str, start: int, end: int, lang: str | None) -> Hit | None:
    """A spokesperson speaking for the group: the first such mention."""
    return _first("spokesperson", text, start, end, lang)


def disclaimers(text: str, start: int, end: int, lang: str | None) -> list[Hit]:
    """Every disclaimer («мы не против СВО», "we are not refusing"), one per phrase."""
    seen: set[str] = set()
    out = []
    for hit in lexicon.load("cues", "disclaimers").find(text, lang, start, end):
        if hit.phrase not in seen:
            seen.add(hit.phrase)
            out.append(hit)
    return out
