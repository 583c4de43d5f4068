"""A read-only copy of the store for Datasette or the sqlite3 shell, without the accounts.

``dissentwatch export sqlite --out copy.db`` copies the store with SQLite's backup API, drops
the tables that hold people and secrets (users, their sessions and API tokens, and the decision
log, which names the analysts), then VACUUMs so that no freed page still holds their rows. Views
``public_events`` and ``public_sources`` give the confirmed events and their sources, what
``serve --public`` shows. Serve it with ``datasette serve copy.db --immutable`` or read it with
``sqlite3 -readonly copy.db``.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from dissentwatch.store import Store

if TYPE_CHECKING:
    from dissentwatch.publish.pseudonymise import Pseudonymiser

PRIVATE_TABLES: tuple[str, ...] = ("api_tokens", "user_sessions", "decisions", "users")
"""Left out of the copy, in an order foreign keys allow."""
VIEWS: dict[str, str] = {
    "public_events": "SELECT * FROM events WHERE merged_into IS NULL AND review_status = 'confirmed'",
    "public_sources": (
        "SELECT DISTINCT em.event_id, d.external_id AS document_id, d.url, d.outlet, d.published, d.language "
        "FROM event_mentions em JOIN mentions m ON m.id = em.mention_id JOIN documents d ON d.id = m.document_id "
        "JOIN events e ON e.id = em.event_id WHERE e.merged_into IS NULL AND e.review_status = 'confirmed'"),
}


def readonly_copy(store: Store, out: Path, pseudonymiser: Pseudonymiser | None = None,
                  only_public: bool = False, keep_schema: bool = False) -> list[str]:
    """Write the copy to ``out`` (replacing it atomically); returns the tables it holds. With
    ``pseudonymiser`` the copy is pseudonymised (:func:`~dissentwatch.publish.pseudonymise.
    pseudonymise_store`; ``only_public``: documents no confirmed event cites lose their text).
    ``keep_schema``: the private tables are emptied, not dropped (a copy the web app serves)."""
    out = Path(out)
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    dest = sqlite3.connect(str(partial), isolation_level=None)
    try:
        store.conn.backup(dest)
        dest.execute("PRAGMA journal_mode=DELETE")  # one file, nothing beside it
        dest.execute("PRAGMA foreign_keys=OFF")
        for table in PRIVATE_TABLES:
            dest.execute(f"DELETE FROM {table}" if keep_schema else f"DROP TABLE IF EXISTS {table}")
        for name, sql in VIEWS.items():
            dest.execute(f"DROP VIEW IF EXISTS {name}")
            dest.execute(f"CREATE VIEW {name} AS {sql}")
        if pseudonymiser is None:
            dest.execute("VACUUM")  # the dropped rows must not linger in free pages
        tables = [r[0] for r in dest.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    finally:
        dest.close()
    try:
        if pseudonymiser is not None:  # it VACUUMs when done
            from dissentwatch.publish.pseudonymise import pseudonymise_store

            pseudonymise_store(partial, pseudonymiser, only_public=only_public)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, out)
    return tables


def pseudonymised_public_copy(db_path: Path, pseudonymiser: Pseudonymiser) -> Path:
    """A pseudonymised copy of the store at ``db_path`` for ``serve --public --pseudonymise``,
    in a temporary directory removed when the process exits; documents no confirmed event cites
    keep no text (the public view never shows them)."""
    import atexit
    import shutil
    import tempfile

    directory = Path(tempfile.mkdtemp(prefix="dissentwatch-public-"))
    atexit.register(shutil.rmtree, directory, True)
    out = directory / "public.db"
    with Store(db_path, migrate=False) as store:
        readonly_copy(store, out, pseudonymiser=pseudonymiser, only_public=True, keep_schema=True)
    return out
