"""Which commands create a store, and what the others say about a missing or foreign file.

Only ``collect`` (any source, ``demo`` included), ``watch`` and ``users add`` create a store. Every
other command on a path with no store, or on a file that is not a dissentwatch store, exits 1
with one clear line and leaves the file system as it was.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from dissentwatch.cli import main
from dissentwatch.store import Store, StoreError

READERS = [
    ("status",), ("events",), ("event", "ev-x"), ("counts",), ("export", "events"), ("analyze",),
    ("resolve",), ("mentions",), ("documents", "полк"), ("review", "confirm", "ev-x"),
    ("review", "history", "ev-x"), ("users", "list"), ("users", "token", "ana"), ("serve", "--port", "1"),
]


def _run(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.mark.parametrize("args", READERS, ids=lambda a: " ".join(a))
def test_a_typo_in_the_path_creates_nothing(tmp_path: Path, args: tuple[str, ...]) -> None:
    missing = tmp_path / "nonexistent" / "dir" / "x.db"
    result = _run("--db", str(missing), *args)
    assert result.exit_code == 1, result.output
    assert f"Error: no store at {missing}: 'dissentwatch collect ...' creates one" in result.output
    assert _files(tmp_path) == []


@pytest.mark.parametrize("args", [("status",), ("events",), ("collect", "demo"), ("users", "list")],
                         ids=lambda a: " ".join(a))
def test_a_text_file_is_not_a_store(tmp_path: Path, args: tuple[str, ...]) -> None:
    passwd = tmp_path / "passwd"
    passwd.write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    result = _run("--db", str(passwd), *args)
    assert result.exit_code == 1
    assert result.output.strip().endswith(f"Error: {passwd} is not a SQLite database, so not a dissentwatch store")
    assert "Traceback" not in result.output
    assert passwd.read_text(encoding="utf-8") == "root:x:0:0:root:/root:/bin/bash\n" and _files(tmp_path) == ["passwd"]


def test_another_programs_database_is_left_alone(tmp_path: Path) -> None:
    other = tmp_path / "places.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE bookmarks (url TEXT)")
    before = other.read_bytes()
    for args in (("status",), ("collect", "demo")):
        result = _run("--db", str(other), *args)
        assert result.exit_code == 1
        assert "is a SQLite database but not a dissentwatch store (it has no migrations table)" in result.output
    assert other.read_bytes() == before and _files(tmp_path) == ["places.sqlite"]


@pytest.mark.parametrize(("content", "said"), [
    (b"", "is an empty file, not a dissentwatch store yet"),
    (b"SQLite format 3\x00" + b"\x00\xff" * 60, "is damaged or not a SQLite database"),
])
def test_empty_and_damaged_files(tmp_path: Path, content: bytes, said: str) -> None:
    path = tmp_path / "x.db"
    path.write_bytes(content)
    result = _run("--db", str(path), "events")
    assert result.exit_code == 1 and said in result.output and "Traceback" not in result.output
    with pytest.raises(StoreError, match=said):
        Store(path, create=False)


def test_collect_and_users_add_create_a_store(tmp_path: Path) -> None:
    posts = tmp_path / "posts.jsonl"
    posts.write_text('{"id": "a", "text": "Бойцы 5-й бригады записали обращение."}\n', encoding="utf-8")
    collected = tmp_path / "new" / "dir" / "x.db"
    assert _run("--db", str(collected), "collect", "files", str(posts)).exit_code == 0
    assert _run("--db", str(collected), "status").exit_code == 0
    accounts = tmp_path / "accounts.db"
    added = _run("--db", str(accounts), "users", "add", "ana", "--role", "analyst", "--password-stdin",
                 input="analyst-pass-1\n")
    assert added.exit_code == 0, added.output
    assert "ana" in _run("--db", str(accounts), "users", "list").output


def test_the_readme_commands_work_on_a_fresh_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISSENTWATCH_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # the default store's directory
    assert _run("events").exit_code == 1  # nothing collected yet: no store, and none made
    assert _files(tmp_path) == []
    for args in (("collect", "demo"), ("analyze",), ("resolve",)):
        result = _run(*args)
        assert result.exit_code == 0, (args, result.output)
    listed = _run("events")
    assert listed.exit_code == 0 and "video_appeal" in listed.output
    assert (tmp_path / "data" / "dissentwatch" / "dissentwatch.db").is_file()
