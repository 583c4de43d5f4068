"""Telegram Desktop exports (``result.json``), streamed with ijson in constant memory.

Two shapes are read: a single chat or channel export (``{"name", "type", "id", "messages":
[...]}``) and the "full export" (``{"chats": {"list": [{..., "messages": [...]}]}}``).

Each message becomes a ``Document`` with the external id ``<channel>/<message id>``, where the
channel is the public username when it is known (``--channel-username``, remembered per export id,
or derived from the export's own ``t.me`` links) and else the export's numeric id or its name.
Service messages (joins, pins, title changes) are skipped. A message with no text is kept only
when it carries media (a photo, video, voice note or file), with an empty text; one with neither
is skipped.
"""

from __future__ import annotations

import logging
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timezone
from pathlib import Path
from typing import IO, Any

import ijson

from dissentwatch.collect import CollectError, document_language
from dissentwatch.models import Document
from dissentwatch.store import Store

log = logging.getLogger(__name__)

SOURCE_KIND = "telegram_export"
_CHANNEL_PREFIX = "messages.item"
_FULL_PREFIX = "chats.list.item.messages.item"
_TME_POST = re.compile(r"(?:https?://)?t\.me/(?:s/)?([A-Za-z][A-Za-z0-9_]{3,31})/(\d+)")
_NOT_INCLUDED = "(File not included"
_MEDIA_KEYS = ("mime_type", "duration_seconds", "width", "height", "thumbnail", "performer", "title")


@dataclass
class Chat:
    """The chat or channel a message belongs to."""

    name: str | None = None
    type: str | None = None
    id: int | str | None = None
    username: str | None = None

    @property
    def key(self) -> str:
        """The channel part of external ids: username, else numeric id, else name."""
        return self.username or (str(self.id) if self.id is not None else None) or self.name or "chat"


@dataclass
class ImportCounts:
    """What the collector saw besides documents: skipped service and empty messages."""

    messages: int = 0
    service: int = 0
    empty: int = 0
    chats: list[str] = field(default_factory=list)


def export_file(path: Path) -> Path:
    """``result.json`` itself, or the ``result.json`` inside an export folder."""
    if path.is_dir():
        candidate = path / "result.json"
        if not candidate.is_file():
            raise CollectError(f"{path}: no result.json in this folder (is it a Telegram Desktop export?)")
        return candidate
    if not path.is_file():
        raise CollectError(f"{path}: no such file or folder")
    if path.stat().st_size == 0:
        raise CollectError(f"{path}: empty file")
    return path


class TrackingReader:
    """A binary file wrapper that counts bytes and lines read, and keeps the last chunks.

    ijson reads in chunks; when it fails, these let the error name a byte offset and line.
    """

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.offset = 0
        self.lines = 1
        self.tail = b""

    def read(self, size: int = -1) -> bytes:
        chunk = self.raw.read(size)
        self.tail = self.tail[-len(chunk) :] + chunk if chunk else self.tail
        self.offset += len(chunk)
        self.lines += chunk.count(b"\n")
        return chunk

    def locate(self, snippet: str) -> tuple[int, int, int] | None:
        """(byte offset, line, column) of the end of ``snippet`` in the text read last."""
        needle = snippet.encode("utf-8", "replace")
        if not needle:
            return None
        flat = self.tail.replace(b"\n", b" ").replace(b"\r", b" ").replace(b"\t", b" ")
        at = flat.rfind(needle)
        if at < 0:
            return None
        end = at + len(needle)
        offset = self.offset - len(self.tail) + end
        after = self.tail[end:]
        line = self.lines - after.count(b"\n")
        column = end - (self.tail.rfind(b"\n", 0, end) + 1) + 1
        return offset, line, column


