"""Link safety (issue #7): private, loopback, link-local and metadata addresses are refused for
untrusted URLs before any connection, and the resolved address is what gets checked and used."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import httpcore
import httpx
import pytest
from hostile_server import HostileServer, make_items, rss_feed

from bot.config.schema import HttpConfig
from bot.ingest.errors import LinkRefused
from bot.ingest.http import HttpClient
from bot.ingest.safety import LinkPolicy, address_problem

FEED = rss_feed(make_items(2, "http://127.0.0.1/a"))


@pytest.fixture
def srv() -> Iterator[HostileServer]:
    with HostileServer() as server:
        server.static("/feed", FEED)
        yield server


@pytest.fixture
def connects(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every address a TCP connection is actually attempted to (spying on httpcore's backend)."""
    seen: list[str] = []
    original = httpcore.AnyIOBackend.connect_tcp

    async def spy(self: Any, host: str, port: int, *args: Any, **kw: Any) -> Any:
        seen.append(host)
        return await original(self, host, port, *args, **kw)

    monkeypatch.setattr(httpcore.AnyIOBackend, "connect_tcp", spy)
    return seen


def http_config() -> HttpConfig:
    return HttpConfig(timeout=2, per_host_delay=0, retries=0)


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.1", "private"),
        ("192.168.1.20", "private"),
        ("172.16.5.4", "private"),
        ("169.254.169.254", "cloud metadata"),
        ("169.254.10.1", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("100.64.0.1", "non-public"),
        ("fd00:ec2::254", "cloud metadata"),
        ("::ffff:10.0.0.1", "private"),
        ("240.0.0.1", "reserved"),
    ],
)
def test_non_public_addresses_have_a_reason(address: str, reason: str) -> None:
    problem = address_problem(address)
    assert problem is not None and reason in problem


@pytest.mark.parametrize("address", ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    assert address_problem(address) is None


def test_policy_trusts_only_the_configured_origin() -> None:
    policy = LinkPolicy.for_source("http://127.0.0.1:8080/feed.xml")
    policy.check_url(httpx.URL("http://127.0.0.1:8080/other"))
    with pytest.raises(LinkRefused, match="loopback"):
        policy.check_url(httpx.URL("http://127.0.0.1:8081/other"))
    with pytest.raises(LinkRefused, match="is not http or https"):
        policy.check_url(httpx.URL("file:///etc/passwd"))
    https = LinkPolicy.for_source("https://news.example/rss")
    assert https.trusts(httpx.URL("https://NEWS.example:443/story"))
    assert not https.trusts(httpx.URL("http://news.example:8443/story"))


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/latest",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:9/x",
        "http://192.168.0.1/admin",
    ],
)
def test_ip_literal_links_are_refused_before_any_connection(
    url: str,
    connects: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = HttpClient(http_config())
    with caplog.at_level(logging.WARNING), pytest.raises(LinkRefused):
        asyncio.run(client.get(url, policy=LinkPolicy.for_source("http://127.0.0.1:1/feed")))
    assert connects == []
    assert f"refused link {url}" in caplog.text and "address" in caplog.text


def test_redirect_to_metadata_address_is_refused(
    srv: HostileServer,
    connects: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    srv.redirect("/go", "http://169.254.169.254/latest/meta-data/iam")
    client = HttpClient(http_config())
    with caplog.at_level(logging.WARNING), pytest.raises(LinkRefused, match="cloud metadata address"):
        asyncio.run(client.get(srv.url("/go"), policy=LinkPolicy.for_source(srv.url("/feed"))))
    assert set(connects) == {"127.0.0.1"}
    assert "169.254.169.254" in caplog.text and "cloud metadata address" in caplog.text


def test_host_name_is_checked_after_resolution_at_connect_time(
    srv: HostileServer,
    connects: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A name that resolves to a private address (DNS rebinding) is refused when connecting."""
    calls: list[str] = []

    async def resolver(host: str, port: int) -> list[str]:
        calls.append(host)
        return ["127.0.0.1"]

    client = HttpClient(http_config(), resolver=resolver)
    url = f"http://rebind.test:{srv.port}/feed"
    with (
        caplog.at_level(logging.WARNING),
        pytest.raises(LinkRefused, match=r"127\.0\.0\.1 is a loopback address"),
    ):
        asyncio.run(client.get(url, policy=LinkPolicy.for_source("https://news.example/rss")))
    assert calls == ["rebind.test"]
    assert connects == [] and srv.requests() == []
    assert "rebind.test" in caplog.text and "loopback" in caplog.text


def test_every_answer_must_be_public(srv: HostileServer, connects: list[str]) -> None:
    async def resolver(host: str, port: int) -> list[str]:
        return ["10.1.2.3", "192.168.7.7"]

    client = HttpClient(http_config(), resolver=resolver)
    with pytest.raises(LinkRefused, match=r"10.1.2.3 is a private address, 192.168.7.7 is a private address"):
        asyncio.run(client.get("http://intranet.test/", policy=LinkPolicy()))
    assert connects == []


def test_trusted_name_connects_to_the_resolved_address_once_keeping_host(
    srv: HostileServer,
    connects: list[str],
) -> None:
    """The configured host may be private; the connection goes to the address resolved once,
    and the Host header still names the host (what a rebinding-safe pin must preserve)."""
    answers = iter([["127.0.0.1"], ["10.9.9.9"]])  # a second lookup would be a rebinding attempt

    async def resolver(host: str, port: int) -> list[str]:
        return next(answers)

    client = HttpClient(http_config(), resolver=resolver)
    url = f"http://feeds.test:{srv.port}/feed"

    async def twice() -> list[int]:
        async with client.session():  # one connection, reused
            a = await client.get(url, policy=LinkPolicy.for_source(url))
            b = await client.get(url, policy=LinkPolicy.for_source(url))
        return [a.status, b.status]

    assert asyncio.run(twice()) == [200, 200]
    assert connects == ["127.0.0.1"]
    assert srv.requests("/feed")[0].headers["Host"] == f"feeds.test:{srv.port}"
