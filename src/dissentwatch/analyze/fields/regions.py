"""Home regions (where the soldiers are from) and location (where it happened or was filmed).

A place is a home region when the text says the people come from it («мобилизованные из Курской
области», «жители Белгородчины», «оренбургские мобилизованные», "draftees from Murmansk"), or
when it is listed together with one («из Архангельской, Калининградской и Мурманской областей»).
A location is a place written after «в/под/у», "in/near", «à/près de» — Ukrainian places first.
"""

from __future__ import annotations

import re
from typing import Any

from dissentwatch.analyze.fields import lexicon
from dissentwatch.analyze.fields.places import PlaceMatch, find_places, region_entry

_WORDS = re.compile(r"\w+")
_PARENTHESIS = re.compile(r"\([^()]{0,60}\)")
_FROM_AFAR = re.compile(r"(?<!\w)(?:from|из|originaires?\s+d(?:e|u|es|['’]))\s*"
                        r"(?:(?!(?:in|at|on|to|near|by|with|for|в|во|на|к|у|под|для|à|dans|en|pour)\s)"
                        r"[\w'’-]+,?\s+){1,6}$", re.IGNORECASE)
_NAME_OF = re.compile(r"(?<![.!?]\s)\b[A-Z][a-z]+\s+of\s+(?:the\s+)?$")
_SKIPPED = frozenset({
    "the", "russia", "s", "russian", "siberian", "republic", "of", "town", "city", "village", "region", "so",
    "called", "la", "le", "l", "les", "ville", "république", "города", "город", "г", "поселка", "села",
    "деревни", "пгт", "республики", "області", "міста", "area", "province", "oblast", "local",
    "cities", "towns", "villes", "villages", "regions", "régions", "городов", "des", "du", "di", "della",
    "repubblica",
})
_LIST_GAP = re.compile(r"^\s*(?:,|;|\band\b|\bet\b|\bи\b|\bі\b|\bта\b|\bй\b|\bund\b|\boraz\b|\bi\b|\bz\b|"
                       r"\bthe\b|\bla\b|\ble\b|\bles\b|\bl['’]|\bde\b|\bd['’]|\bиз\b|\bfrom\b|\s)*\s*$",
                       re.IGNORECASE)
_LOCATION_RANK = {("occupied", True): 0, ("occupied", False): 1, ("region", True): 2, ("region", False): 3,
                  ("country", False): 4}


def _cue_words(category: str) -> frozenset[str]:
    words: set[str] = set()
    for phrases in lexicon.entries("cues")[category].values():
        words.update(p.lower() for p in phrases)
    return frozenset(words)


def _has_cue(text: str, start: int, category: str) -> bool:
    """A cue word just before ``start``, skipping articles and words like «города», "the town of"."""
    window = text[max(0, start - 60) : start]
    if window.rstrip()[-1:] in {".", "!", "?", "\n"}:
        return False
    if category == "home_before" and _FROM_AFAR.search(window):
        return True
    words = _WORDS.findall(window.lower())
    cues = _cue_words(category)
    while words:
        if words[-1] in cues or " ".join(words[-2:]) in cues or " ".join(words[-3:]) in cues:
            return True
        if words[-1] not in _SKIPPED:
            return False
        words.pop()
    return False


def _near_soldier(text: str, m: PlaceMatch, lang: str | None) -> bool:
    """A soldier noun right after or right before the place («курские мобилизованные»)."""
    soldiers = lexicon.load("cues", "soldier")
    after = soldiers.find(text, lang, m.end, min(len(text), m.end + 30))
    if after and not text[m.end : after[0].start].strip(" ,"):
        return True
    before = soldiers.find(text, lang, max(0, m.start - 30), m.start)
    return bool(before) and not text[before[-1].end : m.start].strip()


def _is_home(text: str, m: PlaceMatch, lang: str | None) -> bool:
    if m.kind not in {"region", "city"} or m.iso.startswith("UA"):
        return False
    if m.demonym:
        return True
    if _has_cue(text, m.start, "home_before") or _person_of(text, m.start):
        return True
    return not _has_cue(text, m.start, "location_before") and _near_soldier(text, m, lang)


def _person_of(text: str, start: int) -> bool:
    """"Alexei Gnidin of Saratov": a capitalised name, then «of», then the place."""
    return bool(_NAME_OF.search(text[max(0, start - 40) : start]))


