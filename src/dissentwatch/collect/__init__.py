"""Collectors: one module per source kind, each turning its input into ``Document``s.

A collector yields ``Document`` objects, and a ``CollectError`` (naming the file, line or URL
and what is wrong) for an item it could not read, so one bad item never stops a batch.
"""

from __future__ import annotations

import logging
from pathlib import Path

from charset_normalizer import from_bytes

log = logging.getLogger(__name__)


class CollectError(Exception):
    """An input item that could not be read; the message names where and what."""


def decode_bytes(data: bytes, where: str) -> str:
    """UTF-8 (with or without BOM), else the encoding charset-normalizer detects, else an error."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    best = from_bytes(data[:1_000_000]).best()
    if best is None or best.encoding is None:
        raise CollectError(
            f"{where}: not UTF-8 ({utf8_error.reason} at byte {utf8_error.start}) "
            "and no other encoding could be detected"
        )
    log.info("%s: decoded as %s", where, best.encoding)
    return data.decode(best.encoding, errors="replace")


def read_text_file(path: Path) -> str:
    """A whole text file, decoded by :func:`decode_bytes`."""
    return decode_bytes(path.read_bytes(), str(path))
