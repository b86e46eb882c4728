"""Issue #16, URLs at run time, on loopback: a source whose URL cannot be used is reported and the
others go on; a port of 99999 and an item link that cannot be parsed are one-line fetch errors,
not an `ExceptionGroup` or a traceback; an IPv6 source does not make a look-alike host trusted."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import httpx
import pytest
from hostile_server import HostileServer, json_feed, make_items, rss_feed

from bot.config import load_config
from bot.config.loader import LoadedConfig
from bot.config.schema import HttpConfig, SourceConfig
from bot.core.polling import poll_sources
from bot.core.protocols import SourceState
from bot.ingest import build_sources
from bot.ingest.errors import FetchError, LinkRefused
from bot.ingest.http import HttpClient
from bot.ingest.safety import LinkPolicy
from bot.ingest.web import WebSource
from bot.store import open_store

FAST = HttpConfig(timeout="3s", per_host_delay="0s", retries=0)  # type: ignore[arg-type]


def test_a_source_whose_url_cannot_be_used_is_reported_and_the_others_go_on(tmp_path: Path) -> None:
    with HostileServer() as srv:
        srv.static("/feed", rss_feed(make_items(2, srv.url("/story"))))
        config = tmp_path / "briefbot.yaml"
        config.write_text(
            f'storage: {{url: "sqlite:///bot.db"}}\nhttp: {{per_host_delay: 0s, retries: 0}}\n'
            f'sources:\n  - {{name: good, url: "{srv.url("/feed")}"}}\n',
            encoding="utf-8",
        )
        loaded = load_config(config, env={})
        # A URL `config check` refuses, as a config validated elsewhere (or an older check) may hold.
        broken = SourceConfig.model_construct(
            name="broken",
            url="http://reader:Hunter2Secret#x@127.0.0.1/feed",
            path=None,
            outlet=None,
            labels=[],
            full_text=False,
            interval=loaded.config.sources[0].interval,
            enabled=True,
        )
        both = loaded.config.model_copy(update={"sources": [broken, *loaded.config.sources]})
        sources = build_sources(LoadedConfig(both, loaded.path))
        store = open_store(both.storage.url, base_dir=tmp_path)
        try:
            results = {r.outcome.source_name: r for r in asyncio.run(poll_sources(sources, store))}
        finally:
            store.close()  # type: ignore[attr-defined]
    assert results["good"].outcome.status == "ok" and results["good"].stored.new == 2  # type: ignore[union-attr]
    bad = results["broken"].outcome
    assert bad.status == "failed" and bad.error and "url cannot be used" in bad.error
    assert "'#'" in bad.error and "Hunter2" not in bad.error


def test_a_port_out_of_range_is_a_fetch_error_not_an_exception_group() -> None:
    client = HttpClient(FAST)
    url = "http://127.0.0.1:99999/feed"
    with pytest.raises(FetchError, match="port 99999 is out of range"):
        asyncio.run(client.get(url, policy=LinkPolicy.for_source(url)))  # the configured source itself


def test_an_item_link_that_cannot_be_parsed_is_one_line_without_a_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with HostileServer() as srv:
        items = make_items(2, srv.url("/story"))
        items[0]["link"] = "http://[::1/broken"
        srv.static("/feed", json_feed(items), content_type="application/feed+json")
        source = WebSource(
            SourceConfig(name="j", url=srv.url("/feed"), full_text=True), HttpClient(FAST), FAST
        )
        with caplog.at_level(logging.DEBUG):
            outcome = asyncio.run(source.fetch(SourceState("j")))
    assert outcome.status == "ok" and len(outcome.articles) == 2
    assert not [r for r in caplog.records if r.exc_info], [
        r.getMessage() for r in caplog.records if r.exc_info
    ]
    assert "full text of http://[::1/broken not read" in caplog.text and "IPv6" in caplog.text


def test_an_ipv6_source_does_not_trust_a_host_that_swallows_its_port() -> None:
    policy = LinkPolicy.for_source("http://[fd00::5]:8080/feed")
    assert policy.trusts(httpx.URL("http://[fd00::5]:8080/other"))
    look_alike = httpx.URL("http://[fd00::5:8080]:6379/")  # another private address
    assert not policy.trusts(look_alike)
    with pytest.raises(LinkRefused, match="private address"):
        policy.check_url(look_alike)
