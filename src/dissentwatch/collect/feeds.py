"""RSS and Atom feeds: each entry becomes a document (``source_kind`` "feed").

The external id is the entry's id (guid), else its link, else (an RSS 2.0 item needs only a title
or a description) ``<feed url>#sha256:<digest>`` of the item's title, text and date, the same
each time the item is fetched again; the outlet is the feed's title; the
published time is the entry's date with its own time zone, in UTC. Entry HTML (summary or full
content) is reduced to inert text. Feeds are fetched with conditional GET: the ETag and
Last-Modified of each feed are kept in ``collector_state`` under ``feed:<url>``.
"""

from __future__ import annotations

import calendar
import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import feedparser

from dissentwatch.collect import CollectError, document_language
from dissentwatch.collect.html import strip_tags
from dissentwatch.collect.http import Fetcher, FetchError, Response
from dissentwatch.models import Document, utcnow

log = logging.getLogger(__name__)

SOURCE_KIND = "feed"
StateGetter = Callable[[str], dict[str, Any]]


def state_key(url: str) -> str:
    return f"feed:{url}"


def collect_feeds(
    urls: Iterable[str], fetcher: Fetcher, get_state: StateGetter, pending: dict[str, dict[str, Any]]
) -> Iterator[Document | CollectError]:
    """Documents from every feed; a feed that fails yields one CollectError and the rest go on.

    New validators (ETag / Last-Modified) are put in ``pending``: the caller stores them once the
    documents are committed, so a crash never hides entries behind a 304.
    """
    for url in urls:
        prior = get_state(state_key(url))
        try:
            response = fetcher.get(url, prior.get("etag"), prior.get("last_modified"))
        except FetchError as exc:
            yield exc
            continue
        if response.not_modified:
            log.info("%s: not modified since the last poll", url)
            pending[state_key(url)] = {**prior, "checked": utcnow()}
            continue
        try:
            yield from feed_documents(url, response)
        except CollectError as exc:
            yield exc
            continue
        pending[state_key(url)] = {**response.validators(), "checked": utcnow()}


def feed_documents(url: str, response: Response) -> Iterator[Document | CollectError]:
    """Parse one fetched feed; raises CollectError when it is not a feed at all."""
    parsed = feedparser.parse(
        response.content,
        response_headers={"content-type": response.content_type or "application/xml", "content-location": url},
    )
    if not parsed.entries and (parsed.bozo or not parsed.feed):
        reason = getattr(parsed, "bozo_exception", None) or "no feed elements"
        raise CollectError(f"{url}: not an RSS/Atom feed ({reason})")
    outlet = parsed.feed.get("title") or None
    for index, entry in enumerate(parsed.entries):
        try:
            yield entry_document(entry, outlet, url)
        except CollectError as exc:
            yield CollectError(f"{url}: entry {index + 1}: {exc}")


def entry_document(entry: Any, outlet: str | None, feed_url: str) -> Document:
    """One feed entry → a Document with inert text (HTML tags and scripts removed)."""
    title = strip_tags(entry.get("title") or "") or None
    text = strip_tags(entry_html(entry)) or (title or "")
    ident = entry.get("id") or entry.get("link")
    if not ident:
        if not text.strip():
            raise CollectError("no guid, no link, no title and no description")
        ident = content_id(feed_url, entry)
    if not text.strip():
        raise CollectError(f"{ident}: no text")
    language, score = document_language(text)
    return Document(
        SOURCE_KIND,
        external_id=str(ident),
        text=text,
        url=entry.get("link") or None,
        outlet=outlet,
        author=entry.get("author") or None,
        title=title,
        published=entry_published(entry),
        language=language,
        language_score=score,
        raw={"feed": feed_url, "id": entry.get("id"), "link": entry.get("link"),
             "tags": [t.get("term") for t in entry.get("tags", []) if t.get("term")]},
    )


def content_id(feed_url: str, entry: Any) -> str:
    """The id of an entry with neither guid nor link: ``<feed url>#sha256:<24 hex digits>`` of
    its title, text and date as read (tags removed, runs of white space made one space).

    Fetching the feed again gives the same id, so the item is not stored twice; two items of
    the same words on different dates stay two. An edit of the item's words gives a new
    document (nothing else identifies the item).
    """
    parts = [" ".join(strip_tags(entry.get("title") or "").split()),
             " ".join(strip_tags(entry_html(entry)).split()), entry_published(entry) or ""]
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:24]
    return f"{feed_url}#sha256:{digest}"


def entry_html(entry: Any) -> str:
    """The fullest body an entry has: content:encoded / Atom content, else the summary."""
    contents = entry.get("content") or []
    best = max((c.get("value") or "" for c in contents), key=len, default="")
    summary = entry.get("summary") or ""
    return best if len(best) >= len(summary) else summary


def entry_published(entry: Any) -> str | None:
    """The entry's date in UTC (feedparser has applied the date's own offset)."""
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(calendar.timegm(parsed)))
