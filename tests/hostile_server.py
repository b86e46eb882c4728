"""A real HTTP server on 127.0.0.1 that misbehaves on request, for tests and benches of the fetcher.

    with HostileServer() as srv:
        srv.static("/feed.xml", rss_feed(make_items(3, srv.url("/a"))), etag='"v1"')
        srv.drip("/slow", b"x" * 100, interval=1.0)
        url = srv.url("/feed.xml")
        ...
        assert srv.requests("/feed.xml")[1].headers["If-None-Match"] == '"v1"'

Routes are set per test; each request is recorded (path, headers) for assertions. Nothing here
talks to any address but 127.0.0.1; links to private or metadata addresses are only *written
into* documents, for the fetcher to refuse.
"""

from __future__ import annotations

import gzip
import re
import threading
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

__all__ = [
    "HostileServer",
    "Recorded",
    "Response",
    "article_page",
    "atom_feed",
    "corpus_headers",
    "entity_bomb_feed",
    "gzip_bomb",
    "json_feed",
    "make_items",
    "private_links_feed",
    "rss_feed",
]


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = "application/rss+xml; charset=utf-8"


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    at: float


Handler = Callable[[BaseHTTPRequestHandler], None]


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients hanging up mid-body is the point of several routes; don't print tracebacks."""
        import sys

        exc = sys.exc_info()[1]
        if not isinstance(exc, OSError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


Route = Response | Callable[[BaseHTTPRequestHandler], "Response | None"]


class HostileServer:
    """Threaded HTTP/1.1 server; `route()` and the helpers below configure what each path does."""

    def __init__(self) -> None:
        self._routes: dict[str, Route] = {}
        self._lock = threading.Lock()
        self._log: list[Recorded] = []
        self.stopping = threading.Event()
        owner = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                owner._serve(self)

            def do_HEAD(self) -> None:
                owner._serve(self)

        self._httpd = _QuietServer(("127.0.0.1", 0), _Handler)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="hostile-server",
            daemon=True,
        )

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> HostileServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    # -- recording ------------------------------------------------------------------------------
    def requests(self, path: str | None = None) -> list[Recorded]:
        with self._lock:
            return [r for r in self._log if path is None or r.path == path]

    # -- routes ---------------------------------------------------------------------------------
    def route(self, path: str, route: Route) -> str:
        with self._lock:
            self._routes[path] = route
        return self.url(path)

    def static(
        self,
        path: str,
        body: bytes | str,
        content_type: str | None = "application/rss+xml; charset=utf-8",
        *,
        etag: str | None = None,
        last_modified: datetime | None = None,
        headers: dict[str, str] | None = None,
    ) -> str:
        """A fixed document; answers 304 to a matching If-None-Match / If-Modified-Since."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        extra = dict(headers or {})
        if etag:
            extra["ETag"] = etag
        if last_modified:
            extra["Last-Modified"] = format_datetime(last_modified, usegmt=True)

        def handle(req: BaseHTTPRequestHandler) -> Response:
            if etag and req.headers.get("If-None-Match") == etag:
                return Response(304, b"", extra, None)
            if last_modified and not etag and req.headers.get("If-Modified-Since") == extra["Last-Modified"]:
                return Response(304, b"", extra, None)
            return Response(200, data, extra, content_type)

        return self.route(path, handle)

    def sequence(self, path: str, responses: Sequence[Response]) -> str:
        """Successive requests get successive responses; the last one repeats."""
        queue = list(responses)

        def handle(req: BaseHTTPRequestHandler) -> Response:
            with self._lock:
                return queue.pop(0) if len(queue) > 1 else queue[0]

        return self.route(path, handle)

    def status(self, path: str, code: int, headers: dict[str, str] | None = None, body: bytes = b"") -> str:
        return self.route(path, Response(code, body, dict(headers or {}), "text/plain"))

    def redirect(self, path: str, location: str, code: int = 302) -> str:
        return self.route(path, Response(code, b"", {"Location": location}, None))

    def drip(
        self, path: str, body: bytes, interval: float = 1.0, content_type: str = "application/rss+xml"
    ) -> str:
        """Headers at once, then one byte every `interval` seconds (a slowloris the other way)."""

        def handle(req: BaseHTTPRequestHandler) -> None:
            req.send_response(200)
            req.send_header("Content-Type", content_type)
            req.send_header("Content-Length", str(len(body)))
            req.end_headers()
            for i in range(len(body)):
                if self.stopping.wait(interval if i else 0):
                    return
                try:
                    req.wfile.write(body[i : i + 1])
                    req.wfile.flush()
                except OSError:
                    return
            return

        return self.route(path, handle)

    def huge(
        self, path: str, size: int, content_type: str = "application/rss+xml", announce: bool = True
    ) -> str:
        """`size` bytes of feed-looking filler, streamed; `announce=False` omits Content-Length."""
        head = b'<?xml version="1.0"?><rss version="2.0"><channel><title>huge</title><description>'

        def handle(req: BaseHTTPRequestHandler) -> None:
            req.send_response(200)
            req.send_header("Content-Type", content_type)
            if announce:
                req.send_header("Content-Length", str(size))
            else:
                req.send_header("Connection", "close")
            req.end_headers()
            sent = 0
            block = b"a" * 65536
            try:
                req.wfile.write(head)
                sent = len(head)
                while sent < size and not self.stopping.is_set():
                    piece = block[: size - sent]
                    req.wfile.write(piece)
                    sent += len(piece)
            except OSError:
                pass
            req.close_connection = True

        return self.route(path, handle)

    def gzip_bomb(self, path: str, decoded_size: int = 200 * 1000**2, encoding: str = "gzip") -> str:
        """A small body that inflates to `decoded_size` bytes (gzip, deflate or raw-deflate)."""
        data = gzip_bomb(decoded_size, encoding)
        header = "deflate" if encoding == "raw-deflate" else encoding
        return self.route(path, Response(200, data, {"Content-Encoding": header}, "application/rss+xml"))

    def rate_limited(self, path: str, body: bytes, retry_after: str = "1", status: int = 429) -> str:
        """First request: `status` with Retry-After; then `body` with 200."""
        return self.sequence(
            path, [Response(status, b"", {"Retry-After": retry_after}, "text/plain"), Response(200, body)]
        )

    def redirect_loop(self, path: str, other: str) -> str:
        self.redirect(other, path)
        return self.redirect(path, other)

    def html_instead_of_feed(self, path: str) -> str:
        """A site's home page where a feed was expected (no article on it)."""
        page = b"<!DOCTYPE html><html><head><title>Home</title></head><body><nav>News Sport</nav><p>Welcome</p></body></html>"
        return self.static(path, page, "text/html; charset=utf-8")

    def mislabelled_feed(self, path: str, items: Iterable[dict[str, object]]) -> str:
        """ISO-8859-1 bytes served with `charset=utf-8`."""
        return self.static(path, rss_feed(items, encoding="iso-8859-1"), "application/rss+xml; charset=utf-8")

    def corpus_file(self, path: str, file: Path) -> str:
        """Serve a feedparser test file with the HTTP headers its `Header:` comment asks for."""
        data = file.read_bytes()
        headers = corpus_headers(data)
        ctype = headers.pop("Content-Type", None)
        if ctype is None and not file.name.startswith("no_content_type"):
            ctype = "application/xml"
        return self.route(path, Response(200, data, headers, ctype))

    # -- serving --------------------------------------------------------------------------------
    def _serve(self, req: BaseHTTPRequestHandler) -> None:
        import time

        path = req.path.split("?", 1)[0]
        with self._lock:
            self._log.append(Recorded(req.command, path, dict(req.headers.items()), time.monotonic()))
            route = self._routes.get(path)
        if route is None:
            self._send(req, Response(404, b"not found", {}, "text/plain"))
            return
        result = route(req) if callable(route) else route
        if result is not None:
            self._send(req, result)

    @staticmethod
    def _send(req: BaseHTTPRequestHandler, resp: Response) -> None:
        try:
            req.send_response(resp.status)
            if resp.content_type:
                req.send_header("Content-Type", resp.content_type)
            for k, v in resp.headers.items():
                req.send_header(k, v)
            body = b"" if req.command == "HEAD" or resp.status == 304 else resp.body
            if resp.status != 304:
                req.send_header("Content-Length", str(len(resp.body)))
            req.end_headers()
            if body:
                req.wfile.write(body)
        except OSError:
            req.close_connection = True


