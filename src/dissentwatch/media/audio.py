"""Sound out of a media file: probe it with ffprobe, decode it with ffmpeg to 16 kHz mono.

ffmpeg and ffprobe are the Debian programs, run as subprocesses. Decoded audio is read as
float32 samples in chunks, so a two-hour video never sits in memory whole.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dissentwatch.media import MediaError

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
SILENCE_RMS = 1e-3  # about -60 dBFS: below this a file has nothing to transcribe


@dataclass
class MediaInfo:
    """What ffprobe says about a file."""

    path: str
    duration: float
    has_audio: bool
    has_video: bool
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    audio_duration: float | None = None
    format: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def require(program: str) -> str:
    """The full path of ``program``, or a clear error saying how to install it."""
    found = shutil.which(program)
    if not found:
        raise MediaError(f"{program} is not installed (apt-get install ffmpeg)")
    return found


def _ratio(value: str | None) -> float | None:
    if not value or "/" not in value:
        return None
    num, den = value.split("/", 1)
    return float(num) / float(den) if float(den) else None


def probe(path: Path) -> MediaInfo:
    """Streams and duration of ``path``; a MediaError naming the file when it is unreadable."""
    if not path.is_file():
        raise MediaError(f"{path}: no such file")
    cmd = [require("ffprobe"), "-v", "error", "-print_format", "json", "-show_format",
           "-show_streams", str(path)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["unknown error"])[-1]
        raise MediaError(f"{path}: not a readable audio/video file ({reason})")
    data = json.loads(done.stdout or "{}")
    return _media_info(path, data)


def _media_info(path: Path, data: dict[str, Any]) -> MediaInfo:
    streams = data.get("streams", [])
    audio = [s for s in streams if s.get("codec_type") == "audio"]
    video = [s for s in streams if s.get("codec_type") == "video"
             and not s.get("disposition", {}).get("attached_pic")]
    fmt = data.get("format", {})
    duration = float(fmt.get("duration") or 0.0)
    if not audio and not video:
        raise MediaError(f"{path}: no audio or video stream (format {fmt.get('format_name', '?')})")
    info = MediaInfo(str(path), duration, bool(audio), bool(video), format=fmt.get("format_name"))
    if video:
        info.width, info.height = video[0].get("width"), video[0].get("height")
        info.fps = _ratio(video[0].get("avg_frame_rate"))
    if audio and audio[0].get("duration"):
        info.audio_duration = float(audio[0]["duration"])
    elif audio:
        info.audio_duration = duration
    return info


def extract_wav(path: Path, out: Path) -> Path:
    """Decode the first audio stream of ``path`` to a 16 kHz mono 16-bit WAV file ``out``."""
    cmd = [require("ffmpeg"), "-nostdin", "-v", "error", "-y", "-i", str(path), "-vn", "-map", "0:a:0",
           "-ac", "1", "-ar", str(SAMPLE_RATE), "-c:a", "pcm_s16le", "-f", "wav", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0 or not out.is_file() or out.stat().st_size <= 44:
        reason = (done.stderr.strip().splitlines() or ["no audio decoded"])[-1]
        raise MediaError(f"{path}: audio could not be decoded ({reason})")
    return out


def _data_offset(wav: Path) -> tuple[int, int]:
    """(offset, size) of the ``data`` chunk of a PCM WAV file."""
    with open(wav, "rb") as f:
        header = f.read(12)
        if header[:4] != b"RIFF" or header[8:12] != b"WAVE":
            raise MediaError(f"{wav}: not a WAV file")
        while chunk := f.read(8):
            size = int.from_bytes(chunk[4:8], "little")
            if chunk[:4] == b"data":
                return f.tell(), size
            f.seek(size + (size & 1), 1)
    raise MediaError(f"{wav}: WAV file without data")


def wav_samples(wav: Path) -> np.ndarray:
    """The samples of a 16-bit mono WAV as a read-only memory map (no copy into memory)."""
    offset, size = _data_offset(wav)
    available = wav.stat().st_size - offset
    count = max(0, min(size if size != 0xFFFFFFFF else available, available)) // 2
    return np.memmap(wav, dtype="<i2", mode="r", offset=offset, shape=(count,))


def rms(samples: np.ndarray) -> float:
    """Root mean square of int16 samples scaled to [-1, 1], computed in blocks."""
    if len(samples) == 0:
        return 0.0
    total = 0.0
    for start in range(0, len(samples), SAMPLE_RATE * 60):
        block = samples[start : start + SAMPLE_RATE * 60].astype(np.float64) / 32768.0
        total += float(np.dot(block, block))
    return float(np.sqrt(total / len(samples)))


def _quietest_cut(samples: np.ndarray, around: int, window: int) -> int:
    """The start of the quietest 0.1 s inside ``[around - window, around]``: a cut between words."""
    lo = max(0, around - window)
    region = samples[lo:around].astype(np.float32)
    step = SAMPLE_RATE // 10
    if len(region) < step * 2:
        return around
    frames = len(region) // step
    energy = (region[: frames * step].reshape(frames, step) ** 2).mean(axis=1)
    return lo + int(np.argmin(energy)) * step + step // 2


def chunks(samples: np.ndarray, seconds: float, search: float = 5.0) -> Iterator[tuple[float, np.ndarray]]:
    """(start time, float32 samples) pieces of about ``seconds``, cut in the quietest spot."""
    size, window = int(seconds * SAMPLE_RATE), int(search * SAMPLE_RATE)
    start = 0
    while start < len(samples):
        end = len(samples) if len(samples) - start <= size + window else _quietest_cut(samples, start + size, window)
        yield start / SAMPLE_RATE, np.asarray(samples[start:end], dtype=np.float32) / 32768.0
        start = end
