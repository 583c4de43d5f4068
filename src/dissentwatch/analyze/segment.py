"""Segmentation: sentence candidates → one span per distinct event of a document.

Candidates of the same type (and the same actor: soldiers or relatives) are one event unless a
new anchor separates them: another unit number, another date, or an explicit "another video".
Unspecified appeals become video appeals when a video is near, are folded into a video appeal
of the same document, or else count as written appeals. A prosecution absorbs the refusal or
desertion it punishes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dissentwatch.analyze.lexicons import search

SEGMENT_VERSION = "segment_anchors.v1"
_UNIT_NOUN = (
    r"(?:полк|бригад|батальон|дивизи|отряд|рот[аыуе]|regiment|brigade|battalion|division|"
    r"r[ée]giment|bataillon|brigad|pułk|бригади|полку)"
)
_UNIT_NUMBER = re.compile(
    r"(?<![\w/])(\d{1,4})(?:-?(?:й|я|го|ой|ая|ей|ого|th|st|nd|rd|e|ème|\.))?\s+(?:[\w-]+\s+){0,3}?" + _UNIT_NOUN
    + r"|(?:в/ч|воинск\w+ част\w+|military unit|jednostki wojskowej)\s*(?:№\s*)?(\d{4,5})"
)
UNIT_ANCHOR = _UNIT_NUMBER
_MONTHS = (
    r"(?:январ|феврал|март|апрел|ма[яй]|июн|июл|август|сентябр|октябр|ноябр|декабр|січн|лют|березн|квітн|травн|"
    r"червн|липн|серпн|вересн|жовтн|листопад|грудн|january|february|march|april|may|june|july|august|september|"
    r"october|november|december|janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[uû]t|septembre|octobre|"
    r"novembre|d[ée]cembre)\w*"
)
_REGION = re.compile(
    r"(?<!\w)(\w{3,}?)(?:ской|цкой|ская|ской|ської|цької|ська) (?:област|обл|края|краю|республик)"
    r"|(?<!\w)(\w{4,}) (?:region|oblast|krai)\b|r[ée]gion (?:de |d')(\w{4,})"
)
_DATE = re.compile(rf"(?<!\w)(\d{{1,2}})(?:-?(?:го|е|er))?\s+{_MONTHS}|(?<!\w){_MONTHS}\s+(\d{{1,2}})(?!\d)")


@dataclass
class Candidate:
    """One sentence that reports an event of ``type``."""

    type: str
    start: int
    end: int
    trigger_start: int
    trigger_end: int
    sentence_index: int
    by_relatives: bool = False
    score: float = 0.6
    subject_known: bool = True  # soldiers or relatives are named before the trigger


@dataclass
class Segment:
    """The sentences that report one event."""

    type: str
    by_relatives: bool
    candidates: list[Candidate] = field(default_factory=list)
    units: set[str] = field(default_factory=set)
    dates: set[str] = field(default_factory=set)
    regions: set[str] = field(default_factory=set)

    @property
    def start(self) -> int:
        return min(c.start for c in self.candidates)

    @property
    def end(self) -> int:
        return max(c.end for c in self.candidates)

    @property
    def score(self) -> float:
        return max(c.score for c in self.candidates)


def anchors(view: str, start: int, end: int) -> tuple[set[str], set[str], set[str]]:
    """Unit numbers, day-month dates and home regions (their stems) named in ``view[start:end]``."""
    units = {m.group(1) or m.group(2) for m in _UNIT_NUMBER.finditer(view, start, end)}
    dates = {m.group(0) for m in _DATE.finditer(view, start, end)}
    regions = {(m.group(1) or m.group(2) or m.group(3))[:5] for m in _REGION.finditer(view, start, end)}
    return units, dates, regions


WEAK_APPEALS = frozenset({"video_weak", "appeal_unit", "appeal_complaint"})
"""Appeals read from soldiers speaking, a unit quoted or a complaint reported: they count only in
a document about appeals (:func:`_resolve_weak`)."""
_WEAK = {"appeal_unspecified", *WEAK_APPEALS}


def _resolve_weak(view: str, candidates: list[Candidate]) -> list[Candidate]:
    """Weak appeals count only in a document about appeals (an appeal trigger somewhere in it)."""
    strong = [c for c in candidates if c.type in {"video_appeal", "written_appeal"}]
    context = bool(strong or search("appeal", view) or search("strong_video_appeal", view))
    if not context and search("media_speech", view):
        # soldiers talking to the press: the complaints they report are public ones
        candidates = [c for c in candidates if c.type not in WEAK_APPEALS - {"appeal_complaint"}]
        context = any(c.type == "appeal_complaint" for c in candidates)
    if not context:
        return [c for c in candidates if c.type not in WEAK_APPEALS]
    video = any(c.type == "video_appeal" for c in strong) or (not strong and search("video", view))
    dominant = "video_appeal" if video else "written_appeal"
    for c in candidates:
        if c.type == "video_weak":
            c.type = "video_appeal"
        elif c.type in WEAK_APPEALS:
            c.type = dominant
    return candidates


def _resolve_unspecified(view: str, candidates: list[Candidate]) -> list[Candidate]:
    candidates = _resolve_weak(view, candidates)
    has_video = any(c.type == "video_appeal" for c in candidates)
    has_other = any(c.type not in {"video_appeal", "written_appeal", "appeal_unspecified"} for c in candidates)
    speakers = {c.by_relatives for c in candidates if c.type in {"video_appeal", "written_appeal"}}
    resolved = []
    for c in candidates:
        if c.type == "appeal_unspecified":
            if has_other or c.by_relatives in speakers:
                continue  # complaints told within another event's report
            c.type = "video_appeal" if has_video else "written_appeal"
        resolved.append(c)
    if any(c.type == "prosecution" for c in resolved):
        resolved = [c for c in resolved if c.type not in {"refusal", "desertion"}]
    return resolved


FAR = 3  # sentences between two reports beyond which a new anchor starts a new event


def _conflicts(segment: Segment, c: Candidate, anchors: tuple[set[str], set[str], set[str]], fresh: bool) -> bool:
    units, dates, regions = anchors
    if fresh or (regions and segment.regions and not regions & segment.regions):
        return True
    far = c.sentence_index - segment.candidates[-1].sentence_index > FAR
    if units and ((segment.units and not units & segment.units) or (not segment.units and far)):
        return True
    return bool(dates and segment.dates and not dates & segment.dates)


def segment_candidates(view: str, candidates: list[Candidate]) -> list[Segment]:
    """Group candidates into segments, one per distinct event."""
    segments: list[Segment] = []
    for c in sorted(_resolve_unspecified(view, candidates), key=lambda c: c.start):
        found = anchors(view, c.start, c.end)
        fresh = search("new_anchor", view, c.start, c.end) is not None
        # a weak report of unclear subject joins the event of its type whoever speaks there
        same = [s for s in segments if s.type == c.type and (s.by_relatives == c.by_relatives or not c.subject_known)]
        target = same[-1] if same and not _conflicts(same[-1], c, found, fresh) else None
        if target is None:
            target = Segment(c.type, c.by_relatives)
            segments.append(target)
        target.candidates.append(c)
        target.units |= found[0]
        target.dates |= found[1]
        target.regions |= found[2]
    return segments