def json_error(path: Path, reader: TrackingReader, exc: Exception) -> CollectError:
    """A CollectError naming where ijson stopped: exact when yajl's context is found, else the chunk."""
    message = str(exc).strip()
    lines = message.splitlines()
    reason = lines[0].strip() if lines else "malformed JSON"
    spot = None
    if len(lines) >= 3 and "^" in lines[2]:
        caret = lines[2].index("^") - 10
        spot = reader.locate(lines[1][10 : 10 + max(caret, 0)])
    if spot is not None:
        offset, line, column = spot
        where = f"{path}:{line}: column {column} (byte {offset})"
    else:
        where = f"{path}: at or before byte {reader.offset} (line {reader.lines})"
    if "premature EOF" in message or "Incomplete" in message:
        reason = "the file ends in the middle of the JSON (truncated export?)"
    return CollectError(f"{where}: malformed JSON: {reason}; messages before this point were imported")


def read_chat_header(path: Path) -> tuple[str, Chat]:
    """('channel' or 'full', the chat's name/type/id) from the keys before the message list."""
    chat = Chat()
    with path.open("rb") as raw:
        reader = TrackingReader(raw)
        try:
            for prefix, event, value in ijson.parse(reader):
                if prefix in ("name", "type", "id") and event in ("string", "number"):
                    setattr(chat, prefix, value if prefix != "id" else int(value))
                elif prefix == "messages" and event == "start_array":
                    return "channel", chat
                elif prefix == "chats" and event == "start_map":
                    return "full", chat
                elif prefix == "" and event == "end_map":
                    break
        except ijson.JSONError as exc:
            raise json_error(path, reader, exc) from None
    raise CollectError(f"{path}: no 'messages' list and no 'chats' list: not a Telegram Desktop export")


def iter_messages(path: Path, shape: str, chat: Chat) -> Iterator[tuple[Chat, dict[str, Any]]]:
    """(chat, message) pairs in file order; raises CollectError where the JSON breaks.

    The C parser turns some ``\\u`` escapes of lone surrogates (valid JSON, but no character)
    into bytes that are not UTF-8 and stops. The file is then read again from the start with
    ijson's pure-Python parser, which keeps them as lone surrogates (``ingest`` replaces those),
    and the messages already given are skipped.
    """
    given = 0
    try:
        for pair in _messages(ijson, path, shape, chat):
            given += 1
            yield pair
        return
    except UnicodeDecodeError:
        log.warning("%s: an escaped character the fast parser cannot decode after message #%d; "
                    "reading on with the slower one", path, given)
    for index, pair in enumerate(_messages(ijson.get_backend("python"), path, shape, chat)):
        if index >= given:
            yield pair


def _messages(backend: Any, path: Path, shape: str, chat: Chat) -> Iterator[tuple[Chat, dict[str, Any]]]:
    with path.open("rb") as raw:
        reader = TrackingReader(raw)
        try:
            if shape == "channel":
                for message in backend.items(reader, _CHANNEL_PREFIX, use_float=True):
                    yield chat, message
            else:
                current: dict[str, Any] = {}
                events = _tap_chat_headers(backend.parse(reader), current)
                for message in backend.items(events, _FULL_PREFIX, use_float=True):
                    yield current["chat"], message
        except ijson.JSONError as exc:
            raise json_error(path, reader, exc) from None
        except UnicodeDecodeError as exc:
            if backend is ijson:
                raise
            raise CollectError(f"{path}: at or before byte {reader.offset} (line {reader.lines}): "
                               f"not UTF-8 ({exc.reason}); messages before this point were imported") from None


