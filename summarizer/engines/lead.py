"""The simplest engine: one story per article, its first sentences as bullets.

A baseline for benchmarks and a fallback; it cites only the article it read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

from summarizer.engines.base import SummaryOptions
from summarizer.model import Briefing, Bullet, Document, SourceRef, Story, Topic

_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“])")


class LeadSummarizer:
    name = "lead"

    def summarize(
        self,
        documents: Sequence[Document],
        topic: Topic | None = None,
        options: SummaryOptions | None = None,
    ) -> Briefing:
        opts = options or SummaryOptions()
        docs = list(documents)
        if topic is not None:
            terms = [t.lower() for t in topic.terms]
            docs = [d for d in docs if any(t in (d.title + " " + d.text).lower() for t in terms)]
        docs.sort(key=lambda d: d.published or datetime.min.replace(tzinfo=UTC), reverse=True)
        sources: list[SourceRef] = []
        stories: list[Story] = []
        for doc in docs[: opts.max_stories]:
            sid = len(sources) + 1
            sources.append(
                SourceRef(sid, doc.title, doc.url, doc.outlet, doc.published, list(doc.labels), doc.key)
            )
            sentences = [s.strip() for s in _SENT.split(doc.text.strip()) if len(s.strip()) > 30]
            bullets = [Bullet(s[: opts.bullet_chars], [sid]) for s in sentences[: opts.max_bullets]]
            stories.append(
                Story(doc.title or (sentences[0][:80] if sentences else ""), bullets, [], [sid], True)
            )
        return Briefing(topic.name if topic else None, datetime.now(UTC), stories, sources)
