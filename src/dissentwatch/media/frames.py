"""Frames out of a video at a fixed rate, decoded by ffmpeg into numpy arrays."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from dissentwatch.media import MediaError
from dissentwatch.media.audio import require


def sample_frames(path: Path, every: float, size: tuple[int, int], gray: bool = False,
                  limit: int | None = None) -> Iterator[tuple[float, np.ndarray]]:
    """(time in seconds, frame) every ``every`` seconds, scaled to ``size`` = (width, height).

    Frames are uint8 arrays, height x width (x 3, BGR, unless ``gray``).
    """
    width, height = size
    channels = 1 if gray else 3
    vf = f"fps=1/{every}:round=near,scale={width}:{height}"
    cmd = [require("ffmpeg"), "-nostdin", "-v", "error", "-i", str(path), "-an", "-vf", vf,
           "-f", "rawvideo", "-pix_fmt", "gray" if gray else "bgr24", "pipe:1"]
    if limit:
        cmd[-1:-1] = ["-frames:v", str(limit)]
    frame_bytes = width * height * channels
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None
        index = 0
        while (data := proc.stdout.read(frame_bytes)) and len(data) == frame_bytes:
            shape = (height, width) if gray else (height, width, 3)
            yield round(index * every, 3), np.frombuffer(data, np.uint8).reshape(shape)
            index += 1
        proc.stdout.close()
        errors = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
        if proc.wait() != 0 and index == 0:
            reason = (errors.strip().splitlines() or ["no frames decoded"])[-1]
            raise MediaError(f"{path}: video frames could not be decoded ({reason})")


def scaled_size(width: int | None, height: int | None, max_width: int) -> tuple[int, int]:
    """A size no wider than ``max_width`` with the file's aspect ratio, even numbers."""
    if not width or not height:
        return max_width, max_width * 9 // 16 // 2 * 2
    scale = min(1.0, max_width / width)
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)
