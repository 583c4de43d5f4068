"""Writing and reading documents: idempotent upserts, edit history, copies, full-text search."""

from __future__ import annotations

import gc
import json
import logging
import re
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from dissentwatch.language import detect_language
from dissentwatch.models import SOURCE_KINDS, CollectWarning, Document, content_hash, utcnow
from dissentwatch.store import Store

log = logging.getLogger(__name__)

ADDED, UPDATED, UNCHANGED = "added", "updated", "unchanged"
UNSTORED_PAYLOAD = {"unstored": "nested too deeply to store"}

_COLUMNS = ("source_kind", "external_id", "url", "outlet", "author", "title", "published", "collected",
            "updated", "language", "language_score", "text", "content_hash", "copy_of", "parent_id", "edited",
            "forwarded_from", "reply_to", "media", "raw", "run_id")
# positional parameters: binding 21 named ones costs more than the insert itself on bulk imports
_INSERT = f"INSERT INTO documents ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"


@dataclass
class IngestStats:
    """What one import did, per outcome, plus the errors it reported and carried on past and
    the warnings about documents it imported all the same."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    copies: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def count(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    def as_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "copies": self.copies,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
        }

    def merge(self, other: IngestStats) -> None:
        for name in ("added", "updated", "unchanged", "copies"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors.extend(other.errors)
        self.warnings.extend(other.warnings)


def payload_json(value: Any) -> str:
    """A raw payload or media list as JSON text: orjson (several times faster on bulk imports),
    the standard library for what orjson refuses (integers over 64 bits, odd keys)."""
    if not value and isinstance(value, list | dict):  # most media lists
        return "[]" if isinstance(value, list) else "{}"
    try:
        return orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS).decode("utf-8")
    except (orjson.JSONEncodeError, TypeError):
        pass
    text = _json_or_none(value)
    if text is not None:
        return text
    log.warning("a payload nested too deeply to store: the deep parts were replaced by a note")
    unstored = json.dumps(UNSTORED_PAYLOAD)
    if isinstance(value, dict):  # keep what can be kept: id, dates, media ...
        return "{" + ", ".join(f"{json.dumps(str(k), ensure_ascii=False)}: {_json_or_none(v) or unstored}"
                               for k, v in value.items()) + "}"
    return unstored


def _json_or_none(value: Any) -> str | None:
    """JSON by the standard library, or None for what it cannot write: nested thousands deep
    (hostile input) or circular."""
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (RecursionError, ValueError):
        return None


def _row_params(doc: Document, digest: str, run_id: int | None, now: str, copy_of: int | None = None,
                parent_id: int | None = None) -> tuple[Any, ...]:
    """The values of ``_COLUMNS`` for a new row."""
    return (
        doc.source_kind, doc.external_id, doc.url, doc.outlet, doc.author, doc.title, doc.published, now, now,
        doc.language, doc.language_score, doc.text, digest, copy_of, parent_id, doc.edited, doc.forwarded_from,
        doc.reply_to, payload_json(doc.media), payload_json(doc.raw), run_id,
    )


_KINDS = ", ".join(f"'{kind}'" for kind in SOURCE_KINDS)


def external_id_clause(table: str = "", value: str = "?") -> str:
    """SQL matching documents by the id they were imported with, whatever their source kind.

    There is no index on ``external_id`` alone (each index slows bulk imports; migration 0042):
    naming every source kind lets SQLite seek the unique ``(source_kind, external_id)`` index once
    per kind instead of scanning the table. ``ingest`` stores no other source kinds.
    """
    prefix = f"{table}." if table else ""
    return f"{prefix}source_kind IN ({_KINDS}) AND {prefix}external_id = {value}"


def _unknown_kind(doc: Document) -> str | None:
    """What is wrong with ``doc``'s source kind, or None when it is one of ``SOURCE_KINDS``."""
    if doc.source_kind in SOURCE_KINDS:
        return None
    return f"{doc.external_id}: unknown source kind {doc.source_kind!r} (one of {', '.join(SOURCE_KINDS)})"

# copies are found through an index on the first hex digits of the hash (migration 0042); the
# expression must be written exactly so for SQLite to use that index
HASH_PREFIX = 12
_HASH_KEY = f"substr(content_hash, 1, {HASH_PREFIX})"

