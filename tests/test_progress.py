"""Progress bars of the long stages: on a terminal with totals, never in a pipe or with -q.

The commands run in a child process whose stderr is a pseudo-terminal (``os.openpty``), as in
a shell, or a pipe, as in a script; the store is a real SQLite file."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import dissentwatch
from dissentwatch.store import Store

SRC = str(Path(dissentwatch.__file__).resolve().parents[1])


def _env(db: Path) -> dict[str, str]:
    env = dict(os.environ, DISSENTWATCH_DB=str(db), PYTHONPATH=SRC, COLUMNS="120")
    env.pop("NO_COLOR", None)
    return env


def run_dw(db: Path, *args: str, tty: bool) -> tuple[int, str, str]:
    """``python -m dissentwatch ARGS``: (exit code, stdout, stderr), stderr a terminal when ``tty``."""
    command = [sys.executable, "-m", "dissentwatch", *args]
    if not tty:
        done = subprocess.run(command, env=_env(db), capture_output=True, text=True, timeout=300)
        return done.returncode, done.stdout, done.stderr
    leader, follower = os.openpty()
    chunks: list[bytes] = []

    def drain() -> None:  # read while it runs: a full terminal buffer would block the child
        while True:
            try:
                data = os.read(leader, 4096)
            except OSError:  # EIO once the child's end is closed
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        proc = subprocess.Popen(command, env=_env(db), stdout=subprocess.PIPE, stderr=follower, stdin=subprocess.DEVNULL)
        os.close(follower)
        out, _ = proc.communicate(timeout=300)
        reader.join(timeout=10)
    finally:
        os.close(leader)
    return proc.returncode, out.decode("utf-8"), b"".join(chunks).decode("utf-8", "replace")


@pytest.fixture
def demo_db(tmp_path: Path) -> Path:
    db = tmp_path / "dw.db"
    code, _, err = run_dw(db, "collect", "demo", tty=False)
    assert code == 0, err
    return db


def _bar(stderr: str, what: str) -> re.Match[str] | None:
    """The bar's last drawing: ``WHAT: 100%|█████| 9/9 [00:01<00:00, 7.1 docs/s]``."""
    found = list(re.finditer(re.escape(what) + r":\s+\d+%\|[^|]*\|\s*(\d+)/(\d+) \[[\d:]+<[\d:?]+", stderr))
    return found[-1] if found else None


def test_analyze_and_resolve_draw_bars_with_totals_on_a_terminal(demo_db: Path) -> None:
    with Store(demo_db) as store:
        documents = store.scalar("SELECT COUNT(*) FROM documents")
    code, _, err = run_dw(demo_db, "analyze", "--rules-only", "--workers", "1", tty=True)
    assert code == 0, err
    bar = _bar(err, "analyze")
    assert bar is not None, err
    assert bar.group(1) == bar.group(2) == str(documents)  # the total was known from the start

    with Store(demo_db) as store:
        mentions = store.scalar("SELECT COUNT(*) FROM mentions")
    assert mentions > 0
    code, _, err = run_dw(demo_db, "resolve", tty=True)
    assert code == 0, err
    placed = _bar(err, "resolve: new mentions")
    assert placed is not None, err
    assert placed.group(1) == placed.group(2) == str(mentions)
    events = _bar(err, "resolve: events")
    assert events is not None, err


def test_no_bars_in_a_pipe_or_with_quiet(demo_db: Path) -> None:
    code, out, err = run_dw(demo_db, "analyze", "--rules-only", "--workers", "1", tty=False)
    assert code == 0, err
    assert "analyze:" not in err and "%|" not in err
    assert "analyzed" in out

    code, _, err = run_dw(demo_db, "resolve", "-q", tty=True)  # a terminal, but -q
    assert code == 0, err
    assert "%|" not in err

    code, _, err = run_dw(demo_db, "-q", "resolve", "--rebuild", tty=True)  # the global -q too
    assert code == 0, err
    assert "%|" not in err


def test_collect_takes_quiet(tmp_path: Path) -> None:
    code, _, err = run_dw(tmp_path / "dw.db", "collect", "-q", "demo", tty=True)
    assert code == 0, err
    assert "%|" not in err and "demo documents:" not in err
    code, _, err = run_dw(tmp_path / "other.db", "collect", "demo", tty=True)
    assert code == 0, err
    assert "demo documents:" in err
