"""How many people stand in view, and are their faces covered? Sampled frames, OpenCV detectors.

Per frame: the HOG people detector (full bodies) and the upper-body Haar cascade propose
people; frontal and profile face cascades look for faces. A face inside a person's head area
marks that person's face as visible; a face with no body around it is a person too. A person
big enough that the face cascade should have found a face (head at least ``MIN_FACE`` pixels)
but with no face is counted as *covered* (balaclava, mask, hood). A person too small to judge
is neither. Over the video, the participant count is the most frequent non-zero count, with
the first frame showing it as evidence; faces are covered when most judged people are.

This is a heuristic built only from detectors that ship inside opencv-python-headless: it
undercounts people who overlap, and it reads faces turned away as covered.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from dissentwatch.media.audio import MediaInfo
from dissentwatch.media.frames import sample_frames, scaled_size

VISION_VERSION = "opencv_hog_haar.v1"
MIN_FACE = 28
Box = tuple[int, int, int, int]


@dataclass
class FrameObservation:
    time: float
    people: int
    faces: int
    covered: int
    boxes: list[list[Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class VisionSummary:
    """The fields for an event, each with the frame time that supports it."""

    participants: int | None
    participants_time: float | None
    faces_covered: bool | None
    faces_covered_time: float | None
    frames: list[FrameObservation] = field(default_factory=list)
    detector: str = VISION_VERSION

    def as_dict(self, frames: bool = False) -> dict[str, Any]:
        data = asdict(self)
        if not frames:
            data.pop("frames")
        return data


@cache
def _detectors() -> dict[str, Any]:
    import cv2

    cv: Any = cv2
    hog = cv.HOGDescriptor()
    hog.setSVMDetector(cv.HOGDescriptor_getDefaultPeopleDetector())
    root = Path(cv.data.haarcascades)
    cascades = {name: cv.CascadeClassifier(str(root / f"haarcascade_{name}.xml"))
                for name in ("frontalface_default", "profileface", "upperbody")}
    return {"hog": hog, **cascades}


def _nms(boxes: list[Box], overlap: float = 0.4) -> list[Box]:
    """Drop boxes that mostly overlap a larger kept box."""
    kept: list[Box] = []
    for box in sorted(boxes, key=lambda b: b[2] * b[3], reverse=True):
        if all(_overlap(box, k) < overlap for k in kept):
            kept.append(box)
    return kept


def _overlap(a: Box, b: Box) -> float:
    """Intersection over the smaller box's area."""
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0, x2 - x1) * max(0, y2 - y1)
    return inter / max(1, min(a[2] * a[3], b[2] * b[3]))


def _faces(gray: np.ndarray) -> list[Box]:
    import cv2

    det = _detectors()
    found = [tuple(map(int, f)) for f in det["frontalface_default"].detectMultiScale(
        gray, scaleFactor=1.1, minNeighbors=5, minSize=(20, 20))]
    width = gray.shape[1]
    for flipped in (False, True):
        img = cv2.flip(gray, 1) if flipped else gray
        for x, y, w, h in det["profileface"].detectMultiScale(img, scaleFactor=1.1, minNeighbors=6, minSize=(20, 20)):
            found.append((int(width - x - w) if flipped else int(x), int(y), int(w), int(h)))
    return _nms(found, 0.3)  # type: ignore[arg-type]


def _bodies(frame: np.ndarray, gray: np.ndarray) -> list[tuple[Box, str]]:
    det = _detectors()
    rects, weights = det["hog"].detectMultiScale(frame, winStride=(8, 8), padding=(8, 8), scale=1.1)
    full = [tuple(map(int, r)) for r, w in zip(rects, np.ravel(weights), strict=False) if float(w) > 0.5]
    upper = [tuple(map(int, r)) for r in det["upperbody"].detectMultiScale(
        gray, scaleFactor=1.1, minNeighbors=4, minSize=(60, 60))]
    kept = _nms(full + upper, 0.5)  # type: ignore[arg-type]
    return [(b, "body" if b in full else "upper") for b in kept]


def _head_area(box: Box, kind: str) -> Box:
    x, y, w, h = box
    head_h = h // 4 if kind == "body" else h // 2
    return (x, y - head_h // 4, w, head_h + head_h // 4)


def _expected_face(box: Box, kind: str) -> float:
    return box[3] / 8 if kind == "body" else box[3] / 3


def observe_frame(frame: np.ndarray, time: float = 0.0) -> FrameObservation:
    """People, visible faces and covered faces in one BGR frame."""
    import cv2

    gray = cv2.equalizeHist(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))
    faces, bodies = _faces(gray), _bodies(frame, gray)
    used: set[int] = set()
    obs = FrameObservation(time, 0, 0, 0)
    for box, kind in bodies:
        head = _head_area(box, kind)
        match = next((i for i, f in enumerate(faces) if i not in used and _overlap(f, head) > 0.6), None)
        obs.people += 1
        if match is not None:
            used.add(match)
            obs.faces += 1
        elif _expected_face(box, kind) >= MIN_FACE:
            obs.covered += 1
        obs.boxes.append([*box, kind])
    for i, face in enumerate(faces):
        if i not in used:
            obs.people += 1
            obs.faces += 1
            obs.boxes.append([*face, "face"])
    return obs


def summarise(frames: list[FrameObservation]) -> VisionSummary:
    """The participant count and faces-covered verdict over all frames, with evidence times."""
    summary = VisionSummary(None, None, None, None, frames)
    counts = Counter(f.people for f in frames if f.people)
    if not counts:
        return summary
    best = max(counts.items(), key=lambda kv: (kv[1], kv[0]))[0]
    summary.participants = best
    summary.participants_time = next(f.time for f in frames if f.people == best)
    covered, faces = sum(f.covered for f in frames), sum(f.faces for f in frames)
    if covered + faces:
        summary.faces_covered = covered > faces
        pick = (lambda f: f.covered > 0) if summary.faces_covered else (lambda f: f.faces > 0)
        summary.faces_covered_time = next(f.time for f in frames if pick(f))
    return summary


def analyse_video(path: Path, info: MediaInfo, every: float = 2.0, max_frames: int = 300,
                  max_width: int = 640) -> VisionSummary:
    """Sample a frame every ``every`` seconds (at most ``max_frames``) and summarise them."""
    if not info.has_video:
        return VisionSummary(None, None, None, None)
    size = scaled_size(info.width, info.height, max_width)
    frames = [observe_frame(frame, t) for t, frame in sample_frames(path, every, size, limit=max_frames)]
    return summarise(frames)
