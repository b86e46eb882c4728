"""The simplest engine: one story per article, its first sentences as bullets.

A baseline for benchmarks and a fallback; it cites only the article it read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

from summarizer.engines.base import SummaryOptions
from summarizer.model import Briefing, Bullet, Document, SourceRef, Story, StoryGroup, Topic

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

    def summarize_stories(
        self,
        documents: Sequence[Document],
        stories: Sequence[StoryGroup],
        topic: Topic | None = None,
        options: SummaryOptions | None = None,
    ) -> Briefing:
        """Each story's first document's lead, citing every document of the story."""
        opts = options or SummaryOptions()
        by_key = {d.key: d for d in documents}
        sources: list[SourceRef] = []
        ids: dict[str, int] = {}
        out: list[Story] = []
        for group in stories[: opts.max_stories]:
            docs = [by_key[m.doc_key] for m in group.members if m.doc_key in by_key]
            if not docs:
                continue
            for d in docs:
                if d.key not in ids:
                    ids[d.key] = len(sources) + 1
                    sources.append(
                        SourceRef(ids[d.key], d.title, d.url, d.outlet, d.published, list(d.labels), d.key)
                    )
            cited = sorted({ids[d.key] for d in docs})
            sentences = [s.strip() for s in _SENT.split(docs[0].text.strip()) if len(s.strip()) > 30]
            bullets = [
                Bullet(s[: opts.bullet_chars], [ids[docs[0].key]]) for s in sentences[: opts.max_bullets]
            ]
            title = docs[0].title or (sentences[0][:80] if sentences else "")
            out.append(
                Story(
                    title,
                    bullets,
                    [],
                    cited,
                    len({d.outlet for d in docs}) == 1,
                    id=group.id,
                    phase=group.phase,
                )
            )
        return Briefing(topic.name if topic else None, opts.now or datetime.now(UTC), out, sources)
