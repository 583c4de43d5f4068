"""The places gazetteer (``data/places.json``): regions and cities found in text, in any case form.

Russian names are matched on lemmas (pymorphy3: «Курской области» → курский область,
«Белгородчины» → белгородчина); Ukrainian, English, French and other spellings are matched as
surface forms, Cyrillic ones with a stem that tolerates case endings («Московської області»).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

from dissentwatch import packaged_json
from dissentwatch.analyze.text import Token, lemma, lemma_set, tokens

GAZETTEER_VERSION = "places.v4"
_WORD = re.compile(r"\w+(?:[-'’]\w+)*")
_CYRILLIC = re.compile("[а-яёіїєґ]", re.IGNORECASE)
_UK_ENDING = re.compile("[аяоеєіїиуюьйы]{1,2}$")
_AMBIGUOUS_BEFORE = frozenset(
    ["в", "во", "из", "под", "у", "около", "город", "г", "города", "городе", "городу", "near", "from", "in", "at", "à", "de", "d", "du", "près"]
)
_REGION_WORDS = "(?:[Oo]blast|[Rr]egion|[Pp]rovince|[Kk]rai|[Kk]ray|[Tt]erritory)"
_FR_REGION_WORDS = "(?:oblast|région|province|kraï|territoire)"


@dataclass(frozen=True, slots=True)
class Place:
    """One gazetteer entry: a region (federal subject, occupied oblast, country) or a city."""

    name: str
    iso: str
    kind: str
    lat: float
    lon: float
    city: bool = False
    ambiguous: bool = False
    village: bool = False


@dataclass(frozen=True, slots=True)
class PlaceMatch:
    """A place named in a text: ``iso`` is the region's code (a city's federal subject)."""

    iso: str
    name_en: str
    kind: str
    lat: float
    lon: float
    start: int
    end: int
    quote: str
    adjective: bool = False
    precision: str = "region"
    """region, city or exact (a village): how exactly the coordinates place it."""
    demonym: bool = False
    """Named by its people («белгородцы»): the place is where they are from."""

    @property
    def name(self) -> str:
        return self.name_en

    @property
    def city(self) -> bool:
        return self.kind == "city"

    @property
    def region_iso(self) -> str:
        return self.iso

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"name": self.name_en, "region_iso": self.iso}


@cache
def gazetteer() -> dict[str, Any]:
    """The parsed ``places.json``."""
    data: dict[str, Any] = packaged_json("places.json")
    return data


@cache
def places() -> tuple[tuple[Place, dict[str, list[str]]], ...]:
    """Every entry with its names per language: regions first, then cities."""
    data = gazetteer()
    out = [(Place(r["name"], r["iso"], r["kind"], r["lat"], r["lon"]),
            r["names"] | {"demonym_ru": r.get("demonyms", {}).get("ru", [])}) for r in data["regions"]]
    out += [
        (Place(c["name"], c["region"], "city", c["lat"], c["lon"], True, bool(c.get("ambiguous")),
               c.get("settlement") == "village"), c["names"])
        for c in data["cities"]
    ]
    return tuple(out)


def region_by_iso(iso: str) -> dict[str, Any] | None:
    """``{name, iso, kind, lat, lon, names}`` of a region code, or None."""
    for region in gazetteer()["regions"]:
        if region["iso"] == iso:
            return {k: region[k] for k in ("name", "iso", "kind", "lat", "lon", "names")}
    return None


def region_place(iso: str) -> Place | None:
    for place, _ in places():
        if place.iso == iso and not place.city:
            return place
    return None


# --- Russian: lemma sequences -------------------------------------------------------------


def _lemma_key(phrase: str) -> tuple[str, ...]:
    return tuple(lemma(w, "ru") for w in _WORD.findall(phrase))


def _ru_variants(name: str) -> list[str]:
    out = [name]
    if name.endswith(" область"):
        out.append(name[: -len("область")] + "обл")
    return out


_RuEntry = tuple[tuple[str, ...], Place, str]


@cache
def _ru_index() -> dict[str, list[_RuEntry]]:
    """First lemma → [(lemma sequence, place, form)], longest sequences first; form is
    "name", "adjective" («курские») or "demonym" («куряне»)."""
    index: dict[str, list[_RuEntry]] = defaultdict(list)
    for place, names in places():
        for name in names.get("ru", []):
            for variant in _ru_variants(name):
                key = _lemma_key(variant)
                if key:
                    index[key[0]].append((key, place, "name"))
            words = name.split()
            if not place.city and len(words) == 2 and words[1] in {"область", "край"}:
                adjective = _lemma_key(words[0])
                index[adjective[0]].append((adjective, place, "adjective"))
        for demonym in names.get("demonym_ru", []):
            key = _lemma_key(demonym)
            index[key[0]].append((key, place, "demonym"))
    for entries in index.values():
        entries.sort(key=lambda e: (-len(e[0]), e[2] != "name"))
    return dict(index)


def _ru_matches(text: str, toks: list[Token]) -> list[PlaceMatch]:
    index = _ru_index()
    found: list[PlaceMatch] = []
    i = 0
    while i < len(toks):
        match = _ru_match_at(text, toks, i, index)
        if match is None:
            i += 1
            continue
        found.append(match[0])
        i += match[1]
    return found


def _ru_match_at(text: str, toks: list[Token], i: int, index: dict[str, list[_RuEntry]]) -> tuple[PlaceMatch, int] | None:
    for first in lemma_set(toks[i].text, "ru"):
        for key, place, form in index.get(first, ()):
            n = len(key)
            if i + n > len(toks) or not all(key[k] in lemma_set(toks[i + k].text, "ru") for k in range(1, n)):
                continue
            if form == "name" and not _plausible(text, toks, i, place):
                continue
            start, end = toks[i].start, toks[i + n - 1].end
            return _match(place, start, end, text, form), n
    return None


def _plausible(text: str, toks: list[Token], i: int, place: Place) -> bool:
    """Proper names are capitalised; ambiguous ones («Владимир», «Курган») need a preposition."""
    word = toks[i].text
    if not word[:1].isupper():
        return False
    if _foreign_abbreviation(word, place):
        return False
    if place.ambiguous:
        before = toks[i - 1].text.lower() if i > 0 else ""
        return before in _AMBIGUOUS_BEFORE and not _followed_by_name(toks, i)
    return True


def _foreign_abbreviation(word: str, place: Place) -> bool:
    """A short word in capitals that is none of the place's own names: an abbreviation such as
    «СОЧ» (самовольное оставление части), not the city of Sochi. «ДНР» is a name of its own."""
    if not (word.isupper() and len(word) <= 4):
        return False
    return word.replace("Ё", "Е") not in _capitals(place)


@cache
def _capitals(place: Place) -> frozenset[str]:
    """The place's names in capitals, in every language."""
    names = next(n for p, n in places() if p == place)
    return frozenset(name.upper().replace("Ё", "Е") for forms in names.values() for name in forms
                     if isinstance(name, str))


