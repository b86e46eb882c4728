"""The web face over HTTP: routes, the admin token, security headers, and a short page cache.

It is a `bot.net.HardenedServer` (the same header and idle timeouts, connection cap and backlog as
the Slack listener and /healthz) on a thread and event loop of its own, so a slow page never holds
up the bot, and the bot's work never holds up a page. Pages are gathered by `bot.core.pages` in
worker threads (at most `COMPOSING` at once) and kept for `web.cache`; what is kept is the page's
data, and each answer is rendered from it, so nothing of one request (its Host header) reaches
another's answer.

Every answer carries a strict Content-Security-Policy (no script at all, styles only from the
stylesheet), `nosniff`, no framing and no referrer; every body is redacted (`bot.logs.redact`), so
no configured secret can appear on a page even if a source's error message quoted one.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any, TypeVar
from urllib.parse import urlsplit

from aiohttp import web

from bot.adapters.web.auth import REALM, AdminAuth
from bot.core.pages import PageService
from bot.logs import redact
from bot.net import HardenedServer, ServerBindError, ServerLimits, ServerThread
from bot.render.atom import ATOM_TYPE, delivery_feed, render_atom, topic_feed
from bot.render.html import HtmlRenderer, path_part, static_file

__all__ = ["CSP", "WebFace"]

log = logging.getLogger(__name__)

T = TypeVar("T")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}
HTML_TYPE = "text/html"
COMPOSING = 2  # pages gathered at once (composing a summary is CPU work)
CACHED_PAGES = 256
ROBOTS = "User-agent: *\nDisallow: /admin/\n"


class PageCache:
    """Each page's data for `ttl` seconds, computed once however many ask at the same time."""

    def __init__(self, ttl: float, entries: int = CACHED_PAGES) -> None:
        self.ttl = ttl
        self.entries = entries
        self._kept: OrderedDict[Any, tuple[float, Any]] = OrderedDict()
        self._running: dict[Any, asyncio.Task[Any]] = {}
        self._slots = asyncio.Semaphore(COMPOSING)

    async def get(self, key: Any, compute: Callable[[], T]) -> T:
        now = time.monotonic()
        kept = self._kept.get(key)
        if kept is not None and now < kept[0]:
            self._kept.move_to_end(key)
            return kept[1]  # type: ignore[no-any-return]
        running = self._running.get(key)
        if running is None:  # a task of its own: a request that gives up (timeout) does not waste it
            running = asyncio.get_running_loop().create_task(self._compute(key, compute))
            running.add_done_callback(lambda t: t.cancelled() or t.exception())  # logged by the waiters
            self._running[key] = running
        return await asyncio.shield(running)  # type: ignore[no-any-return]

    async def _compute(self, key: Any, compute: Callable[[], T]) -> T:
        try:
            async with self._slots:
                value = await asyncio.to_thread(compute)
        finally:
            self._running.pop(key, None)
        if self.ttl > 0:
            self._kept[key] = (time.monotonic() + self.ttl, value)
            while len(self._kept) > self.entries:
                self._kept.popitem(last=False)
        return value


