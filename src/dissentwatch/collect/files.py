"""Files and folders: .txt, .md, .html, .jsonl, .json and .csv.

A .txt or .md file may start with a front matter block (``---`` lines around ``key: value``
lines: title, outlet, published, url, author, language) that sets those fields.

JSON Lines follow the import contract of DESIGN.md: ``id`` and ``text``, optionally ``title``,
``url``/``source_url``, ``outlet``, ``published``, ``language``; other keys go to the raw payload.

CSV files are read as spreadsheets write them: the encoding is detected (UTF-8 with or without
BOM, windows-1251, KOI8-R ...), the delimiter guessed among ``,`` ``;`` tab and ``|`` (or given),
and dates may be day-first (``06.03.2023 14:30``). A record whose date cannot be read is
imported without a date and a ``CollectWarning`` naming file and line; a record that is bad
otherwise is a ``CollectError`` naming file and line, and the rest of the file is read.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from dissentwatch.collect import CollectError, CollectWarning, decode_bytes, read_text_file
from dissentwatch.collect.dates import parse_published
from dissentwatch.collect.html import extract_html
from dissentwatch.models import Document

log = logging.getLogger(__name__)

SOURCE_KIND = "files"
TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
RECORD_SUFFIXES = {".jsonl", ".ndjson", ".json", ".csv"}
SUPPORTED = TEXT_SUFFIXES | HTML_SUFFIXES | RECORD_SUFFIXES
CONTRACT_KEYS = {"id", "text", "title", "url", "source_url", "outlet", "published", "language", "author"}
MAX_FILE_BYTES = 512 * 1024 * 1024
CSV_DELIMITERS = ",;\t|"
"""The delimiters a CSV file's delimiter is guessed among (``--delimiter`` gives any other one character)."""
SNIFF_CHARS = 64 * 1024
Item = Document | CollectError | CollectWarning


def iter_paths(paths: Iterable[Path]) -> Iterator[Path | CollectError]:
    """The files named, and the supported files inside the folders named (sorted, recursive)."""
    for path in paths:
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if child.suffix.lower() in SUPPORTED and not child.name.startswith("."):
                    yield child
        elif path.is_file():
            yield path
        else:
            yield CollectError(f"{path}: no such file or folder")


def collect_files(
    paths: Iterable[Path], column_map: Mapping[str, str] | None = None, id_root: Path | None = None,
    delimiter: str | None = None,
) -> Iterator[Item]:
    """Documents from every file and folder in ``paths``; errors and warnings name file and line.

    A text or HTML file's id is its absolute path, or with ``id_root`` its path under that
    folder (the same on every machine the folder is copied to). ``delimiter`` is the CSV
    delimiter; None guesses it per file.
    """
    for path in iter_paths(paths):
        if isinstance(path, CollectError):
            yield path
            continue
        try:
            yield from collect_file(path, column_map, id_root, delimiter)
        except CollectError as exc:
            yield exc
        except OSError as exc:
            yield CollectError(f"{path}: cannot read: {exc.strerror or exc}")


def collect_file(path: Path, column_map: Mapping[str, str] | None = None,
                 id_root: Path | None = None, delimiter: str | None = None) -> Iterator[Item]:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise CollectError(
            f"{path}: unknown file type {suffix or '(none)'!r}; "
            f"supported: {', '.join(sorted(SUPPORTED))}"
        )
    size = path.stat().st_size
    if size == 0:
        raise CollectError(f"{path}: empty file")
    if size > MAX_FILE_BYTES and suffix not in {".jsonl", ".ndjson", ".csv"}:
        raise CollectError(f"{path}: {size} bytes is over the {MAX_FILE_BYTES} byte limit for one document")
    if suffix in {".jsonl", ".ndjson"}:
        yield from _collect_jsonl(path)
    elif suffix == ".json":
        yield from _collect_json(path)
    elif suffix == ".csv":
        yield from _collect_csv(path, column_map or {}, delimiter)
    elif suffix in HTML_SUFFIXES:
        yield _html_document(path, file_id(path, id_root))
    else:
        yield from _text_document(path, file_id(path, id_root))


