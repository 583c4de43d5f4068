"""Labelled examples for the trainer: gold JSONL records, stream posts, analysts' decisions.

An :class:`Example` is one document with its labels: relevant or not, the event types it
reports, which of its sentences carry an event (the gold evidence quotes) and of what type, and
the occurrence group it belongs to (``same_event``; a record without a tag is its own group).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dissentwatch.analyze.normalise import matching_view
from dissentwatch.analyze.pipeline import split_sentences
from dissentwatch.learn.encoders import VectorCache, encoder_for
from dissentwatch.learn.features import DocumentView, document_view, needs_model
from dissentwatch.models import EVENT_TYPES

log = logging.getLogger(__name__)
_SPACE = re.compile(r"\s+")


class DatasetError(Exception):
    """Bad training input, naming the file and line."""


@dataclass
class Example:
    id: str
    text: str
    language: str | None
    group: str
    relevant: bool
    types: set[str] = field(default_factory=set)
    evidence: list[tuple[str, str]] = field(default_factory=list)  # (quote, type)
    title: str = ""
    source: str = "gold"
    occurrences: list[str] = field(default_factory=list)  # one tag per gold event (resolve pairs)
    gold_events: list[dict[str, Any]] = field(default_factory=list)
    view: DocumentView | None = None
    doc_vectors: dict[str, np.ndarray] = field(default_factory=dict)  # per encoder
    sentence_vectors: dict[str, np.ndarray] = field(default_factory=dict)
    sentence_labels: list[str | None] = field(default_factory=list)  # type, "none" or None (unknown)
    encoder: str = ""  # the encoder that reads it at run time


def _jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DatasetError(f"{path}:{number}: not JSON: {exc.msg}") from exc
            if not isinstance(record, dict) or "id" not in record:
                raise DatasetError(f"{path}:{number}: expected an object with an 'id'")
            yield number, record


def gold_examples(docs_path: Path, gold_path: Path) -> list[Example]:
    """Examples of a DOCS/GOLD pair (the shape of ``dissentwatch eval``)."""
    gold = {str(r["id"]): r for _, r in _jsonl(gold_path)}
    examples = []
    for number, record in _jsonl(docs_path):
        ident = str(record["id"])
        events = [e for e in (gold.get(ident) or {}).get("events", []) if isinstance(e, dict)]
        bad = [e.get("type") for e in events if e.get("type") not in EVENT_TYPES]
        if bad:
            raise DatasetError(f"{gold_path}: record {ident}: unknown event type {bad[0]!r}")
        relevant = bool(events) if ident in gold else bool(record.get("positive"))
        tag = record.get("same_event")
        examples.append(Example(
            id=ident, text=str(record.get("text") or ""), language=record.get("language"),
            group=str(tag) if tag else f"record:{ident}", relevant=relevant, types={e["type"] for e in events},
            evidence=[(str(e.get("evidence") or ""), e["type"]) for e in events], title=str(record.get("title") or ""),
            occurrences=[str(tag) if tag and i == 0 else f"{ident}#{i}" for i, _ in enumerate(events)],
            gold_events=events))
        if not examples[-1].text.strip():
            log.warning("%s:%d: record %s has no text; skipped", docs_path, number, ident)
            examples.pop()
    return examples


def quote_examples(examples: Iterable[Example]) -> list[Example]:
    """Each gold evidence quote as a short document of its own: a post that says only that much
    reports the event too (the excerpts are long, real posts often one sentence). They share their
    record's group, so a quote never lands in another fold than its record."""
    out = []
    for ex in examples:
        for i, (quote, kind) in enumerate(ex.evidence):
            if len(quote.strip()) >= 20 and ex.source == "gold":
                out.append(Example(id=f"{ex.id}#quote{i}", text=quote, language=ex.language, group=ex.group,
                                   relevant=True, types={kind}, evidence=[(quote, kind)], source="quote"))
    return out


