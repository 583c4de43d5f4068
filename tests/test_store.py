from __future__ import annotations

import sqlite3
from pathlib import Path

from dissentwatch.models import Document, content_hash
from dissentwatch.store import Store, migration_files
from dissentwatch.store.documents import (
    ADDED,
    UNCHANGED,
    UPDATED,
    search_documents,
    upsert_document,
)


def test_migrations_are_recorded_and_idempotent(db_path: Path) -> None:
    with Store(db_path) as first:
        numbers = {row[0] for row in first.query("SELECT number FROM migrations")}
        assert numbers == {n for n, _, _ in migration_files()}
    with Store(db_path) as second:
        assert second.migrate() == []


def test_file_opens_in_plain_sqlite_with_wal(db_path: Path) -> None:
    Store(db_path).close()
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"documents", "mentions", "evidence", "events", "event_mentions", "decisions", "runs"} <= tables


def test_upsert_same_text_twice_adds_nothing(store: Store) -> None:
    doc = Document("files", "a-1", "Солдаты записали обращение")
    with store.transaction() as conn:
        assert upsert_document(conn, doc)[0] == ADDED
        assert upsert_document(conn, doc)[0] == UNCHANGED
    assert store.scalar("SELECT COUNT(*) FROM documents") == 1


def test_edit_keeps_history(store: Store) -> None:
    with store.transaction() as conn:
        upsert_document(conn, Document("telegram_export", "chan/1", "first text"))
        outcome, doc_id, _ = upsert_document(conn, Document("telegram_export", "chan/1", "second text"))
    assert outcome == UPDATED
    row = store.query("SELECT text, version FROM documents WHERE id = ?", (doc_id,))[0]
    assert (row["text"], row["version"]) == ("second text", 2)
    history = store.query("SELECT text, version FROM document_history WHERE document_id = ?", (doc_id,))
    assert [(h["text"], h["version"]) for h in history] == [("first text", 1)]


def test_repost_elsewhere_is_a_linked_copy(store: Store) -> None:
    with store.transaction() as conn:
        _, first, _ = upsert_document(conn, Document("telegram_export", "a/1", "Мы не пушечное мясо!"))
        _, second, copy_of = upsert_document(conn, Document("telegram_export", "b/7", "**Мы не  пушечное мясо!**"))
    assert second != first and copy_of == first
    assert content_hash("Мы не пушечное мясо!") == content_hash("**мы не пушечное мясо!**")


def test_full_text_search_follows_edits(store: Store) -> None:
    with store.transaction() as conn:
        upsert_document(conn, Document("files", "x", "мобилизованные из Курска"))
        upsert_document(conn, Document("files", "x", "контрактники из Брянска"))
    assert search_documents(store, "Брянска")
    assert not search_documents(store, "Курска")


def test_reanalysis_keeps_mention_ids(store: Store) -> None:
    from dissentwatch.models import Evidence, Mention
    from dissentwatch.store.mentions import save_analysis

    with store.transaction() as conn:
        _, doc_id, _ = upsert_document(conn, Document("files", "d", "Бойцы 255-го полка записали видео"))
        m = Mention(doc_id, "video_appeal", start=0, end=10, extractor="t.v1",
                    evidence=[Evidence("type", doc_id, 0, 5, "Бойцы")])
        first = save_analysis(conn, doc_id, "h", "t.v1", [m], [])
        again = save_analysis(conn, doc_id, "h", "t.v2", [m], [])
        gone = save_analysis(conn, doc_id, "h", "t.v3", [], [])
    assert first == again and gone == []
    assert store.scalar("SELECT COUNT(*) FROM mentions") == 0
    assert store.scalar("SELECT COUNT(*) FROM evidence") == 0