def _text_document(path: Path, ident: str) -> Iterator[Item]:
    meta, text = split_front_matter(read_text_file(path))
    text = text.strip()
    if not text:
        raise CollectError(f"{path}: no text")
    title = meta.get("title")
    if not title and path.suffix.lower() in {".md", ".markdown"} and text.startswith("# "):
        title = text.splitlines()[0][2:].strip()
    published, warning = _published(meta.get("published"), f"{path}", "in the front matter")
    language = meta.get("language") or None
    yield Document(
        SOURCE_KIND, external_id=ident, text=text, title=title, url=meta.get("url"),
        outlet=meta.get("outlet"), author=meta.get("author"), published=published,
        language=language, language_score=1.0 if language else None,
        raw={"path": str(path), **({"front_matter": meta} if meta else {})},
    )
    if warning:
        yield warning


def _published(value: Any, where: str, field: str) -> tuple[str | None, CollectWarning | None]:
    """A source's publication time in UTC; one that cannot be read gives None and a warning
    (the document is imported undated rather than lost; the raw payload keeps the value)."""
    if value in (None, ""):
        return None, None
    try:
        return parse_published(value), None
    except ValueError as exc:
        return None, CollectWarning(f"{where}: unreadable date {value!r} {field}; imported without a date ({exc})")


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """``key: value`` lines between two ``---`` lines at the top (title, outlet, published, url,
    author, language), and the text after them; no front matter gives ({}, text)."""
    if not text.startswith("---\n") and not text.startswith("---\r\n"):
        return {}, text
    lines = text.splitlines(keepends=True)
    meta: dict[str, str] = {}
    for number, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            return meta, "".join(lines[number + 1 :])
        key, sep, value = line.partition(":")
        if not sep or not key.strip().isidentifier():
            return {}, text
        meta[key.strip().lower()] = value.strip().strip('"').strip("'")
    return {}, text


def file_id(path: Path, id_root: Path | None = None) -> str:
    """A file's document id: its absolute path (re-importing the same file adds nothing), or its
    path under ``id_root`` with "/" separators."""
    resolved = path.resolve()
    if id_root is None:
        return str(resolved)
    try:
        return resolved.relative_to(id_root.resolve()).as_posix()
    except ValueError:
        raise CollectError(f"{path}: not inside the id root {id_root}") from None


def _html_document(path: Path, ident: str) -> Document:
    html = read_text_file(path)
    page = extract_html(html, url=None)
    if not page.text:
        raise CollectError(f"{path}: no main text found in the HTML")
    return Document(
        SOURCE_KIND, external_id=ident, text=page.text, title=page.title,
        published=page.published, author=page.author, outlet=page.sitename, url=page.url,
        raw={"path": str(path)},
    )


def record_items(record: Any, where: str) -> Iterator[Item]:
    """One record → its Document and any warning about it, or the CollectError naming ``where``."""
    warnings: list[CollectWarning] = []
    try:
        yield record_to_document(record, where, warnings)
    except CollectError as exc:
        yield exc
        return
    yield from warnings


def record_to_document(record: Mapping[str, Any], where: str,
                       warnings: list[CollectWarning] | None = None) -> Document:
    """One JSONL/JSON/CSV record in the import contract → a Document (or a CollectError).

    A ``published`` that cannot be read leaves the document undated: the warning is appended
    to ``warnings`` (logged when None is given)."""
    if not isinstance(record, Mapping):
        raise CollectError(f"{where}: expected an object, got {type(record).__name__}")
    ident, text = record.get("id"), record.get("text")
    if ident is None or str(ident).strip() == "":
        raise CollectError(f"{where}: missing 'id'")
    if not isinstance(ident, str | int) or isinstance(ident, bool):
        raise CollectError(f"{where}: 'id' must be a string or a whole number, not {type(ident).__name__}")
    if not isinstance(text, str) or not text.strip():
        raise CollectError(f"{where}: missing or empty 'text' (id {ident!r})")
    published_iso, warning = _published(record.get("published"), where, "in 'published'")
    if warning is not None:
        if warnings is None:
            log.warning("%s", warning)
        else:
            warnings.append(warning)
    language = record.get("language")
    return Document(
        SOURCE_KIND,
        external_id=str(ident),
        text=text,
        title=_opt_str(record.get("title")),
        url=_opt_str(record.get("url") or record.get("source_url")),
        outlet=_opt_str(record.get("outlet")),
        author=_opt_str(record.get("author")),
        published=published_iso,
        language=str(language) if isinstance(language, str) and language else None,
        language_score=1.0 if isinstance(language, str) and language else None,
        raw={k: v for k, v in record.items() if k not in {"text"}},
    )


