"""Telegram Desktop exports: entity-list text, forwards, edits, service and media messages, bad files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dissentwatch.collect import CollectError
from dissentwatch.collect.telegram_export import (
    ImportCounts,
    collect_telegram_export,
    flatten_text,
    message_document,
    read_chat_header,
)
from dissentwatch.models import Document
from dissentwatch.store import Store
from dissentwatch.store.documents import ingest

MESSAGES: list[dict[str, Any]] = [
    {"id": 1, "type": "service", "date": "2023-03-01T09:00:00", "date_unixtime": "1677661200",
     "actor": "Полевая почта", "actor_id": "channel1500000001", "action": "create_channel",
     "title": "Полевая почта", "text": "", "text_entities": []},
    {"id": 2, "type": "message", "date": "2023-03-06T17:22:01", "date_unixtime": "1678112521",
     "from": "Полевая почта", "from_id": "channel1500000001",
     "text": ["Мобилизованные из ", {"type": "bold", "text": "312-го полка"},
              " записали обращение к президенту. ", {"type": "hashtag", "text": "#обращение"},
              " Подробнее: ", {"type": "text_link", "text": "здесь", "href": "https://example.org/a/312"}],
     "text_entities": [{"type": "plain", "text": "Мобилизованные из "},
                       {"type": "bold", "text": "312-го полка"}]},
    {"id": 3, "type": "message", "date": "2023-03-06T15:00:00", "date_unixtime": "1678114800",
     "edited": "2023-03-06T16:10:00", "edited_unixtime": "1678119000",
     "from": "Полевая почта", "from_id": "channel1500000001",
     "text": "Обновлено: родственники подтвердили запись."},
    {"id": 4, "type": "message", "date": "2023-03-07T10:00:00", "date_unixtime": "1678183200",
     "from": "Полевая почта", "from_id": "channel1500000001", "forwarded_from": "Другой канал",
     "text": "Пересланный пост о том же обращении.",
     "reply_to_message_id": 2},
    {"id": 5, "type": "message", "date": "2023-03-07T11:00:00", "date_unixtime": "1678186800",
     "from": "Полевая почта", "from_id": "channel1500000001",
     "photo": "photos/photo_5@07-03-2023_11-00-00.jpg", "photo_file_size": 48213,
     "width": 1280, "height": 720, "text": ""},
    {"id": 6, "type": "message", "date": "2023-03-07T12:00:00", "date_unixtime": "1678190400",
     "from": "Полевая почта", "from_id": "channel1500000001",
     "file": "video_files/appeal.mp4", "file_size": 10485760, "media_type": "video_file",
     "mime_type": "video/mp4", "duration_seconds": 94, "thumbnail": "video_files/appeal.mp4_thumb.jpg",
     "text": ["Видео: ", {"type": "link", "text": "https://t.me/polevaya_pochta/2"}]},
    {"id": 7, "type": "message", "date": "2023-03-07T13:00:00", "date_unixtime": "1678194000",
     "from": "Полевая почта", "from_id": "channel1500000001", "text": ""},
    {"id": 8, "type": "message", "date": "2023-03-08T08:00:00",
     "from": "Полевая почта", "from_id": "channel1500000001",
     "text": ["Ещё ссылка на ", {"type": "text_link", "text": "пост", "href": "https://t.me/polevaya_pochta/6"}]},
]


def write_export(folder: Path, messages: list[dict[str, Any]] = MESSAGES, **header: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    data = {"name": "Полевая почта", "type": "public_channel", "id": 1500000001, **header,
            "messages": messages}
    path = folder / "result.json"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def docs_of(path: Path, **kwargs: Any) -> list[Document]:
    items = list(collect_telegram_export(path, **kwargs))
    assert all(isinstance(i, Document) for i in items), items
    return [i for i in items if isinstance(i, Document)]


def test_flatten_entity_list() -> None:
    text, entities = flatten_text(["a ", {"type": "bold", "text": "b"}, {"type": "plain", "text": " c"}])
    assert text == "a b c"
    assert entities == [{"type": "bold", "text": "b"}]


def test_channel_export_to_documents(tmp_path: Path) -> None:
    counts = ImportCounts()
    docs = {d.external_id.split("/")[1]: d for d in docs_of(write_export(tmp_path / "exp"), counts=counts)}
    assert sorted(docs) == ["2", "3", "4", "5", "6", "8"]  # service 1 and empty 7 skipped
    assert counts.service == 1 and counts.empty == 1 and counts.messages == 8
    post = docs["2"]
    assert post.text == ("Мобилизованные из 312-го полка записали обращение к президенту. "
                         "#обращение Подробнее: здесь")
    assert post.published == "2023-03-06T14:22:01Z"
    assert post.raw["links"] == ["https://example.org/a/312"]
    assert post.outlet == "Полевая почта" and post.language == "ru"
    assert "text" not in post.raw and post.raw["from_id"] == "channel1500000001"
    assert docs["3"].edited == "2023-03-06T16:10:00Z"
    assert docs["4"].forwarded_from == "Другой канал" and docs["4"].reply_to.endswith("/2")
    photo = docs["5"]
    assert photo.text == "" and photo.media == [
        {"kind": "photo", "path": "photos/photo_5@07-03-2023_11-00-00.jpg", "included": True,
         "size": 48213, "width": 1280, "height": 720}]
    video = docs["6"].media[0]
    assert video["kind"] == "video_file" and video["duration_seconds"] == 94
    assert video["mime_type"] == "video/mp4" and video["size"] == 10485760


def test_username_derived_from_own_links(tmp_path: Path) -> None:
    docs = docs_of(write_export(tmp_path / "exp"))
    assert {d.external_id for d in docs} >= {"polevaya_pochta/2", "polevaya_pochta/6"}
    assert docs[0].url == "https://t.me/polevaya_pochta/2"


def test_username_given_and_local_offset(tmp_path: Path) -> None:
    from datetime import timedelta, timezone

    docs = docs_of(write_export(tmp_path / "exp"), channel_username="@pp_news",
                   local_tz=timezone(timedelta(hours=3)))
    by_id = {d.external_id: d for d in docs}
    assert by_id["pp_news/8"].published == "2023-03-08T05:00:00Z"  # no unixtime: local +03:00
    assert by_id["pp_news/2"].url == "https://t.me/pp_news/2"


def test_numeric_id_without_username(tmp_path: Path) -> None:
    docs = docs_of(write_export(tmp_path / "exp", MESSAGES[:4]))
    assert [d.external_id for d in docs] == ["1500000001/2", "1500000001/3", "1500000001/4"]
    assert all(d.url is None for d in docs)


def test_full_export_shape(tmp_path: Path) -> None:
    data = {"about": "full export", "chats": {"about": "", "list": [
        {"name": "Канал А", "type": "public_channel", "id": 11, "messages": MESSAGES[1:3]},
        {"name": "Канал Б", "type": "private_channel", "id": 22, "messages": MESSAGES[3:5]},
    ]}}
    path = tmp_path / "result.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert read_chat_header(path)[0] == "full"
    docs = docs_of(tmp_path)
    assert [(d.external_id, d.outlet) for d in docs] == [
        ("11/2", "Канал А"), ("11/3", "Канал А"), ("22/4", "Канал Б"), ("22/5", "Канал Б")]


def test_edit_reimported_keeps_history(tmp_path: Path, store: Store) -> None:
    path = write_export(tmp_path / "exp")
    first = ingest(store, collect_telegram_export(path))
    assert first.added == 6 and not first.errors
    edited = [dict(m) for m in MESSAGES]
    edited[1] = {**edited[1], "text": "Исправленный текст про 312-й полк.",
                 "edited": "2023-03-06T18:00:00", "edited_unixtime": "1678125600"}
    write_export(tmp_path / "exp", edited)
    second = ingest(store, collect_telegram_export(path))
    assert (second.added, second.updated, second.unchanged) == (0, 1, 5)
    row = store.query("SELECT id, text, version, edited FROM documents WHERE external_id = ?",
                      ("polevaya_pochta/2",))[0]
    assert row["text"].startswith("Исправленный") and row["version"] == 2
    assert row["edited"] == "2023-03-06T18:00:00Z"
    old = store.query("SELECT text FROM document_history WHERE document_id = ?", (row["id"],))
    assert old[0]["text"].startswith("Мобилизованные из 312-го полка")


def test_media_only_documents_are_not_copies_of_each_other(tmp_path: Path, store: Store) -> None:
    photos = [{"id": i, "type": "message", "date_unixtime": "1678186800", "photo": f"photos/{i}.jpg",
               "text": ""} for i in (1, 2)]
    ingest(store, collect_telegram_export(write_export(tmp_path / "exp", photos)))
    assert store.scalar("SELECT COUNT(*) FROM documents WHERE copy_of IS NOT NULL") == 0


@pytest.mark.parametrize("content,expected", [
    ('{"name": "x", "messages": [{"id": 1, "type": "message", "text": "ok"},\n {"id": 2, bad}]}',
     ":2: column"),
    ('{"name": "x", "messages": [{"id": 1, "type": "message", "text": "ok"}', "ends in the middle"),
])
def test_malformed_json_names_file_and_place_and_keeps_earlier(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "result.json"
    path.write_text(content, encoding="utf-8")
    items = list(collect_telegram_export(path))
    assert isinstance(items[0], Document) and items[0].text == "ok"
    assert isinstance(items[-1], CollectError)
    assert str(path) in str(items[-1]) and expected in str(items[-1])


def test_malformed_json_byte_offset_is_exact(tmp_path: Path) -> None:
    good = ",\n".join(json.dumps({"id": i, "type": "message", "text": "слово " * 40}, ensure_ascii=False)
                      for i in range(1, 2000))
    content = '{"name": "x", "messages": [' + good + ',\n{"id": 5000, "text": "x" oops}]}'
    path = tmp_path / "result.json"
    path.write_text(content, encoding="utf-8")
    items = list(collect_telegram_export(path))
    error = items[-1]
    assert isinstance(error, CollectError) and len(items) == 2000
    line = content.count("\n") + 1
    assert f"{path}:{line}: column" in str(error)
    byte = len(content.encode("utf-8")[: content.encode("utf-8").index(b"oops")])
    assert any(f"(byte {byte + d})" in str(error) for d in range(-1, 3)), str(error)


@pytest.mark.parametrize("content,expected", [
    ("", "empty file"),
    ('{"hello": "world"}', "not a Telegram Desktop export"),
    ("\xff\xfe garbage", "malformed JSON"),
])
def test_bad_files(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "result.json"
    path.write_text(content, encoding="latin-1")
    items = list(collect_telegram_export(path))
    assert len(items) == 1 and isinstance(items[0], CollectError)
    assert expected in str(items[0]) and str(path) in str(items[0])


def test_folder_without_result_json(tmp_path: Path) -> None:
    items = list(collect_telegram_export(tmp_path))
    assert isinstance(items[0], CollectError) and "no result.json" in str(items[0])


def test_message_document_skips_service() -> None:
    from dissentwatch.collect.telegram_export import Chat

    assert message_document(MESSAGES[0], Chat(name="x")) is None


def test_cli_telegram_export(cli, tmp_path: Path, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write_export(tmp_path / "exp")
    result = cli("collect", "telegram-export", str(path.parent), "--channel-username", "pp_news")
    assert result.exit_code == 0, result.output
    assert "6 added" in result.output and "1 service" in result.output
    again = cli("collect", "telegram-export", str(path))  # remembered username: same ids
    assert "0 added" in again.output and "6 unchanged" in again.output
    with Store(db_path) as store:
        assert store.scalar("SELECT COUNT(*) FROM documents WHERE external_id LIKE 'pp_news/%'") == 6


def test_cli_malformed_export_exit_status(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "result.json"
    path.write_text('{"name": "x", "messages": [{"id": 1, "type": "message", "text": "ok"},', encoding="utf-8")
    result = cli("collect", "telegram-export", str(path))
    assert result.exit_code == 1
    assert "1 added" in result.output and f"error: {path}" in result.output


def test_cli_username_learned_later_rekeys_documents(cli, tmp_path: Path, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write_export(tmp_path / "exp", MESSAGES[:4])
    assert "3 added" in cli("collect", "telegram-export", str(path)).output
    later = cli("collect", "telegram-export", str(path), "--channel-username", "@pp_news")
    assert "3 earlier documents" in later.output and "0 added" in later.output and "3 unchanged" in later.output
    again = cli("collect", "telegram-export", str(path))
    assert "0 added" in again.output
    with Store(db_path) as store:
        rows = store.query("SELECT external_id, url, reply_to FROM documents ORDER BY id")
    assert [r["external_id"] for r in rows] == ["pp_news/2", "pp_news/3", "pp_news/4"]
    assert rows[0]["url"] == "https://t.me/pp_news/2" and rows[2]["reply_to"] == "pp_news/2"


def test_text_entities_used_when_text_is_missing() -> None:
    from dissentwatch.collect.telegram_export import Chat

    message = {"id": 9, "type": "message", "date_unixtime": "1678112521",
               "text_entities": [{"type": "plain", "text": "Только "}, {"type": "bold", "text": "сущности"}]}
    doc = message_document(message, Chat(id=5))
    assert doc is not None and doc.text == "Только сущности" and doc.external_id == "5/9"


def test_lone_surrogate_escapes_are_replaced_and_the_import_goes_on(tmp_path: Path, store: Store) -> None:
    # "\ud800" is valid JSON but no character: it decodes to a lone surrogate, which UTF-8 cannot encode
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "result.json").write_text(
        '{"name": "Chan", "type": "public_channel", "id": 5, "messages": ['
        '{"id": 1, "type": "message", "date_unixtime": "1700000000", "from": "a\\udc80b", "text": "bad \\ud800 text"},'
        '{"id": 2, "type": "message", "date_unixtime": "1700000060", "text": ["ok ", {"type": "bold", "text": "\\udfff"}]},'
        '{"id": 3, "type": "message", "date_unixtime": "1700000120", "text": "fine"}]}', encoding="utf-8")
    stats = ingest(store, collect_telegram_export(folder))
    assert (stats.added, stats.errors) == (3, [])
    rows = {r["external_id"]: r for r in store.query("SELECT external_id, text, author, raw FROM documents")}
    assert rows["5/1"]["text"] == "bad \ufffd text" and rows["5/1"]["author"] == "a\ufffdb"
    assert rows["5/2"]["text"] == "ok \ufffd" and "\ufffd" in json.loads(rows["5/2"]["raw"])["entities"][0]["text"]
    assert rows["5/3"]["text"] == "fine"


def test_hostile_messages_are_named_and_the_others_imported(tmp_path: Path, store: Store) -> None:
    deep = "[" * 5000 + "]" * 5000
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "result.json").write_text(
        '{"name": "Chan", "type": "public_channel", "id": 5, "messages": [7, '
        '{"id": 1, "type": "message", "date_unixtime": "1700000000", "text": "deep payload", "extra": ' + deep + '},'
        '{"id": 2, "type": "message", "date_unixtime": "99999999999999999999", "text": 42},'
        '{"id": 3, "type": "message", "date_unixtime": "99999999999999999999", "text": "no usable date"}]}',
        encoding="utf-8")
    stats = ingest(store, collect_telegram_export(folder))  # the username is derived first: no crash on 7
    assert stats.added == 2
    assert [e.split(": ", 1)[1] for e in stats.errors] == [
        "message #1: expected an object",
        "message 2: unreadable: 'text' is neither a string nor a list (a int)",
    ]
    rows = {r["external_id"]: r for r in store.query("SELECT external_id, published, raw FROM documents")}
    raw = json.loads(rows["5/1"]["raw"])
    assert raw["extra"] == {"unstored": "nested too deeply to store"} and raw["id"] == 1 and raw["type"] == "message"
    assert rows["5/3"]["published"] is None
