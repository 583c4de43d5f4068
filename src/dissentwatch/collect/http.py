"""Polite HTTP for the feed and web collectors.

One ``Fetcher`` per command: an honest User-Agent, timeouts, retries with exponential backoff on
connection errors, 5xx and 429 (``Retry-After`` honoured), a minimum interval between two
requests to the same host, a size cap, and conditional GET (ETag / Last-Modified) so that
re-polling an unchanged feed costs a 304.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import httpx

from dissentwatch import __version__
from dissentwatch.collect import CollectError, decode_bytes

log = logging.getLogger(__name__)

PROJECT_URL = "https://github.com/dissentwatch/dissentwatch"
USER_AGENT = f"dissentwatch/{__version__} (+{PROJECT_URL})"
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 120.0
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.I)


class FetchError(CollectError):
    """A URL that could not be fetched: unreachable, timed out, an HTTP error, too big."""


@dataclass
class Response:
    """What a fetch returned: the body (empty on 304) and the headers that matter."""

    url: str
    status: int
    content: bytes = b""
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    def validators(self) -> dict[str, str]:
        """The ETag / Last-Modified to send next time (what collector_state keeps)."""
        found = {"etag": self.etag, "last_modified": self.last_modified}
        return {k: v for k, v in found.items() if v}


class Fetcher:
    """GET with retries, backoff, per-host rate limit and conditional requests."""

    def __init__(
        self,
        timeout: float = 20.0,
        retries: int = 3,
        backoff: float = 1.0,
        min_interval: float = 1.0,
        max_bytes: int = 20 * 1024 * 1024,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.retries, self.backoff, self.min_interval = retries, backoff, min_interval
        self.max_bytes = max_bytes
        self.sleep = sleep
        self.client = httpx.Client(
            timeout=httpx.Timeout(timeout), follow_redirects=True, headers={"User-Agent": USER_AGENT}
        )
        self._next_slot: dict[str, float] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, url: str, etag: str | None = None, last_modified: str | None = None) -> Response:
        """Fetch ``url``; a 304 comes back as a Response with ``not_modified``; failures raise FetchError."""
        _check_url(url)
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        attempt = 0
        while True:
            self._wait_for_host(url)
            try:
                response = self._request(url, headers)
            except (httpx.TransportError, httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
                if attempt >= self.retries or isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
                    raise FetchError(f"{url}: {_describe(exc)}") from None
                delay = self.backoff * 2**attempt
            else:
                if response.status not in RETRY_STATUS:
                    return _checked(response)
                if attempt >= self.retries:
                    raise FetchError(f"{url}: HTTP {response.status} after {attempt + 1} attempts")
                delay = retry_after(response.headers.get("retry-after")) or self.backoff * 2**attempt
            log.info("%s: retrying in %.1f s (attempt %d)", url, delay, attempt + 1)
            self.sleep(delay)
            attempt += 1

    def _request(self, url: str, headers: dict[str, str]) -> Response:
        with self.client.stream("GET", url, headers=headers) as reply:
            body = bytearray()
            if reply.status_code == 200:
                for chunk in reply.iter_bytes():
                    body += chunk
                    if len(body) > self.max_bytes:
                        raise FetchError(f"{url}: larger than {self.max_bytes} bytes; not fetched")
            return Response(
                url=str(reply.url), status=reply.status_code, content=bytes(body),
                content_type=reply.headers.get("content-type", ""), etag=reply.headers.get("etag"),
                last_modified=reply.headers.get("last-modified"), headers=dict(reply.headers),
            )

    def _wait_for_host(self, url: str) -> None:
        """Sleep until ``min_interval`` has passed since the last request to this host."""
        host = urlsplit(url).netloc.lower()
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next_slot.get(host, 0.0))
            self._next_slot[host] = slot + self.min_interval
        if slot > now:
            self.sleep(slot - now)


def _checked(response: Response) -> Response:
    if response.status in (200, 304):
        return response
    reason = httpx.codes.get_reason_phrase(response.status) or "error"
    raise FetchError(f"{response.url}: HTTP {response.status} {reason}")


def _describe(exc: Exception) -> str:
    kinds: dict[type[Exception], str] = {
        httpx.ConnectTimeout: "connection timed out",
        httpx.ReadTimeout: "no answer in time (read timeout)",
        httpx.ConnectError: "cannot connect",
    }
    kind = kinds.get(type(exc), type(exc).__name__)
    detail = str(exc).strip()
    return f"{kind}: {detail}" if detail else kind


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date), capped."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, min(when.timestamp() - time.time(), MAX_RETRY_AFTER))


def declared_charset(content: bytes, content_type: str) -> str | None:
    """The charset named by the Content-Type header, else by a <meta> tag near the top."""
    match = _HEADER_CHARSET.search(content_type or "")
    if match:
        return match.group(1)
    meta = _META_CHARSET.search(content[:4096])
    return meta.group(1).decode("ascii") if meta else None


def decode_page(content: bytes, content_type: str, where: str) -> str:
    """Text of a page: the declared charset when it decodes cleanly, else UTF-8 or detection."""
    charset = declared_charset(content, content_type)
    if charset:
        try:
            return content.decode(charset)
        except (LookupError, UnicodeDecodeError) as exc:
            log.info("%s: declared charset %s does not fit (%s); detecting", where, charset, exc)
    return decode_bytes(content, where)


def _check_url(url: str) -> None:
    """Raise FetchError unless ``url`` is an http(s) URL with a host ("http://[x" is not)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as exc:
        raise FetchError(f"{url}: not a valid URL ({exc})") from None
    if parts.scheme.lower() not in ("http", "https") or not host:
        raise FetchError(f"{url}: not an http(s) URL with a host")