# -- documents ------------------------------------------------------------------------------------


def make_items(
    n: int,
    link_base: str,
    *,
    start: datetime | None = None,
    step: timedelta = timedelta(minutes=1),
    words: int = 40,
    prefix: str = "Item",
) -> list[dict[str, object]]:
    """`n` items, newest first, with generated (not real-world) text and distinct links."""
    start = start or datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    body = " ".join(f"word{j % 17}" for j in range(words))
    return [
        {
            "title": f"{prefix} {i} about the harbour council",
            "link": f"{link_base}/{i}",
            "guid": f"{link_base}/{i}",
            "published": start - i * step,
            "summary": f"<p>{prefix} {i} opening paragraph: the harbour council met on day {i}.</p><p>{body}</p>",
        }
        for i in range(n)
    ]


def rss_feed(
    items: Iterable[dict[str, object]], title: str = "Test Feed", *, encoding: str = "utf-8"
) -> bytes:
    parts = [
        f'<?xml version="1.0" encoding="{encoding}"?>\n<rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>http://127.0.0.1/</link><description>test</description>"
    ]
    for it in items:
        pub = it.get("published")
        parts.append(
            "<item>"
            f"<title>{escape(str(it['title']))}</title>"
            + (f"<link>{escape(str(it['link']))}</link>" if it.get("link") else "")
            + (f"<guid>{escape(str(it['guid']))}</guid>" if it.get("guid") else "")
            + (f"<pubDate>{format_datetime(pub, usegmt=True)}</pubDate>" if isinstance(pub, datetime) else "")
            + f"<description>{escape(str(it.get('summary', '')))}</description>"
            "</item>"
        )
    parts.append("</channel></rss>\n")
    return "".join(parts).encode(encoding, errors="xmlcharrefreplace")


