from __future__ import annotations

import pytest

from dissentwatch.publish.shape import EXPORT_KEYS, event_as_dict
from dissentwatch.store import Store
from dissentwatch.store.events import query_events


def _ids(rows) -> list[str]:  # type: ignore[no-untyped-def]
    return [r["id"] for r in rows]


def test_query_filters(events_store: Store) -> None:
    store = events_store
    rows, total = query_events(store)
    assert total == 4 and len(rows) == 4
    assert query_events(store, type="refusal")[1] == 1
    assert query_events(store, type=["refusal", "video_appeal"], review_status="new")[1] == 3
    assert query_events(store, since="2023-02-01", until="2023-03-31")[1] == 2
    assert query_events(store, since="2023-03", until="2023-03")[1] == 1
    assert query_events(store, region="RU-KGD")[1] == 1
    assert query_events(store, region="ru-mos")[1] == 1
    assert query_events(store, region="Murmansk")[1] == 1
    assert query_events(store, unit="5")[1] == 1
    assert query_events(store, unit="5-й бригады")[1] == 1
    assert query_events(store, unit="5th regiment")[1] == 0
    assert query_events(store, language="en")[1] == 1
    assert query_events(store, outlet="Канал А")[1] == 2
    assert query_events(store, q="Подмосковья")[1] == 1
    assert query_events(store, q="refusé")[1] == 1
    assert query_events(store, include_rejected=False)[1] == 3


def test_sorting_and_paging(events_store: Store) -> None:
    newest, total = query_events(events_store, sort="date", desc=True, limit=2)
    oldest, _ = query_events(events_store, sort="date", desc=False, limit=2)
    assert total == 4 and len(newest) == 2
    assert newest[0]["type"] == "refusal" and oldest[0]["date"] == "2022-10-03"
    page2, _ = query_events(events_store, sort="date", desc=True, limit=2, offset=2)
    assert not set(_ids(newest)) & set(_ids(page2))
    by_sources, _ = query_events(events_store, sort="sources")
    assert by_sources[0]["sources_count"] == 2
    with pytest.raises(ValueError, match="unknown sort"):
        query_events(events_store, sort="nope")


def test_event_as_dict_has_the_export_shape_and_true_evidence(events_store: Store) -> None:
    store = events_store
    (row,), _ = query_events(store, unit="5")
    event = event_as_dict(store, row["id"])
    assert tuple(event)[: len(EXPORT_KEYS)] == EXPORT_KEYS
    assert event["type"] == "video_appeal" and event["date"] == "2023-03-06" and event["date_precision"] == "day"
    assert event["unit"]["number"] == "5" and event["participants"] == [20, 30]
    assert [r["iso"] for r in event["home_regions"]] == ["RU-KGD", "RU-MUR"]
    assert {s["document_id"] for s in event["sources"]} == {"tg/100", "en/7"}
    assert event["review_status"] == "new" and 0 < event["confidence"] <= 0.99
    fields = {e["field"] for e in event["evidence"]}
    assert {"type", "unit", "addressee"} <= fields
    for ev in event["evidence"]:
        text = store.scalar("SELECT text FROM documents WHERE external_id = ?", (ev["document_id"],))
        assert text[ev["start"] : ev["end"]] == ev["quote"]
    assert "sort_date" not in event


def test_event_as_dict_follows_merges_and_reports_missing(events_store: Store) -> None:
    store = events_store
    (a,), _ = query_events(store, unit="5")
    (b,), _ = query_events(store, type="refusal")
    store.conn.execute("UPDATE events SET merged_into = ? WHERE id = ?", (a["id"], b["id"]))
    assert event_as_dict(store, b["id"])["id"] == a["id"]
    assert query_events(store)[1] == 3
    with pytest.raises(KeyError):
        event_as_dict(store, "ev-missing")


def test_evidence_of_values_the_event_did_not_keep_is_left_out(store: Store) -> None:
    from dissentwatch.resolve.resolver import resolve_mentions
    from eventfactory import add_document, mention, save

    unit = {"name": "255-го полка", "number": "255", "kind": "regiment"}
    texts = [("d1", "Бойцы 255-го полка записали видео 6 марта.", "6 марта", "2023-03-06"),
             ("d2", "Видео бойцов 255-го полка появилось 6 марта.", "6 марта", "2023-03-06"),
             ("d3", "По другим данным, бойцы 255-го полка записали видео 7 марта.", "7 марта", "2023-03-07")]
    for ext, text, quote, day in texts:
        doc = add_document(store, ext, text, published="2023-03-08T00:00:00Z")
        save(store, doc, mention(store, doc, "video_appeal", "255-го полка", fields={"unit": unit, "date": day},
                                 evidence={"date": quote}))
    resolve_mentions(store)
    (row,), _ = query_events(store)
    event = event_as_dict(store, row)
    assert event["date"] == "2023-03-06" and len(event["sources"]) == 3
    dates = [e for e in event["evidence"] if e["field"] == "date"]
    assert {e["document_id"] for e in dates} == {"d1", "d2"} and all("value" not in e for e in event["evidence"])


def test_a_value_no_quote_backs_is_never_shown_or_exported(store: Store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import csv
    import io

    from dissentwatch.publish.export import export_events
    from dissentwatch.resolve.resolver import resolve_mentions
    from dissentwatch.review.decisions import edit_field
    from eventfactory import add_document, mention, save

    doc = add_document(store, "tg/q1", "Бойцы 12-го полка отказались идти в атаку.", published="2024-02-02T10:00:00Z")
    # the extractor's span for the count did not match the text: the value has no quote behind it
    save(store, doc, mention(store, doc, "refusal", "отказались идти в атаку",
                             fields={"unit": {"name": "12-го полка", "number": "12", "kind": "regiment"},
                                     "participants": [40, 40], "grievances": ["poor_command"]},
                             evidence={"unit": "12-го полка"}))
    resolve_mentions(store)
    event_id = str(store.scalar("SELECT id FROM events"))
    event = event_as_dict(store, event_id)
    assert event["unit"]["number"] == "12"  # quoted
    assert event["participants"] is None and event["grievances"] == []  # not quoted: not shown
    out = tmp_path / "events.csv"
    export_events(store, "csv", out)
    row = next(csv.DictReader(io.StringIO(out.read_text("utf-8-sig"))))
    assert row["unit_number"] == "12" and row["participants_min"] == "" and row["grievances"] == ""
    # an analyst's value is the analyst's evidence: shown though no text quotes it
    edit_field(store, event_id, "participants", [35, 45], "ana")
    assert event_as_dict(store, event_id)["participants"] == [35, 45]
