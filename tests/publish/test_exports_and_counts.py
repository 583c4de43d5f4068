from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from dissentwatch.publish.counts import count_events
from dissentwatch.publish.export import CSV_COLUMNS, export_events
from dissentwatch.publish.shape import EXPORT_KEYS
from dissentwatch.resolve.features import settings
from dissentwatch.store import Store


def test_counts_events_not_documents(events_store: Store) -> None:
    counts = count_events(events_store, ["type"])
    assert counts.groups == [{"type": "refusal", "events": 1}, {"type": "video_appeal", "events": 2}]
    assert counts.events == 3  # the rejected one is not counted
    assert count_events(events_store, ["type"], include_rejected=True).events == 4
    window = count_events(events_store, ["month"], type=["video_appeal"], since="2023-02-01", until="2023-03-31")
    assert window.events == 2 and window.regions == 3
    assert window.groups == [{"month": "2023-02", "events": 1}, {"month": "2023-03", "events": 1}]
    by_region = count_events(events_store, ["region"])
    assert {g["region"]: g["events"] for g in by_region.groups} == {"RU-KGD": 1, "RU-MOS": 1, "RU-MUR": 1, None: 1}
    by_unit = count_events(events_store, ["type", "unit"])
    assert {"type": "video_appeal", "unit": "5 brigade", "events": 1} in by_unit.groups
    with pytest.raises(ValueError, match="cannot count by"):
        count_events(events_store, ["colour"])