_EXISTING = "SELECT id, source_kind, external_id, content_hash, text, version, edited FROM documents"


def upsert_document(
    conn: sqlite3.Connection, doc: Document, run_id: int | None = None
) -> tuple[str, int, int | None]:
    """Store ``doc`` once; an edit keeps the previous text in ``document_history``.

    Returns (outcome, document id, id of the document it copies or None). Call inside a
    transaction.
    """
    problem = _unknown_kind(doc)
    if problem:
        raise ValueError(problem)
    digest = content_hash(doc.text)
    row = conn.execute(
        _EXISTING + " WHERE source_kind = ? AND external_id = ?", (doc.source_kind, doc.external_id)
    ).fetchone()
    copy_of = _first_with_hash(conn, digest) if row is None and _has_text(doc.text) else None
    return _store_document(conn, doc, digest, row, copy_of, run_id, utcnow())


def _store_document(
    conn: sqlite3.Connection,
    doc: Document,
    digest: str,
    row: sqlite3.Row | None,
    copy_of: int | None,
    run_id: int | None,
    now: str,
) -> tuple[str, int, int | None]:
    """Insert, update or leave ``doc`` given the stored ``row`` for its id (None if new)."""
    if row is not None:
        if row["content_hash"] == digest:
            return UNCHANGED, int(row["id"]), None
        _record_edit(conn, row, doc, digest, now)
        return UPDATED, int(row["id"]), None
    if doc.language is None and doc.text:
        doc.language, doc.language_score = detect_language(doc.text)
    parent_id = None
    if doc.parent_external_id:
        parent = conn.execute(
            f"SELECT id FROM documents WHERE {external_id_clause()} ORDER BY id LIMIT 1", (doc.parent_external_id,)
        ).fetchone()
        parent_id = parent[0] if parent else None
    cur = conn.execute(_INSERT, _row_params(doc, digest, run_id, now, copy_of, parent_id))
    return ADDED, int(cur.lastrowid or 0), copy_of


def _first_with_hash(conn: sqlite3.Connection, digest: str) -> int | None:
    found = conn.execute(
        f"SELECT id FROM documents WHERE {_HASH_KEY} = ? AND content_hash = ? ORDER BY id LIMIT 1",
        (digest[:HASH_PREFIX], digest),
    ).fetchone()
    return int(found[0]) if found else None


def _record_edit(conn: sqlite3.Connection, row: sqlite3.Row, doc: Document, digest: str, now: str) -> None:
    conn.execute(
        "INSERT INTO document_history (document_id, version, text, content_hash, edited, replaced) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (row["id"], row["version"], row["text"], row["content_hash"], row["edited"], now),
    )
    language, score = detect_language(doc.text) if doc.language is None else (doc.language, doc.language_score)
    conn.execute(
        "UPDATE documents SET text = ?, content_hash = ?, edited = ?, updated = ?, version = version + 1, "
        "title = COALESCE(?, title), language = ?, language_score = ?, raw = ?, media = ? WHERE id = ?",
        (doc.text, digest, doc.edited or now, now, doc.title, language, score,
         payload_json(doc.raw), payload_json(doc.media), row["id"]),
    )


BATCH_CHARS = 8_000_000
"""Text characters per committed batch at most: large batches write each hot index page once
for many documents (bulk imports), and this bounds what a batch holds in memory."""


def ingest(
    store: Store,
    documents: Iterable[Document | Exception | CollectWarning],
    run_id: int | None = None,
    batch_size: int = 500,
    stats: IngestStats | None = None,
    batch_chars: int = BATCH_CHARS,
) -> IngestStats:
    """Upsert a stream of documents in committed batches of ``batch_size`` documents, or fewer
    when their texts reach ``batch_chars`` characters (memory stays bounded whatever the sizes).

    Collectors yield an ``Exception`` (with a message naming file and line) for an item they
    could not read: it is recorded and the stream goes on; a ``CollectWarning`` (about a document
    imported all the same) is recorded as a warning. A crash loses at most the open batch;
    re-running skips what was committed.
    """
    stats = stats or IngestStats()
    threshold = gc.get_threshold()
    # Documents form no reference cycles, yet at the default threshold (700 new objects) the
    # collector walks a whole open batch thousands of times during a bulk import.
    gc.set_threshold(max(threshold[0], 50_000), threshold[1], max(threshold[2], 100))
    try:
        _ingest(store, documents, run_id, batch_size, stats, batch_chars)
    finally:
        gc.set_threshold(*threshold)
    return stats


