"""Telethon's own message classes, built offline, mapped to documents; resume and FloodWait."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("telethon")

from telethon.errors import FloodWaitError
from telethon.tl.types import Document as TgDocument
from telethon.tl.types import (
    DocumentAttributeFilename,
    DocumentAttributeVideo,
    Message,
    MessageActionPinMessage,
    MessageEntityBold,
    MessageEntityTextUrl,
    MessageFwdHeader,
    MessageMediaDocument,
    MessageMediaPhoto,
    MessageReplyHeader,
    MessageService,
    PeerChannel,
    Photo,
)

from dissentwatch.collect import CollectError
from dissentwatch.collect.telegram_live import (
    ChannelRun,
    collect_channel,
    load_credentials,
    message_to_document,
    utf16_to_index,
)
from dissentwatch.store import Store

CHANNEL = PeerChannel(channel_id=1234567)
WHEN = datetime(2023, 3, 6, 9, 30, tzinfo=UTC)


def post(msg_id: int, text: str, **kwargs: Any) -> Message:
    return Message(id=msg_id, peer_id=CHANNEL, date=WHEN, message=text, post=True, **kwargs)


def video(size: int) -> MessageMediaDocument:
    doc = TgDocument(id=77, access_hash=1, file_reference=b"", date=WHEN, mime_type="video/mp4", size=size,
                     dc_id=2, attributes=[DocumentAttributeVideo(duration=42.0, w=1280, h=720),
                                          DocumentAttributeFilename(file_name="appeal.mp4")])
    return MessageMediaDocument(document=doc)


def test_plain_post_with_entities_in_utf16() -> None:
    text = "🔥 Обращение бойцов 255 полка к президенту"
    # the emoji is two UTF-16 units: "Обращение" starts at unit 3, code point 2
    message = post(10, text, entities=[MessageEntityBold(offset=3, length=9),
                                       MessageEntityTextUrl(offset=20, length=9, url="https://example.test/x")],
                   views=1500, edit_date=datetime(2023, 3, 6, 10, 0, tzinfo=UTC), post_author="editor")
    doc = message_to_document(message, "@some_channel")
    assert doc is not None
    assert doc.external_id == "some_channel/10" and doc.url == "https://t.me/some_channel/10"
    assert doc.source_kind == "telegram" and doc.outlet == "some_channel" and doc.text == text
    assert doc.published == "2023-03-06T09:30:00Z" and doc.edited == "2023-03-06T10:00:00Z"
    bold, link = doc.raw["entities"]
    assert bold["text"] == "Обращение" and link["text"] == "255 полка" and link["url"] == "https://example.test/x"
    assert doc.raw["views"] == 1500 and doc.author == "editor"
    assert utf16_to_index("🔥a", 2) == 1


def test_forward_keeps_original_channel_and_message() -> None:
    header = MessageFwdHeader(date=datetime(2023, 3, 5, tzinfo=UTC), from_id=PeerChannel(channel_id=999),
                              channel_post=321)
    doc = message_to_document(post(11, "Repost of a plea", fwd_from=header,
                                   reply_to=MessageReplyHeader(reply_to_msg_id=10)), "https://t.me/some_channel")
    assert doc is not None
    assert doc.forwarded_from == "channel:999/321"
    assert doc.raw["forward"]["channel_post"] == 321 and doc.raw["forward"]["date"] == "2023-03-05T00:00:00Z"
    assert doc.reply_to == "some_channel/10"


def test_media_posts_and_service_messages() -> None:
    clip = message_to_document(post(12, "", media=video(5_000_000)), "some_channel")
    assert clip is not None and clip.text == ""
    assert clip.media == [{"type": "video", "id": 77, "mime_type": "video/mp4", "size": 5_000_000,
                           "duration": 42.0, "width": 1280, "height": 720, "file_name": "appeal.mp4"}]
    photo = Photo(id=5, access_hash=1, file_reference=b"", date=WHEN, sizes=[], dc_id=2)
    pic = message_to_document(post(13, "caption", media=MessageMediaPhoto(photo=photo)), "some_channel")
    assert pic is not None and pic.media == [{"type": "photo", "id": 5}]
    assert message_to_document(post(14, "   "), "some_channel") is None
    service = MessageService(id=15, peer_id=CHANNEL, date=WHEN, action=MessageActionPinMessage())
    assert message_to_document(service, "some_channel") is None


class FakeClient:
    """Serves constructed Telethon messages like ``TelegramClient.iter_messages`` (oldest first
    with ``reverse=True``, only ids above ``min_id``), optionally failing the way Telegram does."""

    def __init__(self, messages: list[Message], flood_after: int | None = None, crash_after: int | None = None):
        self.messages = messages
        self.flood_after, self.crash_after = flood_after, crash_after
        self.calls: list[dict[str, Any]] = []

    async def iter_messages(self, entity: str, reverse: bool = False, min_id: int = 0,
                            offset_date: datetime | None = None, limit: int | None = None,
                            max_id: int = 0) -> AsyncIterator[Message]:
        self.calls.append({"entity": entity, "min_id": min_id, "offset_date": offset_date, "limit": limit})
        if not reverse:  # newest first, below max_id, at most limit
            newest = [m for m in sorted(self.messages, key=lambda m: -m.id) if not max_id or m.id < max_id]
            for message in newest[:limit]:
                yield message
            return
        served = 0
        for message in sorted(self.messages, key=lambda m: m.id):
            if message.id <= min_id or (offset_date and message.date < offset_date):
                continue
            if self.flood_after is not None and served == self.flood_after:
                self.flood_after = None
                raise FloodWaitError(request=None, capture=7)
            if self.crash_after is not None and served == self.crash_after:
                self.crash_after = None
                raise ConnectionError("connection lost")
            served += 1
            yield message


def history(n: int) -> list[Message]:
    return [post(i, f"Post number {i} about a refusal to attack") for i in range(1, n + 1)]


def test_back_fill_resumes_after_a_crash(store: Store) -> None:
    client = FakeClient(history(25), crash_after=12)
    run = ChannelRun("@some_channel", batch_size=5)
    with pytest.raises(ConnectionError):
        asyncio.run(collect_channel(client, store, run))
    assert store.get_state(run.state_key)["last_id"] == 10  # two committed batches
    assert store.scalar("SELECT COUNT(*) FROM documents") == 10
    again = ChannelRun("@some_channel", batch_size=5)
    asyncio.run(collect_channel(client, store, again))
    assert client.calls[-1]["min_id"] == 10
    assert store.scalar("SELECT COUNT(*) FROM documents") == 25
    assert store.get_state(again.state_key)["last_id"] == 25
    client.messages.append(post(26, "A new post while following"))
    asyncio.run(collect_channel(client, store, ChannelRun("some_channel", batch_size=5)))
    assert store.scalar("SELECT COUNT(*) FROM documents") == 26


def test_flood_wait_is_waited_out_not_fatal(store: Store) -> None:
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    client = FakeClient(history(8), flood_after=3)
    run = ChannelRun("@some_channel", batch_size=2)
    asyncio.run(collect_channel(client, store, run, sleep=fake_sleep))
    assert slept == [8] and run.flood_waits == 1
    assert store.scalar("SELECT COUNT(*) FROM documents") == 8
    assert client.calls[1]["min_id"] == 2  # restarted after the last committed batch


def test_since_applies_to_the_first_back_fill(store: Store) -> None:
    messages = [Message(id=i, peer_id=CHANNEL, date=datetime(2023, 3, i, tzinfo=UTC), message=f"day {i}")
                for i in range(1, 6)]
    run = ChannelRun("@some_channel", since=datetime(2023, 3, 3, tzinfo=UTC))
    asyncio.run(collect_channel(FakeClient(messages), store, run))
    assert [r[0] for r in store.query("SELECT external_id FROM documents ORDER BY id")] == [
        "some_channel/3", "some_channel/4", "some_channel/5"]


def test_credentials_from_env_or_file_never_shown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DISSENTWATCH_TG_API_ID", "DISSENTWATCH_TG_API_HASH", "DISSENTWATCH_TG_SESSION"):
        monkeypatch.delenv(name, raising=False)
    missing = tmp_path / "none.toml"
    with pytest.raises(CollectError, match="credentials missing"):
        load_credentials(missing)
    config = tmp_path / "telegram.toml"
    config.write_text('[telegram]\napi_id = 12345\napi_hash = "abcdef0123456789"\nsession = "work"\n', "utf-8")
    creds = load_credentials(config)
    assert creds.api_id == 12345 and creds.session.endswith("work.session")
    assert "abcdef" not in repr(creds) and "12345" not in repr(creds)
    monkeypatch.setenv("DISSENTWATCH_TG_API_ID", "777")
    assert load_credentials(config).api_id == 777


class DownloadingClient(FakeClient):
    def __init__(self, messages: list[Message], payload: bytes) -> None:
        super().__init__(messages)
        self.payload = payload
        self.downloads: list[int] = []

    async def download_media(self, message: Message, file: str) -> str:
        self.downloads.append(message.id)
        path = Path(file + ".mp4")
        path.write_bytes(self.payload)
        return str(path)


def test_media_downloaded_within_the_size_limit_then_handed_on(store: Store, tmp_path: Path) -> None:
    from dissentwatch.collect.telegram_live import downloader

    messages = [post(1, "small clip", media=video(1000)), post(2, "huge clip", media=video(5_000_000_000)),
                post(3, "text only")]
    client = DownloadingClient(messages, b"fake video bytes")
    handed: list[tuple[str, str]] = []

    async def after(path: Path, doc: Any) -> None:
        handed.append((path.name, doc.external_id))

    run = ChannelRun("@some_channel")
    asyncio.run(collect_channel(client, store, run, downloader(client, tmp_path / "media", 10_000, after)))
    assert client.downloads == [1]
    assert handed == [("some_channel_1.mp4", "some_channel/1")]
    assert (tmp_path / "media" / "some_channel_1.mp4").read_bytes() == b"fake video bytes"


def test_cli_without_credentials_says_what_to_set(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    for name in ("DISSENTWATCH_TG_API_ID", "DISSENTWATCH_TG_API_HASH", "DISSENTWATCH_TG_SESSION"):
        monkeypatch.delenv(name, raising=False)
    result = cli("collect", "telegram", "@some_channel", "--config", str(tmp_path / "absent.toml"))
    assert result.exit_code == 1
    assert "DISSENTWATCH_TG_API_ID" in result.output and "[telegram]" in result.output


def test_recheck_picks_up_edits_of_recent_posts(store: Store) -> None:
    messages = history(6)
    client = FakeClient(messages)
    asyncio.run(collect_channel(client, store, ChannelRun("@some_channel")))
    messages[5] = post(6, "Post number 6, edited: the unit was sent back to the front",
                       edit_date=datetime(2023, 3, 7, tzinfo=UTC))
    run = ChannelRun("@some_channel", recheck=3)
    asyncio.run(collect_channel(client, store, run))
    assert run.stats.updated == 1 and run.stats.unchanged == 2
    assert "edited" in store.scalar("SELECT text FROM documents WHERE external_id = 'some_channel/6'")
    assert store.scalar("SELECT COUNT(*) FROM document_history") == 1
