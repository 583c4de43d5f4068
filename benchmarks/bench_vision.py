"""How well does the vision heuristic count people and tell covered faces? Measured on clips
made here: rows of 1-5 people built from the two photographs of real people that ship inside
scikit-image (``astronaut``, ``camera``), faces bare or painted over with a dark balaclava
with an eye slit, encoded to H.264 and read back through ``analyse_video``.

This measures the detectors on studio-like portraits pasted side by side, not on real
phone videos of hooded men outdoors: treat the figures as an upper bound.

    /work/venv/bin/python benchmarks/bench_vision.py [WIDTH]   (needs scikit-image for the photos)
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def people_tiles() -> list[tuple[np.ndarray, tuple[int, int, int, int]]]:
    """(portrait tile, face box in the tile) for the two photographs."""
    import cv2
    from skimage import data

    astronaut = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)[0:512, 60:400]
    camera = cv2.cvtColor(data.camera(), cv2.COLOR_GRAY2BGR)[0:512, 90:390]
    return [(astronaut, (177 - 60, 67, 93, 93)), (camera, (185 - 90, 111, 82, 82))]


def balaclava(tile: np.ndarray, face: tuple[int, int, int, int]) -> np.ndarray:
    import cv2

    out = tile.copy()
    x, y, w, h = face
    center, axes = (x + w // 2, y + h // 2), (int(w * 0.75), int(h * 0.95))
    eyes = out[y + h // 4 : y + h // 4 + h // 5, x + w // 8 : x + w - w // 8].copy()
    cv2.ellipse(out, center, axes, 0, 0, 360, (28, 30, 32), -1)
    out[y + h // 4 : y + h // 4 + h // 5, x + w // 8 : x + w - w // 8] = eyes
    return out


def scene(people: int, covered: bool) -> np.ndarray:
    """A row of ``people`` portraits filling the width of a 1280x720 frame, as appeals are filmed."""
    import cv2

    rng = np.random.default_rng(people * 10 + covered)
    canvas = rng.integers(90, 150, size=(720, 1280, 3), dtype=np.uint8)
    canvas = cv2.GaussianBlur(canvas, (0, 0), 6)
    tiles = people_tiles()
    height = min(640, int(1200 / (people * 0.63)))  # tiles are about 0.63 as wide as tall
    x = 40
    for i in range(people):
        tile, face = tiles[i % 2]
        tile = balaclava(tile, face) if covered else tile
        scale = height / tile.shape[0]
        tile = cv2.resize(tile, None, fx=scale, fy=scale)
        canvas[720 - height : 720, x : x + tile.shape[1]] = tile[:, : 1280 - x]
        x += tile.shape[1] - 10
    return canvas


def encode(frame: np.ndarray, path: Path, seconds: int = 4) -> None:
    h, w = frame.shape[:2]
    cmd = ["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{w}x{h}", "-r", "5",
           "-i", "pipe:0", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "26", str(path)]
    rng = np.random.default_rng(1)
    frames = []
    for _ in range(seconds * 5):  # light sensor noise so frames differ
        noise = rng.integers(-6, 7, size=frame.shape, dtype=np.int16)
        frames.append(np.clip(frame.astype(np.int16) + noise, 0, 255).astype(np.uint8).tobytes())
    subprocess.run(cmd, input=b"".join(frames), check=True)


def main() -> None:
    try:
        import skimage  # noqa: F401
    except ImportError:
        sys.exit("needs scikit-image for its sample photographs: pip install scikit-image")
    from dissentwatch.media.audio import probe
    from dissentwatch.media.vision import analyse_video

    width = int(sys.argv[1]) if len(sys.argv) > 1 else 640  # frame width the detectors see

    rows = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for people in range(1, 6):
            for covered in (False, True):
                path = Path(tmp) / f"p{people}_{int(covered)}.mp4"
                frame = scene(people, covered)
                encode(frame, path)
                summary = analyse_video(path, probe(path), every=1.0, max_width=width)
                rows.append((people, covered, summary.participants, summary.faces_covered))
    seconds = time.perf_counter() - started
    print("people  covered | estimated  covered?")
    for people, covered, est, verdict in rows:
        print(f"{people:6d}  {covered!s:7} | {est!s:9}  {verdict!s}")
    exact = sum(est == p for p, _, est, _ in rows)
    mae = np.mean([abs((est or 0) - p) for p, _, est, _ in rows])
    verdicts = sum(v == c for _, c, _, v in rows)
    print(f"\nframes analysed at {width} px wide; clips: {len(rows)} ({seconds:.1f} s)  people count exact: {exact}/{len(rows)}  "
          f"mean abs error: {mae:.2f}  faces-covered verdict right: {verdicts}/{len(rows)}")
    for covered in (False, True):
        sub = [r for r in rows if r[1] == covered]
        print(f"  faces {'covered' if covered else 'bare   '}: count exact {sum(r[2] == r[0] for r in sub)}/{len(sub)}, "
              f"verdict right {sum(r[3] == covered for r in sub)}/{len(sub)}")


if __name__ == "__main__":
    main()
