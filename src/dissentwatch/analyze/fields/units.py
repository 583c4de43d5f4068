"""Military units as written: «5-й отдельной мотострелковой бригады», «255-го мсп», «в/ч 12345»,
«полк 1487», "255th Motorized Rifle Regiment", «255e régiment», «Первой славянской бригады».

A unit is ``{"name": surface form, "number": "255", "kind": "regiment"}``; the first unit written in
the segment is the event's (reports name the unit that speaks before its parent formations).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dissentwatch.analyze.fields.dates import ANY_MONTH, EN_MONTH
from dissentwatch.analyze.fields.numbers import ordinal_value

KIND_WORDS: list[tuple[str, str]] = [
    (r"бригад\w*|brigad\w*|brygad\w*|[\w„“”\"«»-]*brigade", "brigade"),
    (r"полк(?:а|у|ом|е|и|ов|ах|ам|ами)?|regiment\w*|régiment\w*|pułk\w*|[\w„“”\"«»-]*regiment", "regiment"),
    (r"батальон\w*|батальйон\w*|battalion\w*|bataillon\w*|batalion\w*", "battalion"),
    (r"дивизи\w*|дивізі\w*|division\w*|dywizj\w*", "division"),
    (r"рот(?:а|ы|е|у|ой|ою|и)(?!\w)|разведрот\w*|compan(?:y|ies)|compagnie\w*|kompani\w*", "company"),
    (r"арми(?:я|и|ю|ей|ї|ею)(?!\w)|army|armée|armee|armi[ai]", "army"),
    (r"корпус\w*|corps|korpus\w*", "corps"),
]
_KIND = "|".join(f"(?P<k{i}>{p})" for i, (p, _) in enumerate(KIND_WORDS))
_ABBREVIATIONS = {
    "мсп": "regiment", "тп": "regiment", "пдп": "regiment", "дшп": "regiment", "сп": "regiment",
    "ошп": "regiment", "мсбр": "brigade", "омсбр": "brigade", "обрмп": "brigade", "омбр": "brigade",
    "одшбр": "brigade", "дшбр": "brigade", "оабр": "brigade", "абр": "brigade", "ошбр": "brigade",
    "обр": "brigade", "мсд": "division", "тд": "division", "вдд": "division", "дшд": "division",
    "мсб": "battalion", "тб": "battalion", "одшб": "brigade", "дшб": "brigade", "ак": "corps",
    "оа": "army", "омсб": "battalion",
}
_ABBR = "|".join(sorted(_ABBREVIATIONS, key=len, reverse=True))
_ORD_SUFFIX = (r"(?:\s*-\s*|\s*–\s*)?(?:го|й|я|ой|ий|ый|ая|ую|ом|ому|ей|м|ї|ої|ого|ша|ий|ої|му|th|st|nd|rd|e|ème|er|"
               r"re|\.)?")
_STOP = (r"(?:the|a|an|of|by|from|in|on|at|with|and|to|for|video|videos|de|la|le|les|du|des|et|par|en|в|во|на|из|и|"
         r"с|у|по|за|от|для|видео|time|times|раз|soldiers|servicemen|troops|men|soldats|militaires|hommes|военных|"
         r"бойцов|человек|солдат|мобилизованных|военнослужащих|морпехов|контрактников|чоловік|бійців|військових)")
_MODIFIERS = rf"(?:(?!{_STOP}\s)(?!\d)[\w’'«»\"„“”.-]+\s+){{0,5}}?"  # another number starts another unit

PATTERNS: list[re.Pattern[str]] = [
    # 5-й отдельной мотострелковой бригады / 255th Motorized Rifle Regiment / 55. Schützenbrigade
    re.compile(rf"(?<![\w/])(?P<num>\d{{1,4}}){_ORD_SUFFIX}\s+{_MODIFIERS}(?:{_KIND})(?!\w)", re.IGNORECASE),
    # 255-го мсп / 64 омсбр
    re.compile(rf"(?<![\w/])(?P<num>\d{{1,4}}){_ORD_SUFFIX}\s*(?P<abbr>{_ABBR})(?!\w)", re.IGNORECASE),
    # полк 1487 / полка № 1452
    re.compile(r"(?<!\w)(?:(?P<k0>бригад[аыеу]|бригадой)|(?P<k1>полк(?:а|у|ом|е)?)|(?P<k2>батальон(?:а|у|ом|е)?))"
               r"\s+(?:№\s*)?(?P<num>\d{3,5})(?![\w.,]\d)", re.IGNORECASE),
]
MILITARY_UNIT = re.compile(
    r"(?<!\w)(?:в/ч|в\s*/\s*ч|вч|войсков\w+\s+част\w+|воинск\w+\s+част\w+|військов\w+\s+частин\w+|"
    r"military\s+unit|unité\s+militaire|jednostk\w+\s+wojskow\w+)\s*(?:№\s*)?(?P<num>\d{4,5})(?!\d)",
    re.IGNORECASE,
)
_WORD = re.compile(r"\w+")
_ORDINAL_WORD = re.compile(rf"(?P<ord>\w+)\s+(?:(?!{_STOP}\s)[\w’'«»\"„“”.-]+\s+){{0,2}}?(?:{_KIND})(?!\w)", re.IGNORECASE)


_MONTH_AFTER = re.compile(rf"\s*(?:{ANY_MONTH}|{EN_MONTH})(?!\w)", re.IGNORECASE)  # «16 марта», "6 March"
_AFTER_MONTH = re.compile(rf"{EN_MONTH}\s+$", re.IGNORECASE)  # "March 6"


@dataclass(frozen=True, slots=True)
class UnitMatch:
    name: str
    number: str | None
    kind: str
    start: int
    end: int

    def as_value(self) -> dict[str, str | None]:
        return {"name": self.name, "number": self.number, "kind": self.kind}


def _kind_of(m: re.Match[str]) -> str:
    if m.groupdict().get("abbr"):
        return _ABBREVIATIONS[m.group("abbr").lower()]
    for i, (_, kind) in enumerate(KIND_WORDS):
        if m.groupdict().get(f"k{i}"):
            return kind
    return "other"


def _numbered(text: str, start: int, end: int) -> list[UnitMatch]:
    found = []
    for pattern in PATTERNS:
        for m in pattern.finditer(text, start, end):
            if _is_quantity(text, m):
                continue
            found.append(UnitMatch(m.group(), m.group("num"), _kind_of(m), m.start(), m.end()))
    for m in MILITARY_UNIT.finditer(text, start, end):
        found.append(UnitMatch(m.group(), m.group("num"), "military_unit", m.start(), m.end()))
    return found


def _is_quantity(text: str, m: re.Match[str]) -> bool:
    """«500 военных из бригады», "March 6 video by the brigade", «16 марта ... бригады»: a count or
    a day, not a unit number."""
    if _AFTER_MONTH.search(text, max(0, m.start() - 12), m.start()) or _MONTH_AFTER.match(text, m.end("num")):
        return True
    middle = text[m.end("num") : m.start() + len(m.group())]
    if re.search(r"\s(?:из|of|de|du|des|aus|z|від|з)\s", middle, re.IGNORECASE):
        return True
    number = m.group("num")
    return len(number) == 4 and number.startswith(("19", "20")) and not m.groupdict().get("abbr") \
        and bool(re.match(r"\s*(?:год|year|г\.)", text[m.end("num") : m.end("num") + 8], re.IGNORECASE))


def _ordinal_words(text: str, start: int, end: int) -> list[UnitMatch]:
    found = []
    for word in _WORD.finditer(text, start, end):
        value = ordinal_value(word.group())
        if value is None:
            continue
        m = _ORDINAL_WORD.match(text, word.start(), end)
        if m:
            found.append(UnitMatch(m.group(), str(value), _kind_of(m), m.start(), m.end()))
    return found


def find_units(text: str, start: int, end: int) -> list[UnitMatch]:
    """Every unit written in ``text[start:end]``, non-overlapping, in text order."""
    found = _numbered(text, start, end) + _ordinal_words(text, start, end)
    chosen: list[UnitMatch] = []
    for u in sorted(found, key=lambda u: (u.number is None, u.start, -(u.end - u.start))):
        if all(u.end <= c.start or u.start >= c.end for c in chosen):
            chosen.append(u)
    return sorted(chosen, key=lambda u: u.start)


_BARE_KIND = re.compile(r"(?<!\w)(?:an?|the|one|this|that|its|un|une|le|la|ce|cette|один|одна|одной|одного)\s+"
                        r"(?:[\w-]+\s+){0,2}?(?:regiment|brigade|battalion|company|division|régiment|bataillon|"
                        r"compagnie|полк\w*|бригад\w*|батальон\w*|рот[аыуе])(?!\w)", re.IGNORECASE)


def names_a_unit(text: str, start: int, end: int) -> bool:
    """The span names a unit without a number ("a regiment of artillerymen", «одна рота»)."""
    return _BARE_KIND.search(text, start, end) is not None
