"""Issue #7, SSRF: links found in feeds and redirects never reach loopback, private or metadata
addresses, and the refusal happens before any connection is attempted.

Every test here runs under `guard`, which records every TCP connect the process makes (at the
socket, below httpx and httpcore) and fails the test if one went anywhere but the local test
servers. Nothing is ever sent to 10.x or 169.254.x: those addresses only appear in documents
and in a fake resolver's answers.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from hostile_server import HostileServer, article_page, make_items, private_links_feed, rss_feed

from bot.config.schema import HttpConfig, SourceConfig
from bot.core.protocols import FetchOutcome, SourceState
from bot.ingest.errors import FetchError, LinkRefused
from bot.ingest.http import HttpClient
from bot.ingest.safety import LinkPolicy
from bot.ingest.transport import system_resolver
from bot.ingest.web import WebSource

PAGE = article_page(
    "Harbour pier approved",
    [
        f"Paragraph {i}: the harbour council approved the pier budget after a long debate in the town hall, "
        "and officials said construction would begin in the spring."
        for i in range(5)
    ],
)

# Names a fake resolver answers; anything else that is not an IP literal is refused (no DNS in tests).
NAMES = {
    "intranet.test": ["10.0.0.1"],
    "metadata.test": ["169.254.169.254"],
    "mixed.test": ["10.20.30.40", "169.254.169.254", "192.168.1.1"],
}


class Guard:
    """Every address the process tried to connect to, and the ports it may reach on 127.0.0.1."""

    def __init__(self) -> None:
        self.connects: list[tuple[str, int]] = []
        self.allowed_ports: set[int] = set()

    def allow(self, srv: HostileServer) -> HostileServer:
        self.allowed_ports.add(srv.port)
        return srv

    def outside(self) -> list[tuple[str, int]]:
        return [(h, p) for h, p in self.connects if h != "127.0.0.1" or p not in self.allowed_ports]


@pytest.fixture
def guard(monkeypatch: pytest.MonkeyPatch) -> Iterator[Guard]:
    g = Guard()
    for name in ("connect", "connect_ex"):
        original = getattr(socket.socket, name)

        def spy(self: socket.socket, address: Any, _original: Any = original) -> Any:
            if self.family in (socket.AF_INET, socket.AF_INET6):
                g.connects.append((str(address[0]), int(address[1])))
            return _original(self, address)

        monkeypatch.setattr(socket.socket, name, spy)
    yield g
    assert g.outside() == [], f"connections outside the test servers: {g.outside()}"


@pytest.fixture
def srv(guard: Guard) -> Iterator[HostileServer]:
    with HostileServer() as server:
        yield guard.allow(server)


async def fake_resolver(host: str, port: int) -> list[str]:
    if host in NAMES:
        return NAMES[host]
    if host in ("news.example",):
        return ["127.0.0.1"]
    try:
        import ipaddress

        ipaddress.ip_address(host)
    except ValueError:
        raise FetchError(f"cannot resolve host {host!r} (no DNS in tests)") from None
    return [host]


def http_config(**kw: Any) -> HttpConfig:
    return HttpConfig(**{"timeout": 2, "per_host_delay": 0, "retries": 0, **kw})


def full_text_source(url: str, client: HttpClient | None = None) -> WebSource:
    http = http_config()
    return WebSource(
        SourceConfig(name="ft", url=url, full_text=True),
        client or HttpClient(http, resolver=fake_resolver),
        http,
    )


def run(source: WebSource) -> FetchOutcome:
    return asyncio.run(source.fetch(SourceState(name=source.name)))


def test_item_links_inward_are_not_fetched_and_the_log_says_why(
    srv: HostileServer,
    guard: Guard,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Items linking to 127.0.0.1 on another port, to 10.0.0.1 and to 169.254.169.254: none is
    fetched, each is logged with its reason; the admin-listed source itself (on 127.0.0.1) is."""
    with HostileServer() as other:  # a local service the feed points at
        other.static("/secret", PAGE, "text/html")
        srv.static("/feed", private_links_feed(other.base_url))
        with caplog.at_level(logging.WARNING):
            outcome = run(full_text_source(srv.url("/feed")))
        assert other.requests() == [], "the other local port was contacted"
    assert outcome.status == "ok" and outcome.items_seen == 3
    assert outcome.articles == [] and outcome.items_skipped == 3
    log = caplog.text
    assert f"refused link {other.base_url}/secret: 127.0.0.1 is a loopback address" in log
    assert "refused link http://10.0.0.1/admin: 10.0.0.1 is a private address" in log
    assert (
        "refused link http://169.254.169.254/latest/meta-data/: 169.254.169.254 is a cloud metadata address"
        in log
    )
    assert sum("refused link" in w for w in outcome.warnings) == 3
    assert guard.connects and {h for h, _ in guard.connects} == {"127.0.0.1"}


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("http://10.0.0.1/admin", "10.0.0.1 is a private address"),
        ("http://169.254.169.254/latest/meta-data/iam/", "169.254.169.254 is a cloud metadata address"),
        ("http://[::ffff:a9fe:a9fe]/latest/", "cloud metadata address"),
        ("http://intranet.test/wiki", "intranet.test:80: resolves to 10.0.0.1 is a private address"),
        ("http://metadata.test/latest", "169.254.169.254 is a cloud metadata address"),
        (
            "http://mixed.test/",
            "10.20.30.40 is a private address, 169.254.169.254 is a cloud metadata address",
        ),
        ("https://intranet.test:8443/", "resolves to 10.0.0.1 is a private address"),
    ],
)
def test_redirect_from_a_public_looking_link_to_a_private_address_is_refused_before_connecting(
    srv: HostileServer,
    guard: Guard,
    caplog: pytest.LogCaptureFixture,
    target: str,
    reason: str,
) -> None:
    """A feed on `news.example` links to its own story page, which redirects inward. The first hop
    is allowed (it stands for the public site); the redirect target is refused without a connect."""
    srv.static("/feed", rss_feed(make_items(1, f"http://news.example:{srv.port}/story")))
    srv.redirect("/story/0", target)
    with caplog.at_level(logging.WARNING):
        outcome = run(full_text_source(f"http://news.example:{srv.port}/feed"))
    assert outcome.status == "ok" and outcome.articles == [] and outcome.items_skipped == 1
    assert len(srv.requests("/story/0")) == 1  # the public-looking hop was followed...
    assert reason in caplog.text and "refused link" in caplog.text
    assert any(reason in w for w in outcome.warnings)
    assert all(port == srv.port for _, port in guard.connects)  # ...and nothing after it


