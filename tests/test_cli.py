from __future__ import annotations

import click
import pytest

from dissentwatch.cli import main


def _all_commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in sorted(group.commands.items()):
        found.append((f"{prefix}{name}", command))
        if isinstance(command, click.Group):
            found += _all_commands(command, f"{prefix}{name} ")
    return found


@pytest.mark.parametrize("name,command", _all_commands(main))
def test_every_command_has_help(name: str, command: click.Command) -> None:
    assert command.help and command.help.strip(), f"'{name}' has no help text"


def test_status_on_fresh_database(store, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("status", "--json")  # a new, empty store (a missing one: tests/test_store_opening.py)
    assert result.exit_code == 0
    assert '"documents": 0' in result.output


def test_collect_files_reports_bad_lines_and_goes_on(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "posts.jsonl"
    source.write_text(
        '{"id": "a", "text": "Первый пост"}\n{"id": "b", "text": \n{"id": "c", "text": "Третий"}\n',
        encoding="utf-8",
    )
    result = cli("collect", "files", str(source))
    assert result.exit_code == 1
    assert f"{source}:2: column" in result.output
    assert "2 added" in result.output
    again = cli("collect", "files", str(source))
    assert "0 added" in again.output and "2 unchanged" in again.output
