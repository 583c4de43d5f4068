"""Main text, title and date out of an HTML page (trafilatura), stored as inert text."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from html import unescape

from dissentwatch.collect.dates import parse_published

log = logging.getLogger(__name__)

_TAGS = re.compile(r"<(script|style|noscript|template)\b.*?</\1\s*>|<[^>]+>", re.S | re.I)


@dataclass
class Page:
    text: str
    title: str | None = None
    author: str | None = None
    published: str | None = None
    sitename: str | None = None
    url: str | None = None


def extract_html(html: str, url: str | None = None) -> Page:
    """The article text of ``html``; falls back to tag-stripped text when trafilatura finds none."""
    import trafilatura

    try:
        doc = trafilatura.bare_extraction(
            html, url=url, include_comments=False, include_tables=False, with_metadata=True
        )
    except Exception as exc:  # trafilatura raises on some malformed pages; keep going
        log.info("trafilatura failed on %s: %s", url or "page", exc)
        doc = None
    if doc is None:
        return Page(text=strip_tags(html), url=url)
    data = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    published = None
    if data.get("date"):
        try:
            published = parse_published(data["date"])
        except ValueError:
            published = None
    text = (data.get("text") or "").strip() or strip_tags(html)
    return Page(
        text=text,
        title=data.get("title") or None,
        author=data.get("author") or None,
        published=published,
        sitename=data.get("sitename") or None,
        url=data.get("url") or url,
    )


def strip_tags(html: str) -> str:
    """Visible text of an HTML fragment: scripts and styles dropped, tags removed, entities decoded."""
    text = unescape(_TAGS.sub(" ", html))
    return re.sub(r"[ \t\r\f\v]+", " ", re.sub(r"\n\s*\n+", "\n\n", text)).strip()
