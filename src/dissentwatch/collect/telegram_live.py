"""Live Telegram channels through Telethon: back-fill from a date, then follow new posts.

Credentials are the user's own API id, hash and session (a session file path or a
StringSession string), read from the environment (``DISSENTWATCH_TG_API_ID``,
``DISSENTWATCH_TG_API_HASH``, ``DISSENTWATCH_TG_SESSION``) or from ``telegram.toml`` in the
user config directory; they are never logged or stored in the database.

Every committed batch records the channel's last message id in ``collector_state``
(``telegram:@channel``), so an interrupted run resumes after it. A FloodWait from Telegram
is waited out and the run goes on from where it stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import tomllib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import platformdirs

from dissentwatch.collect import CollectError
from dissentwatch.models import Document, to_utc_iso
from dissentwatch.store import Store
from dissentwatch.store.documents import IngestStats, ingest

log = logging.getLogger(__name__)

ENV_API_ID, ENV_API_HASH, ENV_SESSION = "DISSENTWATCH_TG_API_ID", "DISSENTWATCH_TG_API_HASH", "DISSENTWATCH_TG_SESSION"
MediaHandler = Callable[[Any, Document], Awaitable[None]]


@dataclass(repr=False)
class Credentials:
    api_id: int
    api_hash: str
    session: str

    def __repr__(self) -> str:  # never print the secrets
        return "Credentials(api_id=***, api_hash=***, session=***)"


def config_path() -> Path:
    return Path(platformdirs.user_config_dir("dissentwatch")) / "telegram.toml"


def load_credentials(path: Path | None = None) -> Credentials:
    """From the environment, else from ``telegram.toml`` ([telegram] api_id, api_hash, session)."""
    values = {"api_id": os.environ.get(ENV_API_ID), "api_hash": os.environ.get(ENV_API_HASH),
              "session": os.environ.get(ENV_SESSION)}
    path = path or config_path()
    if not all(values.values()) and path.is_file():
        try:
            data = tomllib.loads(path.read_text("utf-8")).get("telegram", {})
        except tomllib.TOMLDecodeError as exc:
            raise CollectError(f"{path}: not valid TOML ({exc})") from exc
        values = {k: values[k] or (str(data[k]) if k in data else None) for k in values}
    missing = [k for k, v in values.items() if not v]
    if missing:
        raise CollectError(
            f"Telegram credentials missing ({', '.join(missing)}): set {ENV_API_ID}, {ENV_API_HASH} "
            f"and {ENV_SESSION}, or write them under [telegram] in {path}")
    try:
        api_id = int(str(values["api_id"]))
    except ValueError as exc:
        raise CollectError("Telegram api_id must be a number") from exc
    session = str(values["session"])
    if not session.endswith(".session") and len(session) < 100 and "/" not in session:
        session = str(Path(platformdirs.user_data_dir("dissentwatch")) / f"{session}.session")
    return Credentials(api_id, str(values["api_hash"]), session)


def make_client(credentials: Credentials) -> Any:
    """A Telethon client (not yet connected) for these credentials."""
    try:
        from telethon import TelegramClient
        from telethon.sessions import StringSession
    except ImportError as exc:
        raise CollectError("Telethon is not installed: pip install 'dissentwatch[telegram]'") from exc
    long_string = len(credentials.session) >= 100 and not credentials.session.endswith(".session")
    session: Any = StringSession(credentials.session) if long_string else credentials.session
    return TelegramClient(session, credentials.api_id, credentials.api_hash, flood_sleep_threshold=60)


@dataclass
class ChannelRun:
    """Options and results of collecting one channel."""

    channel: str
    since: datetime | None = None
    batch_size: int = 100
    recheck: int = 0  # also re-read this many latest posts to catch edits
    stats: IngestStats = field(default_factory=IngestStats)
    flood_waits: int = 0

    @property
    def state_key(self) -> str:
        return f"telegram:@{channel_name(self.channel)}"


async def _wait_flood(exc: Exception, run: ChannelRun, sleep: Callable[[float], Awaitable[Any]]) -> None:
    seconds = int(getattr(exc, "seconds", 0) or 0)
    run.flood_waits += 1
    log.warning("@%s: Telegram asks to wait %d s (FloodWait); waiting", channel_name(run.channel), seconds)
    await sleep(seconds + 1)


async def collect_channel(client: Any, store: Store, run: ChannelRun, on_media: MediaHandler | None = None,
                          run_id: int | None = None,
                          sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> ChannelRun:
    """Fetch the channel's messages after the last stored id (or from ``since``), oldest first."""
    from telethon.errors import FloodWaitError

    while True:
        try:
            await _fetch_new(client, store, run, on_media, run_id)
            return run
        except FloodWaitError as exc:
            await _wait_flood(exc, run, sleep)