def test_counts_command_answers_the_question_in_one_call(events_store: Store, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("counts", "--type", "video_appeal", "--since", "2023-02-01", "--until", "2023-03-31")
    assert result.exit_code == 0
    assert "2 events, 3 distinct regions" in result.output
    data = json.loads(cli("counts", "--by", "type,month,region", "--json").output)
    assert data["total"]["events"] == 3 and data["by"] == ["type", "month", "region"]
    rows = list(csv.DictReader(io.StringIO(cli("counts", "--by", "region", "--csv").stdout)))
    assert {r["region"] for r in rows} == {"RU-KGD", "RU-MOS", "RU-MUR", ""}
    bad = cli("counts", "--by", "colour")
    assert bad.exit_code != 0 and "cannot count by" in bad.output


def _export(cli, tmp_path: Path, kind: str, fmt: str) -> Path:  # type: ignore[no-untyped-def]
    out = tmp_path / f"{kind}.{fmt}"
    result = cli("export", kind, "--format", fmt, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "temporary file left behind"
    return out


def test_json_and_ndjson_exports_parse_back_in_the_contract_shape(events_store: Store, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    events = json.loads(_export(cli, tmp_path, "events", "json").read_text("utf-8"))
    assert len(events) == 3 and all(tuple(e)[: len(EXPORT_KEYS)] == EXPORT_KEYS for e in events)
    assert [e["date"] for e in events] == ["2023-02-20", "2023-03-06", "2023-04-22"]
    lines = _export(cli, tmp_path, "events", "ndjson").read_text("utf-8").splitlines()
    assert [json.loads(line) for line in lines] == events
    everything = json.loads(cli("export", "events", "--include-rejected").stdout)
    assert len(everything) == 4
    only_kgd = json.loads(cli("export", "events", "--region", "RU-KGD").stdout)
    assert [e["unit"]["number"] for e in only_kgd] == ["5"]
    script = [e for e in events if any(s["document_id"] == "tg/100" for s in e["sources"])][0]
    assert all("<script>" not in q["quote"] for q in script["evidence"])


def test_csv_export_flattens_nested_fields(events_store: Store, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with _export(cli, tmp_path, "events", "csv").open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
    assert tuple(reader.fieldnames or ()) == CSV_COLUMNS
    five = next(r for r in rows if r["unit_number"] == "5")
    assert five["home_regions_iso"] == "RU-KGD;RU-MUR" and five["participants_min"] == "20"
    assert five["participants_max"] == "30" and five["sources_count"] == "2"
    assert five["grievances"] == "frontal_assaults;heavy_casualties"
    assert json.loads(five["evidence"])[0]["quote"]


def test_geojson_export_is_valid(events_store: Store, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(_export(cli, tmp_path, "events", "geojson").read_text("utf-8"))
    assert data["type"] == "FeatureCollection" and len(data["features"]) == 3  # one per event
    geometries = sorted((f["properties"]["geometry_from"] or "", (f["geometry"] or {}).get("type", ""))
                        for f in data["features"])
    assert geometries == [("", ""), ("home_regions", "MultiPoint"), ("location", "Point")]
    for feature in data["features"]:
        assert feature["type"] == "Feature" and feature["id"].startswith("ev-")
        assert feature["id"] == feature["properties"]["id"]
        if feature["geometry"] is None:
            continue
        points = feature["geometry"]["coordinates"]
        for lon, lat in points if feature["geometry"]["type"] == "MultiPoint" else [points]:
            assert -180 <= lon <= 180 and -90 <= lat <= 90
    kgd = next(f for f in data["features"] if "RU-KGD" in f["properties"]["home_regions_iso"])
    assert kgd["geometry"]["coordinates"][0] == [20.51, 54.71]


def test_parquet_export_reads_back(events_store: Store, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pq = pytest.importorskip("pyarrow.parquet")
    table = pq.read_table(_export(cli, tmp_path, "events", "parquet"))
    assert table.num_rows == 3 and tuple(table.column_names) == CSV_COLUMNS
    rows = table.to_pylist()
    five = next(r for r in rows if r["unit_number"] == "5")
    assert five["participants_min"] == 20 and five["location_lat"] is None and five["confidence"] > 0
    docs = pq.read_table(_export(cli, tmp_path, "documents", "parquet"))
    assert docs.num_rows == 6


def test_documents_export(events_store: Store, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lines = _export(cli, tmp_path, "documents", "ndjson").read_text("utf-8").splitlines()
    docs = {d["id"]: d for d in map(json.loads, lines)}
    assert set(docs) == {"tg/100", "en/7", "tg/101", "fr/3", "tg/5", "noise/1"}
    assert docs["noise/1"] == {"id": "noise/1", "source_kind": "files", "title": None, "outlet": "outlet-noise/1",
                               "published": "2023-03-01T00:00:00Z", "url": "https://example.org/noise/1",
                               "language": "ru", "relevant": False, "event_ids": [], "aggregates": []}
    assert docs["tg/100"]["relevant"] and docs["tg/100"]["event_ids"] == docs["en/7"]["event_ids"]
    rows = list(csv.DictReader(_export(cli, tmp_path, "documents", "csv").open(encoding="utf-8-sig")))
    assert len(rows) == 6
    assert len(json.loads(_export(cli, tmp_path, "documents", "json").read_text("utf-8"))) == 6


def test_export_replaces_a_file_atomically_and_keeps_it_on_failure(events_store: Store, tmp_path: Path) -> None:
    out = tmp_path / "events.json"
    out.write_text("previous", encoding="utf-8")
    assert export_events(events_store, "json", out) == 3
    assert json.loads(out.read_text("utf-8"))[0]["id"].startswith("ev-")
    with pytest.raises(ValueError, match="unknown format"):
        export_events(events_store, "xml", out)
    events_store.close()
    with pytest.raises(Exception):  # noqa: B017 - the database is gone mid-export
        export_events(events_store, "ndjson", out)
    assert json.loads(out.read_text("utf-8"))[0]["id"].startswith("ev-")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".events.json.")]


def test_events_and_event_commands(events_store: Store, cli) -> None:  # type: ignore[no-untyped-def]
    listing = cli("events", "--type", "video_appeal")
    assert listing.exit_code == 0 and "3 events match" in listing.stderr
    assert "rejected" in listing.stdout and "5-й бригады" in listing.stdout
    assert "2 events match" in cli("events", "--type", "video_appeal", "--review", "new").stderr
    data = json.loads(cli("events", "--json", "--unit", "5").stdout)
    event_id = data[0]["id"]
    shown = cli("event", event_id)
    assert shown.exit_code == 0
    assert "tg/100" in shown.output and "en/7" in shown.output and "«5-й бригады»" in shown.output
    assert "why: founded the event" in shown.output
    weights = settings()["weights"]  # the packaged (learned) weights name each source's signals
    assert re.search(rf"why: joined, score [\d.]+: type \+{round(weights['same_type'], 3):g}, unit \+{round(weights['unit_equal'], 3):g}",
                     shown.output)
    assert json.loads(cli("event", event_id, "--json").stdout)["id"] == event_id
    missing = cli("event", "ev-nope")
    assert missing.exit_code != 0 and "no event" in missing.output


def test_event_command_keeps_terminal_escapes_inert(events_store: Store, cli) -> None:  # type: ignore[no-untyped-def]
    from dissentwatch.resolve.resolver import resolve_mentions
    from eventfactory import add_document, mention, save

    doc = add_document(events_store, "evil/1", "Солдаты \x1b[2J\x1b]0;owned\x07записали видео 9 мая.",
                       published="2023-05-09T00:00:00Z")
    save(events_store, doc, mention(events_store, doc, "video_appeal", "Солдаты \x1b[2J\x1b]0;owned\x07записали видео"))
    resolve_mentions(events_store)
    event_id = events_store.scalar("SELECT event_id FROM event_mentions em JOIN mentions m ON m.id = em.mention_id "
                                   "WHERE m.document_id = ?", (doc,))
    shown = cli("event", event_id).stdout
    assert "\x1b" not in shown and "\x07" not in shown and "записали видео" in shown


@pytest.mark.parametrize("args", [
    ("events", "--since", "garbage"), ("counts", "--until", "2023-13"), ("counts", "--since", "2023-02-40"),
    ("export", "events", "--since", "2023-3"), ("events", "--limit", "0"), ("mentions", "--limit", "-5"),
])
def test_filters_that_would_match_nothing_silently_are_refused(events_store: Store, cli, args) -> None:  # type: ignore[no-untyped-def]
    result = cli(*args)
    assert result.exit_code == 2 and "Invalid value for" in result.output


def test_is_date_filter_knows_the_calendar() -> None:
    from dissentwatch.store.events import is_date_filter

    assert all(is_date_filter(v) for v in ("2023", "2023-03", "2024-02-29", "2023-02-30"))
    assert not any(is_date_filter(v) for v in ("2023-13", "2023-00", "2023-02-32", "2023-3", "20230", "２０２３", ""))
