"""The PostgreSQL mirror, against a real server ($DISSENTWATCH_TEST_PG, started by .ci/run)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from dissentwatch.models import Document
from dissentwatch.store import Store
from dissentwatch.store.documents import upsert_document

PG_URL = os.environ.get("DISSENTWATCH_TEST_PG")
pytestmark = [pytest.mark.postgres, pytest.mark.skipif(not PG_URL, reason="DISSENTWATCH_TEST_PG not set")]


@pytest.fixture
def pg_url() -> Iterator[str]:
    import psycopg

    assert PG_URL
    schema = f"t_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


def _count(url: str, sql: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        return int(conn.execute(sql).fetchone()[0])


def test_sync_mirrors_inserts_edits_and_deletes(store: Store, pg_url: str, cli) -> None:  # type: ignore[no-untyped-def]
    from dissentwatch.store.postgres import sync_to_postgres

    with store.transaction() as conn:
        upsert_document(conn, Document("files", "a", "Мобилизованные из Курской области записали видео"))
        upsert_document(conn, Document("files", "b", "Another post about a refusal"))
    counts = sync_to_postgres(store, pg_url)
    assert counts["documents"] == 2
    assert "documents_fts" not in counts

    with store.transaction() as conn:
        upsert_document(conn, Document("files", "a", "Исправленный текст поста"))
        conn.execute("DELETE FROM documents WHERE external_id = 'b'")
    result = cli("postgres", "sync", pg_url)
    assert result.exit_code == 0, result.output
    assert _count(pg_url, "SELECT COUNT(*) FROM documents") == 1
    assert _count(pg_url, "SELECT COUNT(*) FROM document_history") == 1
    assert _count(pg_url, "SELECT COUNT(*) FROM documents WHERE "
                  "to_tsvector('simple', text) @@ plainto_tsquery('simple', 'исправленный')") == 1


def test_sync_adds_columns_of_later_migrations(store: Store, pg_url: str) -> None:
    from dissentwatch.store.postgres import sync_to_postgres

    sync_to_postgres(store, pg_url)
    store.conn.execute("ALTER TABLE documents ADD COLUMN extra_note TEXT")
    sync_to_postgres(store, pg_url)
    assert _count(pg_url, "SELECT COUNT(*) FROM information_schema.columns WHERE "
                  "table_name = 'documents' AND column_name = 'extra_note'") == 1
