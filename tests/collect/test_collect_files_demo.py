"""Files collector (JSONL, front matter, bad input) and the bundled demo corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dissentwatch.collect import CollectError, CollectWarning, decode_bytes
from dissentwatch.collect.files import collect_files, split_front_matter
from dissentwatch.demo import demo_paths
from dissentwatch.models import Document
from dissentwatch.store import Store


def test_jsonl_every_line_then_nothing_new(cli, tmp_path: Path, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "posts.jsonl"
    records = [{"id": f"p{i}", "text": f"Сообщение номер {i} о ротации батальона", "outlet": "Тест",
                "published": "2023-03-06T17:00:00+03:00", "extra": i} for i in range(250)]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    first = cli("collect", "files", str(path))
    assert first.exit_code == 0 and "250 added" in first.output
    second = cli("collect", "files", str(path))
    assert second.exit_code == 0 and "0 added" in second.output and "250 unchanged" in second.output
    with Store(db_path) as store:
        assert store.scalar("SELECT COUNT(*) FROM documents") == 250
        row = store.query("SELECT published, raw FROM documents WHERE external_id = 'p7'")[0]
    assert row["published"] == "2023-03-06T14:00:00Z" and json.loads(row["raw"])["extra"] == 7


def test_front_matter_sets_fields(tmp_path: Path) -> None:
    path = tmp_path / "note.md"
    path.write_text("---\ntitle: Заголовок\noutlet: Издание\npublished: 2023-03-11T09:30:00+03:00\n"
                    "url: https://example.org/x\nlanguage: ru\n---\n# Другое\n\nТекст заметки.\n", encoding="utf-8")
    (doc,) = collect_files([path])
    assert isinstance(doc, Document)
    assert (doc.title, doc.outlet, doc.published, doc.url) == (
        "Заголовок", "Издание", "2023-03-11T06:30:00Z", "https://example.org/x")
    assert doc.text == "# Другое\n\nТекст заметки." and doc.language == "ru"


def test_front_matter_needs_closing_line() -> None:
    assert split_front_matter("---\nnot: closed\ntext") == ({}, "---\nnot: closed\ntext")
    assert split_front_matter("--- a horizontal rule\n") == ({}, "--- a horizontal rule\n")


def test_bad_inputs_named_and_batch_goes_on(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.md").write_text("   \n\n", encoding="utf-8")
    (tmp_path / "data.xyz").write_text("?", encoding="utf-8")
    (tmp_path / "broken.json").write_text('[{"id": "a", "text": "x"},\n {"id": "b" "text": "y"}]', encoding="utf-8")
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (tmp_path / "cp1251.txt").write_bytes("Гарнизонный суд рассмотрел дело о самовольном оставлении части.".encode("cp1251"))
    items = list(collect_files([tmp_path / n for n in
                                ("empty.txt", "blank.md", "data.xyz", "broken.json", "binary.txt", "cp1251.txt", "nope.txt")]))
    errors = [str(i) for i in items if isinstance(i, CollectError)]
    docs = [i for i in items if isinstance(i, Document)]
    assert [d.text[:15] for d in docs] == ["Гарнизонный суд"]
    expected = ["empty.txt: empty file", "blank.md: no text", "data.xyz: unknown file type '.xyz'",
                "broken.json:2: column 13: malformed JSON", "binary.txt: not UTF-8", "nope.txt: no such file"]
    assert len(errors) == len(expected)
    for fragment, error in zip(expected, errors, strict=True):
        assert fragment in error


def test_folder_skips_unknown_extensions(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Первый", encoding="utf-8")
    (tmp_path / "b.png").write_bytes(b"\x89PNG")
    assert [i.text for i in collect_files([tmp_path]) if isinstance(i, Document)] == ["Первый"]


@pytest.mark.parametrize("encoding,text", [
    ("cp1251", "Короткий текст"), ("koi8_r", "Короткий текст"), ("cp1252", "Déjà vu, café"),
    ("utf-16", "Привет"),
])
def test_decode_bytes_encodings(encoding: str, text: str) -> None:
    assert decode_bytes(text.encode(encoding), "x") == text


def test_demo_corpus_imports(cli, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    export, articles = demo_paths()
    assert export.is_file() and (articles.parent / "README.md").read_text(encoding="utf-8").count("invented")
    result = cli("collect", "demo")
    assert result.exit_code == 0, result.output
    with Store(db_path) as store:
        kinds = dict(store.query("SELECT source_kind, COUNT(*) FROM documents GROUP BY source_kind"))
        assert kinds == {"telegram_export": 16, "files": len(list(articles.iterdir()))}
        copy = store.query("SELECT forwarded_from, copy_of FROM documents WHERE forwarded_from IS NOT NULL")
        assert copy[0]["copy_of"] is not None  # the forwarded copy is linked to the original post
        languages = {r[0] for r in store.query("SELECT language FROM documents WHERE source_kind = 'files'")}
        assert languages == {"ru", "en"}
        ids = {r[0] for r in store.query("SELECT external_id FROM documents WHERE source_kind = 'files'")}
        assert ids == {f"demo/articles/{p.name}" for p in articles.iterdir()}  # the same in every checkout
        html = store.query("SELECT text FROM documents WHERE external_id LIKE '%.html'")[0]["text"]
        assert "1443-го мотострелкового полка" in html and "fetch(" not in html and "analytics" not in html
    again = cli("collect", "demo")
    assert "0 added" in again.output


def test_ids_under_an_id_root_are_portable(cli, tmp_path: Path, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    for machine in ("first", "second"):
        folder = tmp_path / machine / "reports" / "2023"
        folder.mkdir(parents=True)
        (folder / "a.txt").write_text("Бойцы 312-го полка записали обращение.", encoding="utf-8")
        result = cli("collect", "files", str(folder), "--id-root", str(tmp_path / machine))
        assert result.exit_code == 0, result.output
    with Store(db_path) as store:  # the copy on the second machine is the same document
        assert [r[0] for r in store.query("SELECT external_id FROM documents")] == ["reports/2023/a.txt"]
    outside = cli("collect", "files", str(tmp_path / "first"), "--id-root", str(tmp_path / "second" / "reports"))
    assert outside.exit_code == 1 and "not inside the id root" in outside.output


def test_hostile_records_are_named_and_the_others_imported(tmp_path: Path) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    (tmp_path / "deep.json").write_text(deep, encoding="utf-8")
    lines = [
        json.dumps({"id": "ok-1", "text": "Текст о бойцах"}),
        '{"id": "deep", "text": "x", "extra": ' + deep + "}",
        json.dumps({"id": {"nested": 1}, "text": "an object as id"}),
        json.dumps({"id": True, "text": "a boolean as id"}),
        json.dumps({"id": "late", "text": "x", "published": 99999999999999999999}),
        json.dumps({"id": "words", "text": "x", "published": "not a date"}),
        json.dumps({"id": 7, "text": "a number as id"}),
    ]
    (tmp_path / "mixed.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    items = list(collect_files([tmp_path / "deep.json", tmp_path / "mixed.jsonl"]))
    errors = [str(i) for i in items if isinstance(i, CollectError)]
    warnings = [str(i) for i in items if isinstance(i, CollectWarning)]
    docs = [d for d in items if isinstance(d, Document)]
    # a date that cannot be read loses the date, not the record
    assert [(d.external_id, d.published) for d in docs] == [("ok-1", None), ("late", None), ("words", None), ("7", None)]
    jsonl = tmp_path / "mixed.jsonl"
    assert errors == [
        f"{tmp_path / 'deep.json'}: JSON nested too deeply to read",
        f"{jsonl}:2: JSON nested too deeply to read",
        f"{jsonl}:3: 'id' must be a string or a whole number, not dict",
        f"{jsonl}:4: 'id' must be a string or a whole number, not bool",
    ]
    assert warnings[0].startswith(f"{jsonl}:5: unreadable date 99999999999999999999 in 'published'; "
                                  "imported without a date (out of range")
    assert warnings[1] == (f"{jsonl}:6: unreadable date 'not a date' in 'published'; imported without a date "
                           "(not an ISO-8601 date or time, a DD.MM.YYYY date, nor a Unix time)")
    assert len(warnings) == 2


def test_csv_records_are_named_by_their_first_line_and_long_cells_are_read(tmp_path: Path) -> None:
    long_text = "слово " * 40_000  # 240,000 characters in one cell: over the csv module's default limit
    (tmp_path / "posts.csv").write_text(
        f'id,text\nlong,"{long_text}"\nml,"first line\nsecond line"\n,no id here\nok,short\n', encoding="utf-8")
    items = list(collect_files([tmp_path / "posts.csv"]))
    docs = {d.external_id: d for d in items if isinstance(d, Document)}
    assert set(docs) == {"long", "ml", "ok"} and docs["long"].text == long_text
    assert docs["ml"].text == "first line\nsecond line"
    assert [str(i) for i in items if isinstance(i, CollectError)] == [f"{tmp_path / 'posts.csv'}:5: missing 'id'"]
