"""The detection model: per encoder, four calibrated heads over vectors and rule signals.

- ``relevant``: does the document report at least one event (document vector + rule signals)
- ``doc_types``: which event types it reports (one-vs-rest, multi-label)
- ``sentence``: does a sentence carry an event (sentence vector + its rule signals)
- ``sentence_type``: of what type (softmax over the eight types)

An artefact is a directory: ``model.json`` (labels, thresholds, versions, the training data's
hash, out-of-fold scores) and ``weights.npz``. The default one ships in the package.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from dissentwatch.learn.encoders import VectorCache, encoder, encoder_for
from dissentwatch.learn.features import FEATURES_VERSION, DocumentView, rule_names
from dissentwatch.learn.heads import LinearHead
from dissentwatch.models import EVENT_TYPES

log = logging.getLogger(__name__)

MODEL_FORMAT = 1
HEADS = ("relevant", "doc_types", "sentence", "sentence_type")


class ModelError(Exception):
    """A model directory that cannot be read, naming the file and what is wrong."""


@dataclass
class Judgement:
    """What the model says of one document."""

    relevant: float
    doc_types: dict[str, float]
    sentences: np.ndarray        # P(event) per model sentence
    sentence_types: np.ndarray   # (n, 8) type distribution per model sentence
    encoder: str = ""


@dataclass
class DetectionModel:
    heads: dict[str, dict[str, LinearHead]]   # encoder -> head name -> head
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def encoders(self) -> tuple[str, ...]:
        return tuple(self.heads)

    @property
    def threshold(self) -> float:
        return float(self.meta.get("thresholds", {}).get("relevant", 0.5))

    @property
    def type_threshold(self) -> float:
        return float(self.meta.get("thresholds", {}).get("doc_types", 0.5))

    @property
    def version(self) -> str:
        return str(self.meta.get("version", "model:unknown"))

    def judge(self, view: DocumentView, cache: VectorCache | None = None) -> Judgement:
        kind = encoder_for(view.language, self.encoders)
        texts = [view.doc_text, *view.sentence_texts()]
        if cache is not None:
            vectors = cache.embed(kind, texts)
        else:
            enc = encoder(kind)
            assert enc is not None
            vectors = enc.encode(texts)
        return self.judge_vectors(kind, view, vectors[0], vectors[1:])

    def judge_vectors(self, kind: str, view: DocumentView, doc_vector: np.ndarray,
                      sentence_vectors: np.ndarray) -> Judgement:
        heads = self.heads[kind]
        doc_x = np.concatenate([doc_vector, view.doc_signals])[None, :]
        document = float(heads["relevant"].predict(doc_x)[0, 0])
        doc_types = dict(zip(EVENT_TYPES, heads["doc_types"].predict(doc_x)[0].tolist(), strict=True))
        if len(sentence_vectors):
            sx = np.concatenate([sentence_vectors, view.sentence_signals], axis=1)
            sentences = heads["sentence"].predict(sx)[:, 0]
            sentence_types = heads["sentence_type"].predict(sx)
        else:
            sentences, sentence_types = np.zeros(0), np.zeros((0, len(EVENT_TYPES)))
        # the document head reads the whole text, the sentence head the one sentence that carries
        # the event: a long article with one report in it, or a short post, needs both
        best = float(sentences.max()) if len(sentences) else 0.0
        relevant = (document + best) / 2 if self.meta.get("relevance") else document
        return Judgement(relevant, doc_types, sentences, sentence_types, kind)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {}
        for kind, heads in self.heads.items():
            for name, head in heads.items():
                arrays.update(head.arrays(f"{kind}.{name}"))
        np.savez_compressed(directory / "weights.npz", **arrays)  # type: ignore[arg-type]
        weights = hashlib.sha256((directory / "weights.npz").read_bytes()).hexdigest()
        # the version names what judges: the weights (their values: the file also holds the time
        # it was written), the thresholds and how the heads combine, so that a retrained or
        # re-thresholded model re-analyzes the documents it judged, and a model fitted again to
        # the same data keeps its version
        values = hashlib.sha256()
        for name in sorted(arrays):
            values.update(f"{name}:{arrays[name].dtype}:{arrays[name].shape}".encode())
            values.update(np.ascontiguousarray(arrays[name]).tobytes())
        judging = json.dumps([values.hexdigest(), self.meta.get("thresholds"), self.meta.get("relevance")],
                             sort_keys=True)
        self.meta["version"] = f"detect_model.v2.{hashlib.sha256(judging.encode()).hexdigest()[:10]}"
        meta = {**self.meta, "format": MODEL_FORMAT, "encoders": list(self.heads),
                "labels": {f"{k}.{n}": h.labels for k, hs in self.heads.items() for n, h in hs.items()},
                "weights_sha256": weights}
        (directory / "model.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", "utf-8")


def load_model(directory: Path) -> DetectionModel:
    """The model saved in ``directory``; :class:`ModelError` names what is missing or wrong."""
    meta_path, weights_path = directory / "model.json", directory / "weights.npz"
    for path in (meta_path, weights_path):
        if not path.is_file():
            raise ModelError(f"{path}: missing (a model directory holds model.json and weights.npz)")
    try:
        meta = json.loads(meta_path.read_text("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelError(f"{meta_path}: not JSON: {exc}") from exc
    if meta.get("format") != MODEL_FORMAT:
        raise ModelError(f"{meta_path}: model format {meta.get('format')!r}, this version reads {MODEL_FORMAT}")
    if meta.get("features") != FEATURES_VERSION or meta.get("rule_signals") != rule_names():
        raise ModelError(f"{meta_path}: trained on other features ({meta.get('features')}); retrain it")
    digest = hashlib.sha256(weights_path.read_bytes()).hexdigest()
    if digest != meta.get("weights_sha256"):
        raise ModelError(f"{weights_path}: does not match model.json (sha256 {digest[:12]}…)")
    with np.load(weights_path) as data:
        arrays = {k: data[k] for k in data.files}
    heads: dict[str, dict[str, LinearHead]] = {}
    try:
        for kind in meta["encoders"]:
            heads[kind] = {name: LinearHead.from_arrays(f"{kind}.{name}", arrays, meta["labels"][f"{kind}.{name}"],
                                                        name == "sentence_type") for name in HEADS}
    except KeyError as exc:
        raise ModelError(f"{weights_path}: no weights for {exc}") from exc
    return DetectionModel(heads, meta)


def default_model_dir() -> Path:
    return Path(str(resources.files("dissentwatch.learn").joinpath("data/model")))


@cache
def default_model() -> DetectionModel | None:
    """The packaged model, or None when it is absent or its encoders are not installed."""
    try:
        model = load_model(default_model_dir())
    except ModelError as exc:
        log.warning("the packaged model cannot be used: %s", exc)
        return None
    if not any(encoder(kind) is not None for kind in model.encoders):
        log.warning("no encoder of the packaged model is installed (extra 'nlp'); analyze uses the rules alone")
        return None
    return model
