"""Mirror the SQLite store into PostgreSQL, for a team server that queries the same schema.

The SQLite file stays the pipeline's working store; ``dissentwatch postgres sync URL`` copies
every table (same names, same columns, same primary keys) into a PostgreSQL schema, adding
columns that later migrations introduced, and makes the mirror equal to the file: rows are
upserted, rows gone from the file are deleted, all in one transaction per sync (readers never
see half a sync). Document text gets a GIN full-text index.

Needs the ``postgres`` extra (psycopg 3).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from dissentwatch.store import Store

log = logging.getLogger(__name__)

_SKIP = re.compile(r"^(sqlite_|documents_fts)")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TYPES = {"INTEGER": "BIGINT", "REAL": "DOUBLE PRECISION", "TEXT": "TEXT", "BLOB": "BYTEA", "": "TEXT"}


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[tuple[str, str], ...]  # (name, postgres type)
    primary_key: tuple[str, ...]


def quote(name: str) -> str:
    if not _IDENT.match(name):
        raise ValueError(f"unexpected identifier {name!r}")
    return f'"{name}"'


def sqlite_tables(store: Store) -> list[Table]:
    """Every ordinary table of the store with its columns and primary key, FTS internals excluded."""
    names = [r[0] for r in store.query(
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    tables = []
    for name in names:
        if _SKIP.match(name):
            continue
        info = store.query(f"PRAGMA table_info({quote(name)})")
        columns = tuple((c["name"], _TYPES.get(c["type"].upper(), "TEXT")) for c in info)
        pk = tuple(c["name"] for c in sorted(info, key=lambda c: c["pk"]) if c["pk"])
        tables.append(Table(name, columns, pk or tuple(c for c, _ in columns)))
    return tables


def create_statements(table: Table, existing: set[str]) -> list[str]:
    """DDL bringing the PostgreSQL table up to the SQLite one (create, or add new columns)."""
    if not existing:
        cols = ", ".join(f"{quote(c)} {t}" for c, t in table.columns)
        pk = ", ".join(quote(c) for c in table.primary_key)
        return [f"CREATE TABLE IF NOT EXISTS {quote(table.name)} ({cols}, PRIMARY KEY ({pk}))"]
    return [
        f"ALTER TABLE {quote(table.name)} ADD COLUMN {quote(c)} {t}"
        for c, t in table.columns if c not in existing
    ]


def _existing_columns(pg: Any, name: str) -> set[str]:
    rows = pg.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = %s", (name,)
    ).fetchall()
    return {r[0] for r in rows}


def _rows(store: Store, table: Table, batch: int = 5000) -> Iterator[Sequence[Any]]:
    cols = ", ".join(quote(c) for c, _ in table.columns)
    cursor = store.conn.execute(f"SELECT {cols} FROM {quote(table.name)}")
    while True:
        chunk = cursor.fetchmany(batch)
        if not chunk:
            return
        yield from (tuple(r) for r in chunk)


def sync_table(store: Store, pg: Any, table: Table) -> int:
    """Make the PostgreSQL table equal to the SQLite one; return its row count."""
    for statement in create_statements(table, _existing_columns(pg, table.name)):
        pg.execute(statement)
    name, cols = quote(table.name), [c for c, _ in table.columns]
    staging = quote(f"_sync_{table.name}")
    pg.execute(f"CREATE TEMP TABLE {staging} (LIKE {name} INCLUDING DEFAULTS) ON COMMIT DROP")
    column_list = ", ".join(quote(c) for c in cols)
    with pg.cursor().copy(f"COPY {staging} ({column_list}) FROM STDIN") as copy:
        for row in _rows(store, table):
            copy.write_row(row)
    keys = ", ".join(quote(c) for c in table.primary_key)
    pg.execute(f"DELETE FROM {name} t WHERE NOT EXISTS (SELECT 1 FROM {staging} s WHERE "
               + " AND ".join(f"s.{quote(c)} = t.{quote(c)}" for c in table.primary_key) + ")")
    updates = [c for c in cols if c not in table.primary_key]
    conflict = (f"DO UPDATE SET {', '.join(f'{quote(c)} = excluded.{quote(c)}' for c in updates)}"
                if updates else "DO NOTHING")
    pg.execute(f"INSERT INTO {name} ({column_list}) SELECT {column_list} FROM {staging} "
               f"ON CONFLICT ({keys}) {conflict}")
    pg.execute(f"DROP TABLE {staging}")
    return int(pg.execute(f"SELECT COUNT(*) FROM {name}").fetchone()[0])


def sync_to_postgres(store: Store, url: str) -> dict[str, int]:
    """Mirror every table of ``store`` into the PostgreSQL database at ``url``, atomically."""
    try:
        import psycopg
    except ImportError as exc:
        raise RuntimeError("PostgreSQL needs the postgres extra: pip install 'dissentwatch[postgres]'") from exc
    counts = {}
    with psycopg.connect(url) as pg, pg.transaction():
        for table in sqlite_tables(store):
            counts[table.name] = sync_table(store, pg, table)
            log.info("synced %s: %d rows", table.name, counts[table.name])
        pg.execute(
            "CREATE INDEX IF NOT EXISTS documents_text_search ON documents "
            "USING gin (to_tsvector('simple', coalesce(title, '') || ' ' || text))"
        )
    return counts