def _ingest(store: Store, documents: Iterable[Document | Exception | CollectWarning], run_id: int | None, batch_size: int,
            stats: IngestStats, batch_chars: int) -> None:
    batch: list[Document] = []
    chars = 0
    for item in documents:
        if isinstance(item, Exception):
            stats.errors.append(str(item))
            continue
        if isinstance(item, CollectWarning):
            stats.warnings.append(str(item))
            continue
        problem = _unknown_kind(item)
        if problem:
            stats.errors.append(problem)
            continue
        batch.append(item)
        chars += len(item.text)
        if len(batch) >= batch_size or chars >= batch_chars:
            _write_batch(store, batch, run_id, stats)
            batch, chars = [], 0
    if batch:
        _write_batch(store, batch, run_id, stats)


def _write_batch(store: Store, batch: list[Document], run_id: int | None, stats: IngestStats) -> None:
    """One transaction. Stored rows and earlier copies are looked up for the whole batch at once,
    and new rows enter the full-text index together at the end (migration 0002)."""
    digests = [_digest(doc) for doc in batch]
    now = utcnow()
    with store.transaction() as conn:
        conn.execute("INSERT OR IGNORE INTO fts_deferred (flag) VALUES (1)")
        indexed = _max_id(conn)
        existing = _existing_rows(conn, batch)
        first_ids = _first_ids_by_hash(conn, digests)
        seen: set[tuple[str, str]] = set()
        for doc, digest in zip(batch, digests, strict=True):
            key = (doc.source_kind, doc.external_id)
            if key in seen:  # written earlier in this batch: index it, then read it back
                indexed = _index_new_rows(conn, indexed)
                existing[key] = conn.execute(
                    _EXISTING + " WHERE source_kind = ? AND external_id = ?", key
                ).fetchone()
            seen.add(key)
            row = existing.get(key)
            has_text = _has_text(doc.text)
            copy_of = first_ids.get(digest) if row is None and has_text else None
            try:
                outcome, doc.id, copy_of = _store_document(conn, doc, digest, row, copy_of, run_id, now)
            except UnicodeEncodeError:  # a lone surrogate in a field other than the text
                scrub_surrogates(doc)
                outcome, doc.id, copy_of = _store_document(conn, doc, digest, row, copy_of, run_id, now)
            if outcome == ADDED:
                stats.added += 1
                if has_text:
                    first_ids.setdefault(digest, doc.id)
            else:
                stats.count(outcome)
            if copy_of is not None:
                stats.copies += 1
        _index_new_rows(conn, indexed)
        conn.execute("DELETE FROM fts_deferred")


_SURROGATE = re.compile("[\ud800-\udfff]")


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    if isinstance(value, dict):
        return {_scrub(k): _scrub(v) for k, v in value.items()}
    return value


def scrub_surrogates(doc: Document) -> None:
    """Replace lone surrogates by U+FFFD in every field of ``doc``. JSON escapes such as
    ``"\\ud800"`` decode to them, and they cannot be encoded as UTF-8, hashed or stored."""
    for name, value in vars(doc).items():
        if isinstance(value, str | list | dict):
            try:
                setattr(doc, name, _scrub(value))
            except RecursionError:  # a payload nested thousands deep: not kept
                setattr(doc, name, dict(UNSTORED_PAYLOAD) if isinstance(value, dict) else [])


def _digest(doc: Document) -> str:
    try:
        return content_hash(doc.text)
    except UnicodeEncodeError:
        scrub_surrogates(doc)
        return content_hash(doc.text)


def _has_text(text: str) -> bool:
    """Whether ``text`` has a character that is not whitespace (``strip()`` would copy it)."""
    return bool(text) and not text.isspace()


