"""Learning resolve's weights from occurrence tags (``dissentwatch train-resolve``), on an
invented fixture: occurrences told by several reports sharing a unit and a date, others that
share only a region or only a date with them."""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from dissentwatch.resolve import learn
from dissentwatch.resolve.cluster import Clusterer, factors, weigh
from dissentwatch.store import Store

REGIONS = ["Omsk Oblast", "Tver Oblast", "Kursk Oblast"]
OUTLETS = ["north-post", "river-daily", "plain-news", "hill-times"]


def _fixture(tmp_path: Path) -> tuple[Path, Path]:
    """Eight occurrences of three reports each (one unit, one date, one region; published on
    the date and the next two days) and six lone reports sharing a region or a date with them."""
    docs: list[dict[str, Any]] = []
    gold: list[dict[str, Any]] = []

    def report(doc_id: str, tag: str | None, unit: str | None, day: date, region: str, published: date,
               outlet: str) -> None:
        unit_text = f"the {unit}th regiment" if unit else "a regiment"
        text = (f"Soldiers of {unit_text} recorded a video appeal on {day:%B} {day.day}. "
                f"They say they were sent to the front without training. Reported by {outlet}.")
        docs.append({"id": doc_id, "source_url": f"https://{outlet}.example/{doc_id}", "outlet": outlet,
                     "published": f"{published}T09:00:00Z", "language": "en", "title": f"Appeal {doc_id}",
                     "text": text, "same_event": tag, "positive": True})
        gold.append({"id": doc_id, "events": [{
            "type": "video_appeal", "by_relatives": False, "unit": unit_text if unit else None,
            "unit_number": unit, "unit_kind": "regiment" if unit else None, "date": str(day),
            "home_regions": [region], "evidence": text.split(". ")[0]}]})

    start = date(2023, 1, 10)
    for k in range(8):
        day = start + timedelta(days=9 * k)
        for r in range(3):
            report(f"occ{k}-r{r}", f"occurrence-{k}", str(300 + 17 * k), day, REGIONS[k % 3],
                   day + timedelta(days=r), OUTLETS[(k + r) % 4])
    for j in range(6):  # lone reports: the region of one occurrence, the date of another
        day = start + timedelta(days=9 * j + 4)
        report(f"lone{j}", None, str(700 + j) if j % 2 else None, day, REGIONS[j % 3], day, OUTLETS[j % 4])
    docs_path, gold_path = tmp_path / "docs.jsonl", tmp_path / "docs_gold.jsonl"
    docs_path.write_text("".join(json.dumps(d) + "\n" for d in docs), "utf-8")
    gold_path.write_text("".join(json.dumps(g) + "\n" for g in gold), "utf-8")
    return docs_path, gold_path


