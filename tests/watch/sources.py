"""A real HTTP server on 127.0.0.1 serving a feed and a page whose contents tests change."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

RSS_ITEM = """<item><title>{title}</title><link>http://example.test/posts/{n}</link>
<guid>post-{n}</guid><pubDate>Mon, 0{n} Mar 2023 10:00:00 GMT</pubDate>
<description>{text}</description></item>"""


class Site:
    """What the server serves; ``items`` grows while a test runs."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []
        self.page = "<html><head><title>Statement</title></head><body><article><h1>Statement</h1>{}</article></body></html>"
        self.page_text = ""
        self.requests = 0

    def feed(self) -> bytes:
        items = "".join(RSS_ITEM.format(n=i + 1, title=t, text=x) for i, (t, x) in enumerate(self.items))
        return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Test outlet</title>'
                f"<link>http://example.test/</link><description>d</description>{items}</channel></rss>").encode()


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            site.requests += 1
            if self.path == "/feed.xml":
                body, kind = site.feed(), "application/rss+xml"
            elif self.path == "/page.html":
                paragraphs = "".join(f"<p>{p}</p>" for p in site.page_text.split("\n") if p)
                body, kind = site.page.format(paragraphs).encode(), "text/html; charset=utf-8"
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


class Server:
    """Start, stop and restart on the same port."""

    def __init__(self, site: Site, port: int = 0) -> None:
        self.site, self.port = site, port
        self.httpd: ThreadingHTTPServer | None = None

    def start(self) -> None:
        ThreadingHTTPServer.allow_reuse_address = True
        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), _handler(self.site))
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"