def _chunks(values: list[Any], size: int = 500) -> Iterator[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _existing_rows(conn: sqlite3.Connection, batch: list[Document]) -> dict[tuple[str, str], sqlite3.Row]:
    """Stored rows for the batch's (source_kind, external_id) pairs, in a few queries."""
    by_kind: dict[str, set[str]] = {}
    for doc in batch:
        by_kind.setdefault(doc.source_kind, set()).add(doc.external_id)
    found: dict[tuple[str, str], sqlite3.Row] = {}
    for kind, idents in by_kind.items():
        for chunk in _chunks(sorted(idents)):
            marks = ",".join("?" * len(chunk))
            for row in conn.execute(f"{_EXISTING} WHERE source_kind = ? AND external_id IN ({marks})", [kind, *chunk]):
                found[(row["source_kind"], row["external_id"])] = row
    return found


def _first_ids_by_hash(conn: sqlite3.Connection, digests: list[str]) -> dict[str, int]:
    """For each content hash already stored, the id of the first document with it (looked up by
    the indexed prefix, then compared whole)."""
    wanted = set(digests)
    found: dict[str, int] = {}
    for chunk in _chunks(sorted({digest[:HASH_PREFIX] for digest in wanted})):
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT content_hash, MIN(id) FROM documents WHERE {_HASH_KEY} IN ({marks}) GROUP BY content_hash"
        found.update((digest, int(first)) for digest, first in conn.execute(sql, chunk) if digest in wanted)
    return found


def _max_id(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COALESCE(MAX(id), 0) FROM documents").fetchone()[0])


def _index_new_rows(conn: sqlite3.Connection, after: int) -> int:
    """Add documents with id > ``after`` to the full-text index; returns the new high-water id."""
    conn.execute(
        "INSERT INTO documents_fts(rowid, title, text) SELECT id, title, text FROM documents WHERE id > ?",
        (after,),
    )
    return _max_id(conn)


# -- reading -------------------------------------------------------------------------

# letters and digits: what the unicode61 tokenizer keeps in one token ("_" separates tokens there)
_FTS_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)


def fts_query(text: str) -> str:
    """A safe FTS5 query: every word quoted, prefix-matched, all required. Each quoted string is a
    single token, as the index (``detail='none'``, migration 0042) supports no phrases."""
    words = _FTS_TOKEN.findall(text)
    return " ".join(f'"{w}"*' for w in words)


def search_documents(
    store: Store,
    query: str | None = None,
    limit: int = 50,
    offset: int = 0,
    source_kind: str | None = None,
    language: str | None = None,
) -> list[sqlite3.Row]:
    """Documents, newest first, optionally matching a full-text query."""
    where, params = [], []
    if query and fts_query(query):
        where.append("d.id IN (SELECT rowid FROM documents_fts WHERE documents_fts MATCH ?)")
        params.append(fts_query(query))
    if source_kind:
        where.append("d.source_kind = ?")
        params.append(source_kind)
    if language:
        where.append("d.language = ?")
        params.append(language)
    sql = "SELECT d.* FROM documents d"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY COALESCE(d.published, d.collected) DESC, d.id DESC LIMIT ? OFFSET ?"
    return store.query(sql, [*params, limit, offset])


def get_document(store: Store, key: str | int) -> sqlite3.Row | None:
    """A document by internal id (int) or by the id it was imported with (str)."""
    if isinstance(key, int):
        rows = store.query("SELECT * FROM documents WHERE id = ?", (key,))
    else:
        rows = store.query(f"SELECT * FROM documents WHERE {external_id_clause()} ORDER BY id LIMIT 1", (key,))
    return rows[0] if rows else None


def iter_documents(store: Store, batch: int = 1000, where: str = "1", params: Any = ()) -> Iterator[sqlite3.Row]:
    """All documents matching ``where`` in id order, fetched in pages (constant memory)."""
    last = 0
    while True:
        rows = store.query(
            f"SELECT * FROM documents WHERE id > ? AND ({where}) ORDER BY id LIMIT ?",
            (last, *params, batch),
        )
        if not rows:
            return
        yield from rows
        last = rows[-1]["id"]


def document_counts(store: Store) -> list[sqlite3.Row]:
    return store.query(
        "SELECT source_kind, COUNT(*) AS documents, COUNT(copy_of) AS copies, "
        "MIN(published) AS first_published, MAX(published) AS last_published "
        "FROM documents GROUP BY source_kind ORDER BY source_kind"
    )
