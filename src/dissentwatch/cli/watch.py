"""``dissentwatch watch CONFIG``: follow feeds, pages and channels continuously."""

from __future__ import annotations

import logging
import signal
from pathlib import Path
from types import FrameType

import click

from dissentwatch.cli._common import Context, pass_context

CONFIG_EXAMPLE = """
\b
Example CONFIG (TOML):
    db = "dissentwatch.db"          # optional; else --db / DISSENTWATCH_DB / default
    interval = "15m"                # default for every source
    [[feeds]]
    url = "https://example.org/rss"
    interval = "5m"
    [[pages]]
    url = "https://example.org/statement"
    [[channels]]
    name = "@somechannel"           # needs Telegram credentials, see collect telegram
    [telegram]
    since = "2023-02-01"            # first back-fill of new channels starts here
    config = "telegram.toml"        # credentials file (else env / user config dir)
    [pipeline]
    analyze = true                  # run analyze, then resolve, after new documents
    resolve = true
    [http]
    timeout = 20
    retries = 1
    min_interval = 1                # seconds between two requests to one host
"""


@click.command("watch", epilog=CONFIG_EXAMPLE)
@click.argument("config_file", metavar="CONFIG", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--cycles", type=int, help="Stop after this many polling cycles (default: run until stopped).")
@pass_context
def watch_command(ctx: Context, config_file: Path, cycles: int | None) -> None:
    """Poll the feeds, pages and channels of CONFIG on their schedules, forever.

    New documents are stored as they arrive, then analyze and resolve run on them. A source
    that fails is logged and retried at its next turn. SIGTERM or Ctrl-C lets the current
    source finish and commit, then exits 0; the next start resumes the schedule.
    """
    from dissentwatch.collect.http import Fetcher
    from dissentwatch.watch import (
        ConfigError,
        Watcher,
        default_collectors,
        default_stages,
        load_config,
    )

    try:
        config = load_config(config_file)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    if config.db is not None and ctx.db_path != config.db and not _db_given():
        ctx.db_path = config.db
    if not ctx.quiet and ctx.verbose == 0:
        logging.getLogger("dissentwatch").setLevel(logging.INFO)
    ctx.creates_store = True  # watching is collecting, on a schedule
    store = ctx.store
    run_id = store.start_run("watch", f"watch {config_file}")
    http = config.http
    with Fetcher(timeout=http["timeout"], retries=int(http["retries"]), min_interval=http["min_interval"]) as fetcher:
        collectors = default_collectors(config, fetcher)
        watcher = Watcher(store, config, collectors, default_stages(config))
        previous = _on_stop_signals(watcher.stop.set)
        try:
            watcher.run(cycles)
        finally:
            _restore(previous)
            getattr(collectors.get("channel"), "close", lambda: None)()
            store.finish_run(run_id, "ok", watcher.totals.as_dict())
    click.echo(f"watch stopped: {watcher.cycles} cycles, {watcher.totals.added} added, "
               f"{watcher.totals.updated} updated, {len(watcher.totals.errors)} errors", err=True)


def _db_given() -> bool:
    parent = click.get_current_context().find_root()
    return parent.get_parameter_source("db") not in (None, click.core.ParameterSource.DEFAULT)


def _on_stop_signals(stop: object) -> dict[int, object]:
    def handler(signum: int, frame: FrameType | None) -> None:
        logging.getLogger("dissentwatch.watch").info("signal %d: stopping after the current source", signum)
        stop()  # type: ignore[operator]

    return {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}


def _restore(previous: dict[int, object]) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler)  # type: ignore[arg-type]


def register(group: click.Group) -> None:
    group.add_command(watch_command)
