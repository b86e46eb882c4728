"""An article page (HTML) to a `FetchedArticle`: text, title, date and site name via trafilatura."""

from __future__ import annotations

import httpx

from bot.core.protocols import FetchedArticle
from bot.ingest.extract import PageExtract, extract_page, looks_like_article, resolve_date

HTML_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "")


def host_outlet(url: str) -> str:
    """The outlet name of last resort: the host without `www.`."""
    try:
        host = httpx.URL(url).host
    except (httpx.InvalidURL, ValueError):
        return ""
    return host.removeprefix("www.")


def page_to_article(
    page: PageExtract,
    *,
    url: str,
    outlet: str | None,
    labels: list[str],
    source_name: str,
) -> FetchedArticle:
    published, dated_by = resolve_date(page.published, "page", page.text)
    return FetchedArticle(
        url=url,
        title=page.title or page.text.split("\n", 1)[0][:120],
        text=page.text,
        outlet=outlet or page.sitename or host_outlet(url),
        published=published,
        labels=list(labels),
        source_name=source_name,
        dated_by=dated_by,
    )


def read_article_page(
    body: bytes,
    *,
    url: str,
    outlet: str | None = None,
    labels: list[str] | None = None,
    source_name: str = "",
) -> FetchedArticle | None:
    """The article on a page, or None if the page has too little running text to be one."""
    page = extract_page(body, url)
    if page is None or not looks_like_article(page):
        return None
    return page_to_article(page, url=url, outlet=outlet, labels=list(labels or []), source_name=source_name)
