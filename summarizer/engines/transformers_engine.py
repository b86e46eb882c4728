"""The `transformers` engine: abstractive rewriting of extractive bullets, guarded against invention.

The base engine (extractive by default) still decides what the briefing says: which stories, which
sentences, which citations and which quotes. This engine only rewrites each story's bullets from the
text of the sentences they cite, with any local seq2seq or causal Hugging Face model, and keeps a
rewrite only if `summarizer.faithfulness.check` finds every name, number and quotation of it in the
sources it will cite. Anything else falls back to the extractive bullet, so a weak or misbehaving
model can make a briefing less fluent but never less true. Quotes are never generated.

torch and transformers are imported only when a model is loaded; a model is loaded once per
(model, device) per process.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from summarizer.engines.base import EngineError, Summarizer, SummaryOptions
from summarizer.faithfulness import check, content_words
from summarizer.model import Briefing, Bullet, Document, Story, StoryGroup, Topic
from summarizer.nlp import torch_import_gate

log = logging.getLogger(__name__)

__all__ = ["LoadedModel", "Rewrite", "TransformersSummarizer", "load_model", "resolve_model_ref"]

CONTEXT_CAP = 1024  # never feed more tokens than this, whatever the model claims
_DEFAULT_CONTEXT = 512
_MAX_GROUP = 4  # bullets rewritten together at most
_BATCH = 8  # prompts per generate() call
_T5_FAMILY = frozenset({"t5", "mt5", "umt5", "longt5", "switch_transformers"})
_INSTRUCTION = (
    "Rewrite the following news sentences as one or two short, plain sentences. "
    "Use only the facts, names and numbers stated in them; add nothing."
)
_SENT_SPLIT = re.compile(r"(?<=[.!?])[\"”’)]*\s+(?=[\"“‘(]?[A-Z0-9])")
_ENDS_SENTENCE = re.compile(r"[.!?][\"”’)]*$")


@dataclass
class LoadedModel:
    """A tokenizer and model ready to generate, with what the engine needs to know about them."""

    ref: str
    tokenizer: Any
    model: Any
    encoder_decoder: bool
    context: int  # input tokens the model can read (capped)
    prefix: str  # task prefix for T5-style models ("summarize: ")
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


@dataclass
class Rewrite:
    """One generated sentence and what the guard thought of it (kept for logs, tests and tuning)."""

    story: int
    originals: list[str]
    generated: str
    problems: list[str]

    @property
    def accepted(self) -> bool:
        return not self.problems


_CACHE: dict[tuple[str, str], LoadedModel] = {}
_CACHE_LOCK = threading.Lock()


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def resolve_model_ref(model: str) -> str:
    """An existing model directory as an absolute path, or a Hugging Face id left as given.

    Something written as a path ("/…", "./…", "../…", "~/…") must be a directory with a config.json;
    "org/name" is a Hugging Face id unless such a directory exists.
    """
    text = model.strip()
    path = Path(os.path.expanduser(text))
    looks_like_path = text.startswith(("/", "./", "../", "~", ".\\")) or text in {".", ".."}
    if path.exists() or looks_like_path:
        if not path.exists():
            raise EngineError(
                f"summarizer.model: the model directory {path} does not exist; "
                "set summarizer.model to a directory holding config.json and the weights, "
                "or to a Hugging Face model id"
            )
        if not path.is_dir():
            raise EngineError(f"summarizer.model: {path} is a file; point it at the model's directory")
        if not (path / "config.json").is_file():
            raise EngineError(
                f"summarizer.model: {path} has no config.json; is it a Hugging Face model "
                "directory (saved with save_pretrained)?"
            )
        return str(path.resolve())
    return text


def load_model(model: str, device: str = "cpu") -> LoadedModel:
    """Load (once per process) the tokenizer and model for a directory or Hugging Face id."""
    ref = resolve_model_ref(model)
    key = (ref, device)
    with _CACHE_LOCK:
        loaded = _CACHE.get(key)
        if loaded is None:
            loaded = _CACHE[key] = _load(ref, device)
        return loaded


def _load(ref: str, device: str) -> LoadedModel:
    try:
        with torch_import_gate():
            import torch  # noqa: F401  (fail early with a clear message when torch is missing)
            from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer
            from transformers.utils import logging as hf_logging
    except ImportError as exc:
        raise EngineError(
            "the transformers engine needs torch and transformers: pip install 'briefbot[ml]'"
        ) from exc
    hf_logging.disable_progress_bar()
    local_only = _offline() or Path(ref).is_dir()
    try:
        config = AutoConfig.from_pretrained(ref, local_files_only=local_only)
        tokenizer = AutoTokenizer.from_pretrained(ref, local_files_only=local_only)
        encoder_decoder = bool(getattr(config, "is_encoder_decoder", False))
        auto = AutoModelForSeq2SeqLM if encoder_decoder else AutoModelForCausalLM
        model: Any = auto.from_pretrained(ref, config=config, local_files_only=local_only)
    except (OSError, ValueError, KeyError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if Path(ref).is_dir():
            hint = "the directory does not hold a loadable model and tokenizer"
        elif local_only:
            hint = (
                "HF_HUB_OFFLINE is set, so only models already in the local Hugging Face cache load; "
                f"download it once (huggingface-cli download {ref}) or set summarizer.model to a "
                "local directory"
            )
        else:
            hint = "check the model id, or set summarizer.model to a local directory"
        raise EngineError(f"cannot load summarizer.model {ref!r}: {reason} ({hint})") from exc
    try:
        model.to(device)
    except (RuntimeError, AssertionError, ValueError) as exc:
        raise EngineError(f"cannot move the model to device {device!r}: {exc}") from exc
    model.eval()
    if not encoder_decoder:
        tokenizer.padding_side = "left"  # causal models continue from the right edge
    if tokenizer.pad_token is None:
        if tokenizer.eos_token is None:
            raise EngineError(f"the tokenizer of {ref!r} has neither a pad nor an eos token")
        tokenizer.pad_token = tokenizer.eos_token
    return LoadedModel(ref, tokenizer, model, encoder_decoder, _context(tokenizer, config), _prefix(config))


def _context(tokenizer: Any, config: Any) -> int:
    sizes = []
    limit = getattr(tokenizer, "model_max_length", None)
    if isinstance(limit, int) and 0 < limit < 1_000_000:  # unset limits are a huge sentinel
        sizes.append(limit)
    for attr in ("max_position_embeddings", "n_positions", "max_sequence_length"):
        value = getattr(config, attr, None)
        if isinstance(value, int) and value > 0:
            sizes.append(value)
    return min(min(sizes) if sizes else _DEFAULT_CONTEXT, CONTEXT_CAP)


def _prefix(config: Any) -> str:
    params = getattr(config, "task_specific_params", None) or {}
    prefix = (params.get("summarization") or {}).get("prefix")
    if isinstance(prefix, str):
        return prefix
    return "summarize: " if getattr(config, "model_type", "") in _T5_FAMILY else ""


def split_sentences(text: str) -> list[str]:
    """Sentences of a short generated text (model output is plain, so a regex is enough)."""
    return [s.strip() for s in _SENT_SPLIT.split(text.strip()) if s.strip()]


class TransformersSummarizer:
    """Rewrites the base engine's bullets with a local model; see the module docstring."""

    name = "transformers"

    def __init__(
        self,
        model: str | None,
        base: Summarizer | None = None,
        max_new_tokens: int = 96,
        device: str = "cpu",
        *,
        num_beams: int = 1,
        max_novel: float = 0.3,
        embeddings: str = "auto",
        embedding_model: str | None = None,
    ) -> None:
        if not model or not str(model).strip():
            raise EngineError(
                "summarizer.engine is 'transformers' but summarizer.model is not set; set "
                "summarizer.model to a Hugging Face model id (e.g. "
                "sshleifer/distilbart-cnn-12-6) or a local model directory"
            )
        if max_new_tokens < 8:
            raise EngineError("max_new_tokens must be at least 8")
        if base is None:
            from summarizer.engines import build_engine

            base = build_engine("extractive", embeddings=embeddings, embedding_model=embedding_model)
        self.base = base
        self.max_new_tokens = max_new_tokens
        self.num_beams = max(1, num_beams)
        self.max_novel = max_novel
        self.loaded = load_model(str(model), device)
        self._budget_tokens = self._budget()
        self.last_report: list[Rewrite] = []  # rewrites of the most recent call, accepted or not

    # --- the Summarizer protocol -------------------------------------------------------------

    def summarize(
        self,
        documents: Sequence[Document],
        topic: Topic | None = None,
        options: SummaryOptions | None = None,
    ) -> Briefing:
        opts = options or SummaryOptions()
        return self._rewrite(self.base.summarize(documents, topic, opts), documents, opts)

    def summarize_stories(
        self,
        documents: Sequence[Document],
        stories: Sequence[StoryGroup],
        topic: Topic | None = None,
        options: SummaryOptions | None = None,
    ) -> Briefing:
        opts = options or SummaryOptions()
        return self._rewrite(self.base.summarize_stories(documents, stories, topic, opts), documents, opts)

    def _rewrite(self, briefing: Briefing, documents: Sequence[Document], opts: SummaryOptions) -> Briefing:
        """The extractive bullets rewritten by the model, each kept only if the guard accepts it."""
        jobs = [(si, chunk) for si, story in enumerate(briefing.stories) for chunk in self._chunks(story)]
        if not jobs:
            self.last_report = []
            return briefing
        try:
            outputs = self._generate([self._prompt(chunk) for _, chunk in jobs])
        except (RuntimeError, ValueError, IndexError, TypeError) as exc:
            log.warning("transformers engine: generation failed (%s); keeping the extractive bullets", exc)
            self.last_report = []
            return briefing
        texts = _source_texts(briefing, documents)
        report: list[Rewrite] = []
        bullets: dict[int, list[Bullet]] = {}
        rewritten: dict[int, list[str]] = {}
        for (si, chunk), output in zip(jobs, outputs, strict=True):
            bullets.setdefault(si, []).extend(
                self._accept(si, chunk, output, texts, opts, report, rewritten.setdefault(si, []))
            )
        self.last_report = report
        kept = sum(r.accepted for r in report)
        log.info(
            "transformers engine: %d of %d generated sentences passed the faithfulness guard",
            kept,
            len(report),
        )
        stories: list[Story] = [
            replace(story, bullets=bullets.get(si, story.bullets))
            for si, story in enumerate(briefing.stories)
        ]
        return Briefing(briefing.topic, briefing.generated_at, stories, briefing.sources)

    async def asummarize(
        self,
        documents: Sequence[Document],
        topic: Topic | None = None,
        options: SummaryOptions | None = None,
    ) -> Briefing:
        """`summarize` on a worker thread, so generation never blocks the event loop."""
        return await asyncio.to_thread(self.summarize, documents, topic, options)

    # --- chunking and prompting ----------------------------------------------------------------

    def _count(self, text: str) -> int:
        return len(self.loaded.tokenizer(text, add_special_tokens=False)["input_ids"])

    def _budget(self) -> int:
        """Tokens of bullet text that fit in one prompt beside the instruction (and, for causal
        models, the tokens still to be generated, which are cut down if they would not leave room)."""
        overhead = self._count(self._prompt_text("")) + 8
        room = self.loaded.context - overhead
        if not self.loaded.encoder_decoder:
            if room - self.max_new_tokens < 32:
                fitted = max(8, room - 32)
                log.warning(
                    "transformers engine: %s reads only %d tokens; generating at most %d new "
                    "tokens instead of %d",
                    self.loaded.ref,
                    self.loaded.context,
                    fitted,
                    self.max_new_tokens,
                )
                self.max_new_tokens = fitted
            room -= self.max_new_tokens
        return max(room, 16)

    def _chunks(self, story: Story) -> list[list[Bullet]]:
        """The story's bullets in groups that fit the model's context window."""
        budget = self._budget_tokens
        chunks: list[list[Bullet]] = []
        used = 0
        for bullet in story.bullets:
            size = self._count(bullet.text)
            if chunks and len(chunks[-1]) < _MAX_GROUP and used + size <= budget:
                chunks[-1].append(bullet)
                used += size
            else:
                chunks.append([bullet])
                used = size
        return chunks

    def _fit(self, text: str) -> str:
        """Cut text to the prompt budget (a single bullet longer than the context window)."""
        budget = self._budget_tokens
        ids = self.loaded.tokenizer(text, add_special_tokens=False)["input_ids"]
        if len(ids) <= budget:
            return text
        return str(self.loaded.tokenizer.decode(ids[:budget], skip_special_tokens=True))

    def _prompt_text(self, body: str) -> str:
        lm = self.loaded
        if lm.encoder_decoder:
            return lm.prefix + body
        if getattr(lm.tokenizer, "chat_template", None):
            message = [{"role": "user", "content": f"{_INSTRUCTION}\n\n{body}"}]
            return str(lm.tokenizer.apply_chat_template(message, tokenize=False, add_generation_prompt=True))
        return f"{_INSTRUCTION}\n\nSentences: {body}\n\nRewritten:"

    def _prompt(self, chunk: Sequence[Bullet]) -> str:
        return self._prompt_text(self._fit(" ".join(b.text for b in chunk)))

    def _generate(self, prompts: list[str]) -> list[str]:
        """Greedy (or beam) generation, in batches, under the model's lock."""
        import torch

        lm = self.loaded
        chat = not lm.encoder_decoder and bool(getattr(lm.tokenizer, "chat_template", None))
        outputs: list[str] = []
        with lm.lock, torch.inference_mode():
            for start in range(0, len(prompts), _BATCH):
                batch = prompts[start : start + _BATCH]
                enc = lm.tokenizer(
                    batch,
                    return_tensors="pt",
                    padding=True,
                    truncation=True,
                    max_length=lm.context,
                    add_special_tokens=not chat,
                )
                enc = {k: v.to(lm.model.device) for k, v in enc.items()}
                generated = lm.model.generate(
                    **enc,
                    max_new_tokens=self.max_new_tokens,
                    do_sample=False,
                    num_beams=self.num_beams,
                    no_repeat_ngram_size=3,
                    pad_token_id=lm.tokenizer.pad_token_id,
                )
                if not lm.encoder_decoder:
                    generated = generated[:, enc["input_ids"].shape[1] :]
                decoded = lm.tokenizer.batch_decode(generated, skip_special_tokens=True)
                outputs.extend(_first_paragraph(str(text)) for text in decoded)
        return outputs

    # --- the guard -------------------------------------------------------------------------

    def _accept(
        self,
        story: int,
        chunk: list[Bullet],
        output: str,
        texts: dict[int, str],
        opts: SummaryOptions,
        report: list[Rewrite],
        rewritten: list[str],
    ) -> list[Bullet]:
        """Generated sentences that pass, in place of the bullets they cover; the rest unchanged.

        `rewritten` holds the story's rewrites so far (other chunks), so none is said twice.
        """
        placed: list[tuple[int, Bullet]] = []
        covered: set[int] = set()
        originals = [b.text for b in chunk]
        for sentence in split_sentences(output) or [output.strip()]:
            problems = _form_problems(sentence, opts.bullet_chars)
            origin = _origin(sentence, chunk)
            if not origin:
                problems.append("shares too few words with the sentences it rewrites")
            # Checked against what it would cite; a sentence of unknown origin against the whole chunk.
            drawn = origin or list(range(len(chunk)))
            cites = sorted({sid for i in drawn for sid in chunk[i].sources})
            evidence = [texts[sid] for sid in cites if sid in texts] + [chunk[i].text for i in drawn]
            problems += check(sentence, evidence, max_novel=self.max_novel)
            if not problems and any(_same(sentence, other) for other in rewritten):
                problems = ["repeats another rewritten bullet"]
            report.append(Rewrite(story, originals, sentence, problems))
            if problems:
                log.debug("rewrite rejected: %r: %s", sentence, "; ".join(problems))
                continue
            placed.append((min(origin), Bullet(sentence, cites)))
            rewritten.append(sentence)
            covered.update(origin)
        placed.extend((i, b) for i, b in enumerate(chunk) if i not in covered)
        placed.sort(key=lambda item: item[0])
        return [b for _, b in placed]