@pytest.fixture(scope="module")
def fixture_paths(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return _fixture(tmp_path_factory.mktemp("learn_resolve"))


@pytest.fixture(scope="module", autouse=True)
def fewer_choices() -> Any:
    """A shorter grid of thresholds and strengths: the same code, a quicker test."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(learn, "PROBABILITIES", (0.3, 0.45, 0.6, 0.8))
        patch.setattr(learn, "CS", (0.3, 1.0))
        yield


@pytest.fixture(scope="module")
def learned(fixture_paths: tuple[Path, Path]) -> dict[str, Any]:
    return learn.train_resolve(*fixture_paths, k=4)


def test_the_trainer_learns_to_join_reports_sharing_unit_and_date(learned: dict[str, Any],
                                                                  fixture_paths: tuple[Path, Path]) -> None:
    weights = learned["weights"]
    assert weights["unit_equal"] > 0 and weights["date_day_0_1"] > 0
    assert learned["oof"]["learned"]["pairwise"]["f1"] >= 0.9
    p = learned["probability"]
    assert learned["version"].startswith("learned-")
    assert learned["threshold"] == pytest.approx(math.log(p / (1 - p)) - learned["bias"], abs=1e-3)
    # resolved with the weights fitted on all of it: one event per occurrence, each lone report alone
    mentions, occurrence, _ = learn.labelled_mentions(*fixture_paths)
    events = learn.cluster(mentions, weights, learned["threshold"], learned["family_pool"])
    by_event: dict[str, set[str]] = defaultdict(set)
    for document, found in events.items():
        (event_id,) = found
        by_event[event_id].add(occurrence[document])
    assert all(len(tags) == 1 for tags in by_event.values())  # no two occurrences share an event
    assert sorted(len([d for d in events if occurrence[d] == f"occurrence-{k}"]) for k in range(8)) == [3] * 8
    assert len({next(iter(events[d])) for d in events if occurrence[d] == "occurrence-3"}) == 1


def test_a_shared_region_or_date_alone_joins_nothing(learned: dict[str, Any]) -> None:
    from dissentwatch.resolve.cluster import EventProfile
    from dissentwatch.resolve.features import MentionFeatures

    day = date(2023, 1, 10).toordinal()
    event = EventProfile("ev-a", "appeal")
    event.add(MentionFeatures(1, "a", 1, "video_appeal", "appeal", False, 0.8, published=day, day=day,
                              unit_number="300", regions=frozenset({"RU-OMS"}), root="1:video_appeal:0"))
    same_region = MentionFeatures(2, "b", 2, "video_appeal", "appeal", False, 0.8, published=day + 30,
                                  day=day + 30, unit_number="555", regions=frozenset({"RU-OMS"}), root="2:v:0")
    total, signals = weigh(factors(same_region, event), learned["weights"])
    assert total < learned["threshold"] and signals["unit"] <= 0


def test_out_of_fold_folds_never_split_an_occurrence(fixture_paths: tuple[Path, Path]) -> None:
    mentions, occurrence, items = learn.labelled_mentions(*fixture_paths)
    for k in (2, 3, 4):
        fold = learn.folds_of(items, occurrence, k)
        folds_of_occurrence: dict[str, set[int]] = defaultdict(set)
        for document, f in fold.items():
            folds_of_occurrence[occurrence[document]].add(f)
        assert all(len(f) == 1 for f in folds_of_occurrence.values())
        assert set(fold.values()) == set(range(k))


def test_the_learned_weights_are_scored_only_on_folds_they_were_not_fitted_to(
        fixture_paths: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Every fold is resolved among all the mentions but only its own documents' pairs are
    counted, each time with weights fitted without them."""
    mentions, occurrence, items = learn.labelled_mentions(*fixture_paths)
    fold = learn.folds_of(items, occurrence, 4)
    last_fit: list[set[str]] = []
    scored: list[set[str]] = []
    real_fit, real_add = learn.fit, learn.Tally.add

    def spy_fit(train: Any, pool: int | None = None, c: float = 1.0) -> learn.Fit:
        last_fit[:] = [{m.document for m in train}]
        return real_fit(train, pool, c)

    def spy_add(self: learn.Tally, test_items: Any, *args: Any) -> None:
        assert last_fit and not (last_fit[0] & set(test_items))
        scored.append(set(test_items))
        real_add(self, test_items, *args)

    monkeypatch.setattr(learn, "fit", spy_fit)
    monkeypatch.setattr(learn.Tally, "add", spy_add)
    learn.out_of_fold(mentions, items, occurrence, 4)
    for f in range(4):  # every outer fold was scored, as a whole
        assert {d for d in items if fold[d] == f} in scored


@pytest.fixture
def learned_weights() -> Any:
    from dissentwatch.resolve.features import use_weights

    use_weights("learned")
    yield
    use_weights("hand")


def test_event_shows_why_each_source_joined_with_the_learned_weights(store: Store, cli, learned_weights) -> None:  # type: ignore[no-untyped-def]
    from dissentwatch.resolve.features import settings
    from dissentwatch.resolve.resolver import resolve_mentions, resolver_name
    from eventfactory import add_document, mention, save

    unit = {"name": "412-го полка", "number": "412", "kind": "regiment"}
    first = add_document(store, "t/1", "Бойцы 412-го полка записали видео 3 апреля.", published="2023-04-03T08:00:00Z")
    second = add_document(store, "w/1", "Soldiers of the 412th regiment filmed an appeal on April 3.", language="en",
                          published="2023-04-04T08:00:00Z")
    save(store, first, mention(store, first, "video_appeal", "записали видео", fields={"unit": unit, "date": "2023-04-03"}))
    save(store, second, mention(store, second, "video_appeal", "filmed an appeal", fields={"unit": unit, "date": "2023-04-03"}))
    resolve_mentions(store)
    event_id = store.scalar("SELECT DISTINCT event_id FROM event_mentions")
    assert store.scalar("SELECT COUNT(DISTINCT event_id) FROM event_mentions") == 1
    assert store.scalar("SELECT resolver FROM events WHERE id = ?", (event_id,)) == resolver_name(False)
    assert "learned-" in resolver_name(False)
    shown = cli("event", event_id).output
    w = settings()["weights"]
    assert "why: founded the event" in shown
    line = re.search(r"why: joined, score [\d.]+: (.*)", shown)
    assert line is not None
    assert f"type +{round(w['same_type'], 3):g}" in line.group(1)
    assert f"date +{round(w['date_day_0_1'], 3):g}" in line.group(1)
    assert "unit +" in line.group(1)


def test_the_hand_weights_are_the_default_and_the_learned_ones_apply_key_by_key(tmp_path: Path) -> None:
    from dissentwatch import packaged_json
    from dissentwatch.resolve.features import hand_settings, settings, use_weights

    hand = hand_settings()
    assert settings()["threshold"] == hand["threshold"] and Clusterer().pool == hand.get("family_pool", 0)
    learned = packaged_json("resolve_learned.json")
    try:
        use_weights("learned")
        merged = settings()
        assert Clusterer().threshold == learned["threshold"] and Clusterer().pool == learned["family_pool"]
        copy = tmp_path / "weights.json"
        copy.write_text(json.dumps(learned), "utf-8")
        use_weights(str(copy))
        assert settings() == merged
        copy.write_text("{}", "utf-8")
        use_weights(str(copy))
        with pytest.raises(ValueError, match="needs weights, threshold, version"):
            settings()
    finally:
        use_weights("hand")
    assert settings()["threshold"] == hand["threshold"]
    assert merged["threshold"] == learned["threshold"] != hand["threshold"]
    assert all(merged["weights"][k] == v for k, v in learned["weights"].items())
    assert merged["weights"]["embedding_high"] == hand["weights"]["embedding_high"]  # not learned: kept
    assert merged["version"] == f"{hand['version']}+{learned['version']}"
    oof = learned["oof"]
    assert oof["learned"]["pairwise"]["f1"] > oof["hand"]["pairwise"]["f1"]


def test_a_join_on_type_and_dates_alone_needs_one_event_that_fits_them() -> None:
    from dissentwatch.resolve.features import MentionFeatures, hand_settings

    weights = dict(hand_settings()["weights"], same_type=1.0, date_day_0_1=2.0)  # type + day reach 2.5
    day = date(2023, 5, 2).toordinal()

    def report(i: int, region: str) -> MentionFeatures:
        return MentionFeatures(i, f"k{i}", i, "refusal", "refusal", False, 0.8, published=day, day=day,
                               regions=frozenset({region}), root=f"{i}:refusal:0")

    def bare(i: int) -> MentionFeatures:
        return MentionFeatures(i, f"k{i}", i, "refusal", "refusal", False, 0.8, published=day, day=day,
                               root=f"{i}:refusal:0")

    one = Clusterer(weights=weights, threshold=2.5, pool=20)
    first = one.assign(report(1, "RU-OMS"))
    assert one.assign(bare(2)).event_id == first.event_id  # one refusal that day: it is that one
    two = Clusterer(weights=weights, threshold=2.5, pool=20)
    a, b = two.assign(report(1, "RU-OMS")), two.assign(report(2, "RU-TVE"))
    assert a.event_id != b.event_id
    third = two.assign(bare(3))
    assert third.founded and third.event_id not in {a.event_id, b.event_id}  # two fit: neither
    joined = two.assign(report(4, "RU-TVE"))  # a shared region tells them apart
    assert joined.event_id == b.event_id and joined.reason["signals"]["regions"] > 0


def test_resolve_takes_the_weights_it_is_given(store: Store, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from dissentwatch.resolve.features import use_weights
    from eventfactory import add_document, mention, save

    doc = add_document(store, "t/9", "Бойцы 9-го полка записали видео.", published="2023-04-03T08:00:00Z")
    save(store, doc, mention(store, doc, "video_appeal", "записали видео"))
    try:
        assert cli("resolve", "--weights", "learned").exit_code == 0
        assert "learned-" in str(store.scalar("SELECT resolver FROM events"))
    finally:
        use_weights("hand")
    bad = cli("resolve", "--weights", str(tmp_path / "missing.json"))
    assert bad.exit_code == 2 and "neither 'hand', 'learned' nor a file" in bad.output
    junk = tmp_path / "junk.json"
    junk.write_text("[1, 2]", "utf-8")
    refused = cli("resolve", "--weights", str(junk))
    use_weights("hand")
    assert refused.exit_code == 1 and "not resolve weights written by 'dissentwatch train-resolve'" in refused.output
