"""The store: one SQLite file (WAL, foreign keys, FTS5) that every stage reads and writes.

Concurrency: any number of processes (the web app, ``watch``, ``analyze``, ``resolve``) may use
one file at once. Readers never wait (WAL). Every write goes through :meth:`Store.transaction`,
which takes the write lock up front (``BEGIN IMMEDIATE``: a transaction never has to upgrade a
read lock, the deadlock a busy timeout cannot break), queues the writers of one process behind
one lock per file (first come, first served, instead of SQLite's polling), and waits for the
other processes' writers with SQLite's busy timeout and then retries with backoff, up to
:data:`WRITE_WAIT_SECONDS` in all, before "database is locked" reaches anyone. The pipeline keeps
its write transactions short (a batch is computed first, then written), so a writer waits for
at most about a second.

Migrations are numbered SQL files in ``store/migrations/`` (``0001_core.sql``...), applied in
order and recorded in the ``migrations`` table. Each pipeline area adds its own files.
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import platformdirs

from dissentwatch import __version__
from dissentwatch.models import utcnow

log = logging.getLogger(__name__)

ENV_DB = "DISSENTWATCH_DB"
UPGRADE_NOTICE_DOCUMENTS = 100_000  # opening a store this large to migrate it is announced
_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
BUSY_TIMEOUT_MS = 10_000
"""How long one attempt at the write lock waits inside SQLite (its busy handler)."""
WRITE_WAIT_SECONDS = 120.0
"""How long a write transaction waits for the write lock in all, retries included, before the
"database is locked" error is raised: longer than any write transaction of the pipeline."""


class _WriterQueue:
    """The writers of this process for one store file, one at a time, in turn."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.owner: int | None = None

    @contextmanager
    def turn(self) -> Iterator[bool]:
        """Wait for this thread's turn; yields False when the thread already holds it (a second
        connection to the same file inside a transaction: it cannot wait for itself)."""
        me = threading.get_ident()
        if self.owner == me:
            yield False
            return
        with self.lock:
            self.owner = me
            try:
                yield True
            finally:
                self.owner = None


_WRITER_QUEUES: dict[str, _WriterQueue] = {}
_WRITER_QUEUES_GUARD = threading.Lock()


def _writer_queue(path: Path) -> _WriterQueue:
    if str(path) == ":memory:":
        return _WriterQueue()  # a database of its own
    with _WRITER_QUEUES_GUARD:
        return _WRITER_QUEUES.setdefault(str(path.resolve()), _WriterQueue())


