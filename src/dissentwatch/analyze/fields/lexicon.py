"""Phrase lexicons of the field extractors (``fields/data/*.json``), matched on lemmas.

A lexicon file maps a vocabulary key to phrases per language: ``{"pay": {"ru": [...], "en": [...]}}``.
A phrase is a sequence of items separated by spaces:

- ``мясо`` matches a token whose lemma (any reading, for Russian) or lower-case form is that word;
- ``штурм*`` matches a token whose lemma or form starts with ``штурм``;
- ``..`` lets up to three tokens stand between its neighbours («без .. артподдержк*»).

Languages are matched as a union: reports quote their sources in other languages and language
identification of short posts is unreliable.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from dissentwatch.analyze.text import lemma, lemma_set

_WORD = re.compile(r"\w+(?:[-'’]\w+)*")
_CYRILLIC = re.compile("[а-яёіїєґ]", re.IGNORECASE)
_GAP = 3
LEMMATISED = frozenset({"uk", "en", "fr"})
"""Languages lemmatised with simplemma; others are matched on their lower-case forms."""


@dataclass(frozen=True, slots=True)
class Hit:
    """A phrase of ``key`` found at ``text[start:end]``."""

    key: str
    start: int
    end: int
    phrase: str


@dataclass(frozen=True, slots=True)
class _Word:
    start: int
    end: int
    forms: frozenset[str]


@dataclass(frozen=True, slots=True)
class _Phrase:
    key: str
    source: str
    items: tuple[tuple[str, bool, bool], ...]  # (text, is_stem, gap_before)


def _parse(key: str, phrase: str) -> _Phrase:
    items: list[tuple[str, bool, bool]] = []
    gap = False
    for raw in phrase.lower().replace("ё", "е").split():
        if raw == "..":
            gap = True
            continue
        items.append((raw.rstrip("*"), raw.endswith("*"), gap))
        gap = False
    return _Phrase(key, phrase, tuple(items))


class Lexicon:
    """Compiled phrases of one lexicon: ``find`` returns every hit in a span of text."""

    def __init__(self, entries: dict[str, dict[str, list[str]]]) -> None:
        self.exact: dict[str, list[_Phrase]] = defaultdict(list)
        self.stems: dict[str, list[_Phrase]] = defaultdict(list)
        self._seen: dict[frozenset[str], list[_Phrase]] = {}
        for key, per_lang in entries.items():
            for phrases in per_lang.values():
                for source in phrases:
                    phrase = _parse(key, source)
                    if not phrase.items:
                        continue
                    head, is_stem, _ = phrase.items[0]
                    (self.stems[head[:3]] if is_stem else self.exact[head]).append(phrase)

    def find(self, text: str, lang: str | None, start: int = 0, end: int | None = None) -> list[Hit]:
        """Every phrase found in ``text[start:end]``, in text order (absolute offsets)."""
        words = _words(text, lang, start, len(text) if end is None else end)
        hits = []
        for i, word in enumerate(words):
            for phrase in self._candidates(word):
                last = _match_from(phrase, words, i)
                if last is not None:
                    hits.append(Hit(phrase.key, word.start, words[last].end, phrase.source))
        return sorted(hits, key=lambda h: (h.start, -h.end))

    def _candidates(self, word: _Word) -> list[_Phrase]:
        found = self._seen.get(word.forms)
        if found is None:
            found = []
            for form in word.forms:
                found += self.exact.get(form, ())
                found += [p for p in self.stems.get(form[:3], ()) if form.startswith(p.items[0][0])]
            if len(self._seen) > 200_000:
                self._seen.clear()
            self._seen[word.forms] = found
        return found


def _item_matches(item: tuple[str, bool, bool], word: _Word) -> bool:
    text, is_stem, _ = item
    if is_stem:
        return any(form.startswith(text) for form in word.forms)
    return text in word.forms


def _match_from(phrase: _Phrase, words: list[_Word], i: int) -> int | None:
    if not _item_matches(phrase.items[0], words[i]):
        return None
    position = i
    for item in phrase.items[1:]:
        reach = _GAP + 1 if item[2] else 1
        for step in range(1, reach + 1):
            if position + step < len(words) and _item_matches(item, words[position + step]):
                position += step
                break
        else:
            return None
    return position


@lru_cache(maxsize=32)
def _words(text: str, lang: str | None, start: int, end: int) -> list[_Word]:
    """Words of a span with their forms; cached, as every lexicon reads the same span."""
    out = []
    for m in _WORD.finditer(text, start, end):
        low = m.group().lower().replace("ё", "е")
        word_lang = "ru" if _CYRILLIC.search(low) and lang not in {"uk", "bg"} else lang
        if word_lang == "ru":
            forms = lemma_set(low, "ru") | {low}
        elif word_lang in LEMMATISED:
            forms = frozenset({low, lemma(low, word_lang)})
        else:
            forms = frozenset({low})
        out.append(_Word(m.start(), m.end(), forms))
    return out


@cache
def entries(name: str) -> dict[str, dict[str, list[str]]]:
    """The raw phrases of ``fields/data/NAME.json``: ``{key: {lang: [phrase, ...]}}``."""
    raw = resources.files("dissentwatch.analyze.fields").joinpath(f"data/{name}.json").read_text("utf-8")
    return {k: v for k, v in json.loads(raw).items() if not k.startswith("_")}


@cache
def load(name: str, key: str | None = None) -> Lexicon:
    """The compiled lexicon ``fields/data/NAME.json`` (only its ``key`` entry when given)."""
    data = entries(name)
    return Lexicon({key: data[key]} if key else data)
