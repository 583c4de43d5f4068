"""How many took part: a count («около 20 человек», "about twenty soldiers") or a range
(«пять–десять человек», "five to ten men"). Vague plurals («десятки», "dozens") are no number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from dissentwatch.analyze.fields.numbers import number_value

_PEOPLE = (
    r"(?:человек\w*|мобилизованн\w*|военн(?:ых|ые|ослужащ\w*)|бойц\w*|солдат\w*|мужчин\w*|резервист\w*|"
    r"контрактник\w*|добровольц\w*|морпех\w*|артиллерист\w*|срочник\w*|чоловік\w*|військов\w*|"
    r"soldier\w*|servicem[ae]n|men|people|troops|draftees|reservists|marines|others|recruits|conscripts|"
    r"mobili[sz]ed|fighters|soldats|hommes|militaires|personnes|mobilisés|combattants|"
    r"soldaten|männer|żołnierzy|mężczyzn|войници|мъже|военни)(?!\w)"
)
_NUMBER = r"(?:\d{1,4}|[^\W\d_]+(?:[-'’][^\W\d_]+)?)"
_RANGE_SEP = r"\s*(?:[-–—]|до|to|à|or|или|або)\s*"
_LINK = r"(?:\s+(?:[\w-]+\s+)?|\s+d['’]|\s+de\s+|\s+(?:of\s+the|из)\s+)"
RANGE = re.compile(rf"(?<!\w)(?:(?:between|entre|от|від)\s+(?P<a2>{_NUMBER})\s+(?:and|et|до)\s+(?P<b2>{_NUMBER}){_LINK}"
                   rf"(?P<noun2>{_PEOPLE})|(?P<a>{_NUMBER}){_RANGE_SEP}(?P<b>{_NUMBER}){_LINK}(?P<noun>{_PEOPLE}))", re.IGNORECASE)
COUNT = re.compile(rf"(?<![\w.,№])(?P<a>{_NUMBER}){_LINK}(?P<noun>{_PEOPLE})", re.IGNORECASE)
OTHERS = re.compile(rf"(?:along|together)\s+with\s+(?P<a>{_NUMBER})\s+others|вместе\s+с\s+(?P<b>{_NUMBER})\s+"
                    r"(?:другими|сослуживцами|товарищами)", re.IGNORECASE)
_KILLED_AFTER = re.compile(r"\s*(?:\w+\s+){0,2}?(?:погиб|убит|ранен|killed|died|dead|wounded|tué|mort|blessé|"
                           r"загин|getötet|zginę)", re.IGNORECASE)


_VAGUE_BEFORE = re.compile(r"(?:several|few|many|hundreds|thousands|несколько|сотни|тысячи|plusieurs|quelques|"
                           r"des|kilka|mehrere|кілька)\s+$", re.IGNORECASE)
_NOT_PEOPLE_AFTER = re.compile(
    r"\s*(?:%|процент|percent|year|год|лет|(?:го\s+)?(?:январ|феврал|март|апрел|ма[яй]|июн|июл|август|сентябр|октябр"
    r"|ноябр|декабр|january|february|march|april|may|june|july|august|september|october|november|december"
    r"|janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre))",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class ParticipantsMatch:
    value: int | list[int]
    start: int
    end: int


def _ranges(text: str, start: int, end: int) -> list[ParticipantsMatch]:
    found = []
    for m in RANGE.finditer(text, start, end):
        a = number_value(m.group("a") or m.group("a2"))
        b = number_value(m.group("b") or m.group("b2"))
        if a is not None and b is not None and a < b:
            found.append(ParticipantsMatch([a, b], m.start(), m.end()))
    return found


def _counts(text: str, start: int, end: int) -> list[ParticipantsMatch]:
    found = []
    position = start
    while (m := COUNT.search(text, position, end)) is not None:
        position = m.start() + max(1, len(m.group("a")))
        value = number_value(m.group("a"))
        if value is None or not 1 < value < 1900 or _KILLED_AFTER.match(text, m.end(), end):
            continue
        if _NOT_PEOPLE_AFTER.match(text, m.end("a")) or _VAGUE_BEFORE.search(text[max(0, m.start() - 20) : m.start()]):
            continue
        found.append(ParticipantsMatch(value, m.start(), m.end()))
    for m in OTHERS.finditer(text, start, end):
        value = number_value(m.group("a") or m.group("b"))
        if value is not None:
            found.append(ParticipantsMatch(value + 1, m.start(), m.end()))
    return found


def find_participants(text: str, start: int, end: int) -> ParticipantsMatch | None:
    """The first count or range of people written in ``text[start:end]``."""
    found = _ranges(text, start, end)
    covered = [(r.start, r.end) for r in found]
    found += [c for c in _counts(text, start, end) if all(c.end <= s or c.start >= e for s, e in covered)]
    return min(found, key=lambda m: m.start) if found else None


_SOLDIER_LEMMAS = frozenset({
    "мобилизованный", "военнослужащий", "боец", "солдат", "военный", "резервист", "контрактник", "доброволец",
    "срочник", "морпех", "пехотинец", "артиллерист", "мобилизовать",
})
_EN_SOLDIER = re.compile(
    r"(?<!\w)(?:(?P<one>one\s+of\s+the|un\s+des|une\s+des|l['’]un\s+des)\s+(?:\w+\s+)?"
    r"(?:soldiers|servicemen|draftees|reservists|conscripts|fighters|soldats|militaires|mobilisés)"
    r"|(?P<article>an?|the|un|le|ce|this|that)\s+(?:(?:young|mobili[sz]ed|russian|contract|drafted|jeune|"
    r"mobilisé)\s+){0,2}(?P<sing>soldier|serviceman|draftee|reservist|conscript|fighter|marine|soldat|militaire)"
    r"|(?P<plural>soldiers|servicemen|draftees|reservists|conscripts|fighters|marines|troops|soldats|militaires"
    r"|mobilisés|men|hommes))(?!\w)",
    re.IGNORECASE,
)
_RU_WORD = re.compile(r"[а-яёА-ЯЁ]+")
_RU_ONE_OF = re.compile(r"(?<!\w)(?:один|одна)\s+из\s+[а-яё]+", re.IGNORECASE)


def single_actor(text: str, start: int, end: int) -> ParticipantsMatch | None:
    """One person acts alone: the first soldier named in the span is singular («мобилизованный
    рассказал», "a young soldier", "one of the servicemen")."""
    first = [m for m in (_first_en(text, start, end), _first_ru(text, start, end)) if m is not None]
    if not first:
        return None
    position, single, span_end = min(first)
    return ParticipantsMatch(1, position, span_end) if single else None


def _first_en(text: str, start: int, end: int) -> tuple[int, bool, int] | None:
    m = _EN_SOLDIER.search(text, start, end)
    if m is None:
        return None
    return m.start(), bool(m.group("one") or m.group("sing")), m.end()


def _first_ru(text: str, start: int, end: int) -> tuple[int, bool, int] | None:
    one_of = _RU_ONE_OF.search(text, start, end)
    words = list(_RU_WORD.finditer(text, start, end))
    for i, word in enumerate(words):
        if one_of is not None and one_of.start() <= word.start():
            return one_of.start(), True, one_of.end()
        tag = _soldier_tag(word.group(), words[i + 1].group() if i + 1 < len(words) else "")
        if tag is not None:
            return word.start(), "sing" in tag, word.end()
    return None


@lru_cache(maxsize=100_000)
def _first_parse(word: str) -> tuple[str, str]:
    """(lemma, tag) of the most likely reading of a Russian word."""
    from dissentwatch.analyze.text import _morph

    parse = _morph().parse(word.lower())[0]
    return str(parse.normal_form).replace("ё", "е"), str(parse.tag)


def _soldier_tag(word: str, following: str) -> str | None:
    """The grammatical tag of a soldier noun («боец», «мобилизованный» used as a noun), else None."""
    lemma, tag = _first_parse(word)
    if lemma not in _SOLDIER_LEMMAS:
        return None
    if "NOUN" in tag:
        return tag
    if ("femn" in tag or "neut" in tag) and "plur" not in tag:
        return None
    if following and "NOUN" in _first_parse(following)[1]:
        return None
    return tag
