"""Exports of events and documents: JSON, NDJSON, CSV, GeoJSON and Parquet (extra ``parquet``).

Events come out in the export shape of DESIGN.md; CSV and Parquet flatten nested fields
(``unit_number``, ``home_regions_iso`` ...); GeoJSON has one feature per event whose properties
are the CSV columns, its geometry the event's location, else its home regions, else null.
CSV is UTF-8 with a BOM (spreadsheets then read Cyrillic right) and writes booleans as
``true``/``false``. Every shape is described in docs/exports.md. Files are written to a
temporary file beside the target and renamed into place, so a reader never sees half an
export. Events are read in pages: memory stays flat whatever the size of the store.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from dissentwatch.publish.shape import events_as_dicts
from dissentwatch.store import Store
from dissentwatch.store.documents import iter_documents
from dissentwatch.store.events import event_ids

if TYPE_CHECKING:
    from dissentwatch.publish.pseudonymise import Pseudonymiser

EVENT_FORMATS = ("json", "ndjson", "csv", "geojson", "parquet")
DOCUMENT_FORMATS = ("json", "ndjson", "csv", "parquet")
PAGE = 500

CSV_COLUMNS: tuple[str, ...] = (
    "id", "type", "by_relatives", "date", "date_precision", "date_kind", "date_used", "date_used_from",
    "unit_name", "unit_number",
    "unit_kind", "unit_canonical_id", "affiliation", "status", "participants_min", "participants_max",
    "faces_covered", "spokesperson", "home_regions_iso", "home_regions_name", "location_name",
    "location_lat", "location_lon", "location_precision", "addressee", "grievances", "demands",
    "killed_claimed", "wounded_claimed", "confidence", "review_status", "related", "sources_count",
    "source_document_ids", "source_urls", "outlets", "languages", "first_published", "evidence_count",
    "evidence",
)
DOCUMENT_COLUMNS = ("id", "source_kind", "title", "outlet", "published", "url", "language", "relevant",
                    "event_ids", "aggregates")


def iter_events(store: Store, **filters: Any) -> Iterator[dict[str, Any]]:
    """Every matching event in the export shape, oldest first, read page by page (the ids in
    order first, then each page's rows by id)."""
    filters.setdefault("include_rejected", False)
    ids = event_ids(store, sort="date", desc=False, **filters)
    for lo in range(0, len(ids), PAGE):
        part = ids[lo : lo + PAGE]
        rows = {r["id"]: r for r in store.query(f"SELECT * FROM events WHERE id IN ({','.join('?' * len(part))})", part)}
        yield from events_as_dicts(store, [rows[i] for i in part if i in rows])


def flatten_event(event: dict[str, Any]) -> dict[str, Any]:
    """One event as a flat row for CSV and Parquet (lists joined with ``;``)."""
    unit = event.get("unit") or {}
    location = event.get("location") or {}
    participants = event.get("participants")
    low, high = (participants if isinstance(participants, list) else [participants, participants])[:2]
    regions = event.get("home_regions") or []
    sources = event.get("sources") or []
    row = {
        **{k: event.get(k) for k in ("id", "type", "by_relatives", "date", "date_precision", "date_kind",
                                     "date_used", "date_used_from", "affiliation", "status", "faces_covered", "spokesperson", "addressee",
                                     "killed_claimed", "wounded_claimed", "confidence", "review_status")},
        "unit_name": unit.get("name"), "unit_number": unit.get("number"), "unit_kind": unit.get("kind"),
        "unit_canonical_id": unit.get("canonical_id"), "participants_min": low, "participants_max": high,
        "home_regions_iso": _join(r.get("iso") for r in regions),
        "home_regions_name": _join(r.get("name") for r in regions),
        "location_name": location.get("name"), "location_lat": location.get("lat"),
        "location_lon": location.get("lon"), "location_precision": location.get("precision"),
        "grievances": _join(event.get("grievances") or []), "demands": _join(event.get("demands") or []),
        "related": _join(f"{r['event_id']}:{r['relation']}" for r in event.get("related") or []),
        "sources_count": len(sources), "source_document_ids": _join(s.get("document_id") for s in sources),
        "source_urls": _join(s.get("url") for s in sources),
        "outlets": _join(sorted({s["outlet"] for s in sources if s.get("outlet")})),
        "languages": _join(sorted({s["language"] for s in sources if s.get("language")})),
        "first_published": min((s["published"] for s in sources if s.get("published")), default=None),
        "evidence_count": len(event.get("evidence") or []),
        "evidence": json.dumps(event.get("evidence") or [], ensure_ascii=False),
    }
    return {c: row.get(c) for c in CSV_COLUMNS}


def _join(values: Any) -> str:
    return ";".join(str(v) for v in values if v not in (None, ""))


def geojson_feature(event: dict[str, Any]) -> dict[str, Any]:
    """One event as one GeoJSON feature: the CSV columns as properties (JSON types kept), and as
    geometry the event's location when it has coordinates, else its home regions that have them
    (a Point for one, a MultiPoint for several, in the event's order), else null (RFC 7946 3.2:
    an unlocated feature). ``geometry_from`` says which: "location", "home_regions" or null."""
    location = event.get("location") or {}
    regions = [r for r in event.get("home_regions") or [] if _has_coordinates(r)]
    geometry: dict[str, Any] | None = None
    source: str | None = None
    if _has_coordinates(location):
        geometry, source = {"type": "Point", "coordinates": _position(location)}, "location"
    elif len(regions) == 1:
        geometry, source = {"type": "Point", "coordinates": _position(regions[0])}, "home_regions"
    elif regions:
        geometry, source = {"type": "MultiPoint", "coordinates": [_position(r) for r in regions]}, "home_regions"
    return {"type": "Feature", "id": event["id"], "geometry": geometry,
            "properties": {**flatten_event(event), "geometry_from": source}}


def _has_coordinates(place: Any) -> bool:
    return isinstance(place, dict) and place.get("lat") is not None and place.get("lon") is not None


def _position(place: dict[str, Any]) -> list[float]:
    return [float(place["lon"]), float(place["lat"])]


def iter_documents_export(store: Store, pseudonymiser: Pseudonymiser | None = None) -> Iterator[dict[str, Any]]:
    """Every document: id as imported, source kind, title, outlet, published, url, language,
    relevant, event ids, count statements; with ``pseudonymiser``, pseudonymised (the count
    statements' spans recomputed against the pseudonymised text)."""
    for doc in iter_documents(store):
        events = [r[0] for r in store.query(
            "SELECT DISTINCT COALESCE(e.merged_into, e.id) FROM mentions m "
            "JOIN event_mentions em ON em.mention_id = m.id JOIN events e ON e.id = em.event_id "
            "WHERE m.document_id = ? ORDER BY 1", (doc["id"],))]
        aggregates = [{"quote": a["quote"], "number": a["number"], "counted": a["counted"],
                       "start": a["start"], "end": a["end"]}
                      for a in store.query('SELECT quote, number, counted, start, "end" FROM aggregates '
                                           "WHERE document_id = ? ORDER BY start", (doc["id"],))]
        record = {"id": doc["external_id"], "source_kind": doc["source_kind"], "title": doc["title"],
                  "outlet": doc["outlet"], "published": doc["published"], "url": doc["url"],
                  "language": doc["language"], "relevant": bool(events), "event_ids": events,
                  "aggregates": aggregates}
        yield pseudonymiser.document(record, text=doc["text"]) if pseudonymiser is not None else record


def flatten_document(doc: dict[str, Any]) -> dict[str, Any]:
    return {**doc, "event_ids": ";".join(doc["event_ids"]),
            "aggregates": json.dumps(doc["aggregates"], ensure_ascii=False)}


# -- writers -----------------------------------------------------------------------------------


@contextmanager
def atomic_output(out: Path | None, binary: bool = False) -> Iterator[IO[Any]]:
    """A file to write into: a temporary beside ``out``, renamed over it on success; stdout
    when ``out`` is None."""
    if out is None:
        import sys

        yield sys.stdout.buffer if binary else sys.stdout
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        fh: IO[Any] = os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="")
        with fh:
            yield fh
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(items: Iterator[dict[str, Any]], fh: IO[str]) -> int:
    fh.write("[")
    count = 0
    for item in items:
        fh.write(",\n" if count else "\n")
        fh.write(json.dumps(item, ensure_ascii=False))
        count += 1
    fh.write("\n]\n" if count else "]\n")
    return count


