"""``dissentwatch collect ...``: bring documents into the store."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import click

from dissentwatch.cli._common import Context, pass_context
from dissentwatch.collect import CollectError
from dissentwatch.models import Document
from dissentwatch.store.documents import IngestStats, ingest


@click.group()
def collect() -> None:
    """Collect documents from Telegram exports, files, feeds, web pages and media."""


def with_progress(ctx: Context, items: Iterable[Document | CollectError], what: str) -> Iterator[Document | CollectError]:
    """Wrap a collector in a progress bar on stderr (only on a terminal and without -q)."""
    if not ctx.show_progress:
        yield from items
        return
    from tqdm import tqdm

    with tqdm(desc=what, unit=" docs", file=sys.stderr, dynamic_ncols=True) as bar:
        for item in items:
            bar.update(1)
            yield item


def run_collector(ctx: Context, command: str, items: Iterable[Document | CollectError], what: str) -> IngestStats:
    """Ingest a collector's stream as a recorded run, print a summary, exit 1 if anything failed."""
    store = ctx.store
    run_id = store.start_run("collect", command)
    stats = IngestStats()
    status = "failed"
    try:
        ingest(store, with_progress(ctx, items, what), run_id=run_id, stats=stats)
        status = "ok" if not stats.errors else "partial"
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    finally:
        store.finish_run(run_id, status, stats.as_dict())
        report(stats)
    if stats.errors:
        sys.exit(1)
    return stats


def report(stats: IngestStats) -> None:
    """The summary on stderr: counts, then every error (file, line and what is wrong)."""
    for error in stats.errors:
        click.echo(f"error: {error}", err=True)
    click.echo(
        f"{stats.added} added, {stats.updated} updated, {stats.unchanged} unchanged, "
        f"{stats.copies} copies of earlier documents, {len(stats.errors)} errors",
        err=True,
    )


def _parse_map(values: tuple[str, ...]) -> dict[str, str]:
    mapping = {}
    for value in values:
        target, sep, source = value.partition("=")
        if not sep or not target or not source:
            raise click.BadParameter(f"{value!r}: expected FIELD=COLUMN, e.g. text=body", param_hint="--map")
        mapping[target.strip()] = source.strip()
    return mapping


@collect.command("files")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--map", "column_map", multiple=True, metavar="FIELD=COLUMN",
              help="For CSV files: which column holds a contract field (id, text, title, url, outlet, published, language).")
@pass_context
def collect_files_command(ctx: Context, paths: tuple[Path, ...], column_map: tuple[str, ...]) -> None:
    """Import .txt, .md, .html, .jsonl, .json and .csv files, or folders of them."""
    from dissentwatch.collect.files import collect_files

    mapping = _parse_map(column_map)
    items = collect_files(paths, mapping)
    run_collector(ctx, "collect files " + " ".join(map(str, paths)), items, "files")


def register(group: click.Group) -> None:
    group.add_command(collect)
