"""Event dates: absolute («6 марта 2023», "March 6", «6 mars», «06.03.2023») or relative to the
publication date («вчера», "on Sunday", «в понедельник»), as ``YYYY-MM-DD``, ``YYYY-MM`` or
``--MM-DD`` when the year cannot be inferred.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

MONTH_STEMS: dict[str, int] = {
    # ru
    "январ": 1, "феврал": 2, "март": 3, "апрел": 4, "ма": 5, "июн": 6, "июл": 7, "август": 8,
    "сентябр": 9, "октябр": 10, "ноябр": 11, "декабр": 12,
    # uk
    "січ": 1, "лют": 2, "берез": 3, "квіт": 4, "трав": 5, "черв": 6, "лип": 7, "серп": 8,
    "верес": 9, "жовт": 10, "листопад": 11, "груд": 12,
    # en
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
    "oct": 10, "nov": 11, "dec": 12,
    # fr
    "janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6,
    "juillet": 7, "août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11,
    "décembre": 12, "decembre": 12,
    # de / pl / bg (common in reports)
    "januar": 1, "februar": 2, "märz": 3, "juni": 6, "juli": 7, "oktober": 10, "dezember": 12,
    "stycznia": 1, "lutego": 2, "marca": 3, "kwietnia": 4, "maja": 5, "czerwca": 6, "lipca": 7,
    "sierpnia": 8, "września": 9, "października": 10, "listopada": 11, "grudnia": 12,
    "януари": 1, "февруари": 2, "април": 4, "юни": 6, "юли": 7, "септември": 9, "октомври": 10,
    "ноември": 11, "декември": 12,
}
_RU_MONTH = (r"(?:январ[яеь]|феврал[яеь]|март[аеу]?|апрел[яеь]|ма[яйе]|июн[яеь]|июл[яеь]|август[аеу]?"
             r"|сентябр[яеь]|октябр[яеь]|ноябр[яеь]|декабр[яеь])")
_UK_MONTH = r"(?:січня|лютого|березня|квітня|травня|червня|липня|серпня|вересня|жовтня|листопада|грудня)"
_EN_MONTH = (r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
             r"|Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept?\.?|Oct\.?|Nov\.?|Dec\.?)")
_FR_MONTH = r"(?:janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre)"
_OTHER_MONTH = (r"(?:Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember"
                r"|stycznia|lutego|marca|kwietnia|maja|czerwca|lipca|sierpnia|września|października"
                r"|listopada|grudnia|януари|февруари|март|април|май|юни|юли|август|септември|октомври"
                r"|ноември|декември)")
_ANY_MONTH = f"(?:{_RU_MONTH}|{_UK_MONTH}|{_FR_MONTH}|{_OTHER_MONTH})"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
ANY_MONTH, EN_MONTH = _ANY_MONTH, _EN_MONTH  # month names of every language, English apart (units use them)

PATTERNS: list[re.Pattern[str]] = [
    # 6 марта 2023 / 6 mars / 1er mars / 6. März / 6 березня
    re.compile(rf"(?<!\d)(?P<day>[0-3]?\d)(?:-?го|er|\.)?\s+(?P<month>{_ANY_MONTH})(?!\w)(?:,?\s+{_YEAR}(?!\d))?",
               re.IGNORECASE),
    # March 6, 2023 / March 6th
    re.compile(rf"(?P<month>{_EN_MONTH})\s+(?P<day>[0-3]?\d)(?:st|nd|rd|th)?(?!\d)(?:,?\s+{_YEAR}(?!\d))?"),
    # 6 March 2023
    re.compile(rf"(?<!\d)(?P<day>[0-3]?\d)(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month>{_EN_MONTH})(?:,?\s+{_YEAR}(?!\d))?"),
    # 06.03.2023
    re.compile(r"(?<![\d.])(?P<day>[0-3]?\d)\.(?P<mnum>[01]\d)\.(?P<year>(?:19|20)\d\d)(?!\d|\.\d)"),
    # 2023-03-06
    re.compile(r"(?<!\d)(?P<year>(?:19|20)\d\d)-(?P<mnum>[01]\d)-(?P<day>[0-3]\d)(?!\d)"),
]
MONTH_ONLY = re.compile(
    rf"(?:в|у|in|en|im|w)\s+(?P<month>{_RU_MONTH}|{_UK_MONTH}|{_EN_MONTH}|{_FR_MONTH})(?:\s+{_YEAR}(?!\d))",
    re.IGNORECASE,
)
RELATIVE_DAYS: dict[str, int] = {
    "позавчера": -2, "вчера": -1, "сегодня": 0, "накануне": -1, "позавчора": -2, "вчора": -1,
    "сьогодні": 0, "yesterday": -1, "today": 0, "avant-hier": -2, "hier": -1, "aujourd'hui": 0,
    "gestern": -1, "heute": 0, "wczoraj": -1, "dzisiaj": 0,
}
RELATIVE = re.compile(r"(?<!\w)(?:" + "|".join(sorted(map(re.escape, RELATIVE_DAYS), key=len, reverse=True))
                      + r")(?!\w)", re.IGNORECASE)
WEEKDAYS: dict[str, int] = {
    "понедельник": 0, "вторник": 1, "среду": 2, "среда": 2, "четверг": 3, "пятницу": 4, "пятница": 4,
    "субботу": 5, "суббота": 5, "воскресенье": 6, "понеділок": 0, "вівторок": 1, "середу": 2,
    "четвер": 3, "п'ятницю": 4, "суботу": 5, "неділю": 6, "monday": 0, "tuesday": 1,
    "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6, "lundi": 0, "mardi": 1,
    "mercredi": 2, "jeudi": 3, "vendredi": 4, "samedi": 5, "dimanche": 6,
}
WEEKDAY = re.compile(r"(?<!\w)(?:в|во|у|on|last|late|ce|le)\s+(?P<wd>" + "|".join(WEEKDAYS) + r")(?!\w)",
                     re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class DateMatch:
    value: str
    precision: str
    start: int
    end: int


def _month_number(word: str) -> int | None:
    low = word.lower().rstrip(".")
    if low in MONTH_STEMS:
        return MONTH_STEMS[low]
    for stem in sorted(MONTH_STEMS, key=len, reverse=True):
        if len(stem) >= 3 and low.startswith(stem):
            return MONTH_STEMS[stem]
    if low.startswith("ма"):
        return 5
    return None


def parse_published(published: str | None) -> date | None:
    """The publication date of an ISO date or datetime string; None if missing or malformed."""
    if not published:
        return None
    try:
        return date.fromisoformat(published[:10])
    except ValueError:
        return None


def _with_year(month: int, day: int | None, year: int | None, published: date | None) -> tuple[str, str]:
    if year is None and published is not None:
        year = published.year
        if date(year, month, min(day or 1, 28)) > published + timedelta(days=31):
            year -= 1
    if day is None:
        return (f"{year:04d}-{month:02d}", "month") if year else ("", "")
    if year is None:
        return f"--{month:02d}-{day:02d}", "day"
    try:
        return date(year, month, day).isoformat(), "day"
    except ValueError:
        return "", ""


def absolute_dates(text: str, start: int, end: int, published: date | None) -> list[DateMatch]:
    """Day and month-year dates written in ``text[start:end]``."""
    found = []
    for pattern in PATTERNS:
        for m in pattern.finditer(text, start, end):
            month = int(m.group("mnum")) if "mnum" in m.groupdict() and m.group("mnum") else \
                _month_number(m.group("month"))
            day = int(m.group("day"))
            year = int(m.group("year")) if m.group("year") else None
            if month is None or not 1 <= month <= 12 or not 1 <= day <= 31:
                continue
            value, precision = _with_year(month, day, year, published)
            if value:
                found.append(DateMatch(value, precision, m.start(), m.end()))
    for m in MONTH_ONLY.finditer(text, start, end):
        month = _month_number(m.group("month"))
        if month:
            value, precision = _with_year(month, None, int(m.group("year")), published)
            found.append(DateMatch(value, precision, m.start(), m.end()))
    return found


RELATIVE_MONTHS: dict[str, int] = {
    "this month": 0, "earlier this month": 0, "в этом месяце": 0, "в начале месяца": 0, "ce mois-ci": 0,
    "цього місяця": 0, "last month": -1, "в прошлом месяце": -1, "le mois dernier": -1,
    "минулого місяця": -1, "last week": -7, "на прошлой неделе": -7, "la semaine dernière": -7,
    "минулого тижня": -7, "на минулому тижні": -7,
}
RELATIVE_MONTH = re.compile(r"(?<!\w)(?:" + "|".join(sorted(map(re.escape, RELATIVE_MONTHS), key=len, reverse=True))
                            + r")(?!\w)", re.IGNORECASE)


def _relative_month(published: date, shift: int) -> str:
    if shift == -7:
        day = published - timedelta(days=7)
        return f"{day.year:04d}-{day.month:02d}"
    month = published.month + shift
    year = published.year + (month - 1) // 12
    return f"{year:04d}-{(month - 1) % 12 + 1:02d}"


def relative_dates(text: str, start: int, end: int, published: date | None) -> list[DateMatch]:
    """«вчера», "on Sunday", "last week" ... resolved against the publication date (none without one)."""
    if published is None:
        return []
    found = [DateMatch(_relative_month(published, RELATIVE_MONTHS[m.group().lower()]), "month", m.start(), m.end())
             for m in RELATIVE_MONTH.finditer(text, start, end)]
    for m in RELATIVE.finditer(text, start, end):
        day = published + timedelta(days=RELATIVE_DAYS[m.group().lower()])
        found.append(DateMatch(day.isoformat(), "day", m.start(), m.end()))
    for m in WEEKDAY.finditer(text, start, end):
        back = (published.weekday() - WEEKDAYS[m.group("wd").lower()]) % 7 or 7
        found.append(DateMatch((published - timedelta(days=back)).isoformat(), "day", m.start(), m.end()))
    return found


_BACKGROUND = re.compile(r"(?:мобилизова\w*|призва\w*|mobili[sz]ed|drafted|mobilisés?|since|depuis|с\s+начала)"
                         r"\W+(?:\w+\W+){0,3}$", re.IGNORECASE)


_SINCE = re.compile(r"(?:(?<!\w)с|since|depuis|from|seit|від|з|od)\s+$", re.IGNORECASE)
_WAR_START = re.compile(r"вторжени|нападени|спецоперац|СВО|войн|invasion|invaded|war\b|guerre|війн|вторгн", re.IGNORECASE)


def _background(text: str, d: DateMatch) -> bool:
    """«мобилизованы в сентябре 2022», "since February", the day the invasion began: background."""
    before = text[max(0, d.start - 50) : d.start]
    if _BACKGROUND.search(before) or _SINCE.search(before):
        return True
    war_start = d.value.endswith("02-24") and d.value[:4] in {"2022", "--02"}
    return war_start and bool(_WAR_START.search(text, max(0, d.start - 80), d.end + 80))


def find_dates(text: str, start: int, end: int, published: str | None) -> list[DateMatch]:
    """Every date in ``text[start:end]`` but background ones, non-overlapping, in text order."""
    pub = parse_published(published)
    found = absolute_dates(text, start, end, pub) + relative_dates(text, start, end, pub)
    found = [d for d in found if not _background(text, d)]
    chosen: list[DateMatch] = []
    for d in sorted(found, key=lambda d: (-(d.end - d.start), d.start)):
        if all(d.end <= c.start or d.start >= c.end for c in chosen):
            chosen.append(d)
    return sorted(chosen, key=lambda d: d.start)
