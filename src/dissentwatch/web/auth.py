"""Accounts for the analyst app: users with roles, argon2 passwords, sessions, API tokens.

Session ids and API tokens are random; only their SHA-256 hashes are stored, so a copy of the
database does not let anyone in. Roles are ordered: viewer < analyst < admin.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from dissentwatch.models import utcnow
from dissentwatch.store import Store

ROLES = ("viewer", "analyst", "admin")
SESSION_DAYS = 7
_hasher = PasswordHasher()


class AuthError(ValueError):
    """A user that cannot be created or found."""


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str

    def can(self, role: str) -> bool:
        """True when this user's role is at least ``role``."""
        return ROLES.index(self.role) >= ROLES.index(role)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _user(row: sqlite3.Row | None) -> User | None:
    return User(int(row["id"]), row["name"], row["role"]) if row is not None else None


def add_user(store: Store, name: str, role: str, password: str | None = None) -> User:
    """Create a user, or change the role (and password, if given) of an existing one."""
    if role not in ROLES:
        raise AuthError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    if not name or len(name) > 64 or not name.isprintable():
        raise AuthError(f"bad user name {name!r}")
    hashed = _hasher.hash(password) if password else None
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO users (name, role, password_hash, created) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(name) DO UPDATE SET role = excluded.role, "
            "password_hash = COALESCE(excluded.password_hash, users.password_hash)",
            (name, role, hashed, utcnow()),
        )
    user = get_user(store, name)
    assert user is not None
    return user


def get_user(store: Store, name: str) -> User | None:
    return _user(store.conn.execute("SELECT * FROM users WHERE name = ? AND disabled = 0", (name,)).fetchone())


def list_users(store: Store) -> list[sqlite3.Row]:
    return store.query(
        "SELECT u.name, u.role, u.created, u.disabled, (u.password_hash IS NOT NULL) AS has_password, "
        "(SELECT COUNT(*) FROM api_tokens t WHERE t.user_id = u.id) AS tokens FROM users u ORDER BY u.name"
    )


def authenticate(store: Store, name: str, password: str) -> User | None:
    """The user when the password matches, else None (the hash is upgraded when needed)."""
    row = store.conn.execute("SELECT * FROM users WHERE name = ? AND disabled = 0", (name,)).fetchone()
    if row is None or not row["password_hash"]:
        _hasher.hash(password)  # spend the same time whether or not the user exists
        return None
    try:
        _hasher.verify(row["password_hash"], password)
    except (VerificationError, InvalidHashError):
        return None
    if _hasher.check_needs_rehash(row["password_hash"]):
        with store.transaction() as conn:
            conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", (_hasher.hash(password), row["id"]))
    return _user(row)


def new_token(store: Store, name: str) -> str:
    """A new bearer token for a user; it is shown once and stored only as a hash."""
    user = get_user(store, name)
    if user is None:
        raise AuthError(f"no user {name!r}: add one with `dissentwatch users add {name} --role viewer`")
    token = "dw_" + secrets.token_urlsafe(32)
    with store.transaction() as conn:
        conn.execute("INSERT INTO api_tokens (token_hash, user_id, created) VALUES (?, ?, ?)",
                     (_digest(token), user.id, utcnow()))
    return token


def user_for_token(store: Store, token: str) -> User | None:
    row = store.conn.execute(
        "SELECT u.* FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ? AND u.disabled = 0",
        (_digest(token),),
    ).fetchone()
    return _user(row)


def start_session(store: Store, user: User) -> tuple[str, str]:
    """A new session for a logged-in user: (cookie value, CSRF token)."""
    session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires = (datetime.now(UTC) + timedelta(days=SESSION_DAYS)).isoformat().replace("+00:00", "Z")
    with store.transaction() as conn:
        conn.execute("DELETE FROM user_sessions WHERE expires < ?", (utcnow(),))
        conn.execute("INSERT INTO user_sessions (id_hash, user_id, csrf, created, expires) VALUES (?, ?, ?, ?, ?)",
                     (_digest(session_id), user.id, csrf, utcnow(), expires))
    return session_id, csrf


def session_user(store: Store, session_id: str) -> tuple[User, str] | None:
    """(user, CSRF token) of a live session, or None."""
    row = store.conn.execute(
        "SELECT u.*, s.csrf FROM user_sessions s JOIN users u ON u.id = s.user_id "
        "WHERE s.id_hash = ? AND s.expires > ? AND u.disabled = 0",
        (_digest(session_id), utcnow()),
    ).fetchone()
    user = _user(row)
    return (user, row["csrf"]) if user is not None else None


def end_session(store: Store, session_id: str) -> None:
    with store.transaction() as conn:
        conn.execute("DELETE FROM user_sessions WHERE id_hash = ?", (_digest(session_id),))


class RateLimiter:
    """At most ``limit`` failures per key in a sliding window of ``window`` seconds (in memory;
    shared by the server's worker threads, hence the lock)."""

    def __init__(self, limit: int = 5, window: float = 300.0) -> None:
        self.limit, self.window = limit, window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        cutoff = time.monotonic() - self.window
        while times and times[0] < cutoff:
            times.popleft()
        return times

    def blocked(self, *keys: str) -> bool:
        with self._lock:
            return any(len(self._recent(k)) >= self.limit for k in keys)

    def fail(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._recent(key).append(time.monotonic())

    def clear(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)
