"""Progress of long stages (analyze, resolve): a stage knows its total, the caller draws it.

Library functions take a :data:`ProgressFactory` (or None, the default: silent) and open one
:class:`Stage` per long step with its total counted beforehand; the CLI passes
:func:`terminal_progress`, tqdm bars on stderr with the total and an ETA, only when stderr is a
terminal and ``-q`` was not given.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, Protocol


class Stage(Protocol):
    """One step of a run: ``update(n)`` as items are done, ``close()`` at the end."""

    def update(self, n: int = 1) -> object: ...

    def close(self) -> None: ...


ProgressFactory = Callable[[str, int | None, str], Stage]
"""``factory(what, total, unit)`` opens a stage of ``total`` items."""


class _Silent:
    def update(self, n: int = 1) -> None:
        return None

    def close(self) -> None:
        return None


def stage(progress: ProgressFactory | None, what: str, total: int | None, unit: str) -> Stage:
    """A stage of ``progress``, or one that draws nothing."""
    return progress(what, total, unit) if progress is not None else _Silent()


def terminal_progress(what: str, total: int | None, unit: str) -> Stage:
    """A tqdm bar on stderr: ``analyze:  40%|████      | 400/1000 [00:02<00:03, 180.2 docs/s]``
    (without a total: the count and the rate)."""
    from tqdm import tqdm

    bar: Stage = tqdm(desc=what, total=total, unit=f" {unit}", file=sys.stderr, mininterval=0.5, leave=True,
                      **terminal_size())
    return bar


def terminal_size() -> dict[str, Any]:
    """tqdm's size options for stderr. A terminal that reports no size (a fresh pseudo-terminal,
    some CI runners) says 0 columns and 0 rows, and tqdm would draw nothing at all."""
    try:
        size = os.get_terminal_size(sys.stderr.fileno())
    except (OSError, ValueError):
        return {"ncols": 100, "nrows": 24}
    if size.columns and size.lines:
        return {"dynamic_ncols": True}
    return {"ncols": size.columns or 100, "nrows": size.lines or 24}


def progress_for(quiet: bool) -> ProgressFactory | None:
    """Bars when stderr is a terminal and ``-q`` was not given; else None (nothing drawn)."""
    return terminal_progress if not quiet and sys.stderr.isatty() else None