class WebFace:
    """`/`, `/archive/…`, `/story/ID`, `/feeds/…` and `/admin/sources` (see `bot.core.pages`)."""

    def __init__(
        self,
        pages: PageService,
        renderer: HtmlRenderer,
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
        admin_token: str | None = None,
        cache_s: float = 60.0,
        limits: ServerLimits | None = None,
        redactor: Callable[[str], str] = redact,
    ) -> None:
        self.pages = pages
        self.renderer = renderer
        self.host = host
        self.port = port
        self.auth = AdminAuth(admin_token)
        self.cache_s = cache_s
        self.redact = redactor
        self.public_url = renderer.public_url
        self.root = urlsplit(self.public_url).path.rstrip("/") if self.public_url else ""
        self.server = HardenedServer(host, port, limits=limits, name="web")
        self.server.app.middlewares.append(self._guard)
        self._add_routes(self.server.app.router)
        self._thread = ServerThread(self.server, thread_name="briefbot-web")
        self._cache: PageCache | None = None

    # -- life cycle --------------------------------------------------------------------------------

    async def start(self) -> tuple[str, int]:
        """Listen (in the server's thread); returns the bound address. Raises OSError with a reason."""
        try:
            host, self.port = await self._thread.start()
        except ServerBindError as exc:
            raise OSError(
                exc.errno,
                f"cannot serve the web pages on {exc.where}: {exc.reason} (choose another --web-port "
                "or web.host)",
            ) from None
        shown = f"[{self.host}]" if ":" in self.host else self.host
        log.info(
            "web pages on http://%s:%d/ (admin page %s; at most %d connections)",
            shown,
            self.port,
            "on" if self.auth.enabled else "off: no web.admin_token",
            self.server.connection_cap,
        )
        return host, self.port

    async def close(self) -> None:
        await self._thread.close()

    @property
    def cache(self) -> PageCache:
        if self._cache is None:  # made on the server's own loop (its semaphore belongs there)
            self._cache = PageCache(self.cache_s)
        return self._cache

    # -- routes ------------------------------------------------------------------------------------

    def _add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/", self.front)
        router.add_get("/story/{id}", self.story)
        router.add_get("/archive", self._to("/archive/"))
        router.add_get("/archive/", self.archive_index)
        router.add_get("/archive/{day}", self.archive_day)
        router.add_get("/feeds", self._to("/feeds/"))
        router.add_get("/feeds/", self.feeds)
        router.add_get("/feeds/delivery/{name}", self.delivery_atom)
        router.add_get("/feeds/{name}", self.topic_atom)
        router.add_get("/admin", self._to("/admin/sources"))
        router.add_get("/admin/", self._to("/admin/sources"))
        router.add_get("/admin/sources", self.sources)
        router.add_get("/static/{name}", self.static)
        router.add_get("/favicon.ico", self.favicon)
        router.add_get("/robots.txt", self.robots)

    def _to(self, path: str) -> Handler:
        async def redirect(_request: web.Request) -> web.StreamResponse:
            raise web.HTTPMovedPermanently(self.root + path)

        return redirect

    def _base(self, request: web.Request) -> str:
        """Where absolute links point: web.public_url, else the address this request was sent to."""
        return self.public_url or f"{request.scheme}://{request.host}"

    def _html(self, template: str, *, status: int = 200, nav: str = "", **context: Any) -> web.Response:
        text = self.renderer.page(
            template,
            root=self.root,
            nav=nav,
            now=self.pages.clock(),
            feeds=context.pop("feeds", []),
            **context,
        )
        return web.Response(status=status, text=text, content_type=HTML_TYPE, charset="utf-8")

    def _error(self, status: int, heading: str, message: str) -> web.Response:
        return self._html("error.html", status=status, heading=heading, message=message)

    async def front(self, request: web.Request) -> web.StreamResponse:
        page = await self.cache.get(("front",), self.pages.front)
        feeds = [
            {
                "title": f"{self.renderer.site_title}: {t.topic}",
                "href": f"{self.root}/feeds/{path_part(t.topic)}.atom",
            }
            for t in page.topics
            if t.topic
        ]
        return self._html("front.html", nav="today", page=page, feeds=feeds)

    async def story(self, request: web.Request) -> web.StreamResponse:
        asked = request.match_info["id"]
        page = await self.cache.get(("story", asked), lambda: self.pages.story(asked))
        if page is None:
            return self._error(
                404,
                "No such story",
                f"There is no story {asked!r}: it may have been pruned with its articles, or the link is mistyped.",
            )
        if page.id != asked:  # merged into another story: its old address leads there
            raise web.HTTPMovedPermanently(f"{self.root}/story/{path_part(page.id)}")
        return self._html("story.html", page=page)

    async def archive_index(self, request: web.Request) -> web.StreamResponse:
        index = await self.cache.get(("archive",), self.pages.archive_index)
        months: list[tuple[str, list[tuple[date, int]]]] = []
        for day, count in index.days:
            month = day.strftime("%B %Y")
            if not months or months[-1][0] != month:
                months.append((month, []))
            months[-1][1].append((day, count))
        return self._html("archive_index.html", nav="archive", months=months)

    async def archive_day(self, request: web.Request) -> web.StreamResponse:
        text = request.match_info["day"]
        try:
            day = date.fromisoformat(text) if len(text) == 10 else None
        except ValueError:
            day = None
        if day is None:
            return self._error(404, "Not a day", "Archive pages are named by day, e.g. /archive/2026-11-23.")
        page = await self.cache.get(("day", day), lambda: self.pages.archive_day(day))
        if page is None:
            return self._error(
                404, "Nothing posted that day", f"No briefing was posted on {day.isoformat()} (UTC)."
            )
        return self._html("archive_day.html", nav="archive", page=page)

    async def feeds(self, request: web.Request) -> web.StreamResponse:
        index = await self.cache.get(("deliveries",), self.pages.public_deliveries)
        feeds = [
            {"title": f"{self.renderer.site_title}: {t}", "href": f"{self.root}/feeds/{path_part(t)}.atom"}
            for t in self.pages.topic_names()
        ]
        return self._html(
            "feeds.html", nav="feeds", topics=self.pages.topic_names(), deliveries=index, feeds=feeds
        )

    async def topic_atom(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        topic = self.pages.topic(name.removesuffix(".atom")) if name.endswith(".atom") else None
        if topic is None:
            return self._error(404, "No such feed", "Feeds are made for the configured topics; see /feeds/.")
        page = await self.cache.get(("topic", topic), lambda: self.pages.topic_briefing(topic))
        return self._atom(render_atom(self.renderer, topic_feed(self.renderer, page, self._base(request))))

    async def delivery_atom(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        delivery = name.removesuffix(".atom") if name.endswith(".atom") else ""
        records = (
            await self.cache.get(("delivery", delivery), lambda: self.pages.delivery_feed(delivery))
            if delivery
            else None
        )
        if not records:
            return self._error(
                404, "No such feed", "This delivery has posted nothing yet, or does not exist."
            )
        feed = delivery_feed(self.renderer, delivery, records, self._base(request))
        return self._atom(render_atom(self.renderer, feed))

    def _atom(self, text: str) -> web.Response:
        return web.Response(text=text, headers={"Content-Type": ATOM_TYPE})

    async def sources(self, request: web.Request) -> web.StreamResponse:
        if not self.auth.enabled:
            return self._error(
                404,
                "The admin page is off",
                "Set web.admin_token: ${WEB_ADMIN_TOKEN} in the config (and the variable in the "
                "environment) to turn it on.",
            )
        client = request.remote or "?"
        if self.auth.throttled(client):
            response = self._error(429, "Too many wrong tokens", "Wait a minute before trying again.")
            response.headers["Retry-After"] = "60"
            return response
        if not self.auth.check(request.headers.get("Authorization"), client):
            response = self._error(
                401,
                "The admin token is needed",
                "This page shows every source's health and the delivery history: sign in with any "
                "user name and the admin token as password (or send it as a Bearer token).",
            )
            response.headers["WWW-Authenticate"] = REALM
            return response
        page = await asyncio.to_thread(self.pages.sources)
        return self._html("sources.html", page=page, wide=True)

    async def static(self, request: web.Request) -> web.StreamResponse:
        found = static_file(request.match_info["name"])
        if found is None:
            raise web.HTTPNotFound()
        body, content_type = found
        return web.Response(
            body=body, headers={"Content-Type": content_type, "Cache-Control": "public, max-age=3600"}
        )

    async def favicon(self, _request: web.Request) -> web.StreamResponse:
        found = static_file("icon.svg")
        assert found is not None
        return web.Response(
            body=found[0], headers={"Content-Type": found[1], "Cache-Control": "public, max-age=86400"}
        )

    async def robots(self, _request: web.Request) -> web.StreamResponse:
        return web.Response(text=ROBOTS, content_type="text/plain")

    # -- every answer ------------------------------------------------------------------------------

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPNotFound:
            response = self._error(404, "Not found", "There is no page at this address.")
        except web.HTTPMethodNotAllowed:
            response = self._error(405, "Not allowed", "These pages are read-only: use GET.")
            response.headers["Allow"] = "GET, HEAD"
        except web.HTTPException as exc:  # a redirect: sent as it is, with the same headers
            for name, value in SECURITY_HEADERS.items():
                exc.headers.setdefault(name, value)
            raise
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.error(
                "web page %s failed: %s: %s", request.path, type(exc).__name__, self.redact(str(exc))[:300]
            )
            log.info("trace of the failed page %s", request.path, exc_info=exc)
            response = self._error(
                503, "This page cannot be made right now", "The store could not be read; try again shortly."
            )
        return self._finish(request, response)

    def _finish(self, request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if not isinstance(response, web.Response) or response.body is None:
            return response
        content_type = response.content_type
        if content_type in (HTML_TYPE, "application/atom+xml", "text/plain"):
            raw = response.body if isinstance(response.body, bytes) else response.text.encode()
            text = self.redact(raw.decode("utf-8"))
            if text.encode("utf-8") != raw:
                response.text = text
        private = request.path.startswith("/admin")
        if private:
            response.headers["Cache-Control"] = "no-store"
        elif response.status == 200 and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = f"public, max-age={max(0, int(self.cache_s))}"
        if response.status == 200 and not private and isinstance(response.body, bytes):
            tag = hashlib.sha256(response.body).hexdigest()[:32]
            response.etag = tag
            if request.if_none_match and any(e.value == tag for e in request.if_none_match):
                not_modified = web.Response(status=304, headers={"ETag": f'"{tag}"'})
                for name, value in SECURITY_HEADERS.items():
                    not_modified.headers[name] = value
                not_modified.headers["Cache-Control"] = response.headers["Cache-Control"]
                return not_modified
        return response
