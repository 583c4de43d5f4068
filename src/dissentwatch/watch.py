"""``watch``: one long-running process that polls feeds, pages and channels on their schedules
and runs analyze and resolve on what is new.

The schedule lives in ``collector_state`` (``watch:<kind>:<target>``: when each source is due
next, when it last worked, its last error), so a crash loses nothing: documents are committed
as they come in, and the next start picks up the sources that came due meanwhile. A stop
request (SIGTERM, SIGINT) lets the current source finish and commit, then the loop exits.

Collectors and pipeline stages are plain callables, so the loop can be tested with simple
ones and the real stages plug in by import.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dissentwatch.collect import CollectError
from dissentwatch.models import to_utc_iso
from dissentwatch.store import Store
from dissentwatch.store.documents import IngestStats

log = logging.getLogger(__name__)

KINDS = {"feeds": "feed", "pages": "page", "channels": "channel"}
_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d)?\s*$")
_UNITS = {None: 1, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}


class ConfigError(Exception):
    """A watch configuration that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Source:
    """One thing to poll: a feed URL, a page URL or a Telegram channel, every ``interval`` seconds."""

    kind: str
    target: str
    interval: float

    @property
    def key(self) -> str:
        return f"watch:{self.kind}:{self.target}"


@dataclass
class WatchConfig:
    sources: list[Source]
    db: Path | None = None
    analyze: bool = True
    resolve: bool = True
    http: dict[str, float] = field(default_factory=lambda: {"timeout": 20.0, "retries": 1.0, "min_interval": 1.0})
    telegram: dict[str, Any] = field(default_factory=dict)
    tick: float = 1.0


def parse_interval(value: Any, where: str) -> float:
    """``90``, ``"30s"``, ``"15m"``, ``"2h"``, ``"1d"`` → seconds."""
    if isinstance(value, int | float) and value > 0:
        return float(value)
    match = _INTERVAL.match(str(value))
    if not match or float(match.group(1)) <= 0:
        raise ConfigError(f"{where}: interval {value!r} is not a duration like 30s, 15m, 2h")
    return float(match.group(1)) * _UNITS[match.group(2)]


def _sources(data: dict[str, Any], path: Path, default: float) -> list[Source]:
    found = []
    for section, kind in KINDS.items():
        for i, item in enumerate(data.get(section, [])):
            where = f"{path}: [[{section}]] #{i + 1}"
            item = {"url": item} if isinstance(item, str) else item
            target = item.get("url") or item.get("name") or item.get("channel") if isinstance(item, dict) else None
            if not target:
                raise ConfigError(f"{where}: needs {'name' if kind == 'channel' else 'url'}")
            found.append(Source(kind, str(target), parse_interval(item.get("interval", default), where)))
    return found


def load_config(path: Path) -> WatchConfig:
    """Read a TOML watch configuration (see ``dissentwatch watch --help`` for its keys)."""
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    default = parse_interval(data.get("interval", "15m"), f"{path}: interval")
    sources = _sources(data, path, default)
    if not sources:
        raise ConfigError(f"{path}: no [[feeds]], [[pages]] or [[channels]] to watch")
    pipeline = data.get("pipeline", {})
    config = WatchConfig(sources, analyze=bool(pipeline.get("analyze", True)),
                         resolve=bool(pipeline.get("resolve", True)), telegram=data.get("telegram", {}),
                         tick=float(data.get("tick", 1.0)))
    if data.get("db"):
        config.db = (path.parent / str(data["db"])).resolve()
    config.http.update({k: float(v) for k, v in data.get("http", {}).items() if k in config.http})
    return config


Collector = Callable[[Store, Source], IngestStats]
Stage = Callable[[Store], Any]