def _listed_with(text: str, previous: PlaceMatch, m: PlaceMatch) -> bool:
    """«Курской, Орловской и Брянской областей»; "Kaliningrad (in the west), Murmansk and ..."."""
    gap = _PARENTHESIS.sub(" ", text[previous.end : m.start])
    return bool(_LIST_GAP.match(gap)) and not m.iso.startswith("UA")


def home_region_matches(text: str, start: int, end: int, lang: str | None) -> list[PlaceMatch]:
    """Places the soldiers come from, in text order, one per region or city name."""
    found = find_places(text, lang, start, end, adjectives=True)
    home: list[PlaceMatch] = []
    for i, m in enumerate(found):
        if _is_home(text, m, lang) or (i and found[i - 1] in home and _listed_with(text, found[i - 1], m)):
            home.append(m)
    return home


def home_regions(text: str, start: int, end: int, lang: str | None) -> list[tuple[dict[str, Any], PlaceMatch]]:
    """``[(region entry, match)]`` with one entry per distinct ISO code."""
    out: list[tuple[dict[str, Any], PlaceMatch]] = []
    seen: set[str] = set()
    for m in home_region_matches(text, start, end, lang):
        if m.iso not in seen:
            seen.add(m.iso)
            out.append((region_entry(m), m))
    return out


_FORMATION_BEFORE = re.compile(
    r"(?:\b(?:forces|troops|army|militia|corps|units|ranks|rangs|troupes|armée|milice|unités)\b[^.!?;]{0,30}?"
    r"\b(?:of|de|des|du|d['’])\b[^.!?;]{0,40}"
    r"|(?:войск\w*|арми[иія]|милици\w|корпус\w*|формировани\w+|подразделени\w+|військ\w*)\s+)$",
    re.IGNORECASE)


def _names_a_formation(text: str, m: PlaceMatch) -> bool:
    """«les forces séparatistes des Républiques de Lougansk», "the army of the Donetsk People's
    Republic", «войска ЛНР»: the place names whose armed formation it is, not where it happened."""
    return bool(_FORMATION_BEFORE.search(text[max(0, m.start - 80) : m.start]))


_WAR_BEFORE = re.compile(
    r"(?:\b(?:war|invasion|conflict|guerre|invasion|conflit)\s+(?:in|on|against|with|en|contre|avec)(?:\s+the)?"
    r"|(?:войн\w*|вторжени\w*|конфликт\w*|війн\w*|вторгнен\w*|конфлікт\w*)\s+(?:в|на|против|с|у|проти|з))\s+$",
    re.IGNORECASE)
_WAR_AFTER = re.compile(r"\s*(?:war|conflict|invasion)\b", re.IGNORECASE)


def _names_the_war(text: str, m: PlaceMatch) -> bool:
    """"the war in Ukraine", «войны на Украине», «la guerre en Ukraine», "the Ukraine war": the
    country names the war, not where this occurrence took place."""
    return m.kind == "country" and bool(
        _WAR_BEFORE.search(text[max(0, m.start - 40) : m.start]) or _WAR_AFTER.match(text, m.end))


def location(text: str, start: int, end: int, lang: str | None,
             home: list[PlaceMatch]) -> tuple[dict[str, Any], PlaceMatch] | None:
    """Where it happened: the most specific place after a location cue (Ukrainian places first)."""
    spans = {(m.start, m.end) for m in home}
    candidates = []
    for m in find_places(text, lang, start, end):
        if (m.start, m.end) in spans:
            continue
        occupied = m.kind == "occupied" or (m.city and m.iso.startswith("UA"))
        if not occupied and not _has_cue(text, m.start, "location_before"):
            continue
        if occupied and _names_a_formation(text, m) and not _has_cue(text, m.start, "location_before"):
            continue
        if _names_the_war(text, m):
            continue
        rank = _LOCATION_RANK.get(("occupied" if occupied else m.kind if m.kind == "country" else "region",
                                   m.city), 5)
        candidates.append((rank, m.start, m))
    if not candidates:
        return None
    m = min(candidates, key=lambda c: (c[0], c[1]))[2]
    return {"name": m.name_en, "lat": m.lat, "lon": m.lon, "precision": m.precision}, m
