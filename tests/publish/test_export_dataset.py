"""``export dataset DIR``: a Frictionless data package a researcher loads without fixing it:
every table described, CSV that spreadsheets read, Parquet equal to the CSV, a codebook in four
languages, a citation file, an ACLED-compatible table, and a re-export that leaves nothing stale."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml

from dissentwatch.models import vocabularies
from dissentwatch.publish.dataset import (
    ACLED_COLUMNS,
    LANGUAGES,
    export_dataset,
    read_csv_rows,
    validate_dataset,
)
from dissentwatch.publish.export import CSV_COLUMNS, csv_value
from dissentwatch.store import Store

frictionless = pytest.importorskip("frictionless")
pq = pytest.importorskip("pyarrow.parquet")


@pytest.fixture
def package(events_store: Store, tmp_path: Path) -> Path:
    out = tmp_path / "pkg"
    report = export_dataset(events_store, out)
    assert report.events == 3 and report.statuses == ("new", "confirmed", "edited")
    return out


def _descriptor(root: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((root / "datapackage.json").read_text("utf-8"))


def _csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def test_package_validates_with_frictionless(package: Path) -> None:
    report = frictionless.validate(str(package / "datapackage.json"))
    assert report.valid, report.flatten(["title", "type", "note"])
    assert validate_dataset(package) == []
    names = [r["name"] for r in _descriptor(package)["resources"]]
    assert names == ["events", "events-parquet", "sources", "sources-parquet", "codebook", "acled"]


def test_every_resource_exists_with_a_schema_matching_its_columns(package: Path) -> None:
    descriptor = _descriptor(package)
    listed = {r["path"] for r in descriptor["resources"]}
    on_disk = {p.name for p in package.iterdir()}
    assert listed | {"datapackage.json", "CITATION.cff", "README.md"} == on_disk  # nothing unlisted
    for resource in descriptor["resources"]:
        path = package / resource["path"]
        schema_columns = [f["name"] for f in resource["schema"]["fields"]]
        if resource["format"] == "csv":
            columns, _ = _csv(path)
        else:
            columns = pq.read_schema(path).names
        assert columns == schema_columns, resource["name"]
    events = next(r for r in descriptor["resources"] if r["name"] == "events")
    assert [f["name"] for f in events["schema"]["fields"]] == list(CSV_COLUMNS)


def test_csv_files_have_a_bom_and_parquet_reads_back_equal(package: Path) -> None:
    for name in ("events", "sources", "codebook", "acled"):
        assert (package / f"{name}.csv").read_bytes().startswith(b"\xef\xbb\xbf"), name
    for name in ("events", "sources"):
        _, rows = _csv(package / f"{name}.csv")
        table = pq.read_table(package / f"{name}.parquet").to_pylist()
        assert [{k: csv_value(v) for k, v in row.items()} for row in table] == rows
        assert rows, name
    _, sources = _csv(package / "sources.csv")
    _, events = _csv(package / "events.csv")
    assert {s["event_id"] for s in sources} == {e["id"] for e in events}
    assert sum(int(e["sources_count"]) for e in events) == len(sources)
    # read back as the parquet writer reads it: booleans are booleans, not the text "false"
    first = next(read_csv_rows(package / "events.csv"))
    assert first["by_relatives"] is False


def test_codebook_has_four_labels_for_every_value_of_every_vocabulary(package: Path) -> None:
    columns, rows = _csv(package / "codebook.csv")
    assert columns == ["vocabulary", "value", *(f"label_{lang}" for lang in LANGUAGES)]
    assert LANGUAGES == ("en", "ru", "uk", "fr")
    got = {(r["vocabulary"], r["value"]) for r in rows}
    assert got == {(v, k) for v, entries in vocabularies().items() for k in entries}
    assert {"location_precision", "date_used_from", "type", "grievances"} <= {r["vocabulary"] for r in rows}
    for row in rows:
        assert all(row[f"label_{lang}"].strip() for lang in LANGUAGES), row
    refusal = next(r for r in rows if (r["vocabulary"], r["value"]) == ("type", "refusal"))
    assert (refusal["label_uk"], refusal["label_fr"]) == ("Відмова воювати", "Refus de combattre")


def test_citation_cff_parses_with_the_required_keys(package: Path) -> None:
    cff = yaml.safe_load((package / "CITATION.cff").read_text("utf-8"))
    assert {"cff-version", "message", "title", "authors"} <= set(cff)
    assert cff["cff-version"] == "1.2.0" and cff["type"] == "dataset"
    assert cff["authors"] and all("name" in a or "family-names" in a for a in cff["authors"])


def test_acled_table_has_exactly_the_seventeen_columns_in_order(package: Path) -> None:
    assert len(ACLED_COLUMNS) == 17
    columns, rows = _csv(package / "acled.csv")
    assert columns == [
        "event_id_cnty", "event_date", "time_precision", "disorder_type", "event_type", "sub_event_type",
        "actor1", "assoc_actor_1", "admin1", "location", "latitude", "longitude", "geo_precision", "source",
        "notes", "fatalities", "timestamp",
    ]
    _, events = _csv(package / "events.csv")
    by_id = {e["id"]: e for e in events}
    assert [r["event_id_cnty"] for r in rows] == [e["id"] for e in events]
    for row in rows:
        event = by_id[row["event_id_cnty"]]
        assert row["event_date"] == event["date_used"]  # never a silent publication date
        assert row["disorder_type"] == "Strategic developments" and row["timestamp"].isdigit()
    naro = next(r for r in rows if r["location"] == "Naro-Fominsk")
    assert (naro["latitude"], naro["longitude"], naro["geo_precision"], naro["time_precision"]) == (
        "55.39", "36.73", "1", "1")
    assert "записали обращение" in naro["notes"]  # the type quote
    brigade = next(r for r in rows if r["assoc_actor_1"] == "Brigade no. 5")
    assert brigade["admin1"] == "Kaliningrad Oblast; Murmansk Oblast" and "home region" in brigade["notes"]
    assert brigade["latitude"] == "" and brigade["geo_precision"] == ""  # a home region is not the place
    assert brigade["source"] == "Outlet B; Канал А"
    refusal = next(r for r in rows if r["sub_event_type"] == "Change to group/activity")
    assert refusal["fatalities"] == ""  # not stated is not zero


def test_undated_event_is_marked_in_the_acled_notes(events_store: Store, tmp_path: Path) -> None:
    from dissentwatch.resolve.resolver import resolve_mentions
    from eventfactory import add_document, mention, save

    doc = add_document(events_store, "tg/900", "Бойцы 7-й бригады отказались идти в штурм.",
                       published="2023-05-02T09:00:00Z", outlet="Канал А", source_kind="telegram")
    save(events_store, doc, mention(events_store, doc, "refusal", "отказались идти в штурм",
                                    fields={"unit": {"name": "7-й бригады", "number": "7", "kind": "brigade"}},
                                    evidence={"unit": "7-й бригады"}))
    resolve_mentions(events_store)
    export_dataset(events_store, tmp_path / "pkg")
    _, rows = _csv(tmp_path / "pkg" / "acled.csv")
    undated = next(r for r in rows if r["assoc_actor_1"] == "Brigade no. 7")
    assert undated["event_date"] == "2023-05-02" and undated["time_precision"] == "3"
    assert "first report's publication" in undated["notes"]
    assert frictionless.validate(str(tmp_path / "pkg" / "datapackage.json")).valid


def test_statuses_and_filters_are_stated(events_store: Store, tmp_path: Path) -> None:
    out = tmp_path / "all"
    report = export_dataset(events_store, out, include_rejected=True)
    assert report.events == 4 and report.statuses == ("new", "confirmed", "edited", "rejected")
    assert "Review statuses included: new, confirmed, edited, rejected." in _descriptor(out)["description"]
    out = tmp_path / "default"
    export_dataset(events_store, out)
    description = _descriptor(out)["description"]
    assert "Review statuses included: new, confirmed, edited. Left out: rejected. No other filter." in description
    assert "Left out: rejected." in (out / "README.md").read_text("utf-8")
    out = tmp_path / "refusals"
    report = export_dataset(events_store, out, type=["refusal"])
    assert report.events == 1 and "Filters: type=refusal." in _descriptor(out)["description"]
    report = export_dataset(events_store, tmp_path / "march", since="2023-03-01", date_field="event")
    assert report.events == 2
    assert "Filters: dates=event, since=2023-03-01." in _descriptor(tmp_path / "march")["description"]
    report = export_dataset(events_store, tmp_path / "confirmed", review_status="confirmed")
    assert report.events == 0 and report.statuses == ("confirmed",)
    empty = frictionless.validate(str(tmp_path / "confirmed" / "datapackage.json"))  # no events: still valid
    assert empty.valid, empty.flatten(["title", "type", "note"])
    # --review rejected without --include-rejected selects nothing, as export events does
    report = export_dataset(events_store, tmp_path / "rejected", review_status="rejected")
    assert report.events == 0 and report.statuses == ()
    assert "Review statuses included: none." in _descriptor(tmp_path / "rejected")["description"]
    report = export_dataset(events_store, tmp_path / "rejected", review_status="rejected", include_rejected=True)
    assert report.events == 1 and report.statuses == ("rejected",)
    assert frictionless.validate(str(tmp_path / "rejected" / "datapackage.json")).valid


def test_reexport_replaces_the_package_whole(events_store: Store, tmp_path: Path) -> None:
    out = tmp_path / "exports" / "pkg"
    export_dataset(events_store, out)
    (out / "stale.csv").write_text("old", "utf-8")
    before = _csv(out / "events.csv")[1]
    export_dataset(events_store, out, type=["refusal"])
    assert not (out / "stale.csv").exists()
    assert len(_csv(out / "events.csv")[1]) == 1 < len(before)
    assert [p.name for p in out.parent.iterdir()] == ["pkg"]  # no temporary or old directory left
    assert frictionless.validate(str(out / "datapackage.json")).valid


def test_a_failed_export_leaves_the_previous_package(events_store: Store, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "exports" / "pkg"
    export_dataset(events_store, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError("disk full")

    monkeypatch.setattr("dissentwatch.publish.dataset.citation", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        export_dataset(events_store, out, type=["refusal"])
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in out.parent.iterdir()] == ["pkg"]


def test_refuses_to_replace_a_directory_that_is_not_a_package(events_store: Store, tmp_path: Path) -> None:
    out = tmp_path / "notes"
    out.mkdir()
    (out / "mine.txt").write_text("keep me", "utf-8")
    with pytest.raises(ValueError, match="not replacing"):
        export_dataset(events_store, out)
    assert (out / "mine.txt").read_text("utf-8") == "keep me"


def test_cli_export_dataset(events_store: Store, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "pkg"
    result = cli("export", "dataset", str(out), "--validate")
    assert result.exit_code == 0, result.output
    assert "exported 3 events (new, confirmed, edited)" in result.output
    assert "valid Frictionless data package" in result.output
    result = cli("export", "dataset", str(out), "--type", "refusal", "--include-rejected")
    assert result.exit_code == 0, result.output
    assert len(_csv(out / "events.csv")[1]) == 1
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "x").write_text("x", "utf-8")
    result = cli("export", "dataset", str(tmp_path / "other"))
    assert result.exit_code != 0 and "not replacing" in result.output


def test_an_event_known_to_the_month_gets_a_full_acled_date(events_store: Store, tmp_path: Path) -> None:
    from dissentwatch.resolve.resolver import resolve_mentions
    from eventfactory import add_document, mention, save

    doc = add_document(events_store, "tg/901", "В июне 2023 года из 9-го полка дезертировали трое.",
                       published="2023-08-10T09:00:00Z", outlet="Канал А", source_kind="telegram")
    save(events_store, doc, mention(events_store, doc, "desertion", "дезертировали трое",
                                    fields={"unit": {"name": "9-го полка", "number": "9", "kind": "regiment"},
                                            "date": "2023-06", "date_precision": "month"},
                                    evidence={"unit": "9-го полка", "date": "В июне 2023 года"}))
    resolve_mentions(events_store)
    export_dataset(events_store, tmp_path / "pkg")
    _, events = _csv(tmp_path / "pkg" / "events.csv")
    june = next(e for e in events if e["date"] == "2023-06")
    assert june["date_used"] == "2023-06" and june["date_used_from"] == "event_date"
    _, rows = _csv(tmp_path / "pkg" / "acled.csv")
    row = next(r for r in rows if r["event_id_cnty"] == june["id"])
    assert (row["event_date"], row["time_precision"]) == ("2023-06-01", "3")
    assert "month only" in row["notes"] and row["assoc_actor_1"] == "Regiment no. 9"
    report = frictionless.validate(str(tmp_path / "pkg" / "datapackage.json"))
    assert report.valid, report.flatten(["title", "type", "note"])


def test_acled_mapping_covers_every_type_and_affiliation() -> None:
    from dissentwatch import packaged_json
    from dissentwatch.models import EVENT_TYPES

    mapping = packaged_json("acled.json")
    assert set(mapping["type"]) == set(EVENT_TYPES)
    assert set(vocabularies()["affiliation"]) <= set(mapping["actor1"])
    assert set(vocabularies()["location_precision"]) == set(mapping["geo_precision"])
    assert set(vocabularies()["date_precision"]) <= set(mapping["time_precision"])


def test_acled_row_for_a_relatives_appeal_dated_by_publication() -> None:
    from dissentwatch import packaged_json
    from dissentwatch.publish.dataset import acled_row

    event = {
        "id": "ev-1", "type": "written_appeal", "by_relatives": True, "date": "2023-05-04", "date_precision": "day",
        "date_kind": "published", "date_used": "2023-05-04", "date_used_from": "event_date",
        "affiliation": "defence_ministry", "unit": None, "home_regions": [],
        "location": {"name": "Belgorod Oblast", "lat": 50.6, "lon": 36.6, "precision": "region",
                     "region_name": "Belgorod Oblast"},
        "killed_claimed": 12, "sources": [{"outlet": "B"}, {"outlet": "A"}, {"outlet": "B"}],
        "evidence": [{"field": "type", "quote": "жёны  написали\nписьмо"}],
    }
    row = acled_row(event, packaged_json("acled.json"), 1700000000)
    assert list(row) == list(ACLED_COLUMNS)
    assert row["actor1"] == "Relatives of Russian servicemembers"
    assert row["assoc_actor_1"] == "Military Forces of Russia (2000-)"  # whose relatives, when no unit
    assert (row["event_date"], row["time_precision"]) == ("2023-05-04", 3)  # only the publication date
    assert "publication date" in row["notes"] and "«жёны написали письмо»" in row["notes"]
    assert (row["admin1"], row["geo_precision"], row["latitude"]) == ("Belgorod Oblast", 3, 50.6)
    assert row["fatalities"] == 12 and "not deaths in this event" in row["notes"]
    assert row["source"] == "A; B" and row["timestamp"] == 1700000000
    assert row["sub_event_type"] == "Other"
