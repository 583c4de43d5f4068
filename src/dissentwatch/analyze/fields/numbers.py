"""Numbers written as digits or words (``data/numbers.json``), in any of the supported languages."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from dissentwatch.analyze.text import lemma_set


@cache
def _tables() -> dict[str, dict[str, int]]:
    raw = resources.files("dissentwatch.analyze.fields").joinpath("data/numbers.json").read_text("utf-8")
    return {k: v for k, v in json.loads(raw).items() if not k.startswith("_")}


@cache
def _cardinals() -> dict[str, int]:
    out: dict[str, int] = {}
    for lang, table in _tables().items():
        if lang != "ordinal":
            out.update(table)
    return out


def number_value(word: str) -> int | None:
    """The value of a number written as digits («12», «1 000») or one word («шестеро», "twenty")."""
    compact = word.replace("\u00a0", "").replace(" ", "").replace(",", "")
    if compact.isdigit():
        return int(compact)
    low = word.lower().replace("ё", "е")
    table = _cardinals()
    if low in table:
        return table[low]
    for form in lemma_set(low, "ru") if any("а" <= c <= "я" for c in low) else ():
        if form in table:
            return table[form]
    return None


def ordinal_value(word: str) -> int | None:
    """The value of an ordinal word («пятой», "fifth", «cinquième»); None otherwise."""
    low = word.lower().replace("ё", "е")
    table = _tables()["ordinal"]
    if low in table:
        return table[low]
    if any("а" <= c <= "я" for c in low):
        for form in lemma_set(low, "ru"):
            if form in table:
                return table[form]
    return None


def number_words_pattern() -> str:
    """A regex alternation of every cardinal word, longest first (for use inside patterns)."""
    return "|".join(sorted(_cardinals(), key=len, reverse=True))