def _opt_str(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _collect_jsonl(path: Path) -> Iterator[Item]:
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            where = f"{path}:{number}"
            if not line.strip():
                continue
            try:
                record = json.loads(decode_bytes(line, where))
            except json.JSONDecodeError as exc:
                yield CollectError(f"{where}: column {exc.colno}: malformed JSON: {exc.msg}")
                continue
            except RecursionError:
                yield CollectError(f"{where}: JSON nested too deeply to read")
                continue
            except CollectError as exc:
                yield exc
                continue
            yield from record_items(record, where)


def _collect_json(path: Path) -> Iterator[Item]:
    text = read_text_file(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CollectError(f"{path}:{exc.lineno}: column {exc.colno}: malformed JSON: {exc.msg}") from None
    except RecursionError:
        raise CollectError(f"{path}: JSON nested too deeply to read") from None
    if isinstance(data, dict) and "messages" in data:
        raise CollectError(f"{path}: this is a Telegram export; use 'collect telegram-export'")
    records = data if isinstance(data, list) else [data]
    for index, record in enumerate(records):
        yield from record_items(record, f"{path}[{index}]")


def _collect_csv(path: Path, column_map: Mapping[str, str], delimiter: str | None = None) -> Iterator[Item]:
    text = read_text_file(path)  # the encoding detected: UTF-8 (BOM or none), windows-1251, KOI8-R ...
    # a whole article in one cell is ordinary; the default limit (128 KiB) would refuse it
    csv.field_size_limit(max(csv.field_size_limit(), MAX_FILE_BYTES))
    chosen = delimiter or sniff_delimiter(text)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=chosen)
    columns = list(reader.fieldnames or [])
    reverse = {source: target for target, source in column_map.items()}
    unknown = [source for source in column_map.values() if source not in columns]
    shown = "tab" if chosen == "\t" else repr(chosen)
    if unknown:
        raise CollectError(f"{path}: --map names columns that are not there: {unknown}; columns are {columns} "
                           f"(delimiter {shown})")
    mapped = {reverse.get(c, c) for c in columns}
    needed = [k for k in ("id", "text") if k not in mapped]
    if needed:
        raise CollectError(
            f"{path}: no column for {', '.join(needed)}; columns are {columns} (delimiter {shown}"
            f"{'' if delimiter else ', guessed; give another with --delimiter'}); "
            "map them with --map id=COLUMN --map text=COLUMN"
        )
    log.info("%s: CSV delimiter %s", path, shown)
    rows = iter(reader)
    while True:
        start = reader.line_num + 1  # a quoted field may span lines: a record is named by its first
        try:
            row = next(rows)
        except StopIteration:
            return
        except csv.Error as exc:
            yield CollectError(f"{path}:{start}: unreadable CSV record: {exc}")
            continue
        if not any(v for k, v in row.items() if k is not None):
            continue  # a blank line, or a line of empty cells as spreadsheets leave at the end
        record = {reverse.get(k, k): v for k, v in row.items() if k is not None}
        yield from record_items(record, f"{path}:{start}")


def sniff_delimiter(text: str) -> str:
    """The delimiter of a CSV text among ``,`` ``;`` tab and ``|``.

    ``csv.Sniffer`` judges whole lines of the first 64 KiB; its guess stands when it splits the
    header into at least as many columns as any other candidate (a guess from commas inside
    the texts does not); else the candidate that splits the header most, ``,`` on a tie.
    """
    sample = text[:SNIFF_CHARS]
    if len(text) > SNIFF_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n") + 1]
    header = text.split("\n", 1)[0].rstrip("\r")
    widths = {d: len(next(csv.reader([header], delimiter=d), [])) for d in CSV_DELIMITERS}
    best = max(CSV_DELIMITERS, key=lambda d: (widths[d], d == ","))
    try:
        guess = csv.Sniffer().sniff(sample, delimiters=CSV_DELIMITERS).delimiter
    except csv.Error:
        return best
    return guess if widths.get(guess, 0) >= widths[best] else best