def is_busy(exc: BaseException) -> bool:
    """SQLITE_BUSY / SQLITE_LOCKED: another connection holds the lock this one needs."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (5, 6)  # SQLITE_BUSY, SQLITE_LOCKED and their extended codes
    message = str(exc)
    return "database is locked" in message or "database table is locked" in message


def default_db_path() -> Path:
    """``$DISSENTWATCH_DB`` if set, else ``dissentwatch.db`` in the user data directory."""
    env = os.environ.get(ENV_DB)
    if env:
        return Path(env)
    return Path(platformdirs.user_data_dir("dissentwatch")) / "dissentwatch.db"


def migration_files() -> list[tuple[int, str, str]]:
    """(number, name, sql) of every packaged migration, in order."""
    found = []
    for entry in resources.files("dissentwatch.store.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), match.group(2), entry.read_text("utf-8")))
    return sorted(found)


class StoreError(Exception):
    """A file that cannot be opened as a store: missing, unreadable, not SQLite, or not ours."""


SQLITE_HEADER = b"SQLite format 3\x00"


def check_store_file(path: Path, *, create: bool) -> None:
    """Refuse, before SQLite touches it, a store that is missing (unless ``create``), a directory,
    an unreadable file or a file that is not a SQLite database."""
    if str(path) == ":memory:":
        return
    if not path.exists():
        if create:
            return
        raise StoreError(f"no store at {path}: 'dissentwatch collect ...' creates one; or give the right "
                         f"--db or {ENV_DB}")
    if path.is_dir():
        raise StoreError(f"{path} is a directory, not a store file")
    try:
        with path.open("rb") as file:
            header = file.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise StoreError(f"cannot read the store {path}: {exc.strerror or exc}") from None
    if header == b"":
        if create:
            return  # an empty file: SQLite makes it a new database
        raise StoreError(f"{path} is an empty file, not a dissentwatch store yet: 'dissentwatch collect ...' "
                         "creates one")
    if header != SQLITE_HEADER:
        raise StoreError(f"{path} is not a SQLite database, so not a dissentwatch store")


def _connect(path: Path, create: bool) -> sqlite3.Connection:
    """A connection; without ``create`` the file must exist (SQLite's mode=rw never makes one)."""
    if create or str(path) == ":memory:":
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        return sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    return sqlite3.connect(path.resolve().as_uri() + "?mode=rw", timeout=BUSY_TIMEOUT_MS / 1000,
                           isolation_level=None, uri=True)


class Store:
    """A connection to the dissentwatch database, migrated on open.

    With ``create=False`` the store must exist already; either way a file that is not a
    dissentwatch store raises :class:`StoreError` (and is left untouched).
    """

    def __init__(self, path: str | Path | None = None, *, migrate: bool = True, create: bool = True) -> None:
        self.path = Path(path) if path is not None else default_db_path()
        check_store_file(self.path, create=create)
        try:
            self.conn = _connect(self.path, create)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the store {self.path}: {exc}") from None
        self.conn.row_factory = sqlite3.Row
        try:
            self._check_is_store(create)
            self.conn.execute("PRAGMA journal_mode=WAL")
        except (sqlite3.DatabaseError, StoreError) as exc:
            self.conn.close()
            raise exc if isinstance(exc, StoreError) else StoreError(f"{self.path} is damaged or not a SQLite database ({exc})") from None
        self.conn.execute("PRAGMA foreign_keys=ON")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        self._depth = 0
        self._writers = _writer_queue(self.path)
        self.write_waits = 0  # write transactions that found the lock held past one busy timeout
        self.longest_write = 0.0  # seconds: the longest this connection held the write lock (since start_run)
        if migrate:
            self.migrate()

    def _check_is_store(self, create: bool) -> None:
        """A SQLite file with tables but no ``migrations`` table belongs to another program."""
        tables = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if tables and "migrations" not in tables:
            raise StoreError(f"{self.path} is a SQLite database but not a dissentwatch store "
                             f"(it has no migrations table): give the right --db or {ENV_DB}")
        if not tables and not create:
            raise StoreError(f"{self.path} is an empty database, not a dissentwatch store yet: "
                             "'dissentwatch collect ...' creates one")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (nested calls join the outer one); rolled back on error."""
        if self._depth:
            self._depth += 1
            try:
                yield self.conn
            finally:
                self._depth -= 1
            return
        with self._writers.turn() as queued:
            self._begin_immediate(retry=queued)
            self._depth = 1
            locked = time.perf_counter()
            try:
                yield self.conn
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
            else:
                self.conn.execute("COMMIT")
            finally:
                self._depth = 0
                self.longest_write = max(self.longest_write, time.perf_counter() - locked)

    def _begin_immediate(self, retry: bool = True) -> None:
        """Take the write lock, waiting for other processes' writers up to WRITE_WAIT_SECONDS:
        SQLite's busy handler first, then retries with a jittered, growing pause."""
        deadline = time.monotonic() + (WRITE_WAIT_SECONDS if retry else 0.0)
        pause = 0.05
        while True:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not is_busy(exc) or time.monotonic() + pause >= deadline:
                    raise
                self.write_waits += 1
                log.info("the store %s is busy (%s): waiting for the write lock", self.path, exc)
            time.sleep(pause * (0.5 + random.random()))
            pause = min(pause * 2, 2.0)

    def applied_migrations(self) -> set[int]:
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS migrations "
            "(number INTEGER PRIMARY KEY, name TEXT NOT NULL, applied TEXT NOT NULL)"
        )
        return {row[0] for row in self.conn.execute("SELECT number FROM migrations")}

    def migrate(self) -> list[str]:
        """Apply the migrations not yet recorded; return their names."""
        done = self.applied_migrations()
        applied = []
        pending = [m for m in migration_files() if m[0] not in done]
        if pending and done:
            self._announce_upgrade(len(pending))
        for number, name, sql in pending:
            with self.transaction() as conn:
                for statement in split_sql(sql):
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO migrations (number, name, applied) VALUES (?, ?, ?)",
                    (number, name, utcnow()),
                )
            log.info("applied migration %04d_%s", number, name)
            applied.append(f"{number:04d}_{name}")
        return applied

    def _announce_upgrade(self, pending: int) -> None:
        """Say on stderr why opening a large store pauses: some migrations rebuild indexes
        (0042 rebuilds the full-text index, about 12 s per million documents)."""
        try:
            documents = int(self.conn.execute("SELECT COALESCE(MAX(id), 0) FROM documents").fetchone()[0])
        except sqlite3.OperationalError:  # no documents table yet
            return
        if documents >= UPGRADE_NOTICE_DOCUMENTS:
            log.warning("upgrading the store %s (about %s documents, %d migration(s) to apply): this may "
                        "take a minute; it happens once", self.path, f"{documents:,}", pending)

    def query(self, sql: str, params: Any = ()) -> list[sqlite3.Row]:
        return self.conn.execute(sql, params).fetchall()

    def scalar(self, sql: str, params: Any = ()) -> Any:
        row = self.conn.execute(sql, params).fetchone()
        return row[0] if row else None

    # -- runs: which code version produced which row ------------------------------------
    def start_run(self, stage: str, command: str = "", components: dict[str, str] | None = None) -> int:
        self.longest_write = 0.0
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO runs (stage, command, code_version, components, started) "
                "VALUES (?, ?, ?, ?, ?)",
                (stage, command, __version__, json.dumps(components or {}), utcnow()),
            )
        return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int, status: str, stats: dict[str, Any]) -> None:
        """Record the outcome; the stats also get ``longest_write_s``, the longest this run held
        the write lock (what another writer, a reviewer's click, may have waited for)."""
        stats = {**stats, "longest_write_s": round(self.longest_write, 3)}
        with self.transaction() as conn:
            conn.execute(
                "UPDATE runs SET finished = ?, status = ?, stats = ? WHERE id = ?",
                (utcnow(), status, json.dumps(stats, ensure_ascii=False), run_id),
            )

    # -- collector state -------------------------------------------------------------
    def get_state(self, key: str) -> dict[str, Any]:
        row = self.conn.execute("SELECT value FROM collector_state WHERE key = ?", (key,)).fetchone()
        return dict(json.loads(row[0])) if row else {}

    def set_state(self, key: str, value: dict[str, Any]) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO collector_state (key, value, updated) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated = excluded.updated",
                (key, json.dumps(value, ensure_ascii=False), utcnow()),
            )


def split_sql(script: str) -> list[str]:
    """Split a migration script into statements, keeping trigger bodies whole."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        if line.strip().startswith("--") and not buffer.strip():
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
