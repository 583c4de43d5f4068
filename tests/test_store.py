from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dissentwatch.models import Document, content_hash, normalise_for_hash
from dissentwatch.store import Store, migration_files, split_sql
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


_SPACES_AND_MARKUP = "*_~`#>|[]() \t\n\r\x0b\x0c\x1c\x1f\x85\xa0\u1680\u2003\u2028\u2029\u202f\u3000"


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("aZ9 ёЁЙßﬁ①Ǆ" + _SPACES_AND_MARKUP))
               | st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_content_hash_is_the_hash_of_the_normalised_text(text: str) -> None:
    # content_hash reduces bytes for speed; it must agree with the documented str reduction
    assert content_hash(text) == hashlib.sha256(normalise_for_hash(text).encode("utf-8")).hexdigest()


def test_search_takes_words_with_underscores_and_prefixes(store: Store) -> None:
    with store.transaction() as conn:
        upsert_document(conn, Document("files", "u", "канал voenkor_24 опубликовал обращение"))
        upsert_document(conn, Document("files", "v", "другой текст"))
    assert [r["external_id"] for r in search_documents(store, "voenkor_24")] == ["u"]
    assert [r["external_id"] for r in search_documents(store, "обращ опубл")] == ["u"]
    assert [r["external_id"] for r in search_documents(store, '"обращение канал"')] == ["u"]


def test_copies_are_looked_up_through_the_hash_prefix_index(store: Store) -> None:
    plan = " ".join(str(tuple(r)) for r in store.query(
        "EXPLAIN QUERY PLAN SELECT content_hash, MIN(id) FROM documents "
        "WHERE substr(content_hash, 1, 12) IN (?, ?) GROUP BY content_hash", ("a", "b")))
    assert "documents_hash_prefix" in plan


def _store_before_migration(db_path: Path, number: int) -> sqlite3.Connection:
    """A store file as an older version left it: the migrations before ``number`` applied."""
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TABLE migrations (number INTEGER PRIMARY KEY, name TEXT NOT NULL, applied TEXT NOT NULL)")
    for applied, name, sql in migration_files():
        if applied >= number:
            break
        for statement in split_sql(sql):
            conn.execute(statement)
        conn.execute("INSERT INTO migrations VALUES (?, ?, '2026-01-01T00:00:00Z')", (applied, name))
    return conn


def _old_store_with_document(db_path: Path, number: int, external_id: str, text: str,
                             document_id: int | None = None) -> None:
    """A store from before migration ``number`` holding one document, committed and closed."""
    conn = _store_before_migration(db_path, number)
    conn.execute(
        "INSERT INTO documents (id, source_kind, external_id, collected, updated, text, content_hash) "
        "VALUES (?, 'files', ?, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', ?, ?)",
        (document_id, external_id, text, content_hash(text)))
    conn.commit()
    conn.close()


def test_migration_rebuilds_the_search_index_of_an_older_store(db_path: Path) -> None:
    _old_store_with_document(db_path, 42, "old-1", "жёны мобилизованных")
    with Store(db_path) as store:
        assert [r["external_id"] for r in search_documents(store, "мобилизованных")] == ["old-1"]
        with store.transaction() as tx:
            _, _, copy_of = upsert_document(tx, Document("files", "new-1", "Жены  мобилизованных"))
        assert copy_of == store.scalar("SELECT id FROM documents WHERE external_id = 'old-1'")


def test_upgrading_a_large_store_says_so_once(db_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    _old_store_with_document(db_path, 42, "old-1", "текст", document_id=250_000)
    with caplog.at_level(logging.WARNING, logger="dissentwatch.store"):
        Store(db_path).close()
        Store(db_path).close()  # migrated: nothing to say
    notices = [r.getMessage() for r in caplog.records if "upgrading the store" in r.getMessage()]
    assert len(notices) == 1 and "250,000 documents" in notices[0]


def test_a_new_or_small_store_opens_without_a_notice(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="dissentwatch.store"):
        Store(tmp_path / "new.db").close()
        conn = _store_before_migration(tmp_path / "old.db", 42)
        conn.commit()
        conn.close()
        Store(tmp_path / "old.db").close()
    assert not [r for r in caplog.records if "upgrading the store" in r.getMessage()]


def test_unknown_source_kind_is_reported_and_the_batch_goes_on(store: Store) -> None:
    from dissentwatch.store.documents import get_document, ingest

    stats = ingest(store, [Document("fax", "f-1", "текст"), Document("files", "ok-1", "текст другой")])
    assert stats.added == 1
    assert stats.errors == ["f-1: unknown source kind 'fax' (one of telegram_export, telegram, feed, web, files, media)"]
    found = get_document(store, "ok-1")
    assert found is not None and found["source_kind"] == "files"


def test_migration_gives_the_home_regions_of_older_events_their_coordinates(db_path: Path) -> None:
    conn = _store_before_migration(db_path, 43)
    regions = [{"name": "Kursk Oblast", "iso": "RU-KRS", "lat": 51.73, "lon": 36.19}, {"name": "somewhere"}]
    conn.execute("INSERT INTO events (id, type, home_regions, created, updated) VALUES "
                 "('ev-1', 'video_appeal', ?, 'now', 'now')", (json.dumps(regions),))
    conn.executemany("INSERT INTO events_regions (event_id, iso, name, role) VALUES ('ev-1', ?, ?, 'home')",
                     [("RU-KRS", "Kursk Oblast"), ("", "somewhere")])
    conn.commit()
    conn.close()
    with Store(db_path) as store:
        rows = {r["name"]: (r["lat"], r["lon"]) for r in store.query("SELECT name, lat, lon FROM events_regions")}
    assert rows == {"Kursk Oblast": (51.73, 36.19), "somewhere": (None, None)}
