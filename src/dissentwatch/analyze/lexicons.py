"""Lexicons of the rule classifier, loaded from ``analyze/data/lexicon.json``.

Each category (``refusal``, ``pow``, ``actor``...) holds regular-expression stems per language;
they are compiled into one pattern per category, matched on the lower-cased matching view of a
text (see ``normalise.matching_view``). Languages are matched as a union: reports quote their
sources in other languages, and language identification of short posts is unreliable.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

_CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


@cache
def lexicon_data() -> dict[str, Any]:
    """The raw lexicon file as a dict."""
    text = resources.files("dissentwatch.analyze").joinpath("data/lexicon.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def lexicon_version() -> int:
    return int(lexicon_data().get("version", 1))


def categories() -> list[str]:
    return [k for k, v in lexicon_data().items() if isinstance(v, dict)]


def _anchored(stem: str) -> str:
    """A stem that must start a word (except for scripts written without spaces)."""
    if _CJK.match(stem):
        return f"(?:{stem})"
    return rf"(?<!\w)(?:{stem})"


@cache
def pattern(category: str, languages: tuple[str, ...] | None = None) -> re.Pattern[str]:
    """One compiled pattern for ``category`` over ``languages`` (all languages when None)."""
    entries: dict[str, list[str]] = lexicon_data()[category]
    stems = [s for lang, items in entries.items() if languages is None or lang in languages for s in items]
    if not stems:
        return re.compile(r"(?!x)x")
    # longest first so that alternation prefers the fuller stem
    stems = sorted(set(stems), key=len, reverse=True)
    return re.compile("|".join(_anchored(s) for s in stems))


def find(category: str, view: str, start: int = 0, end: int | None = None) -> list[re.Match[str]]:
    """Every match of ``category`` in ``view[start:end]`` (absolute offsets)."""
    return list(pattern(category).finditer(view, start, len(view) if end is None else end))


def has(category: str, view: str, start: int = 0, end: int | None = None) -> bool:
    return pattern(category).search(view, start, len(view) if end is None else end) is not None


def count(category: str, view: str, start: int = 0, end: int | None = None) -> int:
    return sum(1 for _ in pattern(category).finditer(view, start, len(view) if end is None else end))
