"""Collectors: one module per source kind, each turning its input into ``Document``s.

A collector yields ``Document`` objects, and a ``CollectError`` (naming the file, line or URL
and what is wrong) for an item it could not read, so one bad item never stops a batch. A
``CollectWarning`` follows a document that was imported with something given up (a date that
could not be read): it is reported, and the run still counts as ok.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

from charset_normalizer import from_bytes

from dissentwatch.language import detect_language
from dissentwatch.models import CollectWarning
from dissentwatch.store import Store

log = logging.getLogger(__name__)

LANGUAGE_PREFIX = 300
_OTHER_CYRILLIC = re.compile(r"[іїєґўјљњђћџѓќѕәғқңөұүһӣӯҳҷҗІЇЄҐЎЈЉЊЂЋЏЃЌЅӘҒҚҢӨҰҮҺӢӮҲҶҖ]")
_NOT_LATIN_LETTERS = bytes(c for c in range(128) if not chr(c).isalpha())


class CollectError(Exception):
    """An input item that could not be read; the message names where and what."""


__all__ = ["CollectError", "CollectWarning", "decode_bytes", "document_language", "read_text_file"]


BULK_CACHE_KIB = 128 * 1024


BULK_CHECKPOINT_PAGES = 10_000


def prepare_bulk_import(store: Store) -> None:
    """A 128 MiB page cache for this connection: index pages of a large store stay in memory
    during an import (bounded, so memory stays constant whatever the input size); and the WAL
    folded back into the database every 10,000 pages (about 40 MB) instead of every 1,000, so
    that hot index pages are written once per checkpoint rather than ten times."""
    store.conn.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
    store.conn.execute(f"PRAGMA wal_autocheckpoint = {BULK_CHECKPOINT_PAGES}")


def decode_bytes(data: bytes, where: str) -> str:
    """UTF-8 (with or without BOM), else the most plausible of the detected and the usual Cyrillic
    encodings (windows-1251, KOI8-R, windows-1252), else a CollectError naming the place."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    best = from_bytes(data[:1_000_000]).best()
    candidates = [best.encoding] if best is not None and best.encoding else []
    candidates += ["cp1251", "koi8_r", "cp1252"]
    decoded = [(plausibility(text), -rank, encoding, text) for rank, (encoding, text) in
               enumerate(_try_decode(data, candidates))]
    if not decoded or max(decoded)[0] < 0.9:
        raise CollectError(
            f"{where}: not UTF-8 ({utf8_error.reason} at byte {utf8_error.start}) "
            "and no other encoding could be detected"
        )
    _, _, encoding, text = max(decoded)
    log.info("%s: decoded as %s", where, encoding)
    return text


def _try_decode(data: bytes, encodings: list[str]) -> Iterator[tuple[str, str]]:
    for encoding in encodings:
        try:
            yield encoding, data.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue


_CASE_FLIP = re.compile(r"[a-zа-яё][A-ZА-ЯЁ]|[A-Za-z][а-яёА-ЯЁ]|[а-яёА-ЯЁ][A-Za-z]")
_PLAIN = re.compile(r"[\sA-Za-z0-9\u00c0-\u00ffа-яёА-ЯЁіїєґІЇЄҐ.,;:!?()\[\]{}<>\"'«»„“”‘’—–…№%&*+=/@#$_|~^`-]")


def plausibility(text: str) -> float:
    """Share of characters that ordinary Russian, Ukrainian or West European text is made of,
    less a penalty for case flips and mixed scripts inside words (KOI8-R or Latin-1 read as windows-1251)."""
    sample = text[:20_000]
    if not sample:
        return 0.0
    return (len(_PLAIN.findall(sample)) - len(_CASE_FLIP.findall(sample))) / len(sample)


def read_text_file(path: Path) -> str:
    """A whole text file, decoded by :func:`decode_bytes`."""
    return decode_bytes(path.read_bytes(), str(path))


def document_language(text: str) -> tuple[str | None, float | None]:
    """Language of a collected text, judged on its first 300 characters (cheap enough for bulk imports).

    Plainly Russian text (Cyrillic letters, an ы or э — letters Ukrainian, Bulgarian and Serbian
    never write —, none of the letters only other Cyrillic alphabets use, such as і, ў, ә, under
    10% Latin letters) is "ru" without running the model; anything else goes to the fastText
    detector.
    """
    sample = text[:LANGUAGE_PREFIX]
    if not sample.strip():
        return None, None
    russian_only = "ы" in sample or "э" in sample or "Ы" in sample or "Э" in sample
    if russian_only and not _OTHER_CYRILLIC.search(sample):
        ascii_part = sample.encode("ascii", "ignore")
        latin = len(ascii_part.translate(None, _NOT_LATIN_LETTERS))
        if latin * 10 < len(sample) - len(ascii_part):
            return "ru", 0.95
    language, score = detect_language(sample)
    return language, (score if language else None)
