"""Grievances: vocabulary keys from the lexicon ``data/grievances.json``, each with its first hit."""

from __future__ import annotations

from dissentwatch.analyze.fields import lexicon
from dissentwatch.analyze.fields.lexicon import Hit


def first_hits(name: str, text: str, start: int, end: int, lang: str | None) -> dict[str, Hit]:
    """``{key: first hit}`` of lexicon ``name`` in ``text[start:end]``, keys in text order."""
    out: dict[str, Hit] = {}
    for hit in lexicon.load(name).find(text, lang, start, end):
        out.setdefault(hit.key, hit)
    return out


def grievances(text: str, start: int, end: int, lang: str | None) -> dict[str, Hit]:
    """The grievances aired in ``text[start:end]``."""
    return first_hits("grievances", text, start, end, lang)