def _followed_by_name(toks: list[Token], i: int) -> bool:
    return i + 1 < len(toks) and toks[i + 1].text[:1].isupper() and toks[i + 1].start - toks[i].end <= 1


def _match(place: Place, start: int, end: int, text: str, form: str = "name") -> PlaceMatch:
    precision = "exact" if place.village else "city" if place.city else "region"  # a village is a point
    return PlaceMatch(place.iso, place.name, place.kind, place.lat, place.lon, start, end, text[start:end],
                      form != "name", precision, form == "demonym")


# --- other languages: surface forms ---------------------------------------------------------


def _stem_cyrillic(word: str) -> str:
    stem = _UK_ENDING.sub("", word)
    if len(stem) < 3:
        stem = word
    return re.escape(stem).replace("ь", "ь?") + r"\w{0,4}"


# Latin names are matched whatever their accents: «Vodyané» is the listed "Vodyane", "Zaitseve"
# the listed «Zaïtseve». Each letter with accented forms becomes a class of them all.
_ACCENTED = {"a": "àáâäãåāą", "c": "çćč", "e": "éèêëēęě", "i": "ìíîïī", "n": "ñńň", "o": "òóôöõōő",
             "u": "ùúûüūůű", "y": "ýÿ", "s": "śšş", "z": "źżž", "l": "ł", "r": "ř", "d": "ď", "t": "ť"}


