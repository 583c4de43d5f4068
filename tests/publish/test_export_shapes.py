"""The export shapes a researcher opens without fixing them by hand: GeoJSON with one feature per
event (null geometry where nothing has coordinates), CSV that spreadsheets read as UTF-8 with
true/false, documents with their title, outlet, date and address."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from dissentwatch.models import Document
from dissentwatch.publish.export import (
    CSV_COLUMNS,
    DOCUMENT_COLUMNS,
    export_documents,
    export_events,
)
from dissentwatch.store import Store
from dissentwatch.store.documents import ingest


def test_geojson_has_one_feature_per_event_and_keeps_those_without_coordinates(
        events_store: Store, tmp_path: Path) -> None:
    out = tmp_path / "events.geojson"
    assert export_events(events_store, "geojson", out) == 3
    data = json.loads(out.read_text("utf-8"))
    export_events(events_store, "json", tmp_path / "events.json")
    events = json.loads((tmp_path / "events.json").read_text("utf-8"))
    features = data["features"]
    assert data["type"] == "FeatureCollection" and len(features) == len(events) == 3
    assert [f["id"] for f in features] == [e["id"] for e in events]  # one feature per event, same order
    by_type = {(f["properties"]["type"], f["properties"]["date"]): f for f in features}
    appeal5 = by_type[("video_appeal", "2023-03-06")]  # two home regions, no location
    assert appeal5["geometry"] == {"type": "MultiPoint", "coordinates": [[20.51, 54.71], [33.07, 68.97]]}
    assert appeal5["properties"]["geometry_from"] == "home_regions"
    assert appeal5["properties"]["home_regions_iso"] == "RU-KGD;RU-MUR"
    assert appeal5["properties"]["unit_number"] == "5" and appeal5["properties"]["participants_min"] == 20
    assert appeal5["properties"]["by_relatives"] is False and appeal5["properties"]["sources_count"] == 2
    naro = by_type[("video_appeal", "2023-02-20")]  # a location and a home region: the location
    assert naro["geometry"] == {"type": "Point", "coordinates": [36.73, 55.39]}
    assert naro["properties"]["geometry_from"] == "location"
    assert naro["properties"]["location_name"] == "Naro-Fominsk" and naro["properties"]["home_regions_iso"] == "RU-MOS"
    refusal = by_type[("refusal", "2023-04-22")]  # nothing with coordinates: kept, geometry null (RFC 7946 3.2)
    assert refusal["geometry"] is None and refusal["properties"]["geometry_from"] is None
    assert set(refusal["properties"]) == set(CSV_COLUMNS) | {"geometry_from"}


def test_csv_export_opens_in_a_spreadsheet(events_store: Store, tmp_path: Path) -> None:
    out = tmp_path / "events.csv"
    export_events(events_store, "csv", out)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfid,type,by_relatives,")  # the BOM: Excel reads UTF-8, not cp1252
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert {r["by_relatives"] for r in rows} == {"false"}
    assert {r["faces_covered"] for r in rows} <= {"true", "false", ""}
    assert any("5-й бригады" in r["unit_name"] for r in rows)
    docs = tmp_path / "documents.csv"
    export_documents(events_store, "csv", docs)
    assert docs.read_bytes().startswith(b"\xef\xbb\xbfid,")
    relevant = {r["id"]: r["relevant"] for r in csv.DictReader(io.StringIO(docs.read_text("utf-8-sig")))}
    assert relevant["noise/1"] == "false" and relevant["tg/100"] == "true"


def test_documents_export_names_title_outlet_date_and_address(events_store: Store, tmp_path: Path) -> None:
    ingest(events_store, [Document("web", "https://news.test/a", "Текст статьи о роте.", title="Рота отказалась",
                                   outlet="Новости", url="https://news.test/a", published="2023-05-01")])
    out = tmp_path / "documents.ndjson"
    export_documents(events_store, "ndjson", out)
    docs = {d["id"]: d for d in map(json.loads, out.read_text("utf-8").splitlines())}
    first = docs["tg/100"]
    assert (first["published"], first["outlet"], first["url"], first["source_kind"]) == (
        "2023-03-06T10:00:00Z", "Канал А", "https://example.org/tg/100", "telegram")
    assert first["title"] is None and tuple(first) == DOCUMENT_COLUMNS
    article = docs["https://news.test/a"]
    assert (article["title"], article["outlet"], article["published"], article["source_kind"]) == (
        "Рота отказалась", "Новости", "2023-05-01", "web")
    csv_out = tmp_path / "documents.csv"
    export_documents(events_store, "csv", csv_out)
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(csv_out.read_text("utf-8-sig")))}
    assert rows["fr/3"]["outlet"] == "Média C" and rows["fr/3"]["published"] == "2023-04-23T10:00:00Z"
    assert rows["fr/3"]["url"] == "https://example.org/fr/3" and rows["fr/3"]["title"] == ""
    assert rows["https://news.test/a"]["title"] == "Рота отказалась"
