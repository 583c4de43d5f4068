"""The analyze stage: documents → mentions (type, by_relatives, fields with evidence) and aggregates.

Per document: matching view (``normalise``) → gate → language → sentences → rule candidates and
count statements (``classify``) → segments, one per event (``segment``) → fields of each event
(``dissentwatch.analyze.fields.extract_fields`` when installed) → :class:`Mention`s.
Incremental: only documents that are new, changed, or analyzed by another extractor version are
read; each batch is written in one transaction, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from dissentwatch.analyze.aggregates import AGGREGATES_VERSION
from dissentwatch.analyze.classify import RULES_VERSION, classify_sentences, has_look_alike
from dissentwatch.analyze.gate import GATE_VERSION, passes_gate
from dissentwatch.analyze.normalise import matching_view
from dissentwatch.analyze.segment import SEGMENT_VERSION, Candidate, Segment, segment_candidates
from dissentwatch.analyze.text import Sentence, sentences, trim_span
from dissentwatch.models import Aggregate, Evidence, Mention, utcnow
from dissentwatch.progress import ProgressFactory, stage
from dissentwatch.store import Store
from dissentwatch.store.mentions import documents_to_analyze, save_analysis

log = logging.getLogger(__name__)

PIPELINE_VERSION = "analyze_pipeline.v2"
MAX_QUOTE = 400
FieldExtractor = Callable[..., tuple[dict[str, Any], list[Evidence]]]


@cache
def field_extractor() -> tuple[FieldExtractor | None, str]:
    """``extract_fields`` of the fields package and its version, or (None, "fields:none")."""
    try:
        from dissentwatch.analyze import fields
    except ImportError:
        return None, "fields:none"
    func = getattr(fields, "extract_fields", None)
    version = next((str(getattr(fields, n)) for n in ("FIELDS_VERSION", "EXTRACTOR", "VERSION") if hasattr(fields, n)), "fields.v?")
    return (func, version) if callable(func) else (None, "fields:none")


OPTIONS: dict[str, bool] = {"embeddings": False}  # set before workers fork
MODEL: dict[str, Any] = {"model": None, "cache": None}  # the learned model (learn.model) or None: rules alone


def use_model(model: Any = "default") -> Any:
    """Set the detection model of this process (and of the workers it forks); returns it."""
    if isinstance(model, str) and model == "default":
        from dissentwatch.learn.model import default_model

        model = default_model()
    MODEL["model"] = model
    return model


def components() -> dict[str, str]:
    """Versioned names of every component; recorded on the run."""
    parts = {
        "pipeline": PIPELINE_VERSION, "gate": GATE_VERSION, "classify": RULES_VERSION,
        "segment": SEGMENT_VERSION, "aggregates": AGGREGATES_VERSION, "fields": field_extractor()[1],
    }
    if MODEL["model"] is not None:
        from dissentwatch.learn.apply import APPLY_VERSION

        parts["model"] = MODEL["model"].version
        parts["apply"] = APPLY_VERSION
    if OPTIONS["embeddings"]:
        from dissentwatch.analyze.embeddings import EMBEDDINGS_VERSION

        parts["embeddings"] = EMBEDDINGS_VERSION
    return parts


def extractor_name() -> str:
    """The version stamp of the whole stage: a change in any component re-analyzes documents."""
    return "+".join(components().values())


@dataclass
class Analysis:
    """What analyze found in one document."""

    document_id: int
    mentions: list[Mention] = field(default_factory=list)
    aggregates: list[Aggregate] = field(default_factory=list)
    gated: bool = False
    language: str | None = None
    relevance: float | None = None  # the model's probability that the document reports an event


def _type_evidence(text: str, document_id: int, candidate: Candidate) -> Evidence:
    start, end = candidate.start, candidate.end
    if end - start > MAX_QUOTE:
        start = max(start, candidate.trigger_start - MAX_QUOTE // 3)
        end = min(end, start + MAX_QUOTE)
        while start > candidate.start and text[start - 1].isalnum():
            start -= 1
        while end < candidate.end and text[end].isalnum():
            end += 1
    start, end = trim_span(text, start, end)
    return Evidence("type", document_id, start, end, text[start:end], candidate.type)


CONTEXT_AFTER = 1200  # characters after an event's last report that may still describe it


def context_span(seg: Segment, segments: list[Segment], sents: list[Sentence], text_length: int) -> tuple[int, int]:
    """The text that describes one event: from the sentence before its first report (unless another
    event is reported there) to the next event's first report, at most ``CONTEXT_AFTER`` further."""
    first = min(c.sentence_index for c in seg.candidates)
    before = max((o.end for o in segments if o is not seg and o.end <= seg.start), default=0)
    start = sents[first - 1].start if first > 0 and sents[first - 1].start >= before else seg.start
    after = min((o.start for o in segments if o.start >= seg.end), default=text_length)
    limit = min(after, seg.end + CONTEXT_AFTER)
    end = max([seg.end, *(x.end for x in sents if seg.end <= x.end <= limit)])
    return start, end


