"""SIGKILL in the middle of a Telegram import: only whole batches are committed, and a re-run
completes the import with no duplicates."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from dissentwatch.store import Store

MESSAGES = 30_000
BATCH = 500


def write_big_export(path: Path) -> None:
    words = ["мобилизованные", "полк", "обращение", "к", "президенту", "позиции", "без", "поддержки", "артиллерии", "ротация"]
    with path.open("w", encoding="utf-8") as out:
        out.write('{"name": "Нагрузочный канал", "type": "public_channel", "id": 1234567, "messages": [\n')
        for ident in range(1, MESSAGES + 1):
            text = " ".join(words[(ident + k) % len(words)] for k in range(40)) + f" №{ident}"
            message = {"id": ident, "type": "message", "date": "2023-03-06T14:22:01",
                       "date_unixtime": str(1678112521 + ident), "from": "Нагрузочный канал",
                       "text": [text, " ", {"type": "hashtag", "text": f"#n{ident}"}]}
            out.write(("," if ident > 1 else "") + json.dumps(message, ensure_ascii=False) + "\n")
        out.write("]}\n")


def import_command(db: Path, export: Path) -> list[str]:
    return [sys.executable, "-m", "dissentwatch", "--db", str(db), "-q", "collect", "telegram-export",
            str(export), "--batch-size", str(BATCH)]


def committed_rows(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def test_sigkill_mid_import_then_rerun(tmp_path: Path) -> None:
    export, db = tmp_path / "result.json", tmp_path / "kill.db"
    write_big_export(export)
    Store(db).close()  # migrated before the race starts
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(import_command(db, export), env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while committed_rows(db) < 3 * BATCH and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process.poll() is None, "the import finished before it could be killed; make the export bigger"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()

    with Store(db) as store:
        assert store.scalar("PRAGMA integrity_check") == "ok"
        store.conn.execute("INSERT INTO documents_fts(documents_fts, rank) VALUES ('integrity-check', 1)")
        killed_at = store.scalar("SELECT COUNT(*) FROM documents")
        assert 0 < killed_at < MESSAGES and killed_at % BATCH == 0
        assert store.scalar("SELECT COUNT(*) FROM fts_deferred") == 0
        assert store.scalar("SELECT status FROM runs ORDER BY id DESC LIMIT 1") == "running"

    rerun = subprocess.run(import_command(db, export), env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{MESSAGES - killed_at} added" in rerun.stderr and f"{killed_at} unchanged" in rerun.stderr
    with Store(db) as store:
        assert store.scalar("SELECT COUNT(*) FROM documents") == MESSAGES
        assert store.scalar("SELECT COUNT(DISTINCT external_id) FROM documents") == MESSAGES
        assert store.scalar("SELECT COUNT(*) FROM documents_fts WHERE documents_fts MATCH '\"n29999\"'") == 1
        store.conn.execute("INSERT INTO documents_fts(documents_fts, rank) VALUES ('integrity-check', 1)")
