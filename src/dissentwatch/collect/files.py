"""Files and folders: .txt, .md, .html, .jsonl, .json and .csv.

A .txt or .md file may start with a front matter block (``---`` lines around ``key: value``
lines: title, outlet, published, url, author, language) that sets those fields.

JSON Lines follow the import contract of DESIGN.md: ``id`` and ``text``, optionally ``title``,
``url``/``source_url``, ``outlet``, ``published``, ``language``; other keys go to the raw payload.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from dissentwatch.collect import CollectError, decode_bytes, read_text_file
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
    paths: Iterable[Path], column_map: Mapping[str, str] | None = None, id_root: Path | None = None
) -> Iterator[Document | CollectError]:
    """Documents from every file and folder in ``paths``; errors name file and line.

    A text or HTML file's id is its absolute path, or with ``id_root`` its path under that
    folder (the same on every machine the folder is copied to).
    """
    for path in iter_paths(paths):
        if isinstance(path, CollectError):
            yield path
            continue
        try:
            yield from collect_file(path, column_map, id_root)
        except CollectError as exc:
            yield exc
        except OSError as exc:
            yield CollectError(f"{path}: cannot read: {exc.strerror or exc}")


def collect_file(path: Path, column_map: Mapping[str, str] | None = None,
                 id_root: Path | None = None) -> Iterator[Document | CollectError]:
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
        yield from _collect_csv(path, column_map or {})
    elif suffix in HTML_SUFFIXES:
        yield _html_document(path, file_id(path, id_root))
    else:
        yield _text_document(path, file_id(path, id_root))


def _text_document(path: Path, ident: str) -> Document:
    meta, text = split_front_matter(read_text_file(path))
    text = text.strip()
    if not text:
        raise CollectError(f"{path}: no text")
    title = meta.get("title")
    if not title and path.suffix.lower() in {".md", ".markdown"} and text.startswith("# "):
        title = text.splitlines()[0][2:].strip()
    try:
        published = parse_published(meta["published"]) if meta.get("published") else None
    except ValueError as exc:
        raise CollectError(f"{path}: bad 'published' in the front matter: {exc}") from None
    language = meta.get("language") or None
    return Document(
        SOURCE_KIND, external_id=ident, text=text, title=title, url=meta.get("url"),
        outlet=meta.get("outlet"), author=meta.get("author"), published=published,
        language=language, language_score=1.0 if language else None,
        raw={"path": str(path), **({"front_matter": meta} if meta else {})},
    )


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


def record_to_document(record: Mapping[str, Any], where: str) -> Document:
    """One JSONL/JSON/CSV record in the import contract → a Document (or a CollectError)."""
    if not isinstance(record, Mapping):
        raise CollectError(f"{where}: expected an object, got {type(record).__name__}")
    ident, text = record.get("id"), record.get("text")
    if ident is None or str(ident).strip() == "":
        raise CollectError(f"{where}: missing 'id'")
    if not isinstance(ident, str | int) or isinstance(ident, bool):
        raise CollectError(f"{where}: 'id' must be a string or a whole number, not {type(ident).__name__}")
    if not isinstance(text, str) or not text.strip():
        raise CollectError(f"{where}: missing or empty 'text' (id {ident!r})")
    published = record.get("published")
    try:
        published_iso = parse_published(published) if published else None
    except ValueError as exc:
        raise CollectError(f"{where}: bad 'published' {published!r}: {exc}") from None
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


def _collect_jsonl(path: Path) -> Iterator[Document | CollectError]:
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
            try:
                yield record_to_document(record, where)
            except CollectError as exc:
                yield exc


def _collect_json(path: Path) -> Iterator[Document | CollectError]:
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
        try:
            yield record_to_document(record, f"{path}[{index}]")
        except CollectError as exc:
            yield exc


def _collect_csv(path: Path, column_map: Mapping[str, str]) -> Iterator[Document | CollectError]:
    text = read_text_file(path)
    # a whole article in one cell is ordinary; the default limit (128 KiB) would refuse it
    csv.field_size_limit(max(csv.field_size_limit(), MAX_FILE_BYTES))
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = list(reader.fieldnames or [])
    reverse = {source: target for target, source in column_map.items()}
    unknown = [source for source in column_map.values() if source not in columns]
    if unknown:
        raise CollectError(f"{path}: --map names columns that are not there: {unknown}; columns are {columns}")
    mapped = {reverse.get(c, c) for c in columns}
    needed = [k for k in ("id", "text") if k not in mapped]
    if needed:
        raise CollectError(
            f"{path}: no column for {', '.join(needed)}; columns are {columns}; "
            "map them with --map id=COLUMN --map text=COLUMN"
        )
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
        record = {reverse.get(k, k): v for k, v in row.items() if k is not None}
        try:
            yield record_to_document(record, f"{path}:{start}")
        except CollectError as exc:
            yield exc