def _fields(text: str, seg: Segment, span: tuple[int, int], lang: str | None, published: str | None,
            document_id: int) -> tuple[dict[str, Any], list[Evidence]]:
    func, _ = field_extractor()
    if func is None:
        return {}, []
    try:
        values, evidence = func(text, span[0], span[1], lang, published, document_id, seg.type)
    except Exception as exc:  # a field extractor bug must not stop the batch
        log.warning("document %s: field extraction failed at %d-%d: %s", document_id, seg.start, seg.end, exc)
        return {}, []
    valid = [e for e in evidence if e.check(text)]
    if len(valid) < len(evidence):
        log.warning("document %s: %d field evidence spans did not match the text", document_id, len(evidence) - len(valid))
    return dict(values), valid


def _mention(text: str, seg: Segment, span: tuple[int, int], lang: str | None, published: str | None,
             document_id: int) -> Mention:
    values, evidence = _fields(text, seg, span, lang, published, document_id)
    type_evidence = _type_evidence(text, document_id, seg.candidates[0])
    model = MODEL["model"]
    judge = model.version if model is not None else RULES_VERSION
    return Mention(
        document_id=document_id, type=seg.type, by_relatives=seg.by_relatives, fields=values,
        evidence=[type_evidence, *evidence], confidence=round(seg.score, 3),
        extractor=f"{judge}+{field_extractor()[1]}", start=seg.start, end=span[1],
    )


CHUNK_CHARS = 50_000
"""Texts longer than this are analyzed in pieces cut at paragraph or sentence ends: the rules
cost more than linearly in a text's length, so a 2 MB page took 46 s and 650 MB in one piece."""


