"""Documents built from paragraphs written for a test: one way to make them, shared by the tests."""

from __future__ import annotations

from datetime import datetime

from summarizer.model import Document


def written_doc(key: str, outlet: str, title: str, paragraphs: list[str], published: datetime) -> Document:
    """An article of `outlet` at a made-up URL, its paragraphs separated as a page's would be."""
    return Document(
        key=key,
        title=title,
        text="\n\n".join(paragraphs),
        url=f"https://{outlet}.example/{key}",
        outlet=outlet,
        published=published,
    )
