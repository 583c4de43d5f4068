"""``dissentwatch collect telegram`` and ``collect media``: live channels, audio and video files."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from dissentwatch.cli._common import Context, pass_context
from dissentwatch.collect import CollectError
from dissentwatch.media import MediaError
from dissentwatch.models import Document
from dissentwatch.store.documents import IngestStats


def _report(stats: IngestStats, extra: str = "") -> None:
    for error in stats.errors:
        click.echo(f"error: {error}", err=True)
    click.echo(f"{stats.added} added, {stats.updated} updated, {stats.unchanged} unchanged, "
               f"{stats.copies} copies, {len(stats.errors)} errors{extra}", err=True)


def _progress_factory(ctx: Context) -> Callable[[Path], Any] | None:
    if not ctx.show_progress:
        return None
    from tqdm import tqdm

    def factory(path: Path) -> Callable[[float, float], None]:
        bar = tqdm(desc=path.name, unit=" s", file=sys.stderr, dynamic_ncols=True, leave=False)

        def update(done: float, total: float) -> None:
            bar.total = round(total)
            bar.n = round(done)
            bar.refresh()
            if done >= total:
                bar.close()

        return update

    return factory


def _transcriber(model: Path | None) -> Any:
    try:
        from dissentwatch.media.transcribe import Transcriber

        return Transcriber(model)
    except (ImportError, MediaError) as exc:
        raise click.ClickException(str(exc)) from exc


language_option = click.option(
    "--language", type=click.Choice(["auto", "ru", "uk", "en", "fr", "be"]), default="auto", show_default=True,
    help="Spoken language; 'auto' detects it from the first minutes.")
model_option = click.option(
    "--model", type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="A faster-whisper model directory (default: the packaged Whisper base model).")


@click.command("media")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@language_option
@model_option
@click.option("--no-vision", is_flag=True, help="Skip the people / covered-faces estimate.")
@click.option("--frame-every", type=float, default=2.0, show_default=True,
              help="Seconds between frames sampled for the vision estimate.")
@pass_context
def collect_media_command(ctx: Context, paths: tuple[Path, ...], language: str, model: Path | None,
                          no_vision: bool, frame_every: float) -> None:
    """Transcribe audio and video files (or folders of them) into documents.

    Speech is transcribed with faster-whisper, offline; segment times are kept so a quote maps
    to a time in the video. Frames are sampled to estimate how many people are in view and
    whether their faces are covered. Re-uploads of the same video are recognised by a
    perceptual fingerprint. A corrupt or silent file is reported and the batch goes on.
    """
    from dissentwatch.collect.media import MediaOptions, collect_media

    options = MediaOptions(None if language == "auto" else language, not no_vision, frame_every,
                           _progress_factory(ctx))
    store = ctx.store
    run_id = store.start_run("collect", "collect media " + " ".join(map(str, paths)))
    stats = IngestStats()
    try:
        collect_media(store, paths, _transcriber(model), options, run_id, stats)
    finally:
        store.finish_run(run_id, "ok" if not stats.errors else "partial", stats.as_dict())
        _report(stats)
    if stats.errors:
        sys.exit(1)


def _parse_since(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r}: expected a date like 2023-03-01", param_hint="--since") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@click.command("telegram")
@click.argument("channels", nargs=-1, required=True)
@click.option("--since", metavar="DATE", help="Back-fill from this date (ISO, e.g. 2023-02-01) on the first run.")
@click.option("--follow", is_flag=True, help="After back-filling, keep polling for new posts (Ctrl-C stops).")
@click.option("--interval", type=float, default=60.0, show_default=True, help="Seconds between polls with --follow.")
@click.option("--recheck", type=int, default=20, show_default=True,
              help="Also re-read this many latest stored posts per poll, to catch edits.")
@click.option("--media", "with_media", is_flag=True, help="Download attached media and transcribe audio/video.")
@click.option("--max-media-bytes", type=int, default=200_000_000, show_default=True,
              help="Skip attachments larger than this.")
@click.option("--media-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where downloaded media go (default: media/ beside the database).")
@language_option
@model_option
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              help="TOML file with [telegram] api_id, api_hash, session (default: telegram.toml in the user config dir).")
@pass_context
def collect_telegram_command(ctx: Context, channels: tuple[str, ...], since: str | None, follow: bool,
                             interval: float, recheck: int, with_media: bool, max_media_bytes: int, media_dir: Path | None,
                             language: str, model: Path | None, config_file: Path | None) -> None:
    """Collect posts of public Telegram channels live (your own API id/hash and session).

    Credentials come from DISSENTWATCH_TG_API_ID / _API_HASH / _SESSION or the config file and
    are never logged. Forwards keep the original channel and message id. FloodWait is waited
    out. An interrupted run resumes after the last stored message of each channel.
    """
    from dissentwatch.collect.telegram_live import ChannelRun, load_credentials, make_client

    try:
        client = make_client(load_credentials(config_file))
    except CollectError as exc:
        raise click.ClickException(str(exc)) from exc
    runs = [ChannelRun(c, _parse_since(since), recheck=recheck) for c in channels]
    handler = _media_handler(ctx, client, media_dir, max_media_bytes, language, model) if with_media else None
    store = ctx.store
    run_id = store.start_run("collect", "collect telegram " + " ".join(channels))
    status = "failed"
    try:
        asyncio.run(_collect(client, store, runs, follow, interval, handler, run_id))
        status = "ok"
    except KeyboardInterrupt:
        status = "interrupted"
    finally:
        total = IngestStats()
        for run in runs:
            total.merge(run.stats)
        store.finish_run(run_id, status, total.as_dict())
        _report(total, f", {sum(r.flood_waits for r in runs)} flood waits")


async def _collect(client: Any, store: Any, runs: list[Any], follow: bool, interval: float,
                   handler: Any, run_id: int) -> None:
    from dissentwatch.collect.telegram_live import collect_channel, follow_channels

    async with client:
        if follow:
            await follow_channels(client, store, runs, interval, handler, run_id)
            return
        for run in runs:
            await collect_channel(client, store, run, handler, run_id)


def _media_handler(ctx: Context, client: Any, media_dir: Path | None, max_bytes: int, language: str,
                   model: Path | None) -> Any:
    from dissentwatch.collect.media import MEDIA_EXTENSIONS, MediaOptions, store_media_file
    from dissentwatch.collect.telegram_live import downloader

    folder = media_dir or ctx.db_path.parent / "media"
    options = MediaOptions(None if language == "auto" else language)
    transcriber = None

    async def after(path: Path, doc: Document) -> None:
        nonlocal transcriber
        if path.suffix.lower() not in MEDIA_EXTENSIONS:
            return
        transcriber = transcriber or _transcriber(model)
        stats = IngestStats()
        try:
            store_media_file(ctx.store, path, transcriber, options, None, stats,
                             parent_external_id=doc.external_id, outlet=doc.outlet, published=doc.published,
                             url=doc.url)
        except MediaError as exc:
            click.echo(f"error: {doc.external_id}: {exc}", err=True)

    return downloader(client, folder, max_bytes, after)


def register(group: click.Group) -> None:
    collect = group.commands["collect"]
    assert isinstance(collect, click.Group)
    collect.add_command(collect_telegram_command)
    collect.add_command(collect_media_command)
