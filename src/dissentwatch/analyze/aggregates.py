"""Count statements ("17 such videos since February", "hundreds refuse", court statistics).

They are recorded as :class:`~dissentwatch.models.Aggregate` and never become events.
"""

from __future__ import annotations

import re

from dissentwatch.analyze.lexicons import search
from dissentwatch.analyze.text import trim_span
from dissentwatch.models import Aggregate

AGGREGATES_VERSION = "aggregates_rules.v1"

_NUMBER = re.compile(
    r"(?<![\w/])(\d{1,3}(?:[ \u00a0,.]\d{3})+|\d+(?:[.,]\d+)?)(?:\s*(тыс\w*|тысяч\w*|thousand|mille|milliers|tys\w*))?(?![\w/-])"
)
_NUMBER_WORDS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "fifty": 50, "dozen": 12,
    "dozens": None, "hundreds": None, "thousands": None, "десятки": None, "сотни": None, "тысячи": None,
    "десятков": None, "сотен": None, "пятнадцать": 15, "двадцать": 20, "десять": 10, "дюжина": 12,
    "dizaine": 10, "quinzaine": 15, "vingtaine": 20, "centaines": None, "milliers": None,
    "сотні": None, "тисячі": None, "два": 2, "две": 2, "три": 3, "четыре": 4, "пять": 5, "шесть": 6,
    "семь": 7, "восемь": 8, "девять": 9, "двенадцать": 12, "тридцать": 30, "cinq": 5, "dix": 10, "vingt": 20,
}
_NUMBER_WORD = re.compile(r"(?<!\w)(" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")(?!\w)")
_YEAR = re.compile(r"^(19|20)\d\d$")
_STRICT_COUNTED = re.compile(
    r"(?:(?!(?:январ|феврал|март|апрел|ма[яй]|июн|июл|август|сентябр|октябр|ноябр|декабр|january|february|march|"
    r"april|may|june|july|august|september|october|november|december|janvier|f[ée]vrier|mars|avril|mai|juin|"
    r"juillet|ao[uû]t|septembre|octobre|novembre|d[ée]cembre))[\w-]+\s+)?"
    r"(видео\b|видеообращени[йя]\b|обращени[йя]\b|ролик(?:ов|а|и)\b|видеоролик(?:ов|а)\b|уголовн\w* дел\w*|дел(?:а)?\b|"
    r"приговор(?:ов|а)\b|случа(?:ев|я)\b|жалоб\b|писем\b|отказник(?:ов|а)\b|дезертир(?:ов|а)\b|відео\b|"
    r"звернен(?:ь|ня)\b|справ\b|відмовник(?:ів|а)\b|videos\b|pleas\b|appeals\b|cases\b|letters\b|complaints\b|"
    r"refuseniks\b|deserters\b|recordings\b|vid[ée]os\b|appels\b|plaintes\b|d[ée]serteurs\b|видеоклип(?:ов|а)\b|"
    r"nagrań\b|filmati\b|региона\b|regions\b|регионов\b)"
)


def _parse_number(text: str) -> float | None:
    match = _NUMBER.search(text)
    if match and not _YEAR.match(match.group(1)):
        digits = re.sub(r"[ \u00a0,]", "", match.group(1))
        if digits.count(".") > 1 or re.fullmatch(r"\d+\.\d{3}", digits):
            digits = digits.replace(".", "")
        try:
            value = float(digits.replace(",", "."))
        except ValueError:
            return None
        return value * 1000 if match.group(2) else value
    word = _NUMBER_WORD.search(text)
    if word:
        return _NUMBER_WORDS[word.group(1)]
    return None


def _counted_after_number(view: str) -> str | None:
    for number in (*_NUMBER.finditer(view), *_NUMBER_WORD.finditer(view)):
        if _YEAR.match(number.group(1)):
            continue
        after = _STRICT_COUNTED.match(view, number.end() + 1) if number.end() < len(view) else None
        if after:
            return after.group(1)
    return None


def count_statement(view: str, start: int, end: int) -> tuple[bool, float | None, str]:
    """(is it a count statement, its number, what it counts) for the sentence ``view[start:end]``."""
    sentence = view[start:end]
    counted = _counted_after_number(sentence)
    number = _parse_number(sentence)
    if counted:
        return True, number, counted
    if search("generic", view, start, end):
        return True, number, ""
    if number is not None and number >= 10 and search("count_cue", view, start, end):
        return True, number, ""
    return False, None, ""


def make_aggregate(text: str, document_id: int, start: int, end: int, number: float | None, counted: str) -> Aggregate:
    start, end = trim_span(text, start, end)
    return Aggregate(document_id=document_id, quote=text[start:end], start=start, end=end,
                     number=number, counted=counted, extractor=AGGREGATES_VERSION)
