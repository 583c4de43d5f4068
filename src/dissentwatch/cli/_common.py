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


def pseudonymise_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--pseudonymise`` with ``--pseudonym-key-file`` and ``--public-figures``: the command gets
    ``pseudonymiser`` (a :class:`~dissentwatch.publish.pseudonymise.Pseudonymiser`, or None when
    not asked). No key (file or ``DISSENTWATCH_PSEUDONYM_KEY``) is a usage error before any work."""

    @click.option("--pseudonymise", "--pseudonymize", "pseudonymise", is_flag=True,
                  help="Replace private people's names by stable pseudonyms and drop links to private "
                       "accounts (needs a key: --pseudonym-key-file or DISSENTWATCH_PSEUDONYM_KEY).")
    @click.option("--pseudonym-key-file", type=click.Path(dir_okay=False, path_type=Path),
                  help="File holding the secret pseudonym key (at least 16 bytes), kept outside the "
                       "database; never stored. Default: $DISSENTWATCH_PSEUDONYM_KEY.")
    @click.option("--public-figures", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                  help="More public figures whose names are kept: one name per line, or JSON.")
    @functools.wraps(func)
    def wrapper(*args: Any, pseudonymise: bool, pseudonym_key_file: Path | None, public_figures: Path | None,
                **kwargs: Any) -> Any:
        kwargs["pseudonymiser"] = make_pseudonymiser(pseudonymise, pseudonym_key_file, public_figures)
        return func(*args, **kwargs)

    return wrapper


def make_pseudonymiser(pseudonymise: bool, key_file: Path | None, public_figures: Path | None) -> Any:
    """What :func:`pseudonymise_options` gives the command: None, or a pseudonymiser; a clear
    usage error without a key, or with a key or list but no ``--pseudonymise``."""
    if not pseudonymise:
        if key_file or public_figures:
            raise click.UsageError("--pseudonym-key-file and --public-figures need --pseudonymise")
        return None
    from dissentwatch.publish.pseudonymise import PseudonymKeyError, pseudonymiser_for

    try:
        return pseudonymiser_for(key_file=key_file, public_figures=public_figures)
    except PseudonymKeyError as exc:
        raise click.UsageError(str(exc)) from None
    except (OSError, ValueError) as exc:
        raise click.UsageError(f"--public-figures: {exc}") from None