class Watcher:
    """The polling loop; ``collectors`` by source kind, ``stages`` run after new documents."""

    def __init__(self, store: Store, config: WatchConfig, collectors: dict[str, Collector],
                 stages: list[tuple[str, Stage]], clock: Callable[[], float] = time.time,
                 stop: threading.Event | None = None) -> None:
        self.store, self.config = store, config
        self.collectors, self.stages = collectors, stages
        self.clock = clock
        self.stop = stop or threading.Event()
        self.totals = IngestStats()
        self.cycles = 0

    def due(self) -> list[Source]:
        now = self.clock()
        return [s for s in self.config.sources if float(self.store.get_state(s.key).get("next_due", 0)) <= now]

    def next_wake(self) -> float:
        dues = [float(self.store.get_state(s.key).get("next_due", 0)) for s in self.config.sources]
        return max(0.0, min(dues, default=0.0) - self.clock())

    def poll(self, source: Source) -> int:
        """Collect one source; record the outcome and the next due time. Returns new + updated."""
        state = self.store.get_state(source.key)
        started = self.clock()
        state.update(next_due=started + source.interval, last_run=_iso(started))
        try:
            stats = self.collectors[source.kind](self.store, source)
        except Exception as exc:  # one broken source never stops the others
            state.update(last_error=_describe(exc), errors=int(state.get("errors", 0)) + 1)
            log.warning("%s %s: %s (retried next cycle)", source.kind, source.target, _describe(exc))
            self.store.set_state(source.key, state)
            return 0
        self.totals.merge(stats)
        state.update(last_ok=_iso(self.clock()), added=int(state.get("added", 0)) + stats.added)
        if stats.errors:
            state.update(last_error=stats.errors[-1], errors=int(state.get("errors", 0)) + 1)
            for error in stats.errors:
                log.warning("%s %s: %s (retried next cycle)", source.kind, source.target, error)
        for warning in stats.warnings:
            log.warning("%s %s: %s", source.kind, source.target, warning)
        self.store.set_state(source.key, state)
        log.info("%s %s: %d added, %d updated", source.kind, source.target, stats.added, stats.updated)
        return stats.added + stats.updated

    def run_stages(self) -> None:
        for name, stage in self.stages:
            if self.stop.is_set():
                return
            try:
                result = stage(self.store)
                log.info("%s: %s", name, _summary(result))
            except Exception:
                log.exception("%s failed; it runs again after the next new documents", name)

    def run_cycle(self) -> int:
        """Poll every due source (stopping early on request), then run the stages if anything is new."""
        new = 0
        for source in self.due():
            if self.stop.is_set():
                break
            new += self.poll(source)
        if new:
            self.run_stages()
        self.cycles += 1
        return new

    def run(self, max_cycles: int | None = None) -> None:
        """Loop until ``stop`` is set (or ``max_cycles`` cycles ran)."""
        log.info("watching %d sources", len(self.config.sources))
        if self.stages:
            self.run_stages()  # whatever a crash left unanalysed
        while not self.stop.is_set() and (max_cycles is None or self.cycles < max_cycles):
            self.run_cycle()
            if max_cycles is None or self.cycles < max_cycles:
                self.stop.wait(min(self.config.tick, max(0.05, self.next_wake())))
        log.info("stopped after %d cycles: %s", self.cycles, self.totals.as_dict())


def _iso(timestamp: float) -> str:
    return to_utc_iso(datetime.fromtimestamp(timestamp, UTC))


def _describe(exc: Exception) -> str:
    return str(exc) if isinstance(exc, CollectError) else f"{type(exc).__name__}: {exc}"


def _summary(result: Any) -> str:
    as_dict = getattr(result, "as_dict", None)
    return str(as_dict()) if callable(as_dict) else str(result)


# -- the real collectors and stages --------------------------------------------------------

def http_collector(kind: str, fetcher: Any) -> Collector:
    """Feeds or pages through the collectors of ``collect feed`` / ``collect web``."""

    def collect(store: Store, source: Source) -> IngestStats:
        from dissentwatch.collect.feeds import collect_feeds
        from dissentwatch.collect.web import collect_pages
        from dissentwatch.store.documents import ingest

        function = collect_feeds if kind == "feed" else collect_pages
        pending: dict[str, dict[str, Any]] = {}
        stats = ingest(store, function([source.target], fetcher, store.get_state, pending))
        for key, value in pending.items():  # validators only once the documents are committed
            store.set_state(key, value)
        return stats

    return collect


class TelegramPoller:
    """Polls channels with one Telethon client on one event loop, kept between polls."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = settings
        self.loop: Any = None
        self.client: Any = None

    def __call__(self, store: Store, source: Source) -> IngestStats:
        import asyncio

        from dissentwatch.collect.telegram_live import ChannelRun, collect_channel

        if self.loop is None:
            self.loop = asyncio.new_event_loop()
        client = self._client()
        since = self.settings.get("since")
        run = ChannelRun(source.target, datetime.fromisoformat(str(since)).replace(tzinfo=UTC) if since else None,
                         recheck=int(self.settings.get("recheck", 20)))
        self.loop.run_until_complete(collect_channel(client, store, run))
        return run.stats

    def _client(self) -> Any:
        from dissentwatch.collect.telegram_live import load_credentials, make_client

        if self.client is None:
            config = self.settings.get("config")
            client = make_client(load_credentials(Path(config) if config else None))
            self.loop.run_until_complete(client.connect())
            if not self.loop.run_until_complete(client.is_user_authorized()):
                raise CollectError("the Telegram session is not logged in: run `dissentwatch collect telegram` once")
            self.client = client
        return self.client

    def close(self) -> None:
        if self.client is not None:
            self.loop.run_until_complete(self.client.disconnect())
        if self.loop is not None:
            self.loop.close()


def default_collectors(config: WatchConfig, fetcher: Any) -> dict[str, Collector]:
    return {"feed": http_collector("feed", fetcher), "page": http_collector("page", fetcher),
            "channel": TelegramPoller(config.telegram)}


def default_stages(config: WatchConfig) -> list[tuple[str, Stage]]:
    """analyze and resolve, when enabled and installed."""
    stages: list[tuple[str, Stage]] = []
    if config.analyze:
        try:
            from dissentwatch.analyze.pipeline import analyze_store

            stages.append(("analyze", lambda store: analyze_store(store, command="watch: analyze")))
        except ImportError as exc:
            log.warning("analyze is not available (%s): documents are collected only", exc)
    if config.resolve:
        try:
            from dissentwatch.resolve.resolver import resolve_mentions

            stages.append(("resolve", resolve_mentions))
        except ImportError as exc:
            log.warning("resolve is not available (%s)", exc)
    return stages
