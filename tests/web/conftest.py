from __future__ import annotations

import re
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")
pytest.importorskip("argon2")

from starlette.testclient import TestClient  # noqa: E402

from dissentwatch.store import Store  # noqa: E402
from dissentwatch.web import auth  # noqa: E402
from dissentwatch.web.app import create_app  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from dw_seed import seed  # noqa: E402

PASSWORDS = {"ana": "analyst-pass-1", "vic": "viewer-pass-1", "adm": "admin-pass-1"}
ROLES = {"ana": "analyst", "vic": "viewer", "adm": "admin"}


@pytest.fixture
def seeded_db(tmp_path: Path) -> Path:
    path = tmp_path / "web.db"
    with Store(path) as store:
        seed(store)
        for name, password in PASSWORDS.items():
            auth.add_user(store, name, ROLES[name], password)
    return path


def login(client: TestClient, name: str, password: str | None = None) -> str:
    """Log in through the form; returns the session's CSRF token (from a page)."""
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token
    response = client.post("/login", data={"csrf": token.group(1), "name": name,
                                           "password": password or PASSWORDS[name], "next": "/"},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    return csrf_of(client)


def csrf_of(client: TestClient) -> str:
    found = re.search(r'data-csrf="([^"]+)"', client.get("/events").text)
    assert found
    return found.group(1)


@pytest.fixture
def app_client(seeded_db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(seeded_db), base_url="http://127.0.0.1") as client:
        yield client


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(db: Path, **app_options: Any) -> Iterator[str]:
    """The app over ``db`` (``create_app``'s ``app_options``) served by uvicorn on 127.0.0.1 and a
    free port, in a thread."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(db, **app_options), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def live_server(seeded_db: Path) -> Iterator[str]:
    """The seeded app served on loopback (:func:`serving`)."""
    with serving(seeded_db) as base:
        yield base