def write_ndjson(items: Iterator[dict[str, Any]], fh: IO[str]) -> int:
    count = 0
    for item in items:
        fh.write(json.dumps(item, ensure_ascii=False) + "\n")
        count += 1
    return count


def write_csv(rows: Iterator[dict[str, Any]], fh: IO[str], columns: tuple[str, ...]) -> int:
    """UTF-8 with a BOM (Excel and LibreOffice then read it as UTF-8, not the locale's code page),
    one header line, CRLF line ends (RFC 4180); empty for null, ``true``/``false`` for booleans."""
    fh.write("\ufeff")
    writer = csv.DictWriter(fh, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow({k: csv_value(v) for k, v in row.items()})
        count += 1
    return count


def csv_value(value: Any) -> str:
    """A cell: empty for null, ``true``/``false`` for booleans (as JSON writes them), else text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def write_geojson(events: Iterator[dict[str, Any]], fh: IO[str]) -> int:
    """A FeatureCollection of one feature per event (see :func:`geojson_feature`)."""
    fh.write('{"type": "FeatureCollection", "features": [')
    count = 0
    for event in events:
        fh.write(",\n" if count else "\n")
        fh.write(json.dumps(geojson_feature(event), ensure_ascii=False))
        count += 1
    fh.write("\n]}\n" if count else "]}\n")
    return count


def write_parquet(rows: Iterator[dict[str, Any]], fh: IO[bytes], columns: tuple[str, ...]) -> int:
    """Rows as Parquet, written in row groups of ``PAGE`` (needs pyarrow: extra ``parquet``)."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise RuntimeError("Parquet export needs pyarrow: pip install 'dissentwatch[parquet]'") from exc
    schema = pa.schema([(c, _arrow_type(pa, c)) for c in columns])
    count = 0
    with pq.ParquetWriter(fh, schema) as writer:
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append({c: _arrow_value(c, row.get(c)) for c in columns})
            count += 1
            if len(batch) >= PAGE:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                batch = []
        if batch or not count:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
    return count


_FLOATS = {"location_lat", "location_lon", "confidence"}
_INTS = {"participants_min", "participants_max", "killed_claimed", "wounded_claimed", "sources_count",
         "evidence_count"}
_BOOLS = {"by_relatives", "faces_covered", "spokesperson", "relevant"}


def _arrow_type(pa: Any, column: str) -> Any:
    if column in _FLOATS:
        return pa.float64()
    if column in _INTS:
        return pa.int64()
    if column in _BOOLS:
        return pa.bool_()
    return pa.string()


def _arrow_value(column: str, value: Any) -> Any:
    if value is None or value == "":
        return None
    try:
        if column in _FLOATS:
            return float(value)
        if column in _INTS:
            return int(value)
    except (TypeError, ValueError):
        return None
    if column in _BOOLS:
        return bool(value)
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def export_events(store: Store, fmt: str, out: Path | None = None, pseudonymiser: Pseudonymiser | None = None,
                  **filters: Any) -> int:
    """Write the events matching ``filters`` in ``fmt``; return how many events. With
    ``pseudonymiser``, private people's names and links are pseudonymised (docs/exports.md)."""
    events = iter_events(store, **filters)
    if pseudonymiser is not None:
        events = pseudonymiser.bind(store).events(events)
    writers: dict[str, Callable[[IO[Any]], int]] = {
        "json": lambda fh: write_json(events, fh),
        "ndjson": lambda fh: write_ndjson(events, fh),
        "csv": lambda fh: write_csv((flatten_event(e) for e in events), fh, CSV_COLUMNS),
        "geojson": lambda fh: write_geojson(events, fh),
        "parquet": lambda fh: write_parquet((flatten_event(e) for e in events), fh, CSV_COLUMNS),
    }
    return _write(fmt, writers, out)


def export_documents(store: Store, fmt: str, out: Path | None = None,
                     pseudonymiser: Pseudonymiser | None = None) -> int:
    """Write every document's export record in ``fmt``, pseudonymised with ``pseudonymiser``;
    return how many."""
    docs = iter_documents_export(store, pseudonymiser.bind(store) if pseudonymiser is not None else None)
    writers: dict[str, Callable[[IO[Any]], int]] = {
        "json": lambda fh: write_json(docs, fh),
        "ndjson": lambda fh: write_ndjson(docs, fh),
        "csv": lambda fh: write_csv((flatten_document(d) for d in docs), fh, DOCUMENT_COLUMNS),
        "parquet": lambda fh: write_parquet((flatten_document(d) for d in docs), fh, DOCUMENT_COLUMNS),
    }
    return _write(fmt, writers, out)


def _write(fmt: str, writers: dict[str, Callable[[IO[Any]], int]], out: Path | None) -> int:
    if fmt not in writers:
        raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(writers)}")
    if fmt == "parquet" and out is None:
        buffer = io.BytesIO()
        count = writers[fmt](buffer)
        with atomic_output(None, binary=True) as fh:
            fh.write(buffer.getvalue())
        return count
    with atomic_output(out, binary=fmt == "parquet") as fh:
        return writers[fmt](fh)
