"""Ingest: turn configured sources (feeds, article pages, local files) into `FetchedArticle`s.

`build_sources` is the entry point the app uses; every source satisfies `bot.core.protocols.Source`
and reports failures in its `FetchOutcome` instead of raising.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from bot.ingest.errors import IngestError, UnknownSourceError

if TYPE_CHECKING:
    from bot.config import LoadedConfig
    from bot.core.protocols import Source
    from bot.ingest.files import FileSource
    from bot.ingest.http import HttpClient
    from bot.ingest.web import WebSource

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
    from bot.ingest.web import WebSource

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
            sources.append(WebSource(s, client, cfg.http))
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
