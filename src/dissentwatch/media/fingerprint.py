"""A media fingerprint to spot re-uploads: difference hashes of frames at 1 s plus durations.

A re-encoded, rescaled or slightly cropped copy keeps the coarse light/dark layout of each
frame, so the 64-bit dHash of the frame's central area stays within a few bits. Two files are
the same video when their audio lasts as long (within 3 % or 1.5 s) and, at the best time
alignment (up to a few seconds of trimmed start), the median Hamming distance of their frame
hashes is small.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dissentwatch.media.audio import MediaInfo
from dissentwatch.media.frames import sample_frames

METHOD = "dhash64-center@1s.v1"
MAX_FRAMES = 120
MAX_DISTANCE = 10.0
MAX_SHIFT = 3
CENTER = 0.8  # hash the central 80 % of each frame: borders are what crops remove


@dataclass
class Fingerprint:
    duration: float
    audio_duration: float | None
    frame_hashes: list[str] = field(default_factory=list)  # "" for a blank frame
    method: str = METHOD

    def as_dict(self) -> dict[str, Any]:
        return {"method": self.method, "duration": self.duration,
                "audio_duration": self.audio_duration, "frame_hashes": self.frame_hashes}


def dhash(gray: np.ndarray) -> str:
    """64-bit difference hash of a grayscale image's central area, as 16 hex digits ("" if blank)."""
    import cv2

    h, w = gray.shape
    dy, dx = int(h * (1 - CENTER) / 2), int(w * (1 - CENTER) / 2)
    core = gray[dy : h - dy, dx : w - dx]
    if float(core.std()) < 4.0:
        return ""
    small = cv2.resize(core, (9, 8), interpolation=cv2.INTER_AREA).astype(np.int16)
    bits = (small[:, 1:] > small[:, :-1]).flatten()
    return f"{int(''.join('1' if b else '0' for b in bits), 2):016x}"


def hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def fingerprint(path: Path, info: MediaInfo) -> Fingerprint:
    """Hashes of one frame per second (at most ``MAX_FRAMES``) plus the durations."""
    hashes = []
    if info.has_video:
        hashes = [dhash(frame) for _, frame in sample_frames(path, 1.0, (144, 128), gray=True, limit=MAX_FRAMES)]
    return Fingerprint(round(info.duration, 2), _round(info.audio_duration), hashes)


def _round(value: float | None) -> float | None:
    return round(value, 2) if value is not None else None


def durations_close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= max(1.5, 0.03 * max(a, b))


def frame_distance(a: list[str], b: list[str]) -> tuple[float, int]:
    """(median Hamming distance, frames compared) at the best shift of up to MAX_SHIFT seconds."""
    best: tuple[float, int] = (64.0, 0)
    for shift in range(-MAX_SHIFT, MAX_SHIFT + 1):
        pairs = [(x, b[i + shift]) for i, x in enumerate(a) if 0 <= i + shift < len(b)]
        dists = [hamming(x, y) for x, y in pairs if x and y]
        if len(dists) >= min(3, len(a), len(b)) and dists:
            candidate = (float(statistics.median(dists)), len(dists))
            if candidate[0] < best[0]:
                best = candidate
    return best


def same_video(a: Fingerprint, b: Fingerprint) -> tuple[bool, float, int]:
    """(same source?, distance, frames compared) for two fingerprints."""
    if not durations_close(a.audio_duration, b.audio_duration):
        return False, 64.0, 0
    if not any(a.frame_hashes) or not any(b.frame_hashes):
        return False, 64.0, 0
    distance, count = frame_distance(a.frame_hashes, b.frame_hashes)
    return count > 0 and distance <= MAX_DISTANCE, distance, count


def from_row(row: Any) -> Fingerprint:
    return Fingerprint(row["duration"], row["audio_duration"], json.loads(row["frame_hashes"]), row["method"])