def fold_accents(text: str) -> str:
    """Lower case without diacritics («Vodyané» → "vodyane")."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower().replace("ł", "l")


_APOSTROPHES = "'’ʼ"


def _latin_letters(word: str) -> str:
    out = []
    for ch in word:
        if ch in _APOSTROPHES:  # "People's" is also written "People’s"
            out.append(f"[{_APOSTROPHES}]")
            continue
        base = fold_accents(ch)
        variants = _ACCENTED.get(base) if len(base) == 1 else None
        out.append(f"[{base}{variants}]" if variants else re.escape(ch))
    return "".join(out)


def _latin_words(name: str) -> str:
    return r"\s+".join(_latin_letters(w) for w in name.split())


def _surface_pattern(name: str) -> str:
    words = name.split()
    if _CYRILLIC.search(name):
        return r"\s+".join(_stem_cyrillic(w) for w in words)
    return _latin_words(name) + r"(?:['’]s)?"


def _latin_region_patterns(place: Place, names: dict[str, list[str]]) -> list[str]:
    """«Kursk region», «the Kursk Oblast», «région de Koursk» built from the listed names."""
    out = []
    for name in names.get("en", []):
        for suffix in (" Oblast", " Krai", " region"):
            if name.endswith(suffix):
                out.append(_latin_words(name[: -len(suffix)]) + r"\s+" + _REGION_WORDS)
    for name in names.get("fr", []):
        head, _, rest = name.partition(" ")
        if head in {"oblast", "kraï"} and rest:
            out.append(_FR_REGION_WORDS + r"\s+" + _latin_words(rest))
    return out


@cache
def _surface_index() -> dict[str, list[tuple[re.Pattern[str], Place]]]:
    """First three lower-case letters → [(compiled pattern, place)], longest patterns first."""
    index: dict[str, list[tuple[str, Place]]] = defaultdict(list)
    for place, names in places():
        patterns = {_surface_pattern(n): [fold_accents(n)[:3]] for lang in ("en", "fr", "uk") for n in names.get(lang, [])}
        if not place.city:
            patterns.update((p, _prefixes(p)) for p in _latin_region_patterns(place, names))
        for pattern, prefixes in patterns.items():
            for prefix in prefixes:
                index[prefix].append((pattern, place))
    return {
        prefix: [(re.compile(p + r"(?!\w)", re.IGNORECASE), place)
                 for p, place in sorted(entries, key=lambda e: -len(e[0]))]
        for prefix, entries in index.items()
    }


def _prefixes(pattern: str) -> list[str]:
    """The first letters (accents folded) a region pattern can start with: its alternatives'
    heads, or the letters of its first name (each a class of accented forms, or a literal)."""
    if pattern.startswith("(?:"):
        inner = pattern[3 : pattern.index(")")]
        return sorted({fold_accents(alt)[:3] for alt in inner.split("|")})
    letters = re.findall(r"\[(.)[^\]]*\]|\\(.)|(.)", pattern)
    return ["".join(a or b or c for a, b, c in letters)[:3].lower()]


_WORD_START = re.compile(r"(?<!\w)\w")
_LAST_WORD = re.compile(r"(\w+)\W*$")


def _surface_matches(text: str, start: int, end: int) -> list[PlaceMatch]:
    index = _surface_index()
    found = []
    for w in _WORD_START.finditer(text, start, end):
        position = w.start()
        for pattern, place in index.get(fold_accents(text[position : position + 3]), ()):
            m = pattern.match(text, position, end)
            if (m and any(ch.isupper() for ch in m.group()) and _latin_plausible(text, m, place)
                    and not _foreign_abbreviation(m.group(), place)):
                found.append(_match(place, m.start(), m.end(), text))
                break
        else:
            misspelt = _misspelt_match(text, position, end)
            if misspelt is not None:
                found.append(misspelt)
    return found


# --- misspellings: one letter off a long Latin-script name («Kiliningrad», "Murmnask") ---------

_FUZZY_MIN = 9
_LATIN_WORD = re.compile(r"[A-Z][a-zà-ÿ]+(?![\w'’-])")


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


@cache
def _fuzzy_index() -> dict[str, list[tuple[str, Place]]]:
    """Single-word English and French names of at least ``_SETTLEMENT_MIN`` letters, keyed by
    the name and by each of its one-letter deletions (symmetric-delete lookup)."""
    index: dict[str, list[tuple[str, Place]]] = defaultdict(list)
    for place, names in places():
        if place.ambiguous:
            continue
        for name in {n for lang in ("en", "fr") for n in names.get(lang, [])}:
            if " " in name or len(name) < _SETTLEMENT_MIN or not name.isalpha():
                continue
            lowered = name.lower()
            for key in {lowered} | _deletions(lowered):
                index[key].append((lowered, place))
    return dict(index)


def _one_edit(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ by one substitution, insertion, deletion or swap."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = sorted((a, b), key=len)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


# After a word for a settlement ("the village of", «wsi», «du village de») a shorter name may be
# one letter off too: the word says a place is named, and villages are spelt many ways.
_SETTLEMENT_MIN = 6
_SETTLEMENT_BEFORE = re.compile(
    r"(?:village|town|settlement|villages?\s+de|localité\s+de|bourg\s+de|wsi|wieś|wsią|miejscowości|miasteczka|"
    r"dorf|dorfes|ortschaft|obce|vesnice|villaggio|paese|pueblo|aldea|localidad)(?:\s+(?:of|de|d'|du))?\s+$",
    re.IGNORECASE)


def _misspelt_match(text: str, position: int, end: int) -> PlaceMatch | None:
    """A capitalised word one letter off exactly one gazetteer name (first letter kept): of at
    least 9 letters, or of at least 6 after a word for a settlement (then a city or village)."""
    m = _LATIN_WORD.match(text, position, end)
    if m is None or len(m.group()) < _SETTLEMENT_MIN:
        return None
    settlement = _SETTLEMENT_BEFORE.search(text, max(0, position - 30), position) is not None
    if len(m.group()) < _FUZZY_MIN and not settlement:
        return None
    word = m.group().lower()
    index = _fuzzy_index()
    candidates = {(name, place) for key in {word} | _deletions(word) for name, place in index.get(key, ())
                  if name[0] == word[0] and _one_edit(name, word) and (len(name) >= _FUZZY_MIN or place.city)}
    places_found = {place.iso for _, place in candidates}
    if len(places_found) != 1:
        return None
    place = min(candidates, key=lambda c: (not c[1].city, c[0]))[1]
    return _match(place, m.start(), m.end(), text)


def _latin_plausible(text: str, m: re.Match[str], place: Place) -> bool:
    if not place.ambiguous:
        return True
    before = _LAST_WORD.search(text, max(0, m.start() - 20), m.start())
    after = text[m.end() : m.end() + 2]
    if before is None:
        return False
    return before.group(1).lower() in _AMBIGUOUS_BEFORE and not after[1:2].isupper()


# --- public API ------------------------------------------------------------------------------


def find_places(
    text: str, lang: str | None = None, start: int = 0, end: int | None = None, adjectives: bool = False
) -> list[PlaceMatch]:
    """Places named in ``text[start:end]``, in text order, overlapping matches resolved longest first.

    ``adjectives`` also returns bare region adjectives («оренбургские» → Orenburg Oblast).
    """
    end = len(text) if end is None else end
    found = _ru_matches(text, tokens(text, "ru", start, end)) if _CYRILLIC.search(text, start, end) else []
    found += _surface_matches(text, start, end)  # after: on equal spans the lemma reading wins
    if not adjectives:
        found = [m for m in found if not m.adjective]
    return _non_overlapping(found)


def _non_overlapping(found: list[PlaceMatch]) -> list[PlaceMatch]:
    chosen: list[PlaceMatch] = []
    for m in sorted(found, key=lambda m: (-(m.end - m.start), m.start)):
        if all(m.end <= c.start or m.start >= c.end for c in chosen):
            chosen.append(m)
    return sorted(chosen, key=lambda m: m.start)


@cache
def _name_index() -> dict[str, str]:
    """Lower-case names of every entry (and ISO codes) → region ISO code."""
    index: dict[str, str] = {}
    for place, names in reversed(places()):
        for lang_names in names.values():
            for name in lang_names:
                index[name.lower()] = place.iso
        index[place.name.lower()] = place.iso
    for region in gazetteer()["regions"]:
        index[region["iso"].lower()] = region["iso"]
    return index


@cache
def normalise_region(name: str) -> str | None:
    """The ISO code of a region or city name in any language or case form; None if unknown.

    «Kaliningrad», "Kaliningrad Oblast", «Калининградской области», "RU-KGD" → "RU-KGD".
    """
    if not name or not name.strip():
        return None
    iso = _name_index().get(name.strip().lower())
    if iso:
        return iso
    found = find_places(name, None, adjectives=True) or find_places(name.title(), None, adjectives=True)
    return found[0].iso if found else None


def region_entry(match: PlaceMatch) -> dict[str, Any]:
    """A home-region value in the export shape: ``{name, iso, lat, lon}`` (+ ``city`` for cities)."""
    if match.city:
        return {"name": match.name_en, "iso": match.iso, "lat": match.lat, "lon": match.lon, "city": True}
    return {"name": match.name_en, "iso": match.iso, "lat": match.lat, "lon": match.lon}
