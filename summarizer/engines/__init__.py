"""Summarisation engines behind one `Summarizer` protocol."""

from __future__ import annotations

from typing import Any

from summarizer.engines.base import EngineError, Summarizer, SummaryOptions

__all__ = ["EngineError", "Summarizer", "SummaryOptions", "build_engine"]


def build_engine(name: str, **options: Any) -> Summarizer:
    """Build an engine by its config name; heavy imports happen only for the engine asked for."""
    if name == "lead":
        from summarizer.engines.lead import LeadSummarizer

        return LeadSummarizer()
    if name == "extractive":
        from summarizer.engines.extractive import ExtractiveSummarizer

        return ExtractiveSummarizer(**options)
    if name == "transformers":
        from summarizer.engines.transformers_engine import TransformersSummarizer

        return TransformersSummarizer(**options)
    raise EngineError(f"unknown summarizer engine {name!r}; choose extractive, transformers or lead")
