"""``export dataset DIR``: the events as a Frictionless tabular data package.

The directory holds ``datapackage.json`` (a Table Schema for every table), ``events.csv`` and
``events.parquet`` (the flattened export of :mod:`dissentwatch.publish.export`), ``sources.csv``
and ``sources.parquet`` (one row per event and source document), ``codebook.csv`` (every
vocabulary's values with labels in English, Russian, Ukrainian and French), ``acled.csv`` (an
ACLED-compatible table; ``data/acled.json`` holds its mapping, docs/exports.md explains it),
``CITATION.cff`` and ``README.md``. CSV is UTF-8 with a BOM, as ``export events`` writes it.

The package is built in a temporary directory beside DIR and renamed into place, so a reader
never sees half a package and a re-export leaves no file of the previous one behind. DIR is
replaced only when it is empty or holds a previous package (a ``datapackage.json``).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dissentwatch import packaged_json
from dissentwatch.models import label, utcnow, vocabularies
from dissentwatch.publish.export import (
    _BOOLS,
    CSV_COLUMNS,
    csv_value,
    flatten_event,
    iter_events,
    write_csv,
    write_parquet,
)
from dissentwatch.store import Store

if TYPE_CHECKING:
    from dissentwatch.publish.pseudonymise import Pseudonymiser

LANGUAGES = ("en", "ru", "uk", "fr")
SOURCE_COLUMNS = ("event_id", "document_id", "url", "outlet", "published", "language")
CODEBOOK_COLUMNS = ("vocabulary", "value", *(f"label_{lang}" for lang in LANGUAGES))
ACLED_COLUMNS = (
    "event_id_cnty", "event_date", "time_precision", "disorder_type", "event_type", "sub_event_type",
    "actor1", "assoc_actor_1", "admin1", "location", "latitude", "longitude", "geo_precision", "source",
    "notes", "fatalities", "timestamp",
)
REVIEW_STATUSES = ("new", "confirmed", "edited", "rejected")

# Table Schema types of the event columns that are not strings.
_EVENT_TYPES = {
    "by_relatives": "boolean", "faces_covered": "boolean", "spokesperson": "boolean",
    "participants_min": "integer", "participants_max": "integer", "killed_claimed": "integer",
    "wounded_claimed": "integer", "sources_count": "integer", "evidence_count": "integer",
    "location_lat": "number", "location_lon": "number", "confidence": "number",
}
# Event columns whose values are one vocabulary's keys (the codebook has their labels).
_EVENT_VOCABULARIES = {
    "type": "type", "date_precision": "date_precision", "date_kind": "date_kind", "unit_kind": "unit_kind",
    "affiliation": "affiliation", "status": "status", "addressee": "addressee",
    "review_status": "review_status", "location_precision": "location_precision",
    "date_used_from": "date_used_from",
}
_DESCRIPTIONS = {
    "id": "Event id (stable across runs).",
    "date": "The event's own date as the sources give it: 2023-03-06, 2023-03, 2023 or --03-06 (year unknown).",
    "date_used": ("What filters and counts place the event on: its own date (YYYY-MM-DD, or YYYY-MM / YYYY "
                  "when only the month or year is known), else its first report's publication day."),
    "date_used_from": "event_date, or first_report when the event is undated and placed by its first report.",
    "grievances": "Vocabulary keys joined with ';'.", "demands": "Vocabulary keys joined with ';'.",
    "home_regions_iso": "ISO 3166-2 codes of the soldiers' home regions, joined with ';'.",
    "related": "event_id:relation pairs joined with ';'.",
    "evidence": "JSON list of {field, document_id, start, end, quote}: the quoted spans backing the fields.",
    "killed_claimed": "Killed as claimed by the source.",
    "confidence": "0-1, three decimals.",
}


@dataclass
class DatasetReport:
    """What one ``export dataset`` wrote."""

    out: Path
    events: int = 0
    sources: int = 0
    codebook: int = 0
    statuses: tuple[str, ...] = ()
    files: list[str] = field(default_factory=list)
    pseudonymised: bool = False


def included_statuses(review_status: str | None = None, include_rejected: bool = False) -> tuple[str, ...]:
    """The review statuses a package with these filters holds (as ``export events`` selects)."""
    allowed = REVIEW_STATUSES if include_rejected else REVIEW_STATUSES[:3]
    return tuple(s for s in allowed if s == review_status) if review_status else allowed


def export_dataset(store: Store, out: Path, include_rejected: bool = False,
                   pseudonymiser: Pseudonymiser | None = None, **filters: Any) -> DatasetReport:
    """Write the package for the events matching ``filters`` into ``out`` (replaced whole);
    with ``pseudonymiser``, pseudonymised (the package's description and README say so)."""
    out = Path(out)
    _check_target(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    statuses = included_statuses(filters.get("review_status"), include_rejected)
    report = DatasetReport(out=out, statuses=statuses, pseudonymised=pseudonymiser is not None)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        _build(store, tmp, report, pseudonymiser, include_rejected=include_rejected, **filters)
        _swap(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return report


def _check_target(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise ValueError(f"{out} is not a directory")
    if out.is_dir() and any(out.iterdir()) and not (out / "datapackage.json").is_file():
        raise ValueError(f"{out} is neither empty nor a data package (no datapackage.json): not replacing it")


def _swap(tmp: Path, out: Path) -> None:
    """Put the finished ``tmp`` where ``out`` is; the previous package goes only once it has."""
    if not out.exists():
        os.replace(tmp, out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
    old.rmdir()
    os.replace(out, old)
    try:
        os.replace(tmp, out)
    except BaseException:
        os.replace(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _build(store: Store, root: Path, report: DatasetReport, pseudonymiser: Pseudonymiser | None,
           **filters: Any) -> None:
    created = utcnow()
    mapping = packaged_json("acled.json")
    updated = _updated_times(store)
    # one pass over the store writes events.csv, sources.csv and acled.csv, page by page; the
    # Parquet files are then written from the CSV files read back, so the two never differ
    with _open(root / "events.csv") as ev, _open(root / "sources.csv") as src, _open(root / "acled.csv") as acl:
        events = csv.DictWriter(ev, fieldnames=list(CSV_COLUMNS))
        sources = csv.DictWriter(src, fieldnames=list(SOURCE_COLUMNS))
        acled = csv.DictWriter(acl, fieldnames=list(ACLED_COLUMNS))
        for fh, writer in ((ev, events), (src, sources), (acl, acled)):
            fh.write("\ufeff")
            writer.writeheader()
        shaped = iter_events(store, **filters)
        if pseudonymiser is not None:
            shaped = pseudonymiser.bind(store).events(shaped)
        for event in shaped:
            events.writerow(_cells(flatten_event(event)))
            report.events += 1
            for s in event.get("sources") or []:
                sources.writerow(_cells({"event_id": event["id"], **{k: s.get(k) for k in SOURCE_COLUMNS[1:]}}))
                report.sources += 1
            acled.writerow(_cells(acled_row(event, mapping, updated.get(event["id"]) or _unix(created))))
    _parquet_from_csv(root / "events.csv", root / "events.parquet", CSV_COLUMNS)
    _parquet_from_csv(root / "sources.csv", root / "sources.parquet", SOURCE_COLUMNS)
    with _open(root / "codebook.csv") as cb:
        report.codebook = write_csv(codebook_rows(), cb, CODEBOOK_COLUMNS)
    descriptor = datapackage(report.statuses, created, filters, report.pseudonymised)
    (root / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n", "utf-8")
    (root / "CITATION.cff").write_text(citation(created), "utf-8")
    (root / "README.md").write_text(readme(report, created, filters), "utf-8")
    report.files = sorted(p.name for p in root.iterdir())


def _open(path: Path) -> Any:
    return path.open("w", encoding="utf-8", newline="")


def _cells(row: dict[str, Any]) -> dict[str, str]:
    return {k: csv_value(v) for k, v in row.items()}


def read_csv_rows(path: Path) -> Iterator[dict[str, Any]]:
    """A CSV file of the package read back: "" as null, "true"/"false" as booleans."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            yield {k: None if v == "" else (v == "true") if k in _BOOLS and v in ("true", "false") else v
                   for k, v in row.items()}


def _parquet_from_csv(source: Path, target: Path, columns: tuple[str, ...]) -> None:
    with target.open("wb") as fh:
        write_parquet(read_csv_rows(source), fh, columns)


def _updated_times(store: Store) -> dict[str, int]:
    """Each event's last change as Unix seconds (ACLED's ``timestamp``)."""
    out: dict[str, int] = {}
    for r in store.query("SELECT id, updated FROM events WHERE merged_into IS NULL"):
        stamp = _unix(r["updated"])
        if stamp is not None:
            out[r["id"]] = stamp
    return out


def _unix(value: Any) -> int | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp())


# -- the codebook ------------------------------------------------------------------------------


def codebook_rows() -> Iterator[dict[str, Any]]:
    """One row per value of every vocabulary, with its label in each of :data:`LANGUAGES`."""
    for vocab, entries in vocabularies().items():
        for key, labels in entries.items():
            missing = [lang for lang in LANGUAGES if not labels.get(lang)]
            if missing:
                raise ValueError(f"vocabulary {vocab!r} value {key!r} has no label in {', '.join(missing)}")
            yield {"vocabulary": vocab, "value": key, **{f"label_{lang}": labels[lang] for lang in LANGUAGES}}


# -- the ACLED-compatible table ----------------------------------------------------------------


def acled_row(event: dict[str, Any], mapping: dict[str, Any], timestamp: Any) -> dict[str, Any]:
    """One event in ACLED's columns (:data:`ACLED_COLUMNS`); docs/exports.md gives the mapping."""
    kind = mapping["type"][event["type"]]
    location = event.get("location") or {}
    regions = event.get("home_regions") or []
    sources = event.get("sources") or []
    notes: list[str] = [f"{label('type', event['type'])} ({event['type']})."]
    quote = next((e["quote"] for e in event.get("evidence") or [] if e.get("field") == "type"), None)
    if quote:
        notes.append(f"Source: \u00ab{' '.join(str(quote).split())}\u00bb.")
    if event.get("date_used_from") == "first_report":
        precision_key = "undated"
        notes.append("Date: the first report's publication; the event itself is undated.")
    elif event.get("date_kind") == "published":
        precision_key = "published"
        notes.append("Date: the publication date; the sources do not say when the event occurred.")
    else:
        precision_key = event.get("date_precision") or "undated"
        if precision_key != "day":
            notes.append(f"Date known to the {precision_key} only ({event.get('date_used')}); event_date is "
                         f"the period's first day.")
    admin1 = location.get("region_name") or None
    if not admin1 and regions:
        admin1 = "; ".join(str(r.get("name") or r.get("iso")) for r in regions)
        notes.append("admin1: the soldiers' home region(s), not where the event took place.")
    has_point = location.get("lat") is not None and location.get("lon") is not None
    if event.get("killed_claimed") is not None:
        notes.append("fatalities: killed as claimed by the source, not deaths in this event.")
    affiliation = event.get("affiliation")
    actors = mapping["actor1"]
    actor1 = actors["relatives"] if event.get("by_relatives") else actors.get(affiliation or "unknown", actors["unknown"])
    return {
        "event_id_cnty": event["id"],
        "event_date": _full_date(event.get("date_used")),
        "time_precision": mapping["time_precision"].get(precision_key, 3) if event.get("date_used") else None,
        "disorder_type": kind["disorder_type"], "event_type": kind["event_type"],
        "sub_event_type": kind["sub_event_type"],
        "actor1": actor1,
        "assoc_actor_1": _unit_actor(event.get("unit") or {}, bool(event.get("by_relatives")), affiliation, actors),
        "admin1": admin1,
        "location": location.get("name"),
        "latitude": location.get("lat") if has_point else None,
        "longitude": location.get("lon") if has_point else None,
        "geo_precision": mapping["geo_precision"].get(location.get("precision") or "", 3) if has_point else None,
        "source": "; ".join(sorted({s["outlet"] for s in sources if s.get("outlet")})),
        "notes": " ".join(notes),
        "fatalities": event.get("killed_claimed"),
        "timestamp": timestamp if isinstance(timestamp, int) else _unix(timestamp),
    }


def _full_date(value: Any) -> str | None:
    """A day for ACLED's ``event_date``: a month or year alone becomes its first day (the notes
    and ``time_precision`` say so)."""
    if not value:
        return None
    text = str(value)
    return text + "-01" if len(text) == 7 else text + "-01-01" if len(text) == 4 else text


def _unit_actor(unit: dict[str, Any], by_relatives: bool, affiliation: str | None, actors: dict[str, str]) -> str | None:
    """The unit as an associated actor ("Brigade no. 5"); for relatives' appeals, the soldiers'
    force when no unit is named."""
    name = None
    if unit.get("number") and unit.get("kind"):
        name = f"{label('unit_kind', str(unit['kind']))} no. {unit['number']}"
    elif unit.get("name"):
        name = str(unit["name"])
    if by_relatives and not name and affiliation:
        return actors.get(affiliation)
    return name


# -- descriptors ---------------------------------------------------------------------------------


def _field(name: str, kind: str = "string", description: str | None = None,
           enum: Iterable[str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "type": kind}
    if kind == "boolean":
        out.update(trueValues=["true"], falseValues=["false"])
    if description:
        out["description"] = description
    if enum is not None:
        out["constraints"] = {"enum": list(enum)}
    return out


def event_schema() -> dict[str, Any]:
    fields = []
    for column in CSV_COLUMNS:
        vocab = _EVENT_VOCABULARIES.get(column)
        description = _DESCRIPTIONS.get(column) or (f"Vocabulary '{vocab}' (codebook.csv)." if vocab else None)
        fields.append(_field(column, _EVENT_TYPES.get(column, "string"), description,
                             sorted(vocabularies()[vocab]) if vocab else None))
    fields[0]["constraints"] = {"required": True, "unique": True}
    fields[CSV_COLUMNS.index("date_used")]["constraints"] = {"pattern": r"\d{4}(-\d{2}(-\d{2})?)?"}
    return {"fields": fields, "primaryKey": ["id"], "missingValues": [""]}


def source_schema() -> dict[str, Any]:
    fields = [_field(c) for c in SOURCE_COLUMNS]
    fields[0]["constraints"] = {"required": True}
    fields[1]["constraints"] = {"required": True}
    fields[4]["description"] = "ISO-8601 UTC time, or a date alone when the source gave no time."
    return {"fields": fields, "missingValues": [""],
            "foreignKeys": [{"fields": "event_id", "reference": {"resource": "events", "fields": "id"}}]}


def codebook_schema() -> dict[str, Any]:
    fields = [_field("vocabulary", enum=list(vocabularies())), _field("value")]
    fields += [_field(f"label_{lang}", description=f"Label in {lang}") for lang in LANGUAGES]
    for f in fields:
        f.setdefault("constraints", {})["required"] = True
    return {"fields": fields, "primaryKey": ["vocabulary", "value"], "missingValues": [""]}


def acled_schema() -> dict[str, Any]:
    kinds = {"event_date": "date", "time_precision": "integer", "latitude": "number", "longitude": "number",
             "geo_precision": "integer", "fatalities": "integer", "timestamp": "integer"}
    fields = [_field(c, kinds.get(c, "string")) for c in ACLED_COLUMNS]
    fields[0]["description"] = "The dissentwatch event id (events.csv id), not an ACLED id."
    fields[1]["description"] = ("events.csv date_used: the event's date, or its first report's publication "
                                "(notes say which); a month or year alone as its first day.")
    return {"fields": fields, "primaryKey": ["event_id_cnty"], "missingValues": [""]}


def _csv_resource(name: str, title: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "title": title, "description": description, "path": f"{name}.csv",
            "profile": "tabular-data-resource", "format": "csv", "mediatype": "text/csv",
            "encoding": "utf-8", "dialect": {"delimiter": ",", "header": True}, "schema": schema}


def _parquet_resource(name: str, title: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    # frictionless reads Parquet through pandas, where a null integer comes back as NaN: "nan"
    # is a missing value there (Parquet itself stores nulls)
    schema = {**{k: v for k, v in schema.items() if k != "foreignKeys"}, "missingValues": ["", "nan"]}
    return {"name": f"{name}-parquet", "title": f"{title} (Parquet)",
            "description": f"{description} The same rows as {name}.csv.", "path": f"{name}.parquet",
            "profile": "tabular-data-resource", "format": "parquet", "mediatype": "application/vnd.apache.parquet",
            "schema": schema}


def statuses_sentence(statuses: tuple[str, ...]) -> str:
    left_out = [s for s in REVIEW_STATUSES if s not in statuses]
    text = f"Review statuses included: {', '.join(statuses) or 'none'}."
    if left_out:
        text += f" Left out: {', '.join(left_out)}."
    return text


def _filters_sentence(filters: dict[str, Any]) -> str:
    skip = ("date_field", "review_status", "include_rejected")
    given = {k: v for k, v in filters.items() if v not in (None, [], (), "") and k not in skip}
    if not given:
        return "No other filter."
    if filters.get("since") or filters.get("until"):
        given["dates"] = filters.get("date_field") or "event"
    shown = {k: ",".join(map(str, v)) if isinstance(v, list | tuple) else v for k, v in given.items()}
    return "Filters: " + ", ".join(f"{k}={v}" for k, v in sorted(shown.items())) + "."


PSEUDONYMISED_NOTE = ("Pseudonymised: names of private people (soldiers, relatives, spokespersons, defendants) "
                      "are replaced by stable pseudonyms (Person 3FA2C1), links to private accounts are removed; "
                      "public figures and outlets keep their names. Evidence offsets refer to the pseudonymised "
                      "texts (null where a quote's document could not be read).")


def datapackage(statuses: tuple[str, ...], created: str, filters: dict[str, Any],
                pseudonymised: bool = False) -> dict[str, Any]:
    from dissentwatch import __version__

    events_doc = "One row per event, oldest first, flattened as `export events --format csv` writes it."
    sources_doc = "One row per event and source document."
    acled_doc = ("The events in ACLED's columns; docs/exports.md of dissentwatch gives the mapping. "
                 "Not ACLED data: no row was coded by ACLED.")
    resources = [
        _csv_resource("events", "Events", events_doc, event_schema()),
        _parquet_resource("events", "Events", events_doc, event_schema()),
        _csv_resource("sources", "Sources", sources_doc, source_schema()),
        _parquet_resource("sources", "Sources", sources_doc, source_schema()),
        _csv_resource("codebook", "Codebook",
                      "Every value of every vocabulary with its label in English, Russian, Ukrainian and French.",
                      codebook_schema()),
        _csv_resource("acled", "ACLED-compatible table", acled_doc, acled_schema()),
    ]
    return {
        "profile": "tabular-data-package",
        "name": "dissentwatch-events",
        "title": "dissentwatch: soldiers' appeals, refusals, mutinies, desertions, dismissals, prosecutions "
                 "and legal challenges",
        "description": ("Events gathered from open sources by dissentwatch; every field value is backed by a "
                        f"quoted source span (events.csv evidence). {statuses_sentence(statuses)} "
                        f"{_filters_sentence(filters)} CSV files are UTF-8 with a byte order mark."
                        + (f" {PSEUDONYMISED_NOTE}" if pseudonymised else "")),
        "version": __version__,
        "created": created,
        "keywords": ["military", "dissent", "appeals", "desertion", "mutiny", "Russia"],
        "resources": resources,
    }


def citation(created: str) -> str:
    from dissentwatch import __version__

    day = created[:10]
    return (
        "cff-version: 1.2.0\n"
        'message: "If you use this dataset, please cite it as below."\n'
        "type: dataset\n"
        'title: "dissentwatch events: soldiers\' public appeals, refusals, mutinies, desertions, '
        'dismissals, prosecutions and legal challenges"\n'
        "authors:\n"
        '  - name: "dissentwatch contributors"\n'
        f'version: "{__version__}"\n'
        f"date-released: {day}\n"
        'abstract: "Events gathered from open sources by dissentwatch, each field backed by a quoted '
        'source span; see README.md and datapackage.json."\n'
        "keywords:\n  - military\n  - dissent\n  - open-source intelligence\n"
    )


def readme(report: DatasetReport, created: str, filters: dict[str, Any]) -> str:
    return f"""# dissentwatch events

Exported {created}: {report.events} events, {report.sources} event-source rows.

{statuses_sentence(report.statuses)} {_filters_sentence(filters)}{" " + PSEUDONYMISED_NOTE if report.pseudonymised else ""}

| file | what |
|---|---|
| `datapackage.json` | Frictionless data package: a Table Schema for every table |
| `events.csv`, `events.parquet` | one row per event (the CSV columns of `export events`) |
| `sources.csv`, `sources.parquet` | one row per event and source document |
| `codebook.csv` | every vocabulary value with labels in English, Russian, Ukrainian and French |
| `acled.csv` | the events in ACLED's columns (not ACLED data; mapping in dissentwatch's docs/exports.md) |
| `CITATION.cff` | how to cite |

CSV files are UTF-8 with a byte order mark, so that spreadsheets read Cyrillic right.

Dates: `date` is the event's own date as the sources give it; `date_used` is what counts and
filters place it on (a day, or a month or year when only that is known), and `date_used_from`
says whether that is the event's date (`event_date`) or, for an undated event, its first report's
publication (`first_report`). The ACLED table's `event_date` is `date_used` (a month or year alone
as its first day, with `time_precision` 3), and its `notes` say when it is a publication date.
"""


def validate_dataset(directory: Path) -> list[str]:
    """The frictionless library's findings on the package in ``directory`` (empty: valid).
    Needs the ``dataset`` extra (frictionless, with pandas for the Parquet files)."""
    try:
        from frictionless import validate
    except ImportError as exc:
        raise RuntimeError("validating a package needs frictionless: pip install 'dissentwatch[dataset]'") from exc
    report = validate(str(Path(directory) / "datapackage.json"))
    problems = [f"package: {e.type}: {e.note}" for e in report.errors]
    for task in report.tasks:
        problems.extend(f"{task.name}: {e.type}: {e.note}" for e in task.errors)
    return problems