def _tap_chat_headers(events: Iterator[tuple[str, str, Any]], current: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """Pass parse events through, keeping the name/type/id of the chat being read in ``current``."""
    for prefix, event, value in events:
        if prefix == "chats.list.item" and event == "start_map":
            current["chat"] = Chat()
        elif prefix in ("chats.list.item.name", "chats.list.item.type", "chats.list.item.id"):
            key = prefix.rsplit(".", 1)[1]
            setattr(current["chat"], key, int(value) if key == "id" and value is not None else value)
        yield prefix, event, value


def flatten_text(text: Any) -> tuple[str, list[dict[str, Any]]]:
    """Plain text of a message's ``text`` (string, or list of strings and entity objects) and its entities."""
    if isinstance(text, str):
        return text, []
    if text is None:
        return "", []
    if not isinstance(text, list):
        raise ValueError(f"'text' is neither a string nor a list (a {type(text).__name__})")
    parts: list[str] = []
    entities: list[dict[str, Any]] = []
    for part in text:
        if isinstance(part, str):
            parts.append(part)
        elif isinstance(part, dict):
            parts.append(str(part.get("text") or ""))
            if part.get("type") not in (None, "plain"):
                entities.append(part)
    return "".join(parts), entities


def links_of(entities: list[dict[str, Any]]) -> list[str]:
    """The URLs a message links to: ``text_link`` hrefs and bare ``link`` entities."""
    found = []
    for entity in entities:
        if entity.get("type") == "text_link" and entity.get("href"):
            found.append(str(entity["href"]))
        elif entity.get("type") == "link" and entity.get("text"):
            found.append(str(entity["text"]))
    return found


def media_refs(message: dict[str, Any]) -> list[dict[str, Any]]:
    """References to the photo or file of a message (paths relative to the export folder)."""
    refs = []
    if "photo" in message:
        refs.append(_media_ref("photo", message["photo"], message, "photo_file_size"))
    if "file" in message:
        kind = str(message.get("media_type") or "file")
        ref = _media_ref(kind, message["file"], message, "file_size")
        ref.update({k: message[k] for k in _MEDIA_KEYS if k in message})
        refs.append(ref)
    return refs


def _media_ref(kind: str, path: Any, message: dict[str, Any], size_key: str) -> dict[str, Any]:
    included = isinstance(path, str) and not path.startswith(_NOT_INCLUDED)
    ref: dict[str, Any] = {"kind": kind, "path": path if included else None, "included": included}
    if size_key in message:
        ref["size"] = message[size_key]
    for key in ("width", "height"):
        if key in message and kind == "photo":
            ref[key] = message[key]
    return ref


def message_time(message: dict[str, Any], key: str, local_tz: timezone) -> str | None:
    """UTC ISO time of ``date``/``edited``: exact from ``*_unixtime``, else the local time in ``local_tz``."""
    unix = message.get(f"{key}_unixtime")
    if unix not in (None, ""):
        try:
            return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(unix)))
        except (TypeError, ValueError, OverflowError):
            pass
    local = message.get(key)
    if not local:
        return None
    try:
        parsed = datetime.fromisoformat(str(local))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=local_tz)
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def message_document(message: dict[str, Any], chat: Chat, local_tz: timezone = UTC) -> Document | None:
    """One message → a Document; None for service messages and messages with neither text nor media."""
    if message.get("type", "message") != "message":
        return None
    text, entities = flatten_text(message["text"] if "text" in message else message.get("text_entities"))
    media = media_refs(message)
    if (not text or text.isspace()) and not media:
        return None
    key = chat.key
    ident = message.get("id")
    raw = dict(message)
    raw.pop("text", None)
    raw.pop("text_entities", None)
    if entities:
        raw["entities"] = entities
        links = links_of(entities)
        if links:
            raw["links"] = links
    reply = message.get("reply_to_message_id")
    language, score = document_language(text)
    return Document(
        SOURCE_KIND,
        external_id=f"{key}/{ident}",
        text=text,
        url=f"https://t.me/{chat.username}/{ident}" if chat.username else None,
        outlet=chat.name,
        author=_opt(message.get("author") or message.get("from")),
        published=message_time(message, "date", local_tz),
        edited=message_time(message, "edited", local_tz),
        forwarded_from=_opt(message.get("forwarded_from")),
        reply_to=f"{key}/{reply}" if reply is not None else None,
        language=language,
        language_score=score,
        media=media,
        raw=raw,
    )


