"""Writing and reading what analyze produces: mentions with evidence, aggregates, analysis state."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

from dissentwatch.models import Aggregate, Evidence, Mention, utcnow
from dissentwatch.store import Store


def save_analysis(
    conn: sqlite3.Connection,
    document_id: int,
    content_hash: str,
    extractor: str,
    mentions: Sequence[Mention],
    aggregates: Sequence[Aggregate],
    run_id: int | None = None,
) -> list[int]:
    """Replace a document's mentions and aggregates with a new analysis; return the mention ids.

    A mention found again (same document, type and start: its ``key``) keeps its id, so its
    links to events and analysts' pins survive; mentions no longer found are deleted.
    Call in a transaction.
    """
    now = utcnow()
    ids = [_upsert_mention(conn, m, document_id, now, run_id) for m in mentions]
    marks = ",".join("?" * len(ids))
    conn.execute(f"DELETE FROM mentions WHERE document_id = ? AND id NOT IN ({marks})", (document_id, *ids))
    conn.execute("DELETE FROM aggregates WHERE document_id = ?", (document_id,))
    for agg in aggregates:
        conn.execute(
            'INSERT INTO aggregates (document_id, quote, start, "end", number, counted, extractor, created, run_id) '
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (document_id, agg.quote, agg.start, agg.end, agg.number, agg.counted,
             agg.extractor or extractor, now, run_id),
        )
    conn.execute(
        "INSERT INTO analysis_state (document_id, content_hash, extractor, relevant, analyzed, run_id) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(document_id) DO UPDATE SET content_hash = excluded.content_hash, "
        "extractor = excluded.extractor, relevant = excluded.relevant, analyzed = excluded.analyzed, "
        "run_id = excluded.run_id",
        (document_id, content_hash, extractor, int(bool(mentions)), now, run_id),
    )
    return ids


def mention_key(document_id: int, m: Mention) -> str:
    return f"{document_id}:{m.type}:{m.start}"


def _upsert_mention(conn: sqlite3.Connection, m: Mention, document_id: int, now: str, run_id: int | None) -> int:
    row = conn.execute(
        'INSERT INTO mentions (key, document_id, type, by_relatives, fields, confidence, extractor, start, "end", created, run_id) '
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET by_relatives = excluded.by_relatives, "
        'fields = excluded.fields, confidence = excluded.confidence, extractor = excluded.extractor, "end" = excluded."end", '
        "created = excluded.created, run_id = excluded.run_id RETURNING id",
        (mention_key(document_id, m), document_id, m.type, int(m.by_relatives), json.dumps(m.fields, ensure_ascii=False),
         m.confidence, m.extractor, m.start, m.end, now, run_id),
    ).fetchone()
    mention_id = int(row[0])
    conn.execute("DELETE FROM evidence WHERE mention_id = ?", (mention_id,))
    conn.executemany(
        'INSERT INTO evidence (mention_id, field, value, document_id, start, "end", quote) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [(mention_id, e.field, json.dumps(e.value, ensure_ascii=False), e.document_id, e.start, e.end, e.quote)
         for e in m.evidence],
    )
    m.id = mention_id
    return mention_id


def row_to_mention(row: sqlite3.Row, evidence: Sequence[sqlite3.Row]) -> Mention:
    return Mention(
        id=row["id"],
        document_id=row["document_id"],
        type=row["type"],
        by_relatives=bool(row["by_relatives"]),
        fields=json.loads(row["fields"]),
        confidence=row["confidence"],
        extractor=row["extractor"],
        start=row["start"],
        end=row["end"],
        evidence=[
            Evidence(e["field"], e["document_id"], e["start"], e["end"], e["quote"],
                     json.loads(e["value"]) if e["value"] is not None else None)
            for e in evidence
        ],
    )


def load_mentions(store: Store, where: str = "1", params: Sequence[Any] = (), batch: int = 2000) -> Iterator[Mention]:
    """Mentions matching ``where`` (SQL over ``mentions m``) with their evidence, in id order, paged."""
    last = 0
    while True:
        rows = store.query(
            f"SELECT m.* FROM mentions m WHERE m.id > ? AND ({where}) ORDER BY m.id LIMIT ?",
            (last, *params, batch),
        )
        if not rows:
            return
        ids = [r["id"] for r in rows]
        marks = ",".join("?" * len(ids))
        evidence: dict[int, list[sqlite3.Row]] = {}
        for e in store.query(f"SELECT * FROM evidence WHERE mention_id IN ({marks}) ORDER BY id", ids):
            evidence.setdefault(e["mention_id"], []).append(e)
        for row in rows:
            yield row_to_mention(row, evidence.get(row["id"], []))
        last = ids[-1]


def documents_to_analyze(store: Store, extractor: str, limit: int | None = None) -> list[int]:
    """Ids of documents that are new, changed since analysis, or analyzed by another extractor."""
    sql = (
        "SELECT d.id FROM documents d LEFT JOIN analysis_state a ON a.document_id = d.id "
        "WHERE a.document_id IS NULL OR a.content_hash != d.content_hash OR a.extractor != ? ORDER BY d.id"
    )
    if limit:
        sql += f" LIMIT {int(limit)}"
    return [r[0] for r in store.query(sql, (extractor,))]
