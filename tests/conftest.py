from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from dissentwatch.store import Store


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "dissentwatch.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    with Store(db_path) as s:
        yield s


@pytest.fixture
def cli(db_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Invoke the CLI against the test database: ``cli("status", "--json")``."""
    from dissentwatch.cli import main

    monkeypatch.setenv("DISSENTWATCH_DB", str(db_path))
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
        return runner.invoke(main, list(args), input=input, catch_exceptions=False)

    return invoke


@pytest.fixture(autouse=True)
def _no_model_between_tests() -> Iterator[None]:
    """``analyze_store`` sets the process's model; a test never inherits the previous test's."""
    import dissentwatch.analyze.pipeline as pipeline

    yield
    pipeline.MODEL["model"] = None
    pipeline.MODEL["cache"] = None
