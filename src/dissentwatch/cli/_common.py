"""Shared pieces of the CLI: the context object and output options."""

from __future__ import annotations

import csv
import functools
import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import click

from dissentwatch.progress import ProgressFactory, progress_for
from dissentwatch.store import Store, StoreError, default_db_path


class Context:
    """What every command gets: where the database is, and how chatty to be."""

    def __init__(self, db: Path | None, verbose: int, quiet: bool) -> None:
        self.db_path = db or default_db_path()
        self.verbose = verbose
        self.quiet = quiet
        self.creates_store = False  # collect and users add set it: the others need a store that exists
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        """The store at ``db_path``, opened (and migrated) on first use; a missing one is created
        only where ``creates_store`` is set, and a file that is not a store is a clear error."""
        if self._store is None:
            try:
                self._store = Store(self.db_path, create=self.creates_store)
            except StoreError as exc:
                raise click.ClickException(str(exc)) from None
        return self._store

    @property
    def show_progress(self) -> bool:
        return not self.quiet and sys.stderr.isatty()

    @property
    def progress(self) -> ProgressFactory | None:
        """Progress bars with totals and ETA on stderr: only on a terminal and without -q."""
        return progress_for(self.quiet)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


pass_context = click.make_pass_decorator(Context)


def _set_quiet(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    if value:
        ctx.ensure_object(Context).quiet = True
    return value


def quiet_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """``-q/--quiet`` on a long-running command too (``dissentwatch analyze -q``), the same as
    ``dissentwatch -q analyze``: no progress bars."""
    return click.option("-q", "--quiet", is_flag=True, expose_value=False, callback=_set_quiet,
                        help="No progress bars (they show only on a terminal anyway).")(func)


def output_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--json``, ``--csv`` and ``--limit`` for commands that print rows."""

    @click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="How many rows.")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @click.option("--csv", "as_csv", is_flag=True, help="Print CSV.")
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return wrapper


def emit_rows(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    as_json: bool = False,
    as_csv: bool = False,
    widths: Mapping[str, int] | None = None,
) -> None:
    """Rows on stdout as JSON, CSV or an aligned table (long cells cut to ``widths``)."""
    if as_json:
        click.echo(json.dumps([dict(r) for r in rows], ensure_ascii=False, indent=2, default=str))
        return
    if as_csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: _cell(row.get(c)) for c in columns})
        return
    click.echo(format_table(rows, columns, widths or {}))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def format_table(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], widths: Mapping[str, int]) -> str:
    cells = [[_clip(_cell(r.get(c)), widths.get(c, 40)) for c in columns] for r in rows]
    sizes = [max([len(c), *(len(row[i]) for row in cells)]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(sizes[i]) for i, c in enumerate(columns))]
    lines.append("  ".join("-" * s for s in sizes))
    lines += ["  ".join(v.ljust(sizes[i]) for i, v in enumerate(row)) for row in cells]
    return "\n".join(line.rstrip() for line in lines)


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
