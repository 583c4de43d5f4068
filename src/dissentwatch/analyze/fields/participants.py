"""How many took part: a count («около 20 человек», "about twenty soldiers") or a range
(«пять–десять человек», "five to ten men"). Vague plurals («десятки», "dozens") are no number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