async def _fetch_new(client: Any, store: Store, run: ChannelRun, on_media: MediaHandler | None,
                     run_id: int | None) -> None:
    state = store.get_state(run.state_key)
    last_id = int(state.get("last_id", 0))
    kwargs: dict[str, Any] = {"reverse": True, "min_id": last_id}
    if not last_id and run.since:
        kwargs["offset_date"] = run.since
    batch: list[tuple[Any, Document]] = []
    recheck_below = last_id
    async for message in client.iter_messages(run.channel, **kwargs):
        doc = message_to_document(message, run.channel)
        if doc is not None:
            batch.append((message, doc))
        last_id = max(last_id, int(message.id))
        if len(batch) >= run.batch_size:
            await _commit(store, run, batch, last_id, on_media, run_id)
            batch = []
    await _commit(store, run, batch, last_id, on_media, run_id)
    if run.recheck and recheck_below:
        await _recheck_edits(client, store, run, recheck_below, run_id)


async def _recheck_edits(client: Any, store: Store, run: ChannelRun, below: int, run_id: int | None) -> None:
    """Re-read the latest posts already stored: an edited text is updated, its old text kept."""
    docs = []
    async for message in client.iter_messages(run.channel, limit=run.recheck, max_id=below + 1):
        doc = message_to_document(message, run.channel)
        if doc is not None:
            docs.append(doc)
    ingest(store, docs, run_id=run_id, stats=run.stats)


async def _commit(store: Store, run: ChannelRun, batch: list[tuple[Any, Document]], last_id: int,
                  on_media: MediaHandler | None, run_id: int | None) -> None:
    """Store a batch, then advance the channel's last id: a crash before this repeats it, harmlessly."""
    ingest(store, [doc for _, doc in batch], run_id=run_id, stats=run.stats)
    if on_media:
        for message, doc in batch:
            if doc.media:
                await on_media(message, doc)
    state = store.get_state(run.state_key)
    if last_id > int(state.get("last_id", 0)):
        store.set_state(run.state_key, {**state, "last_id": last_id})


async def follow_channels(client: Any, store: Store, runs: list[ChannelRun], interval: float,
                          on_media: MediaHandler | None = None, run_id: int | None = None,
                          stop: asyncio.Event | None = None) -> None:
    """Back-fill every channel, then poll them all every ``interval`` seconds until ``stop``."""
    stop = stop or asyncio.Event()
    while not stop.is_set():
        for run in runs:
            before = run.stats.added
            await collect_channel(client, store, run, on_media, run_id)
            if run.stats.added > before:
                log.info("@%s: %d new posts", channel_name(run.channel), run.stats.added - before)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)


def media_size(message: Any) -> int | None:
    """The byte size of a message's document or largest photo size, if known."""
    media = getattr(message, "media", None)
    document = getattr(media, "document", None)
    if document is not None:
        return int(getattr(document, "size", 0) or 0)
    photo = getattr(media, "photo", None)
    sizes = [getattr(s, "size", 0) or max(getattr(s, "sizes", [0]) or [0]) for s in getattr(photo, "sizes", [])]
    return int(max(sizes)) if sizes else None


def downloader(client: Any, folder: Path, max_bytes: int,
               after: Callable[[Path, Document], Awaitable[None]] | None = None) -> MediaHandler:
    """A media handler that saves attachments up to ``max_bytes`` into ``folder``."""

    async def handle(message: Any, doc: Document) -> None:
        size = media_size(message)
        if size is not None and size > max_bytes:
            log.info("%s: media of %d bytes over the limit of %d, not downloaded", doc.external_id, size, max_bytes)
            return
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / doc.external_id.replace("/", "_")
        saved = await client.download_media(message, file=str(target))
        if saved and after:
            await after(Path(saved), doc)

    return handle


# -- Telethon message → Document ---------------------------------------------------------

def channel_name(channel: str) -> str:
    """``@name``, ``t.me/name`` or ``https://t.me/name`` → ``name``."""
    name = channel.strip().rstrip("/")
    for prefix in ("https://", "http://", "t.me/", "telegram.me/", "@"):
        name = name.removeprefix(prefix)
    return name.rsplit("/", 1)[-1] if "t.me/" in channel else name


