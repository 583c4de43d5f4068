"""From the model's judgement of a document to the candidates the segmenter groups into events.

A document below the relevance threshold reports nothing, whatever the rules found. Above it:
every rule candidate is kept and typed by the model (its sentence's type distribution, blended
with the document's types); where the rules found nothing, the sentence the model rates highest
carries the event, unless it is only a count statement (an aggregate, not an occurrence); a type
the document is confidently about that no candidate has is added at the sentence that carries it
best, if the model rates that sentence as carrying an event. The quote of each event stays the
sentence that carries it: no event is placed on a sentence the model does not believe carries one.
"""

from __future__ import annotations

import numpy as np

from dissentwatch.analyze.classify import APPEAL_TYPES
from dissentwatch.analyze.segment import Candidate
from dissentwatch.learn.features import DocumentView
from dissentwatch.learn.model import Judgement
from dissentwatch.models import EVENT_TYPES

APPLY_VERSION = "learn_apply.v2"  # part of analyze's version stamp: a change re-analyzes
# Typing weights, chosen out of fold (eval --cv 5): sentence 0.3 / rule 1.0 against 0.6 / 0.3
# raised type macro-F1 from 0.44 to 0.47 on all records, and from 0.35 to 0.38 on the records no
# rule was written against (--not-scored dev.jsonl); relevance is unchanged.
SENTENCE_WEIGHT = 0.3  # the sentence's own type distribution against the document's
RULE_WEIGHT = 1.0      # how much a rule candidate's own (specific) type adds to the model's
EXTRA_TYPES = True     # add the document's confident types that no candidate carries
SENTENCE_THRESHOLD = 0.5  # an added type's sentence must itself be judged to carry an event


def _type_scores(judgement: Judgement, row: int | None) -> np.ndarray:
    doc = np.asarray([judgement.doc_types[t] for t in EVENT_TYPES])
    doc = doc / max(doc.sum(), 1e-9)
    if row is None or not len(judgement.sentence_types):
        return doc
    return np.asarray(SENTENCE_WEIGHT * judgement.sentence_types[row] + (1 - SENTENCE_WEIGHT) * doc)


def model_candidates(dv: DocumentView, judgement: Judgement, type_threshold: float) -> list[Candidate]:
    """Candidates of a relevant document, typed by the model."""
    row_of = {index: row for row, index in enumerate(dv.model_sentences)}
    score = round(judgement.relevant, 3)
    out: list[Candidate] = []
    for c in dv.candidates:
        kind = c.type
        if kind in EVENT_TYPES:
            scores = _type_scores(judgement, row_of.get(c.sentence_index))
            scores = scores + RULE_WEIGHT * (np.asarray(EVENT_TYPES) == kind)
            kind = EVENT_TYPES[int(scores.argmax())]
        # an unspecified or weak appeal stays as the rules read it: the segmenter decides it from
        # the rest of the document (an appeal told within another event's report is not one)
        out.append(Candidate(kind, c.start, c.end, c.trigger_start, c.trigger_end,
                             c.sentence_index, c.by_relatives, score, c.subject_known))
    if not len(judgement.sentences):
        return out
    counts = _count_rows(dv)
    if not out:
        row = int(judgement.sentences.argmax())
        if row not in counts:
            out.append(_at_row(dv, judgement, row, None, score))
    have = {c.type for c in out}
    if have & APPEAL_TYPES:  # an appeal the rules read: the segmenter decides video or written
        have |= {"video_appeal", "written_appeal"}
    for j, kind in enumerate(EVENT_TYPES):
        if EXTRA_TYPES and kind not in have and judgement.doc_types[kind] >= type_threshold:
            row = int((judgement.sentences * judgement.sentence_types[:, j]).argmax())
            carries = judgement.sentences[row] >= SENTENCE_THRESHOLD and judgement.sentence_types[row].argmax() == j
            taken = dv.model_sentences[row] in {c.sentence_index for c in dv.candidates}
            if carries and row not in counts and not taken:
                out.append(_at_row(dv, judgement, row, kind, score))
    return out


def _count_rows(dv: DocumentView) -> set[int]:
    """Model rows whose sentence is mostly a count statement the aggregate rules read."""
    rows = set()
    for row, index in enumerate(dv.model_sentences):
        s = dv.sentences[index]
        covered = sum(max(0, min(a.end, s.end) - max(a.start, s.start)) for a in dv.aggregates)
        if covered >= 0.6 * max(1, s.end - s.start):
            rows.add(row)
    return rows


def _at_row(dv: DocumentView, judgement: Judgement, row: int, kind: str | None, score: float) -> Candidate:
    index = dv.model_sentences[row]
    s = dv.sentences[index]
    if kind is None:
        kind = EVENT_TYPES[int(_type_scores(judgement, row).argmax())]
    return Candidate(kind, s.start, s.end, s.start, s.end, index, False, score, False)
