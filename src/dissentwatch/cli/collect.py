"""``dissentwatch collect ...``: bring documents into the store."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, timedelta, timezone
from pathlib import Path
from typing import Any

import click

from dissentwatch.cli._common import Context, pass_context, quiet_option
from dissentwatch.collect import CollectError, CollectWarning, prepare_bulk_import
from dissentwatch.models import Document
from dissentwatch.store.documents import IngestStats, ingest


@click.group()
@quiet_option
@pass_context
def collect(ctx: Context) -> None:
    """Collect documents from Telegram exports, files, feeds, web pages and media.

    Collecting creates the store if there is none yet; the other commands need one."""
    ctx.creates_store = True


def with_progress(ctx: Context, items: Iterable[Document | CollectError | CollectWarning], what: str) -> Iterator[Document | CollectError | CollectWarning]:
    """Wrap a collector in a progress bar on stderr (only on a terminal and without -q)."""
    if not ctx.show_progress:
        yield from items
        return
    from dissentwatch.progress import terminal_progress

    bar = terminal_progress(what, None, "docs")  # a stream: no total known before the end
    try:
        for item in items:
            bar.update(1)
            yield item
    finally:
        bar.close()


def run_collector(
    ctx: Context,
    command: str,
    items: Iterable[Document | CollectError | CollectWarning],
    what: str,
    batch_size: int = 500,
    after: Callable[[], None] | None = None,
) -> IngestStats:
    """Ingest a collector's stream as a recorded run, print a summary, exit 1 if anything failed.

    ``after`` runs once everything is committed (e.g. to store a feed's new ETag).
    """
    store = ctx.store
    prepare_bulk_import(store)
    run_id = store.start_run("collect", command)
    stats = IngestStats()
    status = "failed"
    try:
        ingest(store, with_progress(ctx, items, what), run_id=run_id, stats=stats, batch_size=batch_size)
        if after is not None:
            after()
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
    """The summary on stderr: every warning and error (file, line and what is wrong), then counts."""
    for warning in stats.warnings:
        click.echo(f"warning: {warning}", err=True)
    for error in stats.errors:
        click.echo(f"error: {error}", err=True)
    click.echo(
        f"{stats.added} added, {stats.updated} updated, {stats.unchanged} unchanged, "
        f"{stats.copies} copies of earlier documents, {len(stats.errors)} errors"
        + (f", {len(stats.warnings)} warnings" if stats.warnings else ""),
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
@click.option("--id-root", type=click.Path(path_type=Path, file_okay=False), metavar="DIR",
              help="Text and HTML files get ids relative to DIR (portable) instead of their absolute paths.")
@click.option("--delimiter", metavar="CHAR", callback=lambda _c, _p, v: _parse_delimiter(v),
              help="For CSV files: the delimiter (one character, or 'tab'); default: guessed among , ; tab |.")
@pass_context
def collect_files_command(ctx: Context, paths: tuple[Path, ...], column_map: tuple[str, ...], id_root: Path | None,
                          delimiter: str | None) -> None:
    """Import .txt, .md, .html, .jsonl, .json and .csv files, or folders of them.

    JSON Lines follow the import contract (id, text, title, url, outlet, published, language).
    A .txt or .md file may start with a front matter block: '---' lines around 'key: value'
    lines (title, outlet, published, url, author, language). A text or HTML file's id is its
    absolute path, or with --id-root its path under that folder, the same wherever it is copied.
    CSV: the encoding is detected (UTF-8, windows-1251 ...) and the delimiter guessed; dates may
    be ISO or day-first (06.03.2023 14:30). A date that cannot be read leaves the document
    undated, with a warning naming file and line.
    """
    from dissentwatch.collect.files import collect_files

    mapping = _parse_map(column_map)
    items = collect_files(paths, mapping, id_root, delimiter)
    run_collector(ctx, "collect files " + " ".join(map(str, paths)), items, "files")


def _parse_delimiter(value: str | None) -> str | None:
    """``;`` / ``|`` / ``tab`` / ``\\t`` → the one delimiter character (None: guess it)."""
    if value is None:
        return None
    named = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
    char = named.get(value.lower(), value)
    if len(char) != 1 or char in "\r\n\"":
        raise click.BadParameter(f"{value!r}: expected one character, e.g. ';', '|' or 'tab'",
                                 param_hint="--delimiter")
    return char


def _parse_offset(value: str | None) -> timezone:
    """``+03:00`` / ``-0500`` / ``UTC`` → a fixed-offset time zone."""
    if not value or value.upper() in {"UTC", "Z"}:
        return UTC
    match = re.fullmatch(r"([+-])(\d{1,2}):?(\d{2})?", value.strip())
    if not match:
        raise click.BadParameter(f"{value!r}: expected an offset like +03:00", param_hint="--local-offset")
    minutes = int(match.group(2)) * 60 + int(match.group(3) or 0)
    return timezone(timedelta(minutes=-minutes if match.group(1) == "-" else minutes))


@collect.command("telegram-export")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--channel-username", metavar="NAME",
              help="The channel's public username (without @): gives ids NAME/<message id> and t.me permalinks.")
@click.option("--local-offset", metavar="+HH:MM", default="UTC", show_default=True,
              help="UTC offset of the exporting machine, used only for messages without date_unixtime.")
@click.option("--batch-size", type=int, default=20_000, show_default=True,
              help="Documents per committed transaction, fewer when their texts pass 8 million characters "
                   "(a crash loses at most one; larger batches import faster).")
@pass_context
def collect_telegram_export_command(
    ctx: Context, path: Path, channel_username: str | None, local_offset: str, batch_size: int
) -> None:
    """Import a Telegram Desktop export: PATH is result.json or the export folder.

    Streams the file (constant memory, any size). Service messages are skipped; a message with
    no text is kept only when it has media. Re-importing updates edited messages and keeps their
    previous text in the history.
    """
    from dissentwatch.collect.telegram_export import ImportCounts, collect_telegram_export

    tz = _parse_offset(local_offset)
    username = _channel_username(ctx, path, channel_username)
    counts = ImportCounts()
    items = collect_telegram_export(path, username, tz, counts, derive=False)
    try:
        run_collector(ctx, f"collect telegram-export {path}", items, "messages", batch_size)
    finally:
        click.echo(f"{counts.messages} messages read, {counts.service} service and "
                   f"{counts.empty} empty messages skipped", err=True)


def _channel_username(ctx: Context, path: Path, given: str | None) -> str | None:
    """The username to key this export by: given, else remembered for its channel id, else
    derived from its links; a newly known username is remembered and earlier documents re-keyed."""
    from dissentwatch.collect.telegram_export import channel_identity, rekey_channel

    try:
        chat = channel_identity(path, given)
    except CollectError:
        return given  # the collector reports the problem
    if chat.id is None:
        return chat.username
    key = f"telegram_export:{chat.id}"
    remembered = ctx.store.get_state(key).get("username")
    username = (given or "").lstrip("@") or remembered or chat.username
    if username and username != remembered:
        renamed = rekey_channel(ctx.store, str(chat.id), username)
        if renamed:
            click.echo(f"{renamed} earlier documents of channel {chat.id} now keyed as {username}/...", err=True)
        ctx.store.set_state(key, {"username": username})
    return username or None


def http_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Timeout, retries and per-host politeness for commands that fetch URLs."""
    func = click.option("--timeout", type=float, default=20.0, show_default=True,
                        help="Seconds to wait for a server.")(func)
    func = click.option("--retries", type=int, default=3, show_default=True,
                        help="Retries on connection errors, 5xx and 429 (exponential backoff, Retry-After honoured).")(func)
    func = click.option("--interval", type=float, default=1.0, show_default=True,
                        help="Minimum seconds between two requests to the same host.")(func)
    return func


def _fetch_and_store(ctx: Context, name: str, urls: tuple[str, ...], timeout: float, retries: int,
                     interval: float) -> None:
    from dissentwatch.collect.feeds import collect_feeds
    from dissentwatch.collect.http import Fetcher
    from dissentwatch.collect.web import collect_pages

    collector = collect_feeds if name == "feed" else collect_pages
    pending: dict[str, dict[str, Any]] = {}
    store = ctx.store

    def save_state() -> None:
        for key, value in pending.items():
            store.set_state(key, value)

    with Fetcher(timeout=timeout, retries=retries, min_interval=interval) as fetcher:
        items = collector(urls, fetcher, store.get_state, pending)
        run_collector(ctx, f"collect {name} " + " ".join(urls), items, "entries" if name == "feed" else "pages",
                      after=save_state)


@collect.command("feed")
@click.argument("urls", nargs=-1, required=True)
@http_options
@pass_context
def collect_feed_command(ctx: Context, urls: tuple[str, ...], timeout: float, retries: int, interval: float) -> None:
    """Poll RSS/Atom feeds: every entry becomes a document (the outlet is the feed title).

    Conditional GET: an unchanged feed answers 304 and costs nothing. A broken or unreachable
    feed is reported, the others go on, and the exit status is 1.
    """
    _fetch_and_store(ctx, "feed", urls, timeout, retries, interval)


@collect.command("web")
@click.argument("urls", nargs=-1, required=True)
@http_options
@pass_context
def collect_web_command(ctx: Context, urls: tuple[str, ...], timeout: float, retries: int, interval: float) -> None:
    """Fetch web pages and keep each article's main text, title, author and date.

    Non-UTF-8 pages are decoded by their declared or detected charset; scripts never reach the
    stored text. A page that fails is reported, the others go on, and the exit status is 1.
    """
    _fetch_and_store(ctx, "web", urls, timeout, retries, interval)


@collect.command("demo")
@pass_context
def collect_demo_command(ctx: Context) -> None:
    """Import the bundled demo corpus (invented, illustrative texts): a Telegram export and articles."""
    import itertools

    from dissentwatch.collect.files import collect_files
    from dissentwatch.collect.telegram_export import collect_telegram_export
    from dissentwatch.demo import demo_paths

    export, articles = demo_paths()
    # ids like "demo/articles/en_….md": the same in every checkout and install
    items = itertools.chain(collect_telegram_export(export), collect_files([articles], id_root=articles.parent.parent))
    run_collector(ctx, "collect demo", items, "demo documents")


def register(group: click.Group) -> None:
    group.add_command(collect)