def text_chunks(text: str, size: int = CHUNK_CHARS) -> list[tuple[int, int]]:
    """``(start, end)`` pieces of ``text`` of at most ``size`` characters, each ending after a
    paragraph break, else a sentence end, else a space, when the last half of the piece has one."""
    pieces, start = [], 0
    while len(text) - start > size:
        end = start + size
        for mark in ("\n", ". ", " "):
            cut = text.rfind(mark, start + size // 2, end)
            if cut >= 0:
                end = cut + len(mark)
                break
        pieces.append((start, end))
        start = end
    pieces.append((start, len(text)))
    return pieces


def analyze_text(
    text: str, document_id: int = 0, language: str | None = None, published: str | None = None
) -> Analysis:
    """Analyze one text (no store involved): mentions and aggregates with offsets into ``text``."""
    if len(text) <= CHUNK_CHARS:
        return _analyze_piece(text, document_id, language, published)
    result = Analysis(document_id, language=language)
    for start, end in text_chunks(text, CHUNK_CHARS):
        part = _analyze_piece(text[start:end], document_id, result.language, published)
        result.gated = result.gated or part.gated
        result.language = result.language or part.language
        for m in part.mentions:
            m.start, m.end = m.start + start, m.end + start
            for e in m.evidence:
                e.start, e.end = e.start + start, e.end + start
            result.mentions.append(m)
        for a in part.aggregates:
            a.start, a.end = a.start + start, a.end + start
            result.aggregates.append(a)
    return result


def _analyze_piece(
    text: str, document_id: int, language: str | None, published: str | None
) -> Analysis:
    result = Analysis(document_id, language=language)
    view = matching_view(text)
    if MODEL["model"] is not None:
        return _analyze_with_model(text, view, result, published)
    if not passes_gate(view):
        return result
    result.gated = True
    if not language:
        from dissentwatch.language import detect_language

        language = detect_language(text)[0]
        result.language = language
    sents = split_sentences(text, language)
    candidates, result.aggregates = classify_sentences(text, view, sents, document_id)
    if not candidates and not result.aggregates and OPTIONS["embeddings"] and not has_look_alike(view):
        candidates = _embedding_candidates(sents)
    segments = segment_candidates(view, candidates)
    for seg in segments:
        span = context_span(seg, segments, sents, len(text))
        result.mentions.append(_mention(text, seg, span, language, published, document_id))
    return result


def _analyze_with_model(text: str, view: str, result: Analysis, published: str | None) -> Analysis:
    """The learned path: first stage, rule signals, the model's judgement, then segments."""
    from dissentwatch.learn.apply import model_candidates
    from dissentwatch.learn.features import document_view, needs_model

    model = MODEL["model"]
    language = result.language
    if not language:
        from dissentwatch.language import detect_language

        language = result.language = detect_language(text)[0]
    if not needs_model(view, language):
        return result
    result.gated = True
    sents = split_sentences(text, language)
    dv = document_view(text, view, sents, language, document_id=result.document_id)
    result.aggregates = dv.aggregates
    judgement = model.judge(dv, MODEL["cache"])
    result.relevance = judgement.relevant
    if judgement.relevant < model.threshold:
        return result
    candidates = model_candidates(dv, judgement, model.type_threshold)
    segments = segment_candidates(view, candidates)
    for seg in segments:
        span = context_span(seg, segments, sents, len(text))
        result.mentions.append(_mention(text, seg, span, language, published, result.document_id))
    return result


def _embedding_candidates(sents: list[Sentence]) -> list[Candidate]:
    from dissentwatch.analyze.embeddings import best_labels

    return [Candidate(label, sents[i].start, sents[i].end, sents[i].start, sents[i].end, i, False,
                      round(score - 0.5, 3), False) for i, label, score in best_labels([s.text for s in sents])]


_CJK_SENTENCE = re.compile(r"[^。！？\n]+[。！？]?")


def split_sentences(text: str, language: str | None) -> list[Sentence]:
    """Sentences of ``text``; scripts without spaces are cut at their full stops."""
    if language in {"ja", "zh"}:
        return [Sentence(m.start(), m.end(), m.group()) for m in _CJK_SENTENCE.finditer(text) if m.group().strip()]
    return sentences(text, language)


def _analyze_row(row: tuple[int, str, str | None, str | None]) -> Analysis:
    document_id, text, language, published = row
    try:
        return analyze_text(text or "", document_id, language, published)
    except Exception as exc:  # one bad document must not stop the batch
        log.error("document %s: analysis failed: %s", document_id, exc)
        return Analysis(document_id)


@dataclass
class AnalyzeStats:
    documents: int = 0
    gated: int = 0
    relevant: int = 0
    mentions: int = 0
    aggregates: int = 0
    seconds: float = 0.0
    by_type: dict[str, int] = field(default_factory=dict)

    def add(self, analysis: Analysis) -> None:
        self.documents += 1
        self.gated += analysis.gated
        self.relevant += bool(analysis.mentions)
        self.mentions += len(analysis.mentions)
        self.aggregates += len(analysis.aggregates)
        for m in analysis.mentions:
            self.by_type[m.type] = self.by_type.get(m.type, 0) + 1

    def as_dict(self) -> dict[str, Any]:
        rate = self.documents / self.seconds if self.seconds else 0.0
        return {**self.__dict__, "seconds": round(self.seconds, 3), "docs_per_second": round(rate, 1)}


Row = tuple[int, str, str | None, str | None]


def _rows(store: Store, ids: Sequence[int]) -> tuple[list[Row], dict[int, str], set[int]]:
    """Texts to analyze, their content hashes, and which of them were analyzed before."""
    marks = ",".join("?" * len(ids))
    rows = store.query(
        "SELECT d.id, d.text, d.language, d.published, d.content_hash, a.document_id AS seen FROM documents d "
        f"LEFT JOIN analysis_state a ON a.document_id = d.id WHERE d.id IN ({marks}) ORDER BY d.id", list(ids))
    return ([(r["id"], r["text"], r["language"], r["published"]) for r in rows],
            {r["id"]: r["content_hash"] for r in rows}, {r["id"] for r in rows if r["seen"] is not None})


class _Batches:
    """Analysis of one batch runs in the workers while the previous batch is written."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool

    def submit(self, rows: list[Row]) -> Any:
        if self.pool is None:
            return [_analyze_row(r) for r in rows]
        return self.pool.map_async(_analyze_row, rows, chunksize=max(1, len(rows) // 16))

    @staticmethod
    def results(pending: Any) -> list[Analysis]:
        return pending if isinstance(pending, list) else list(pending.get())


def _write_batch(store: Store, results: list[Analysis], hashes: dict[int, str], seen: set[int],
                 extractor: str, run_id: int) -> None:
    """One transaction; documents never analyzed that report nothing take one bulk insert."""
    now = utcnow()
    with store.transaction() as conn:
        quiet = [a for a in results if not a.mentions and not a.aggregates and a.document_id not in seen]
        conn.executemany(
            "INSERT INTO analysis_state (document_id, content_hash, extractor, relevant, analyzed, run_id) "
            "VALUES (?, ?, ?, 0, ?, ?)",
            [(a.document_id, hashes[a.document_id], extractor, now, run_id) for a in quiet])
        for a in results:
            if a.mentions or a.aggregates or a.document_id in seen:
                save_analysis(conn, a.document_id, hashes[a.document_id], extractor, a.mentions, a.aggregates, run_id)


def analyze_ids(store: Store, ids: Sequence[int], command: str) -> AnalyzeStats:
    """Analyze the documents ``ids`` in this process with the current model, in one run."""
    extractor, stats = extractor_name(), AnalyzeStats()
    run_id = store.start_run("analyze", command, components())
    for lo in range(0, len(ids), 500):
        rows, hashes, seen = _rows(store, ids[lo : lo + 500])
        results = [_analyze_row(r) for r in rows]
        _write_batch(store, results, hashes, seen, extractor, run_id)
        for analysis in results:
            stats.add(analysis)
    store.finish_run(run_id, "ok", stats.as_dict())
    return stats


def omp_threads(workers: int) -> str:
    """Each of ``workers`` processes' share of the cores for the OpenMP threads of the e5 encoder
    (loaded in the worker): without it every worker starts one thread per core, and two workers
    on two cores ran 1.5x slower. An OMP_NUM_THREADS the user set is kept."""
    return os.environ.get("OMP_NUM_THREADS") or str(max(1, (os.cpu_count() or 1) // max(1, workers)))


def _worker_init(workers: int) -> None:
    os.environ["OMP_NUM_THREADS"] = omp_threads(workers)


def analyze_store(
    store: Store, limit: int | None = None, batch_size: int = 500, workers: int = 1,
    command: str = "analyze", progress: ProgressFactory | None = None, embeddings: bool = False,
    model: Any = "default", executor: str = "local", scheduler: str | None = None, partition_size: int = 500,
) -> AnalyzeStats:
    """Analyze every document that needs it; one transaction per batch; the run is recorded.

    ``model`` is the learned detection model (``learn.model.DetectionModel``): "default" for the
    packaged one (the rules alone when its encoders are not installed), None for the rules alone.
    ``embeddings`` turns on the prototype-similarity fallback (``analyze.embeddings``) of the rules
    alone. Both are part of the extractor name, so switching re-analyzes. ``progress`` draws one
    stage, its total the documents to analyze.

    ``executor`` "dask" analyzes partitions of ``partition_size`` documents (id ranges) on the Dask
    ``scheduler`` (``tcp://HOST:PORT``), or on a ``LocalCluster`` of ``workers`` processes when it
    is None; this process writes each partition in one transaction (``analyze.dask_executor``).
    """
    if executor not in {"local", "dask"}:
        raise ValueError(f"executor {executor!r}: 'local' or 'dask'")
    use_model(model)
    OPTIONS["embeddings"] = embeddings and MODEL["model"] is None
    extractor = extractor_name()
    todo = documents_to_analyze(store, extractor, limit)
    run_id = store.start_run("analyze", command, components())
    stats, started = AnalyzeStats(), time.perf_counter()
    local = workers > 1 and len(todo) > batch_size and executor == "local"
    pool = multiprocessing.get_context("fork").Pool(workers, _worker_init, (workers,)) if local else None
    batches = _Batches(pool)
    status = "failed"
    bar = stage(progress, "analyze", len(todo), "docs")
    try:
        if executor == "dask":
            from dissentwatch.analyze.dask_executor import analyze_on_dask

            if todo:
                analyze_on_dask(store, todo, extractor, run_id, stats, bar, model, embeddings, scheduler,
                                workers, partition_size)
        chunks = [] if executor == "dask" else [todo[i : i + batch_size] for i in range(0, len(todo), batch_size)]
        current = _rows(store, chunks[0]) if chunks else None
        pending = batches.submit(current[0]) if current else None
        for index in range(len(chunks)):
            assert current is not None
            following = _rows(store, chunks[index + 1]) if index + 1 < len(chunks) else None
            next_pending = batches.submit(following[0]) if following else None
            results = batches.results(pending)
            _write_batch(store, results, current[1], current[2], extractor, run_id)
            for analysis in results:
                stats.add(analysis)
            bar.update(len(results))
            current, pending = following, next_pending
        status = "ok"
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    finally:
        bar.close()
        if pool is not None:
            pool.terminate()
        stats.seconds = time.perf_counter() - started
        store.finish_run(run_id, status, stats.as_dict())
    return stats


