"""Killed and wounded as the soldiers claim them: «погибли шестеро», "six people were killed",
«22 погибших», «six personnes sont mortes». The number stated, never computed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dissentwatch.analyze.fields.numbers import number_value

KILLED = re.compile(
    r"(?<!\w)(?:погиб\w*|убит\w*|убил[иа]?|гибел\w*|двухсотых|загину\w*|загибл\w*|killed|died|dead|"
    r"morts?|mortes|tués?|décédés|zginęł\w*|zginęło|zabit\w*|polegl\w*|getötet|gefallen|starben|загинаха)(?!\w)",
    re.IGNORECASE,
)
WOUNDED = re.compile(
    r"(?<!\w)(?:ранен\w*|раненых|трехсотых|поранен\w*|wounded|injured|blessés?|verwundet\w*|rann\w*)(?!\w)",
    re.IGNORECASE,
)
_WORD = re.compile(r"[\w'’]+")
_WINDOW = 4
_NOT_A_COUNT = re.compile(
    r"\s*(?:-?й|-?го|th|st|nd|rd|e\s|год|г\.|year|%|процент|бригад|полк|brigade|regiment|"
    r"дн[яейи]|день|суток|сутки|недел|месяц|час|минут|day|week|month|hour|jour|semaine|mois|heure|tag|woche|"
    r"dni|tygodni|днів|тижн|місяц)", re.IGNORECASE)
_ARTICLES = frozenset({"un", "une", "one", "a", "один", "одна", "одном", "одной", "ein", "eine"})
_CLAUSE_BREAK = re.compile(r"[,.;:!?]|(?<!\w)(?:из|of|sur|и|and|et)(?!\w)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class CasualtyMatch:
    value: int
    start: int
    end: int


def _number_near(text: str, verb: re.Match[str], start: int, end: int) -> CasualtyMatch | None:
    before = list(_WORD.finditer(text, max(start, verb.start() - 60), verb.start()))[-_WINDOW:]
    after = list(_WORD.finditer(text, verb.end(), min(end, verb.end() + 60)))[:_WINDOW]
    candidates = []
    for word in before + after:
        lo, hi = min(word.start(), verb.start()), max(word.end(), verb.end())
        between = text[min(word.end(), verb.end()) : max(word.start(), verb.start())]
        if _CLAUSE_BREAK.search(between):
            continue
        if word.group().lower() in _ARTICLES:
            continue
        value = number_value(word.group())
        if value is not None and 0 < value < 10_000 and not _is_year_or_unit(text, word):
            candidates.append((hi - lo, CasualtyMatch(value, lo, hi)))
    return min(candidates, key=lambda c: c[0])[1] if candidates else None


def _is_year_or_unit(text: str, word: re.Match[str]) -> bool:
    following = text[word.end() : word.end() + 12].lower()
    return bool(_NOT_A_COUNT.match(following)) or (len(word.group()) == 4 and word.group().startswith(("19", "20")))


def _find(pattern: re.Pattern[str], text: str, start: int, end: int) -> CasualtyMatch | None:
    for verb in pattern.finditer(text, start, end):
        found = _number_near(text, verb, start, end)
        if found:
            return found
    return None


def killed_claimed(text: str, start: int, end: int) -> CasualtyMatch | None:
    """The first number of dead stated in ``text[start:end]``."""
    return _find(KILLED, text, start, end)


def wounded_claimed(text: str, start: int, end: int) -> CasualtyMatch | None:
    """The first number of wounded stated in ``text[start:end]``."""
    return _find(WOUNDED, text, start, end)
