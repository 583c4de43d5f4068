"""dissentwatch: track soldiers' public appeals, refusals, mutinies and desertions from open sources."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

__version__ = "0.1.0"


@cache
def packaged_json(name: str) -> Any:
    """A data file shipped in ``dissentwatch/data`` (gazetteers, vocabularies, settings), parsed
    once per process. Callers read it; none may change it."""
    return json.loads(resources.files("dissentwatch").joinpath(f"data/{name}").read_text("utf-8"))