def atom_feed(items: Iterable[dict[str, object]], title: str = "Test Atom") -> bytes:
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{escape(title)}</title><id>urn:test:atom</id><updated>2025-06-01T12:00:00Z</updated>"
    ]
    for it in items:
        pub = it.get("published")
        stamp = pub.isoformat() if isinstance(pub, datetime) else "2025-06-01T12:00:00+00:00"
        parts.append(
            f"<entry><title>{escape(str(it['title']))}</title><id>{escape(str(it['guid']))}</id>"
            f'<link href="{escape(str(it["link"]))}"/><updated>{stamp}</updated>'
            f'<content type="html">{escape(str(it.get("summary", "")))}</content></entry>'
        )
    parts.append("</feed>\n")
    return "".join(parts).encode("utf-8")


def json_feed(items: Iterable[dict[str, object]], title: str = "Test JSON Feed") -> bytes:
    import json

    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": title,
        "items": [
            {
                "id": str(it["guid"]),
                "url": str(it["link"]),
                "title": str(it["title"]),
                "content_html": str(it.get("summary", "")),
                "date_published": it["published"].isoformat()
                if isinstance(it.get("published"), datetime)
                else None,
            }
            for it in items
        ],
    }
    return json.dumps(doc).encode("utf-8")


def article_page(
    title: str,
    paragraphs: Sequence[str],
    *,
    site: str = "Test Gazette",
    published: str = "2025-06-01T09:30:00+00:00",
) -> bytes:
    """A plausible news page: boilerplate around an <article> with meta tags."""
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (
        "<!DOCTYPE html><html><head>"
        f"<title>{escape(title)} | {escape(site)}</title>"
        f'<meta property="og:title" content="{escape(title)}">'
        f'<meta property="og:site_name" content="{escape(site)}">'
        f'<meta property="article:published_time" content="{published}">'
        "</head><body><nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
        f"<article><h1>{escape(title)}</h1>{body}</article>"
        "<footer>Contact us. Privacy policy. Terms of use.</footer></body></html>"
    ).encode()


@lru_cache(maxsize=8)
def gzip_bomb(decoded_size: int, encoding: str = "gzip") -> bytes:
    """Zeros compressed at level 9: 200 MB decoded is about 200 kB on the wire."""
    if encoding == "gzip":
        comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    elif encoding == "deflate":
        comp = zlib.compressobj(9, zlib.DEFLATED, 15)
    elif encoding == "raw-deflate":
        comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    elif encoding == "br":
        import brotli

        return bytes(brotli.compress(b"\0" * decoded_size, quality=5))
    else:
        raise ValueError(encoding)
    block = b"\0" * (1 << 20)
    out = []
    left = decoded_size
    while left > 0:
        piece = block[: min(left, len(block))]
        out.append(comp.compress(piece))
        left -= len(piece)
    out.append(comp.flush())
    return b"".join(out)


def private_links_feed(other_base: str, title: str = "Links inward") -> bytes:
    """Items whose links point inward: another local port, a private and a metadata address."""
    links = [f"{other_base}/secret", "http://10.0.0.1/admin", "http://169.254.169.254/latest/meta-data/"]
    items = make_items(len(links), "unused")
    return rss_feed([dict(it, link=link, guid=link) for it, link in zip(items, links, strict=True)], title)


def entity_bomb_feed(levels: int = 9) -> bytes:
    """The "billion laughs" shape inside an RSS document (never to be expanded)."""
    ents = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, levels + 1)
    ]
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE rss [\n' + "\n".join(ents) + "\n]>\n"
        f'<rss version="2.0"><channel><title>bomb</title><item><title>&lol{levels};</title>'
        "<link>http://127.0.0.1/bomb</link><description>x</description></item></channel></rss>"
    ).encode("utf-8")


_HEADER_RE = re.compile(rb"Header:\s*([A-Za-z-]+):\s*([^\r\n]*)")


def corpus_headers(data: bytes) -> dict[str, str]:
    """HTTP headers a feedparser test file declares in its comment (works for UTF-16/32 too)."""
    ascii_view = data.replace(b"\x00", b"")
    headers: dict[str, str] = {}
    for name, value in _HEADER_RE.findall(ascii_view[:4096]):
        key = "-".join(p.capitalize() for p in name.decode("ascii").split("-"))
        headers[key] = value.decode("latin-1").strip()
    return headers


def gzip_bytes(data: bytes) -> bytes:
    return gzip.compress(data)
