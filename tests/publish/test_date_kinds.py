"""Which date an event is filtered, counted and listed by is always said (issue 13, item 7).

Three events: one dated by its reports (an appeal of 28 February 2023, first reported on
1 March), one undated (first reported on 10 April 2023), one with neither a date nor a
publication date."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from dissentwatch.publish.counts import count_events
from dissentwatch.store import Store
from eventfactory import events_of, seed_dates


@pytest.fixture
def dates_store(store: Store) -> Iterator[Store]:
    seed_dates(store)
    yield store


def _event(store: Store, external_id: str) -> str:
    (event_id,) = events_of(store, external_id)
    return event_id


def test_the_export_shape_says_which_date_is_used(dates_store: Store, cli) -> None:  # type: ignore[no-untyped-def]
    events = {e["id"]: e for e in json.loads(cli("export", "events", "--format", "json").stdout)}
    dated, undated, nothing = (events[_event(dates_store, x)] for x in ("tg/1", "tg/2", "files/3"))
    assert (dated["date"], dated["date_kind"], dated["date_used"], dated["date_used_from"]) == \
        ("2023-02-28", "occurred", "2023-02-28", "event_date")
    assert (undated["date"], undated["date_kind"], undated["date_used"], undated["date_used_from"]) == \
        (None, None, "2023-04-10", "first_report")
    assert (nothing["date"], nothing["date_used"], nothing["date_used_from"]) == (None, None, None)


def test_csv_and_geojson_carry_the_date_kind(dates_store: Store, cli) -> None:  # type: ignore[no-untyped-def]
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(cli("export", "events", "--format", "csv").stdout.lstrip("\ufeff")))}
    undated = rows[_event(dates_store, "tg/2")]
    assert (undated["date"], undated["date_used"], undated["date_used_from"]) == ("", "2023-04-10", "first_report")
    assert rows[_event(dates_store, "tg/1")]["date_used_from"] == "event_date"
    features = json.loads(cli("export", "events", "--format", "geojson").stdout)["features"]
    props = next(f["properties"] for f in features if f["id"] == _event(dates_store, "tg/2"))  # one per event
    assert props["date"] is None and props["date_kind"] is None
    assert props["date_used"] == "2023-04-10" and props["date_used_from"] == "first_report"


def test_the_events_listing_marks_the_date_kind(dates_store: Store, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("events", "--asc")
    assert result.exit_code == 0
    lines = {line.split()[0]: line for line in result.stdout.splitlines()[2:]}
    assert "date_kind" in result.stdout.splitlines()[0]
    assert "2023-02-28  occurred" in lines[_event(dates_store, "tg/1")]
    assert "2023-04-10  first report (undated)" in lines[_event(dates_store, "tg/2")]
    assert "undated" in lines[_event(dates_store, "files/3")]
    assert "first report" not in lines[_event(dates_store, "files/3")]


def test_date_filters_say_which_date_they_use(dates_store: Store, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("events", "--since", "2023-04")
    assert result.stdout.count("first report (undated)") == 1  # the undated event matched by its report
    assert "1 events match (--since/--until on the event date, or the first report's publication for " \
           "undated events, marked 'first report')" in result.stderr
    published = cli("events", "--since", "2023-03", "--dates", "published")
    assert "(--since/--until on the first report's publication date)" in published.stderr
    assert "2 events match" in published.stderr
    assert "date" not in cli("events").stderr.replace("events match", "")  # no filter, no note
    help_text = " ".join(cli("events", "--help").stdout.split())
    assert "the first report's publication for undated events" in help_text


def test_counts_say_which_date_they_go_by(dates_store: Store, cli) -> None:  # type: ignore[no-untyped-def]
    counts = count_events(dates_store, ["month"])
    assert {g["month"]: g["events"] for g in counts.groups} == {"2023-02": 1, "2023-04": 1, None: 1}
    assert counts.dates == {"event_date": 1, "first_report": 1, "undated": 1}
    shown = json.loads(cli("counts", "--by", "month", "--json").stdout)
    assert shown["dates"]["first_report"] == 1 and "first report" in shown["dates"]["basis"]
    text = cli("counts", "--by", "month").stdout
    assert "dates: 1 events by their own date, 1 undated ones by their first report's publication; " \
           "1 with no date at all" in text
    by_kind = count_events(dates_store, ["date_used_from"])
    assert {g["date_used_from"]: g["events"] for g in by_kind.groups} == {"event_date": 1, "first_report": 1, None: 1}


def test_published_counts_group_by_publication_too(dates_store: Store, cli) -> None:  # type: ignore[no-untyped-def]
    counts = count_events(dates_store, ["month"], date_field="published", since="2023-03")
    # the appeal of 28 February was first reported in March: filtered and grouped by March
    assert {g["month"]: g["events"] for g in counts.groups} == {"2023-03": 1, "2023-04": 1}
    assert "publication" in cli("counts", "--by", "month", "--dates", "published").stdout


def test_an_event_page_json_has_the_date_used(dates_store: Store, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    shown = cli("event", _event(dates_store, "tg/2"))
    assert "date_used: 2023-04-10" in shown.stdout and "date_used_from: first_report" in shown.stdout


def test_a_date_without_a_year_is_shown_though_no_filter_can_place_it(store: Store, cli) -> None:  # type: ignore[no-untyped-def]
    from dissentwatch.resolve.resolver import resolve_mentions
    from eventfactory import add_document, mention, save

    doc = add_document(store, "files/9", "Видео записано 6 марта бойцами полка.")  # no publication date
    save(store, doc, mention(store, doc, "video_appeal", "Видео записано 6 марта", fields={"date": "--03-06"},
                             evidence={"date": "6 марта"}))
    resolve_mentions(store)
    (event,) = json.loads(cli("export", "events").stdout)
    assert (event["date"], event["date_used"], event["date_used_from"]) == ("--03-06", None, None)
    assert "--03-06  occurred" in cli("events").stdout
    assert "0 events match" in cli("events", "--since", "2000").stderr  # no year: no date filter matches it