def utf16_to_index(text: str, offset: int) -> int:
    """Telegram's entity offsets count UTF-16 code units; Python counts code points."""
    units = 0
    for index, char in enumerate(text):
        if units >= offset:
            return index
        units += 2 if ord(char) > 0xFFFF else 1
    return len(text)


def _entities(message: Any, text: str) -> list[dict[str, Any]]:
    found = []
    for entity in getattr(message, "entities", None) or []:
        start = utf16_to_index(text, entity.offset)
        end = utf16_to_index(text, entity.offset + entity.length)
        item: dict[str, Any] = {"type": type(entity).__name__.removeprefix("MessageEntity").lower(),
                                "start": start, "end": end, "text": text[start:end]}
        if getattr(entity, "url", None):
            item["url"] = entity.url
        found.append(item)
    return found


def _peer_id(peer: Any) -> str | None:
    for attr, kind in (("channel_id", "channel"), ("user_id", "user"), ("chat_id", "chat")):
        if getattr(peer, attr, None) is not None:
            return f"{kind}:{getattr(peer, attr)}"
    return None


def _forward(message: Any) -> tuple[str | None, dict[str, Any] | None]:
    """(forwarded_from, raw forward header): the original channel and message id."""
    header = getattr(message, "fwd_from", None)
    if header is None:
        return None, None
    origin = _peer_id(header.from_id) if header.from_id else None
    chat = getattr(getattr(message, "forward", None), "chat", None)
    username = getattr(chat, "username", None) if chat is not None else None
    source = username or origin or header.from_name
    post = header.channel_post
    raw = {"from_id": origin, "from_name": header.from_name, "channel_post": post,
           "username": username, "post_author": header.post_author,
           "date": to_utc_iso(header.date) if header.date else None}
    forwarded = f"{source}/{post}" if source and post else source
    return forwarded, raw


def _document_media(media: Any) -> dict[str, Any]:
    doc = media.document
    item: dict[str, Any] = {"type": "document", "id": getattr(doc, "id", None),
                            "mime_type": getattr(doc, "mime_type", None), "size": getattr(doc, "size", None)}
    for attr in getattr(doc, "attributes", None) or []:
        kind = type(attr).__name__
        if kind == "DocumentAttributeVideo":
            item.update(type="video", duration=attr.duration, width=attr.w, height=attr.h)
        elif kind == "DocumentAttributeAudio":
            item.update(type="voice" if attr.voice else "audio", duration=attr.duration)
        elif kind == "DocumentAttributeFilename":
            item["file_name"] = attr.file_name
    return item


def _media(message: Any) -> list[dict[str, Any]]:
    media: Any = getattr(message, "media", None)
    kind = type(media).__name__
    if kind == "MessageMediaPhoto" and getattr(media, "photo", None) is not None:
        return [{"type": "photo", "id": getattr(media.photo, "id", None)}]
    if kind == "MessageMediaDocument" and getattr(media, "document", None) is not None:
        return [_document_media(media)]
    if kind == "MessageMediaWebPage":
        page = media.webpage
        return [{"type": "webpage", "url": getattr(page, "url", None), "title": getattr(page, "title", None)}]
    return []


def message_to_document(message: Any, channel: str) -> Document | None:
    """One Telethon ``Message`` as a Document; None for service messages and empty posts."""
    if type(message).__name__ != "Message":
        return None
    text = message.message or ""
    media = _media(message)
    if not text.strip() and not media:
        return None
    name = channel_name(channel)
    forwarded, forward_raw = _forward(message)
    reply = getattr(message, "reply_to", None)
    reply_id = getattr(reply, "reply_to_msg_id", None)
    raw = {"id": message.id, "channel_id": _peer_id(message.peer_id), "entities": _entities(message, text),
           "views": message.views, "forwards": message.forwards, "grouped_id": message.grouped_id,
           "post_author": message.post_author, "forward": forward_raw}
    return Document(
        "telegram", f"{name}/{message.id}", text, url=f"https://t.me/{name}/{message.id}", outlet=name,
        author=message.post_author, published=to_utc_iso(message.date) if message.date else None,
        edited=to_utc_iso(message.edit_date) if message.edit_date else None, forwarded_from=forwarded,
        reply_to=f"{name}/{reply_id}" if reply_id else None, media=media,
        raw={k: v for k, v in raw.items() if v is not None})
