"""Ingest: turn configured sources (feeds, article pages, local files) into `FetchedArticle`s.

`build_sources` is the entry point the app uses; every source satisfies `bot.core.protocols.Source`
and reports failures in its `FetchOutcome` instead of raising.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

from bot.ingest.errors import IngestError, UnknownSourceError

if TYPE_CHECKING:
    from bot.config import LoadedConfig
    from bot.config.schema import BriefbotConfig, SourceConfig
    from bot.core.protocols import Source
    from bot.ingest.files import FileSource
    from bot.ingest.http import HttpClient
    from bot.ingest.web import WebSource

log = logging.getLogger(__name__)

__all__ = ["FileSource", "HttpClient", "IngestError", "UnknownSourceError", "WebSource", "build_sources"]

# Imported on first use: `brief --input` reads local files and must not pay for httpx (0.1 s).
_LAZY = {"FileSource": "bot.ingest.files", "HttpClient": "bot.ingest.http", "WebSource": "bot.ingest.web"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def build_sources(
    loaded: LoadedConfig, only: str | None = None, *, client: HttpClient | None = None
) -> list[Source]:
    """The enabled sources of the config, or just the one named `only` (even if disabled).

    All web sources share one `HttpClient`, so per-host limits hold across them.
    """
    from bot.ingest.files import FileSource
    from bot.ingest.http import HttpClient

    cfg = loaded.config
    chosen = cfg.sources
    if only is not None:
        chosen = [s for s in cfg.sources if s.name.casefold() == only.strip().casefold()]
        if not chosen:
            names = ", ".join(s.name for s in cfg.sources) or "(none configured)"
            raise UnknownSourceError(f"no source named {only!r}; configured sources: {names}")
    else:
        chosen = [s for s in chosen if s.enabled]
    client = client or HttpClient(cfg.http)
    sources: list[Source] = []
    for s in chosen:
        if s.url:
            sources.append(_web_source(s, client, cfg))
        else:
            assert s.path is not None
            sources.append(
                FileSource(
                    s.name,
                    loaded.resolve_path(s.path),
                    outlet=s.outlet,
                    labels=s.labels,
                    interval=s.interval,
                    max_items=cfg.http.max_items,
                )
            )
    return sources


def _web_source(s: SourceConfig, client: HttpClient, cfg: BriefbotConfig) -> Source:
    """The source, or, when its URL cannot be used, a stand-in that reports why at every poll (the
    config check refuses such URLs; this keeps one bad source from stopping the others anyway)."""
    import httpx

    from bot.config.urls import url_problem
    from bot.ingest.unusable import UnusableSource
    from bot.ingest.web import WebSource
    from bot.logs import redact

    assert s.url is not None
    problem = url_problem(s.url)
    if problem is None:
        try:
            return WebSource(s, client, cfg.http)
        except (httpx.InvalidURL, ValueError, TypeError) as exc:  # UnicodeError (IDNA) is a ValueError
            problem = redact(f"{type(exc).__name__}: {exc}")
    reason = f"url cannot be used: {problem}; fix it in the config (`briefbot config check` shows where)"
    log.error("source %s skipped: %s", s.name, reason)
    return UnusableSource(s.name, redact(s.url), reason, s.interval)
