"""Text utilities every extractor shares: tokens with offsets, lemmas per language, sentences.

Offsets always refer to the document's stored text, so evidence spans can be cut from it.
Lemmas: pymorphy3 for Russian, simplemma for Ukrainian, French and others; lower-case
word forms otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

_WORD = re.compile(r"\w+(?:[-'’]\w+)*", re.UNICODE)
_SENTENCE_END = re.compile(r"(?<=[.!?…»\"”])\s+(?=[«\"“(A-ZА-ЯЁІЇЄҐ0-9])|\n\s*\n|\n(?=[-•—*])")
SIMPLEMMA_LANGS = {"uk", "fr", "en", "de", "pl", "bg", "it", "es", "cs", "da", "ro"}


@dataclass(frozen=True, slots=True)
class Token:
    text: str
    start: int
    end: int
    lemma: str


@dataclass(frozen=True, slots=True)
class Sentence:
    start: int
    end: int
    text: str


@lru_cache(maxsize=1)
def _morph() -> Any:
    import pymorphy3

    return pymorphy3.MorphAnalyzer(lang="ru")


@lru_cache(maxsize=200_000)
def lemma(word: str, lang: str | None) -> str:
    """The dictionary form of ``word`` in ``lang`` (lower case); the word itself if unknown."""
    low = word.lower().replace("ё", "е")
    if lang == "ru" or (lang is None and re.search("[а-я]", low)):
        try:
            return str(_morph().parse(low)[0].normal_form).replace("ё", "е")
        except ImportError:
            return low
    if lang in SIMPLEMMA_LANGS:
        try:
            import simplemma

            return str(simplemma.lemmatize(low, lang=lang)).lower()
        except ImportError:
            return low
    return low


@lru_cache(maxsize=200_000)
def lemma_set(word: str, lang: str | None) -> frozenset[str]:
    """Every dictionary form ``word`` may have (Russian is ambiguous: «полка» → полк, полка)."""
    low = word.lower().replace("ё", "е")
    if lang == "ru" or (lang is None and re.search("[а-я]", low)):
        try:
            return frozenset(str(p.normal_form).replace("ё", "е") for p in _morph().parse(low))
        except ImportError:
            return frozenset({low})
    return frozenset({lemma(word, lang)})


def tokens(text: str, lang: str | None, start: int = 0, end: int | None = None) -> list[Token]:
    """Word tokens of ``text[start:end]`` with absolute offsets and lemmas."""
    end = len(text) if end is None else end
    return [
        Token(m.group(), m.start() + start, m.end() + start, lemma(m.group(), lang))
        for m in _WORD.finditer(text[start:end])
    ]


def sentences(text: str, lang: str | None) -> list[Sentence]:
    """Sentences with absolute offsets: razdel for Russian and Ukrainian, a regex otherwise."""
    if lang in {"ru", "uk", "be"}:
        try:
            from razdel import sentenize

            return [Sentence(s.start, s.stop, s.text) for s in sentenize(text)]
        except ImportError:
            pass
    return list(_regex_sentences(text))


def _regex_sentences(text: str) -> Iterator[Sentence]:
    position = 0
    for match in _SENTENCE_END.finditer(text):
        chunk = text[position : match.start()]
        if chunk.strip():
            lead = len(chunk) - len(chunk.lstrip())
            yield Sentence(position + lead, match.start(), chunk.strip())
        position = match.end()
    chunk = text[position:]
    if chunk.strip():
        lead = len(chunk) - len(chunk.lstrip())
        yield Sentence(position + lead, position + lead + len(chunk.strip()), chunk.strip())


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink a span so it neither starts nor ends with whitespace or dangling punctuation."""
    while start < end and (text[start].isspace() or text[start] in ",;:"):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ",;:"):
        end -= 1
    return start, end
