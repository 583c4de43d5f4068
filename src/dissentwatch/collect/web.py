"""Web pages: the article's main text (trafilatura), title, author and date (``source_kind`` "web").

The external id is the URL as given; pages are decoded by their declared charset (header or
<meta>), else UTF-8, else detection; scripts and styles never reach the stored text. Conditional
GET validators are kept in ``collector_state`` under ``web:<url>``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

from dissentwatch.collect import CollectError, document_language
from dissentwatch.collect.feeds import StateGetter
from dissentwatch.collect.html import extract_html
from dissentwatch.collect.http import Fetcher, FetchError, Response, decode_page
from dissentwatch.models import Document, utcnow

log = logging.getLogger(__name__)

SOURCE_KIND = "web"
HTML_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "")


def state_key(url: str) -> str:
    return f"web:{url}"


def collect_pages(
    urls: Iterable[str], fetcher: Fetcher, get_state: StateGetter, pending: dict[str, dict[str, Any]]
) -> Iterator[Document | CollectError]:
    """One document per page; a page that fails yields a CollectError and the others go on."""
    for url in urls:
        prior = get_state(state_key(url))
        try:
            response = fetcher.get(url, prior.get("etag"), prior.get("last_modified"))
            if response.not_modified:
                log.info("%s: not modified since the last fetch", url)
                continue
            yield page_document(url, response)
        except CollectError as exc:
            yield exc
            continue
        pending[state_key(url)] = {**response.validators(), "checked": utcnow()}


def page_document(url: str, response: Response) -> Document:
    """A fetched HTML page → a Document; raises CollectError for non-HTML or empty pages."""
    media_type = response.content_type.split(";")[0].strip().lower()
    if media_type not in HTML_TYPES:
        raise FetchError(f"{url}: not an HTML page ({media_type})")
    if not response.content.strip():
        raise CollectError(f"{url}: empty page")
    html = decode_page(response.content, response.content_type, url)
    page = extract_html(html, url=response.url)
    if not page.text.strip():
        raise CollectError(f"{url}: no main text found in the page")
    language, score = document_language(page.text)
    return Document(
        SOURCE_KIND,
        external_id=url,
        text=page.text,
        url=response.url,
        outlet=page.sitename or urlsplit(response.url).netloc,
        author=page.author,
        title=page.title,
        published=page.published,
        language=language,
        language_score=score,
        raw={"requested_url": url, "final_url": response.url, "content_type": response.content_type},
    )
