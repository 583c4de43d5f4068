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
    published = _published(data.get("date"), html)
    text = (data.get("text") or "").strip() or strip_tags(html)
    return Page(
        text=text,
        title=data.get("title") or None,
        author=data.get("author") or None,
        published=published,
        sitename=data.get("sitename") or None,
        url=data.get("url") or url,
    )


_COPYRIGHT = re.compile(
    r"(?:©|&copy;|&#0*169;|&#x0*a9;|\bcopyright\b|\(c\)|\bcopr\.)[^\d<>]{0,40}"
    r"((?:19|20)\d\d)(?:\s*(?:-|–|—|&ndash;|&mdash;|to|bis|по)\s*((?:19|20)\d\d))?", re.I)
_COPYRIGHT_META = re.compile(r"""copyrightyear["']?[^>]{0,80}?(?:content=["']?|>)\s*((?:19|20)\d\d)""", re.I)


def copyright_years(html: str) -> set[int]:
    """Years a page's copyright notices name: «© 2023», "Copyright 2019", "(c) 2020", "© 2015–2024",
    ``itemprop="copyrightYear"``."""
    years: set[int] = set()
    for match in _COPYRIGHT.finditer(html):
        years.update(int(y) for y in match.groups() if y)
    years.update(int(m.group(1)) for m in _COPYRIGHT_META.finditer(html))
    return years


def _published(found: object, html: str) -> str | None:
    """The page's publication date, never a copyright year.

    Without a date in its metadata, htmldate falls back to the year of a footer's «© 2023» and
    calls it 2023-01-01; such a date is dropped and the metadata alone asked (``extensive_search``
    off): a page with no date of its own is undated, not published on New Year's Day."""
    published = _parsed(found)
    if published is None or not _is_copyright_year(published, html):
        return published
    try:
        from htmldate import find_date

        strict = find_date(html, extensive_search=False, original_date=True, outputformat="%Y-%m-%d")
    except Exception as exc:  # htmldate raises on some malformed pages, like trafilatura
        log.info("htmldate failed: %s", exc)
        return None
    published = _parsed(strict)
    if published is None or (_is_copyright_year(published, html) and _COPYRIGHT_META.search(html)):
        return None
    return published


def _is_copyright_year(published: str, html: str) -> bool:
    return published[4:10] == "-01-01" and int(published[:4]) in copyright_years(html)


def _parsed(value: object) -> str | None:
    if not value:
        return None
    try:
        return parse_published(value)
    except ValueError:
        return None


def strip_tags(html: str) -> str:
    """Visible text of an HTML fragment: scripts and styles dropped, tags removed, entities decoded."""
    text = unescape(_TAGS.sub(" ", html))
    return re.sub(r"[ \t\r\f\v]+", " ", re.sub(r"\n\s*\n+", "\n\n", text)).strip()
