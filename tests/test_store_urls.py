"""Our URL canonicalisation and content-hash rules (bot/store/urls.py)."""

from __future__ import annotations

import pytest

from bot.store.urls import canonicalize_url, content_hash

CANONICAL = "https://example.com/world/2026/nato-warning"


@pytest.mark.parametrize(
    "variant",
    [
        "https://example.com/world/2026/nato-warning",
        "http://example.com/world/2026/nato-warning",  # http -> https
        "HTTPS://WWW.EXAMPLE.COM/world/2026/nato-warning",  # case of scheme and host, www.
        "https://example.com:443/world/2026/nato-warning",  # default ports
        "http://example.com:80/world/2026/nato-warning",
        "https://example.com/world/2026/nato-warning/",  # trailing slash
        "https://example.com/world/2026/nato-warning#comments",  # fragment
        "https://example.com/world/2026/nato-warning?utm_source=rss&utm_medium=feed&utm_campaign=x",
        "https://example.com/world/2026/nato-warning?fbclid=abc&gclid=def&mc_cid=1&mc_eid=2",
        "https://example.com/world/2026/nato-warning?ref=homepage&cmpid=nl&ocid=msn&at_medium=social",
        "https://example.com/world/2026/nato-warning?CMP=share_btn_tw&smid=tw-share",
        "https://example.com/world/2026/nato-warning/amp",  # AMP variants
        "https://example.com/world/2026/nato-warning/amp/",
        "https://example.com/amp/world/2026/nato-warning",
        "https://example.com/world/2026/nato-warning.amp",
        "https://example.com/world/2026/nato-warning?amp",
        "https://example.com/world/2026/nato-warning?amp=1",
        "https://amp.example.com/world/2026/nato-warning",
        "https://www.google.com/amp/s/example.com/world/2026/nato-warning",  # AMP caches
        "https://example-com.cdn.ampproject.org/c/s/example.com/world/2026/nato-warning",
        "  https://example.com//world/2026//nato-warning  ",
    ],
)
def test_variants_of_one_article_share_a_canonical_url(variant: str) -> None:
    assert canonicalize_url(variant) == CANONICAL


def test_query_is_sorted_and_content_params_are_kept() -> None:
    assert (
        canonicalize_url("https://example.com/story?b=2&utm_source=x&a=1")
        == "https://example.com/story?a=1&b=2"
    )
    assert canonicalize_url("https://example.com/story?b=2&a=1") == canonicalize_url(
        "https://example.com/story?a=1&b=2"
    )


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("https://example.com/story?id=1", "https://example.com/story?id=2"),
        ("https://example.com/story?gallery=1", "https://example.com/story?gallery=2"),
        ("https://example.com/story?cid=1", "https://example.com/story?cid=2"),
        ("https://example.com/News/Story", "https://example.com/news/story"),  # paths are case-sensitive
        ("https://example.com:8443/story", "https://example.com/story"),  # a non-default port matters
        ("https://example.com/story", "https://example.org/story"),
        ("https://news.example.com/story", "https://example.com/story"),
        ("https://example.com/stamp", "https://example.com/st"),  # "amp" inside a word stays
    ],
)
def test_distinct_articles_stay_distinct(one: str, other: str) -> None:
    assert canonicalize_url(one) != canonicalize_url(other)


def test_root_and_percent_encoding_have_one_spelling() -> None:
    assert (
        canonicalize_url("https://example.com")
        == canonicalize_url("https://example.com/")
        == "https://example.com/"
    )
    assert canonicalize_url("https://example.com/caf%c3%a9") == canonicalize_url("https://example.com/café")


def test_non_web_urls_only_lose_the_fragment() -> None:
    assert canonicalize_url("file:///srv/news/a.txt#x") == "file:///srv/news/a.txt"
    assert canonicalize_url("urn:x-briefbot:abc") == "urn:x-briefbot:abc"


def test_empty_url_is_an_error() -> None:
    with pytest.raises(ValueError, match="needs a URL"):
        canonicalize_url("   ")


def test_content_hash_ignores_case_and_whitespace_only() -> None:
    a = "NATO's chief warned on Tuesday.\n\nThe alliance  met in The Hague."
    b = "nato's chief warned on tuesday. the alliance met in the hague.  "
    assert content_hash(a) == content_hash(b)
    assert len(content_hash(a)) == 64
    assert content_hash(a) != content_hash(a.replace("Tuesday", "Wednesday"))