def _opt(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def derive_username(path: Path, shape: str, chat: Chat, sample: int = 2000) -> str | None:
    """The channel's username from its own post links (``t.me/<name>/<id>``) in the first messages.

    A name counts when it is linked from at least two messages with ids not above the linking
    message's own id plus a margin, and is the most linked name; otherwise None.
    """
    votes: Counter[str] = Counter()
    try:
        for index, (_, message) in enumerate(iter_messages(path, shape, chat)):
            if index >= sample:
                break
            if not isinstance(message, dict):
                continue  # reported by the import itself
            try:
                _, entities = flatten_text(message.get("text"))
            except ValueError:
                continue
            ident = message.get("id")
            own = ident if isinstance(ident, int) else 0
            names = {m.group(1) for link in links_of(entities) for m in _TME_POST.finditer(link)
                     if int(m.group(2)) <= own + 10}
            votes.update(names)
    except CollectError:
        pass
    if not votes:
        return None
    (best, count), *rest = votes.most_common(2)
    if count >= 2 and (not rest or rest[0][1] < count):
        return best
    return None


def channel_identity(path: Path, channel_username: str | None = None) -> Chat:
    """The export's chat (name, type, id) with its username: given, else derived from its links.

    Raises CollectError when the file is missing or not an export. For a full export (many
    chats) only the given username is used.
    """
    source = export_file(path)
    shape, chat = read_chat_header(source)
    if shape == "channel":
        chat.username = (channel_username or "").lstrip("@") or derive_username(source, shape, chat)
    return chat


def rekey_channel(store: Store, chat_id: str, username: str) -> int:
    """Rename documents imported as ``<chat id>/<n>`` to ``<username>/<n>`` (with permalinks),
    once the username of a channel becomes known; returns how many were renamed."""
    old, cut = f"{chat_id}/", len(chat_id) + 1
    with store.transaction() as conn:
        cur = conn.execute(
            "UPDATE OR IGNORE documents SET external_id = ? || substr(external_id, ?), "
            "url = 'https://t.me/' || ? || substr(external_id, ?), "
            "reply_to = CASE WHEN reply_to LIKE ? THEN ? || substr(reply_to, ?) ELSE reply_to END "
            "WHERE source_kind = ? AND substr(external_id, 1, ?) = ?",
            (username, cut, username, cut, old + "%", username, cut, SOURCE_KIND, len(old), old),
        )
    return cur.rowcount


def collect_telegram_export(
    path: Path,
    channel_username: str | None = None,
    local_tz: timezone = UTC,
    counts: ImportCounts | None = None,
    derive: bool = True,
) -> Iterator[Document | CollectError]:
    """Documents from a Telegram Desktop export; a broken file ends the stream with a CollectError."""
    counts = counts if counts is not None else ImportCounts()
    try:
        source = export_file(path)
        shape, chat = read_chat_header(source)
    except CollectError as exc:
        yield exc
        return
    if shape == "channel":
        if chat.name is None and chat.id is None:
            chat.name = source.parent.name
        chat.username = (channel_username or "").lstrip("@") or (
            derive_username(source, shape, chat) if derive else None
        )
        counts.chats.append(chat.key)
    yield from _documents(source, shape, chat, local_tz, counts)


def _documents(source: Path, shape: str, chat: Chat, local_tz: timezone, counts: ImportCounts) -> Iterator[Document | CollectError]:
    try:
        for message_chat, message in iter_messages(source, shape, chat):
            counts.messages += 1
            if not isinstance(message, dict):
                yield CollectError(f"{source}: message #{counts.messages}: expected an object")
                continue
            if shape == "full" and message_chat.key not in counts.chats[-1:]:
                counts.chats.append(message_chat.key)
            try:
                doc = message_document(message, message_chat, local_tz)
            except (TypeError, ValueError, AttributeError) as exc:
                yield CollectError(f"{source}: message {message.get('id')!r}: unreadable: {exc}")
                continue
            if doc is None:
                if message.get("type", "message") == "message":
                    counts.empty += 1
                else:
                    counts.service += 1
                continue
            yield doc
    except CollectError as exc:
        yield exc
