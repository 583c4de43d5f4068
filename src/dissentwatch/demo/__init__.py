"""The bundled demo corpus: invented, illustrative texts (see README.md in this folder)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def demo_paths() -> tuple[Path, Path]:
    """(the demo Telegram export's result.json, the folder of demo articles)."""
    root = Path(str(resources.files("dissentwatch.demo")))
    return root / "telegram" / "result.json", root / "articles"