@pytest.mark.parametrize(
    "spelling",
    [
        "2130706433",
        "0x7f.0.0.1",
        "127.1",
        "[::ffff:127.0.0.1]",
        "0x0a000001",
        "10.1",
        "0",
    ],
)
def test_odd_spellings_of_inward_addresses_are_refused(
    srv: HostileServer,
    guard: Guard,
    spelling: str,
) -> None:
    """Decimal, hex, short and IPv4-mapped spellings reach the real resolver, whose answer is checked."""
    srv.static("/x", PAGE, "text/html")
    client = HttpClient(http_config(), resolver=system_resolver)
    with pytest.raises(LinkRefused, match=r"(loopback|private|unspecified) address"):
        asyncio.run(
            client.get(f"http://{spelling}:{srv.port}/x", policy=LinkPolicy.for_source(srv.url("/feed")))
        )
    assert guard.connects == [] and srv.requests() == []


def test_only_http_and_https_item_links_are_followed(srv: HostileServer, guard: Guard) -> None:
    links = [
        "file:///etc/passwd",
        "ftp://127.0.0.1/feed",
        "gopher://127.0.0.1:70/",
        "javascript:alert(1)",
        "data:text/html,<h1>x</h1>",
        f"http://127.0.0.1:{srv.port}/page",
    ]
    items = make_items(len(links), "unused")
    srv.static(
        "/feed",
        rss_feed(
            [
                dict(it, link=link, guid=f"urn:test:{i}")
                for i, (it, link) in enumerate(zip(items, links, strict=True))
            ]
        ),
    )
    srv.static("/page", PAGE, "text/html")
    outcome = run(full_text_source(srv.url("/feed")))
    assert outcome.status == "ok" and len(outcome.articles) == len(links)
    assert [r.path for r in srv.requests()] == ["/feed", "/page"]
    followed = next(a for a in outcome.articles if a.url.endswith("/page"))
    assert "construction would begin" in followed.text  # the same-origin page was read
    for a in outcome.articles:
        assert a.url.startswith("http"), a.url  # non-web links got a feed-based URL
    assert {h for h, _ in guard.connects} == {"127.0.0.1"}


def test_a_configured_private_source_is_fetched_but_its_redirects_are_not_trusted(
    srv: HostileServer,
    guard: Guard,
) -> None:
    """The admin may list an intranet feed; trust stays with that origin and does not follow redirects."""
    srv.redirect("/feed", "http://intranet.test/feed")
    http = http_config()
    source = WebSource(
        SourceConfig(name="intra", url=srv.url("/feed")), HttpClient(http, resolver=fake_resolver), http
    )
    outcome = run(source)
    assert outcome.status == "failed"
    assert outcome.error == "refused link intranet.test:80: resolves to 10.0.0.1 is a private address"
    assert len(srv.requests("/feed")) == 1
