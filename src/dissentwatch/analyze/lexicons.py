"""Lexicons of the rule classifier, loaded from ``analyze/data/lexicon.json``.

Each category (``refusal``, ``pow``, ``actor``...) holds regular-expression stems per language;
they are compiled into one pattern per category, matched on the lower-cased matching view of a
text (see ``normalise.matching_view``). Languages are matched as a union: reports quote their
sources in other languages, and language identification of short posts is unreliable.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left
from collections.abc import Iterator
from functools import cache, lru_cache
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


# -- fast matching: a word index over the view --------------------------------------------------
# Every stem starts a word, so each category is indexed by the literal prefixes its stems start
# with; a document's words are looked up in those sets and the full pattern is only tried (with
# ``match``) where a word could start a stem. That keeps irrelevant posts at a few microseconds
# per word instead of trying hundreds of alternatives at every character.

_WORD_RE = re.compile(r"\w+")
_META = set(".^$*+?{}[]\\|()")


def _skip_lookbehinds(stem: str) -> str:
    while stem.startswith(("(?<!", "(?<=")):
        stem = stem[_group_end(stem, 0) + 1 :]
    return stem


def _group_end(stem: str, start: int) -> int:
    depth = 0
    for i in range(start, len(stem)):
        depth += stem[i] == "("
        depth -= stem[i] == ")"
        if depth == 0:
            return i
    return -1


def literal_prefixes(stem: str) -> set[str] | None:
    """The literal first words a stem can start with, or None when it cannot be indexed."""
    stem, prefixes, i = _skip_lookbehinds(stem), [""], 0
    while i < len(stem):
        ch, nxt = stem[i], stem[i + 1] if i + 1 < len(stem) else ""
        if ch == "[" and "]" in stem[i:]:
            close = stem.index("]", i)
            chars = stem[i + 1 : close]
            if "-" in chars or "^" in chars or "\\" in chars or (close + 1 < len(stem) and stem[close + 1] in "?*{"):
                break
            prefixes, i = [p + c for p in prefixes for c in chars], close + 1
        elif ch == "(":
            close = _group_end(stem, i)
            inner = stem[i + 1 : close].removeprefix("?:")
            if close < 0 or any(c in _META for c in inner.replace("|", "")) or (
                    close + 1 < len(stem) and stem[close + 1] in "?*{"):
                break
            prefixes, i = [p + alt for p in prefixes for alt in inner.split("|")], close + 1
        elif ch in _META or ch.isspace() or nxt in ("?", "*") or nxt == "{":
            break
        else:
            prefixes, i = [p + ch for p in prefixes], i + 1
    words = {p.split(" ")[0] for p in prefixes}
    return None if any(len(w) < 1 for w in words) else words


KEY = 3  # words are looked up by their first three characters (shorter words whole)


@cache
def _word_index() -> tuple[dict[str, tuple[tuple[str, str], ...]], frozenset[str]]:
    """Key (first letters of a word) → (literal prefix, category) of the stems that may start
    there; and the categories with a stem that cannot be indexed (searched in full instead)."""
    index: dict[str, set[tuple[str, str]]] = {}
    unindexed: set[str] = set()
    for category in categories():
        for stems in lexicon_data()[category].values():
            for stem in stems:
                if _CJK.match(stem):
                    continue  # matched by a plain search in texts that contain such scripts
                words = literal_prefixes(stem)
                if words is None:
                    unindexed.add(category)
                    continue
                for word in words:
                    index.setdefault(word[:KEY], set()).add((word, category))
    return {k: tuple(sorted(v)) for k, v in index.items()}, frozenset(unindexed)


def _categories_of(word: str, index: dict[str, tuple[tuple[str, str], ...]]) -> set[str]:
    return {category for prefix, category in index.get(word[:KEY], ()) if word.startswith(prefix)}


class Matcher:
    """Category matches in one view, through the word index."""

    def __init__(self, view: str) -> None:
        self.view = view
        self.has_cjk = _CJK.search(view) is not None
        index, _ = _word_index()
        words = {w for w in _WORD_RE.findall(view) if w[:KEY] in index}
        self.present: frozenset[str] = frozenset().union(*(_categories_of(w, index) for w in words))
        self._positions: dict[str, list[int]] | None = None

    def positions(self, category: str) -> list[int]:
        """Starts of the words where a stem of ``category`` may begin (computed once per view)."""
        if self._positions is None:
            index, _ = _word_index()
            self._positions = {}
            for m in _WORD_RE.finditer(self.view):
                if m.group()[:KEY] in index:
                    for found in _categories_of(m.group(), index):
                        self._positions.setdefault(found, []).append(m.start())
        return self._positions.get(category, [])

    def finditer(self, category: str, start: int = 0, end: int | None = None) -> Iterator[re.Match[str]]:
        end = len(self.view) if end is None else end
        compiled = pattern(category)
        if self.has_cjk or category in _word_index()[1]:
            yield from compiled.finditer(self.view, start, end)
            return
        if category not in self.present:
            return
        positions = self.positions(category)
        last = -1
        for pos in positions[bisect_left(positions, start) :]:
            if pos >= end:
                break
            if pos < last:
                continue
            match = compiled.match(self.view, pos, end)
            if match:
                last = match.end()
                yield match

    def search(self, category: str, start: int = 0, end: int | None = None) -> re.Match[str] | None:
        return next(self.finditer(category, start, end), None)


@lru_cache(maxsize=8)
def matcher(view: str) -> Matcher:
    """The (cached) matcher of a view: the pipeline asks many questions of the same text."""
    return Matcher(view)


def search(category: str, view: str, start: int = 0, end: int | None = None) -> re.Match[str] | None:
    """First match of ``category`` in ``view[start:end]``."""
    return matcher(view).search(category, start, end)


def finditer(category: str, view: str, start: int = 0, end: int | None = None) -> Iterator[re.Match[str]]:
    return matcher(view).finditer(category, start, end)
