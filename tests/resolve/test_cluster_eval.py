"""Clustering and geocoding scores of ``dissentwatch eval`` against ``same_event`` tags."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dissentwatch.evaluate.clusters import bcubed, geocoding, pairwise, scores
from dissentwatch.resolve.resolver import resolve_mentions
from dissentwatch.store import Store
from eventfactory import add_document, mention, save


def test_pairwise_and_bcubed_count_document_pairs() -> None:
    items = ["a", "b", "c", "d"]
    gold = {"a": "x", "b": "x", "c": "x", "d": None}
    predicted = {"a": {"e1"}, "b": {"e1"}, "c": {"e2"}, "d": {"e2"}}
    pw = pairwise(items, gold, predicted)
    assert (pw["tp"], pw["fp"], pw["fn"]) == (1, 1, 2)
    assert pw["precision"] == 0.5 and pw["recall"] == pytest.approx(1 / 3, abs=1e-4)
    perfect = bcubed(items, gold, {"a": {"e"}, "b": {"e"}, "c": {"e"}, "d": {"f"}})
    assert perfect == {"precision": 1.0, "recall": 1.0, "f1": 1.0}


def _store_with_reports(store: Store) -> None:
    texts = {
        "ru1": ("Мобилизованные из Курской области записали видеообращение 6 марта.", "записали видеообращение"),
        "en1": ("Reservists from the Kursk region recorded a video appeal on March 6.", "recorded a video appeal"),
        "fr1": ("Des soldats ont lancé un appel vidéo le 20 mai.", "lancé un appel vidéo"),
    }
    fields = {
        "ru1": {"home_regions": [{"name": "Kursk Oblast", "iso": "RU-KRS"}], "date": "2023-03-06"},
        "en1": {"home_regions": [{"name": "Kursk Oblast", "iso": "RU-KRS"}], "date": "2023-03-06"},
        "fr1": {"date": "2023-05-20"},
    }
    for ext, (text, anchor) in texts.items():
        doc = add_document(store, ext, text, published="2023-03-07T10:00:00Z" if ext != "fr1" else "2023-05-21")
        save(store, doc, mention(store, doc, "video_appeal", anchor, fields=fields[ext]))
    resolve_mentions(store)


def test_scores_of_a_resolved_store(store: Store) -> None:
    _store_with_reports(store)
    docs = [{"id": "ru1", "same_event": "kursk"}, {"id": "en1", "same_event": "kursk"}, {"id": "fr1"},
            {"id": "absent", "same_event": "kursk"}]
    gold = [{"id": "ru1", "events": [{"type": "video_appeal", "home_regions": ["Kursk Oblast"]}]},
            {"id": "en1", "events": [{"type": "video_appeal", "home_regions": ["Kursk Oblast", "Oryol Oblast"]}]},
            {"id": "fr1", "events": [{"type": "video_appeal", "home_regions": []}]}]
    result = scores(store, docs, gold)
    assert result["documents"] == 3 and result["gold_clusters"] == 1 and result["predicted_events"] == 2
    assert result["pairwise"]["f1"] == 1.0
    geo = geocoding(store, gold)
    assert (geo["found"], geo["gold_regions"], geo["accuracy"]) == (2, 3, pytest.approx(0.6667, abs=1e-4))
    assert geo["accuracy_detected"] == geo["accuracy"] and geo["precision"] == 1.0


def test_eval_command_prints_the_clusters_table(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    docs = [
        {"id": "a1", "language": "ru", "published": "2023-03-10", "same_event": "p1487",
         "text": "Мобилизованные из 1487-го полка записали видеообращение к Путину о нехватке снарядов."},
        {"id": "a2", "language": "en", "published": "2023-03-11", "same_event": "p1487",
         "text": "Mobilized soldiers of the 1487th regiment recorded a video appeal to Putin about a lack of shells."},
        {"id": "a3", "language": "en", "published": "2023-06-01",
         "text": "Twelve soldiers of the 810th brigade refused to return to the front, their lawyer said."},
    ]
    gold = [{"id": "a1", "events": [{"type": "video_appeal", "unit_number": "1487"}]},
            {"id": "a2", "events": [{"type": "video_appeal", "unit_number": "1487"}]},
            {"id": "a3", "events": [{"type": "refusal", "unit_number": "810"}]}]
    docs_path, gold_path = tmp_path / "docs.jsonl", tmp_path / "gold.jsonl"
    docs_path.write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in docs), encoding="utf-8")
    gold_path.write_text("\n".join(json.dumps(g) for g in gold), encoding="utf-8")
    table = cli("eval", str(docs_path), str(gold_path)).output
    assert "single-event documents" in table and "home-region geocoding" in table
    report = json.loads(cli("eval", str(docs_path), str(gold_path), "--json").output)
    clusters = report["extra"]["clusters"]
    assert clusters["pairwise"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "tp": 1, "fp": 0, "fn": 0}
    assert clusters["predicted_events"] == 2


def test_a_document_with_several_occurrences_is_not_a_false_pair_when_open() -> None:
    """"m" reports occurrences x and y but is tagged x: sharing an event with "b" (tag y) is
    right or wrong depending on which of its events it is; strict scoring counts it false."""
    items = ["m", "a", "b"]
    gold = {"m": "x", "a": "x", "b": "y"}
    predicted = {"m": {"e1", "e2"}, "a": {"e1"}, "b": {"e2"}}
    strict, open_ = pairwise(items, gold, predicted), pairwise(items, gold, predicted, {"m"})
    assert (strict["tp"], strict["fp"], strict["fn"]) == (1, 1, 0)
    assert (open_["tp"], open_["fp"], open_["fn"]) == (1, 0, 0)
    assert pairwise(items, gold, {"m": {"e1"}, "a": {"e2"}, "b": {"e2"}}, {"m"})["fp"] == 1  # a-b still false