def expand_streams(paths: Iterable[Path]) -> list[Path]:
    """Telegram exports named by ``paths``: a ``result.json``, its folder, or a folder of such
    folders (every channel under it)."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir() and not (path / "result.json").is_file():
            found = sorted(p.parent for p in path.glob("*/result.json"))
            if not found:
                raise DatasetError(f"{path}: no Telegram export (result.json) in it or its sub-folders")
            out.extend(found)
        else:
            out.append(path)
    return out


def stream_examples(paths: Iterable[Path], labels: dict[str, dict[str, Any]] | None = None,
                    only_candidates: bool = True) -> list[Example]:
    """Posts of Telegram Desktop exports (``result.json`` or their folders) as examples: negatives
    unless ``labels`` (keyed ``<folder>/<message id>``) says otherwise. Only posts that reach the
    model at run time (``needs_model``) are kept unless ``only_candidates`` is False."""
    from dissentwatch.collect.telegram_export import (
        export_file,
        iter_messages,
        message_document,
        read_chat_header,
    )

    labels = labels or {}
    out = []
    for given in expand_streams(paths):
        path = export_file(given)
        shape, chat = read_chat_header(path)
        for chat_now, message in iter_messages(path, shape, chat):
            doc = message_document(message, chat_now)
            if doc is None or not (doc.text or "").strip():
                continue
            key = f"{path.parent.name}/{doc.external_id.rsplit('/', 1)[-1]}"
            label = labels.get(key, {})
            if only_candidates and not label and not needs_model(matching_view(doc.text), doc.language):
                continue
            types = {t for t in label.get("types", []) if t in EVENT_TYPES}
            out.append(Example(id=key, text=doc.text, language=doc.language, group=f"stream:{key}",
                               relevant=bool(label.get("positive")), types=types, source="stream",
                               evidence=[(str(q), t) for q, t in label.get("evidence", [])]))
    return out


def read_stream_labels(path: Path | None) -> dict[str, dict[str, Any]]:
    """``{"<folder>/<message id>": {"positive": ..., "types": [...], "note": ...}}`` of a labels file."""
    if path is None:
        return {}
    return {str(r["id"]): r for _, r in _jsonl(path)}


def _squash(text: str) -> str:
    return _SPACE.sub(" ", text).strip().casefold()


def label_sentences(example: Example) -> list[str | None]:
    """Per model sentence: the type of the gold event whose quote it overlaps, "none" for every
    sentence of a document without events, None (unknown) for the other sentences of a relevant one."""
    assert example.view is not None
    labels: list[str | None] = []
    quotes = [(_squash(q), t) for q, t in example.evidence if q.strip()]
    for index in example.view.model_sentences:
        sentence = _squash(example.view.sentences[index].text)
        found = next((t for q, t in quotes if sentence and (sentence in q or q in sentence
                                                            or _overlap(sentence, q))), None)
        labels.append(found if found else ("none" if not example.relevant else None))
    return labels


def _overlap(sentence: str, quote: str) -> bool:
    """A quote spanning a sentence boundary: a long enough piece of one is inside the other."""
    piece = sentence[: min(60, len(sentence))]
    return len(piece) >= 30 and (piece in quote or quote[:60] in sentence)


def prepare(examples: list[Example], cache: VectorCache, kinds: tuple[str, ...]) -> None:
    """Rule signals, sentence labels and, for every encoder in ``kinds``, the vectors of each
    example (from the cache, else the encoder): each encoder's head learns from every example."""
    for ex in examples:
        if ex.view is None:
            sents = split_sentences(ex.text, ex.language)
            ex.view = document_view(ex.text, matching_view(ex.text), sents, ex.language)
            ex.sentence_labels = label_sentences(ex)
        ex.encoder = encoder_for(ex.language, kinds)
    for kind in kinds:
        todo = [ex for ex in examples if kind not in ex.doc_vectors and ex.view is not None]
        docs = cache.embed(kind, [ex.view.doc_text for ex in todo if ex.view])
        flat = [t for ex in todo if ex.view for t in ex.view.sentence_texts()]
        sentence_vectors = cache.embed(kind, flat)
        position = 0
        for ex, vector in zip(todo, docs, strict=True):
            assert ex.view is not None
            count = len(ex.view.model_sentences)
            ex.doc_vectors[kind] = vector
            ex.sentence_vectors[kind] = sentence_vectors[position : position + count]
            position += count


def data_hash(examples: list[Example]) -> str:
    """A digest of the texts and labels the models are fitted to."""
    digest = hashlib.sha256()
    for ex in sorted(examples, key=lambda e: e.id):
        digest.update(json.dumps([ex.id, ex.text, ex.relevant, sorted(ex.types), ex.evidence, ex.group],
                                 ensure_ascii=False).encode())
    return digest.hexdigest()[:16]