def _first_paragraph(text: str) -> str:
    """Causal models ramble on after the answer; keep the first paragraph."""
    return text.strip().split("\n\n", 1)[0].replace("\n", " ").strip()


def _form_problems(sentence: str, max_chars: int) -> list[str]:
    problems = []
    words = re.findall(r"\w+", sentence)
    if len(words) < 5:
        problems.append("too short to be a bullet")
    if len(sentence) > max_chars:
        problems.append(f"longer than {max_chars} characters")
    if not re.match(r"^[\"“‘(]?[A-Z0-9]", sentence):
        problems.append("does not start like a sentence")
    if not _ENDS_SENTENCE.search(sentence):
        problems.append("unfinished sentence")
    lowered = [w.lower() for w in words if len(w) > 2]
    if len(lowered) >= 8 and len(set(lowered)) / len(lowered) < 0.6:
        problems.append("repetitive")
    return problems


def _origin(sentence: str, chunk: Sequence[Bullet]) -> list[int]:
    """Indices of the bullets a generated sentence draws on: those sharing most content words."""
    words = set(content_words(sentence))
    overlaps = [len(words & set(content_words(b.text))) for b in chunk]
    best = max(overlaps, default=0)
    if best < 2:
        return []
    floor = max(2, math.ceil(best / 2))
    return [i for i, n in enumerate(overlaps) if n >= floor]


def _same(a: str, b: str) -> bool:
    wa, wb = set(content_words(a)), set(content_words(b))
    return bool(wa) and len(wa & wb) / len(wa | wb) > 0.8


def _source_texts(briefing: Briefing, documents: Sequence[Document]) -> dict[int, str]:
    """Text of every cited document by source id (matched by key, else URL, else title)."""
    by_key = {d.key: d for d in documents if d.key}
    by_url = {d.url: d for d in documents if d.url}
    by_title = {d.title: d for d in documents if d.title}
    texts: dict[int, str] = {}
    for ref in briefing.sources:
        doc = by_key.get(ref.key) or by_url.get(ref.url) or by_title.get(ref.title)
        if doc is not None:
            texts[ref.id] = f"{doc.title}\n{doc.text}"
    return texts
