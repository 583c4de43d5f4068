"""Speech to text with faster-whisper, chunk by chunk, with segment timestamps.

The packaged Whisper base model is used unless another faster-whisper model directory is
given. Long files are cut into chunks (at the quietest moment near each boundary) so memory
stays flat and progress can be reported; segment times are shifted back to file time.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dissentwatch.media import MediaError
from dissentwatch.media.audio import (
    SAMPLE_RATE,
    SILENCE_RMS,
    chunks,
    extract_wav,
    probe,
    rms,
    wav_samples,
)
from dissentwatch.media.model import resolve_model_dir

log = logging.getLogger(__name__)

TRANSCRIBER_VERSION = "whisper_transcribe.v1"
_LOOP = re.compile(r"(\S.{2,80}?)(?:[\s,.;:!?-]+\1){2,}", re.DOTALL)
Progress = Callable[[float, float], None]  # (seconds done, seconds total)


@dataclass
class Segment:
    """One stretch of speech: times in seconds from the start of the file."""

    start: float
    end: float
    text: str


@dataclass
class Transcript:
    """The speech of one file, with the language used and the model that heard it."""

    language: str | None
    language_probability: float | None
    duration: float
    segments: list[Segment] = field(default_factory=list)
    model: str = ""

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segments)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _threads() -> int:
    return max(1, min(4, os.cpu_count() or 1))


class Transcriber:
    """A loaded Whisper model; ``transcribe(path)`` turns a media file into a Transcript."""

    def __init__(self, model: str | Path | None = None, compute_type: str = "int8",
                 cpu_threads: int | None = None, chunk_seconds: float = 300.0, vad: bool = True) -> None:
        self.model_dir = resolve_model_dir(model)
        self.model_name = "packaged-whisper-base" if model is None else self.model_dir.name
        self.compute_type = compute_type
        self.cpu_threads = cpu_threads or _threads()
        self.chunk_seconds = chunk_seconds
        self.vad = vad  # skip stretches without speech (Silero VAD, shipped in faster-whisper)
        self._model: Any = None

    @property
    def model(self) -> Any:
        if self._model is None:
            try:
                from faster_whisper import WhisperModel
            except ImportError as exc:
                raise MediaError("faster-whisper is not installed: pip install 'dissentwatch[media]'") from exc
            self._model = WhisperModel(str(self.model_dir), device="cpu", compute_type=self.compute_type,
                                       cpu_threads=self.cpu_threads, local_files_only=True)
        return self._model

    @property
    def version(self) -> str:
        return f"{TRANSCRIBER_VERSION}:{self.model_name}"

    def transcribe(self, path: Path, language: str | None = None, progress: Progress | None = None) -> Transcript:
        """Transcribe the first audio stream of ``path``; ``language`` None or "auto" detects it."""
        info = probe(path)
        if not info.has_audio:
            raise MediaError(f"{path}: has no audio stream, nothing to transcribe")
        with tempfile.TemporaryDirectory(prefix="dissentwatch-audio-") as tmp:
            samples = wav_samples(extract_wav(path, Path(tmp) / "audio.wav"))
            duration = len(samples) / SAMPLE_RATE
            if rms(samples) < SILENCE_RMS:
                raise MediaError(f"{path}: the audio is silent ({duration:.1f} s), nothing to transcribe")
            return self.transcribe_samples(samples, None if language == "auto" else language, progress)

    def transcribe_samples(self, samples: np.ndarray, language: str | None = None,
                           progress: Progress | None = None) -> Transcript:
        """Transcribe int16 16 kHz samples in chunks; the language found in chunk 1 holds for all."""
        duration = len(samples) / SAMPLE_RATE
        result = Transcript(language, None, duration, model=self.version)
        for offset, chunk in chunks(samples, self.chunk_seconds):
            segments, info = self.model.transcribe(
                chunk, language=result.language, beam_size=5, temperature=(0.0, 0.4, 0.8),
                condition_on_previous_text=False, vad_filter=self.vad)
            chunk_end = len(chunk) / SAMPLE_RATE
            result.segments.extend(clean_segments(segments, offset, chunk_end))
            if result.language is None or result.language_probability is None:
                result.language = result.language or info.language
                result.language_probability = round(float(info.language_probability), 3)
            if progress:
                progress(min(duration, offset + chunk_end), duration)
        return result


def clean_segments(segments: Any, offset: float, chunk_end: float) -> list[Segment]:
    """Segments shifted to file time; empty ones, ones past the chunk's end and loops dropped."""
    kept: list[Segment] = []
    for seg in segments:
        text = collapse_loops(" ".join(str(seg.text).split()))
        if not text or seg.start >= chunk_end:
            continue
        if kept and kept[-1].text == text:  # a decoding loop repeats the same line
            continue
        end = min(float(seg.end), chunk_end)
        kept.append(Segment(round(offset + float(seg.start), 2), round(offset + end, 2), text))
    return kept


def collapse_loops(text: str) -> str:
    """A phrase repeated three or more times in a row (a decoding loop) is kept once."""
    return _LOOP.sub(r"\1", text)
