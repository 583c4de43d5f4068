"""Batched ingest: the full-text index stays whole when a batch inserts rows together (migration 0002)."""

from __future__ import annotations

from dissentwatch.collect import document_language
from dissentwatch.models import Document
from dissentwatch.store import Store
from dissentwatch.store.documents import ingest, search_documents


def test_batch_indexes_new_rows_and_repeated_ids(store: Store) -> None:
    docs = [
        Document("files", "a", "первый текст про гарнизонный суд"),
        Document("files", "b", "второй текст про полк"),
        Document("files", "a", "исправленный текст про трибунал"),  # same id again in this batch
    ]
    stats = ingest(store, docs, batch_size=10)
    assert (stats.added, stats.updated) == (2, 1)
    store.conn.execute("INSERT INTO documents_fts(documents_fts, rank) VALUES ('integrity-check', 1)")
    assert [r["external_id"] for r in search_documents(store, "трибунал")] == ["a"]
    assert search_documents(store, "гарнизонный") == []
    assert [r["external_id"] for r in search_documents(store, "полк")] == ["b"]
    assert store.scalar("SELECT COUNT(*) FROM fts_deferred") == 0


def test_single_inserts_outside_ingest_are_still_indexed(store: Store) -> None:
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO documents (source_kind, external_id, text, content_hash, collected, updated) "
            "VALUES ('files', 'x', 'одиночная вставка', 'h', 'now', 'now')"
        )
    assert len(search_documents(store, "одиночная")) == 1


def test_document_language_rule_and_model() -> None:
    assert document_language("Мы были там, это правда: бойцы вышли из окопов и записали видео.")[0] == "ru"
    assert document_language("Ми були там, це правда: бійці вийшли з окопів і записали відео.")[0] == "uk"
    assert document_language("They recorded a video appeal to the president.")[0] == "en"
    assert document_language("   ") == (None, None)


def test_copies_within_a_batch_and_across_batches(store: Store) -> None:
    text = "Одинаковый текст репоста про 1443-й полк"
    first = ingest(store, [Document("files", "x1", text), Document("telegram_export", "c/1", text + "  ")])
    assert (first.added, first.copies) == (2, 1)
    second = ingest(store, [Document("feed", "e1", text.upper()), Document("files", "x1", text)])
    assert (second.added, second.unchanged, second.copies) == (1, 1, 1)
    rows = store.query("SELECT external_id, copy_of FROM documents ORDER BY id")
    original = store.scalar("SELECT id FROM documents WHERE external_id = 'x1'")
    assert [r["copy_of"] for r in rows] == [None, original, original]


def test_short_russian_posts_skip_the_model_but_not_their_neighbours() -> None:
    assert document_language("Вы это видели?") == ("ru", 0.95)
    assert document_language("Мобилизованные вышли.") == ("ru", 0.95)  # ы: not Ukrainian or Bulgarian
    assert document_language("Ми вийшли з окопів.")[0] == "uk"
    assert document_language("Мы вышлі з акопаў.")[1] != 0.95  # Belarusian letters go to the model


def test_batches_close_early_when_their_texts_are_long(store: Store, db_path) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    committed: list[int] = []
    reader = sqlite3.connect(db_path)

    def stream():  # type: ignore[no-untyped-def]
        for i in range(7):
            committed.append(reader.execute("SELECT COUNT(*) FROM documents").fetchone()[0])
            yield Document("files", f"long-{i}", f"{i} " + "слово " * 170)  # about 1,000 characters

    stats = ingest(store, stream(), batch_size=100, batch_chars=2500)
    assert stats.added == 7
    assert committed == [0, 0, 0, 3, 3, 3, 6]  # three texts pass 2,500 characters: a batch each
