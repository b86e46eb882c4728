"""Prometheus metrics of a `briefbot run` process, on a registry of its own (one per runner).

Labels are kept to small fixed sets (fetch status, platform, run result): per-source labels would
grow with the number of sources, and the per-source detail is in /healthz instead.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE_LATEST", "Metrics"]

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0)
CLAIM_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.fetches = Counter("briefbot_fetches", "Polls of sources, by outcome", ["status"], registry=r)
        self.fetch_failures = Counter("briefbot_fetch_failures", "Polls that failed", registry=r)
        self.articles_stored = Counter("briefbot_articles_stored", "New articles stored", registry=r)
        self.polls_skipped = Counter(
            "briefbot_polls_skipped", "Polls left to another replica or not due", ["reason"], registry=r
        )
        self.fetch_latency = Histogram(
            "briefbot_fetch_duration_seconds", "Time to fetch one source", buckets=LATENCY_BUCKETS, registry=r
        )
        self.briefings_posted = Counter(
            "briefbot_briefings_posted", "Scheduled briefings posted", ["platform"], registry=r
        )
        self.delivery_runs = Counter(
            "briefbot_delivery_runs", "Scheduled delivery runs, by result", ["result"], registry=r
        )
        self.claim_latency = Histogram(
            "briefbot_claim_duration_seconds",
            "Time to claim a delivery run",
            buckets=CLAIM_BUCKETS,
            registry=r,
        )
        self.sources_stale = Gauge(
            "briefbot_sources_stale", "Sources past run.stale_after failures", registry=r
        )
        self.sources = Gauge("briefbot_sources", "Enabled sources", registry=r)
        self.deliveries = Gauge(
            "briefbot_deliveries_scheduled", "Scheduled deliveries (config and chat)", registry=r
        )

    def render(self) -> bytes:
        """The Prometheus text exposition format."""
        return generate_latest(self.registry)
