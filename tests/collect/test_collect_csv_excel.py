"""CSV as spreadsheets write it: a Russian Excel export (';', windows-1251, DD.MM.YYYY), other
delimiters, --delimiter, and rows whose date cannot be read (imported undated, with a warning)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dissentwatch.collect import CollectError, CollectWarning
from dissentwatch.collect.dates import parse_published
from dissentwatch.collect.files import collect_files
from dissentwatch.models import Document
from dissentwatch.store import Store

EXCEL_ROWS = [
    "Номер;Текст;Дата публикации",
    '1;"Бойцы 312-го полка записали обращение; просят ротации";06.03.2023',
    "2;Жёны мобилизованных написали письмо в прокуратуру;07.03.2023 14:30",
    "3;Текст без понятной даты;не указана",
    "4;;08.03.2023",
    "5;Строка с датой ISO;2023-03-09",
]


def excel_csv(path: Path) -> Path:
    """What Excel on a Russian Windows saves as "CSV (разделители - точки с запятой)"."""
    path.write_bytes("\r\n".join(EXCEL_ROWS).encode("cp1251") + b"\r\n")
    return path


MAP = ("--map", "id=Номер", "--map", "text=Текст", "--map", "published=Дата публикации")


def test_russian_excel_csv_loses_no_row(cli, tmp_path: Path, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = excel_csv(tmp_path / "выгрузка.csv")
    result = cli("collect", "files", str(path), *MAP)
    assert result.exit_code == 1, result.output  # row 4 has no text: one error, the others imported
    assert "4 added" in result.output and "1 errors" in result.output and "1 warnings" in result.output
    assert f"warning: {path}:4: unreadable date 'не указана' in 'published'; imported without a date" in result.output
    assert f"error: {path}:5: missing or empty 'text' (id '4')" in result.output
    with Store(db_path) as store:
        rows = {r["external_id"]: r for r in store.query("SELECT external_id, text, published, raw FROM documents")}
    assert set(rows) == {"1", "2", "3", "5"}
    assert rows["1"]["text"] == "Бойцы 312-го полка записали обращение; просят ротации"
    assert rows["1"]["published"] == "2023-03-06"
    assert rows["2"]["published"] == "2023-03-07T14:30:00Z"
    assert rows["3"]["published"] is None and json.loads(rows["3"]["raw"])["published"] == "не указана"
    assert rows["5"]["published"] == "2023-03-09"
    again = cli("collect", "files", str(path), *MAP)
    assert "0 added" in again.output and "4 unchanged" in again.output


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_the_delimiter_is_sniffed(tmp_path: Path, delimiter: str) -> None:
    path = tmp_path / "posts.csv"
    rows = [["id", "text", "published"], ["a", "Обращение, записанное в марте", "06.03.2023"],
            ["b", "Второе сообщение", "2023-03-07T10:00:00+03:00"]]
    quoted = [[f'"{c}"' if "," in c and delimiter == "," else c for c in row] for row in rows]
    path.write_text("\n".join(delimiter.join(r) for r in quoted) + "\n", encoding="utf-8")
    items = list(collect_files([path]))
    assert all(isinstance(i, Document) for i in items), items
    docs = [i for i in items if isinstance(i, Document)]
    assert [(d.external_id, d.text, d.published) for d in docs] == [
        ("a", "Обращение, записанное в марте", "2023-03-06"), ("b", "Второе сообщение", "2023-03-07T07:00:00Z")]


def test_delimiter_option_overrides_the_guess(cli, tmp_path: Path, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "piped.csv"
    path.write_text("id|text\n1|Раз, два, три, четыре\n2|Пять, шесть, семь\n", encoding="utf-8")
    result = cli("collect", "files", str(path), "--delimiter", "|")
    assert result.exit_code == 0, result.output
    with Store(db_path) as store:
        assert [r[0] for r in store.query("SELECT text FROM documents ORDER BY external_id")] == [
            "Раз, два, три, четыре", "Пять, шесть, семь"]
    tabs = tmp_path / "tabs.csv"
    tabs.write_text("id\ttext\nt1\tТекст через табуляцию\n", encoding="utf-8")
    assert cli("collect", "files", str(tabs), "--delimiter", "tab").exit_code == 0
    wrong = cli("collect", "files", str(path), "--delimiter", ";")  # the guess ('|') would have read it
    assert wrong.exit_code == 1 and "no column for id, text" in wrong.output
    bad = cli("collect", "files", str(path), "--delimiter", ";;")
    assert bad.exit_code == 2 and "one character" in bad.output


def test_an_unreadable_date_is_a_warning_in_jsonl_and_front_matter_too(tmp_path: Path) -> None:
    (tmp_path / "posts.jsonl").write_text(
        json.dumps({"id": "w", "text": "Текст", "published": "вчера"}, ensure_ascii=False) + "\n", encoding="utf-8")
    (tmp_path / "note.md").write_text("---\npublished: весной\n---\nЗаметка.\n", encoding="utf-8")
    items = list(collect_files([tmp_path / "posts.jsonl", tmp_path / "note.md"]))
    docs = [i for i in items if isinstance(i, Document)]
    warnings = [str(i) for i in items if isinstance(i, CollectWarning)]
    assert not [i for i in items if isinstance(i, CollectError)]
    assert [(Path(d.external_id).name, d.published) for d in docs] == [("w", None), ("note.md", None)]
    assert warnings[0] == (f"{tmp_path / 'posts.jsonl'}:1: unreadable date 'вчера' in 'published'; imported without "
                           "a date (not an ISO-8601 date or time, a DD.MM.YYYY date, nor a Unix time)")
    assert warnings[1].startswith(f"{tmp_path / 'note.md'}: unreadable date 'весной' in the front matter")


def test_day_first_dates() -> None:
    assert parse_published("06.03.2023") == "2023-03-06"
    assert parse_published("6.3.2023") == "2023-03-06"
    assert parse_published("06.03.2023 14:30") == "2023-03-06T14:30:00Z"
    assert parse_published("06.03.2023 14:30:15") == "2023-03-06T14:30:15Z"
    assert parse_published("2023-03-06T14:30:00+03:00") == "2023-03-06T11:30:00Z"  # ISO still works
    for bad in ("31.02.2023", "06.13.2023", "06.03.23", "не указана"):
        with pytest.raises(ValueError, match="DD.MM.YYYY"):
            parse_published(bad)


def test_excel_unicode_text_is_utf16_with_tabs(tmp_path: Path) -> None:
    """Excel's "Unicode text" (.txt renamed .csv): UTF-16 with BOM, tab-separated."""
    path = tmp_path / "unicode.csv"
    path.write_bytes("id\ttext\tpublished\r\n1\tБойцы 312-го полка записали обращение\t06.03.2023\r\n".encode("utf-16"))
    (doc,) = collect_files([path])
    assert isinstance(doc, Document)
    assert (doc.external_id, doc.text, doc.published) == ("1", "Бойцы 312-го полка записали обращение", "2023-03-06")
