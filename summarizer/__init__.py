"""briefbot's NLP core: article text in, `Briefing` out. Pure: no platform, network or database imports."""

from summarizer.model import Briefing, Bullet, Document, Quote, SourceRef, Story, Topic

__all__ = ["Briefing", "Bullet", "Document", "Quote", "SourceRef", "Story", "Topic"]
