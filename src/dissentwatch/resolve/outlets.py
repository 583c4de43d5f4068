"""The outlets gazetteer (``data/outlets.json``): which outlet published a document, and which
outlets a report cites ("writes The Guardian", «сообщает Медиазона», "selon RFI", a link to
t.me/astrapress or @astrapress); and which Telegram posts it links to (t.me/astrapress/1234).

A re-telling in another language often shares nothing with the original report but the outlet it
names: no quote in common, a head count at most. Resolve uses the citation as evidence that the
re-telling reports an event that outlet reported.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from dissentwatch import packaged_json

_CYRILLIC_WORD_END = re.compile(r"[а-яёіїєґ]$", re.IGNORECASE)


@cache
def gazetteer() -> dict[str, Any]:
    data: dict[str, Any] = packaged_json("outlets.json")
    return data


def _name_pattern(name: str) -> str:
    """A name as a regex: whole words, any run of spaces between them; a Cyrillic name's last word
    also inflected («Медиазона» → «Медиазоны», «Медиазоне»; «Коммерсант» → «Коммерсанта»)."""
    words = [re.escape(w) for w in name.split()]
    last = name.split()[-1]
    if _CYRILLIC_WORD_END.search(last):
        if last[-1] in "аяАЯ":
            words[-1] = re.escape(last[:-1]) + r"(?:а|я|ы|и|е|у|ю|ой|ей|ою)"
        elif last[-1] not in "ыийъЫИЙЪ":
            words[-1] = re.escape(last) + r"(?:а|у|ом|е)?"
    return r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)"


_WORD = re.compile(r"\w+")
_KEY = 3  # names are looked up by the first characters of their first word
_LOWER_INITIAL = "a-zß-öø-ÿа-яёіїєґ"


@cache
def _names() -> dict[str, list[tuple[re.Pattern[str], str]]]:
    """Every name as a pattern with its outlet id, filed under the first characters of its first
    word and longest first within (so "Novaya Gazeta Europe" wins over "Novaya Gazeta")."""
    index: dict[str, list[tuple[int, re.Pattern[str], str]]] = {}
    for o in gazetteer()["outlets"]:
        for name in o["names"]:
            first = _WORD.search(name)
            if first is None:
                continue
            index.setdefault(first.group()[:_KEY], []).append((len(name), re.compile(_name_pattern(name)), o["id"]))
    return {key: [(p, i) for _, p, i in sorted(entries, key=lambda e: -e[0])] for key, entries in index.items()}


@cache
def _domains() -> dict[str, str]:
    return {domain: o["id"] for o in gazetteer()["outlets"] for domain in o["domains"]}


@cache
def _channels() -> dict[str, str]:
    return {name.lower(): o["id"] for o in gazetteer()["outlets"] for name in o.get("telegram", [])}


TELEGRAM_HOSTS = frozenset({"t.me", "www.t.me", "telegram.me", "telegram.dog"})
# t.me/<channel>, t.me/s/<channel>, t.me/<channel>/<post>; @<channel> (usernames are 5-32 characters)
_TG_LINK = re.compile(r"(?<![\w.])(?:https?://)?(?:www\.)?(?:t\.me|telegram\.me|telegram\.dog)/(?:s/)?"
                      r"([A-Za-z][A-Za-z0-9_]{3,31})(?:/(\d{1,10}))?(?![\w/])", re.IGNORECASE)
_TG_HANDLE = re.compile(r"(?<![\w@./])@([A-Za-z][A-Za-z0-9_]{4,31})(?![\w@.])")
_NOT_CHANNELS = frozenset({"joinchat", "share", "addstickers", "proxy", "socks", "iv", "c"})


def channel_outlet(username: str) -> str:
    """The outlet of a Telegram channel: its gazetteer id when known («astrapress» → "astra"),
    else ``tg:<username>``."""
    name = username.lower()
    return _channels().get(name) or f"tg:{name}"


def telegram_post(url: str | None) -> str | None:
    """``<channel>/<post>`` of a Telegram post URL (https://t.me/astrapress/1234), lower case."""
    m = _TG_LINK.fullmatch(url.strip()) if url else None
    if m is None or m.group(2) is None or m.group(1).lower() in _NOT_CHANNELS:
        return None
    return f"{m.group(1).lower()}/{m.group(2)}"


def cited_posts(text: str) -> frozenset[str]:
    """The Telegram posts a text links to, as ``<channel>/<post>``."""
    return frozenset(f"{m.group(1).lower()}/{m.group(2)}" for m in _TG_LINK.finditer(text or "")
                     if m.group(2) is not None and m.group(1).lower() not in _NOT_CHANNELS)


@cache
def _candidate_words() -> re.Pattern[str]:
    """Words that may begin a name: capitalised ones, and those few names written lower case
    ("franceinfo", "iStories"). Looking up only these, a page of text takes about 45 µs."""
    lower = sorted({key for key in _names() if re.match(f"[{_LOWER_INITIAL}]", key)}, key=len, reverse=True)
    alternatives = [f"[^\\W\\d_{_LOWER_INITIAL}]", *(re.escape(key) for key in lower)]
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")\w*")


def _ids_in(text: str) -> list[tuple[int, str]]:
    """(position, outlet id) of each outlet name in ``text``, in text order."""
    names, found, after = _names(), [], 0
    for word in _candidate_words().finditer(text):
        if word.start() < after:
            continue
        for pattern, outlet in names.get(word.group()[:_KEY], ()):
            m = pattern.match(text, word.start())
            if m:
                found.append((m.start(), outlet))
                after = m.end()
                break
    return found


def outlet_of(url: str | None, outlet: str | None) -> str | None:
    """The outlet id of a document: from its URL's site, else from the first outlet name in its
    outlet field ("The Guardian (reposted)"); None when neither is known."""
    if url:
        try:
            split = urlsplit(url)
            host = (split.hostname or "").lower()
        except ValueError:  # "http://[not-an-address" and the like: judged by the outlet field
            host = ""
        if host in TELEGRAM_HOSTS:
            channel = _TG_LINK.match(f"t.me{split.path}")
            if channel and channel.group(1).lower() not in _NOT_CHANNELS:
                return channel_outlet(channel.group(1))
        parts = host.split(".")
        for i in range(len(parts) - 1):
            found = _domains().get(".".join(parts[i:]))
            if found:
                return found
    # a name in a remark does not name the outlet: "stahanov.info (retelling Baza)"
    found_in_field = _ids_in((outlet or "").split("(", 1)[0])
    return found_in_field[0][1] if found_in_field else None


def cited_outlets(text: str, own: str | None = None) -> frozenset[str]:
    """Ids of the outlets a text names, other than its own outlet ``own``."""
    if not text:
        return frozenset()
    found = {outlet for _, outlet in _ids_in(text)}
    found |= {channel_outlet(m.group(1)) for m in _TG_LINK.finditer(text) if m.group(1).lower() not in _NOT_CHANNELS}
    found |= {channel_outlet(m.group(1)) for m in _TG_HANDLE.finditer(text)}
    return frozenset(found - {own})
