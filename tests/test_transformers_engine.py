"""The `transformers` engine and its faithfulness guard, on tiny models built locally (no download).

Random weights produce nonsense, which must never reach a briefing: every generated sentence is
rejected and the base engine's bullets stand. To see the acceptance path, one test replaces the
Hugging Face model's `generate` (third-party code) with one that emits a crafted sentence; the
engine's own tokenising, decoding, guarding and citing all run for real.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tiny_models import build_gpt2, build_t5

from summarizer.engines import EngineError, build_engine
from summarizer.engines.base import SummaryOptions
from summarizer.engines.lead import LeadSummarizer
from summarizer.engines.transformers_engine import TransformersSummarizer, load_model, split_sentences
from summarizer.faithfulness import check, names, numbers, quoted_spans
from summarizer.model import Briefing, Bullet, Document, SourceRef, Story, Topic

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "corpus" / "demo"
WIRE = DEMO / "meridian-wire" / "2026-11-16-taiwan-strait-destroyer-cutter.md"
RADIO = DEMO / "koraline-public-radio" / "2026-11-16-taiwan-protest-destroyer.md"
GRAIN = DEMO / "meridian-wire" / "2026-11-19-black-sea-corridor-insurance.md"


def read_md(path: Path) -> Document:
    _, meta, body = path.read_text(encoding="utf-8").split("---\n", 2)
    fields = dict(line.split(": ", 1) for line in meta.strip().splitlines())
    return Document(
        key=str(path),
        title=fields["title"].strip('"'),
        text=body.strip(),
        url=fields["url"],
        outlet=fields["outlet"],
        published=datetime.fromisoformat(fields["published"].replace("Z", "+00:00")),
    )


def demo_documents() -> list[Document]:
    return [read_md(p) for p in sorted(DEMO.glob("*/*.md"))]


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread() -> Iterator[None]:
    """Tiny models run fastest single-threaded; on a busy 2-core runner extra threads only spin."""
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def t5_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_t5(tmp_path_factory.mktemp("tiny-t5"))


@pytest.fixture(scope="module")
def gpt2_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_gpt2(tmp_path_factory.mktemp("tiny-gpt2"))


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


# --- the faithfulness guard on crafted strings --------------------------------------------------


@pytest.fixture(scope="module")
def taiwan_sources() -> list[str]:
    return [read_md(WIRE).text, read_md(RADIO).text]


def test_guard_passes_a_faithful_paraphrase(taiwan_sources: list[str]) -> None:
    faithful = [
        "A Chinese destroyer passed within 120 metres of the Taiwanese coast guard cutter Hai An "
        "at about 9:40 a.m. on Monday.",
        "Taiwan's Defence Minister Lin Shu-fen said Taiwan would lodge a formal protest.",
        "Taiwan counted 27 Chinese navy ships and 45 military aircraft around the island.",
        "Lin called it “a dangerous and deliberate act” against a civilian vessel.",
        "The cutter was towing a disabled fishing boat with nine fishermen on board.",
    ]
    for sentence in faithful:
        assert check(sentence, taiwan_sources) == [], sentence


@pytest.mark.parametrize(
    ("generated", "flagged"),
    [
        ("A Chinese destroyer passed within 150 metres of the cutter Hai An.", "150"),
        ("The destroyer crossed the bow of the cutter at 9:45 a.m. local time.", "9:45"),
        ("Taiwan counted 27% more Chinese navy ships than last year.", "27%"),
        ("The cutter was towing a disabled fishing boat with ten fishermen on board.", "ten"),
        ("Lin said Taiwan would lodge a formal protest on 17 November.", "17"),
        ("Admiral Lin said the destroyer had ignored repeated radio calls.", "Admiral Lin"),
        ("Japan and South Korea protested to Pyongyang about the destroyer.", "Pyongyang"),
        ("Lin said the manoeuvre was “an act of war” by the destroyer.", "an act of war"),
        ("Lin said “This was a dangerous act, carried out against a civilian vessel.”", "dangerous act"),
        ("Velvet turbines orchestrate quantum bananas beside luminous cathedrals.", "content words"),
    ],
)
def test_guard_rejects_invented_numbers_names_and_quotes(
    taiwan_sources: list[str], generated: str, flagged: str
) -> None:
    problems = check(generated, taiwan_sources)
    assert problems, generated
    assert any(flagged in p for p in problems), problems


def test_guard_compares_numbers_by_value_percent_and_scale() -> None:
    grain = read_md(GRAIN).text
    assert check("The facility is worth $450 million, officials said.", [grain]) == []
    assert check("The facility is worth $450 billion, officials said.", [grain])
    assert (
        check("Exports reached 1.1 million tonnes in May.", ["Exports reached 1,100,000 tonnes in May."])
        == []
    )
    assert check("Exports reached 1.1 million tonnes in May.", ["Exports reached 11 million tonnes in May."])
    assert check("Premiums fell to about 1 per cent of a ship's value.", [grain]) == []
    assert check("Premiums fell to about 2 per cent of a ship's value.", [grain])
    # A number inside a longer one is not the same number.
    assert check("The destroyer passed 12 metres away.", ["The destroyer passed 120 metres away."])


def test_guard_helpers_find_what_they_check() -> None:
    text = "Defence Minister Lin Shu-fen said on 16 November 2026 that 5% of 1.1 million ships “turned back”."
    assert "Defence Minister Lin Shu-fen" in names(text)
    assert numbers(text) == ["16", "2026", "5%", "1.1 million"]
    assert quoted_spans(text) == ["turned back"]
    assert check("", ["anything"]) == ["empty output"]
    assert check("Some text here.", [""]) == ["no source text to check against"]


# --- loading -------------------------------------------------------------------------------------


def test_missing_model_setting_is_a_clear_error() -> None:
    with pytest.raises(EngineError, match=r"summarizer\.model"):
        TransformersSummarizer(None, base=LeadSummarizer())
    with pytest.raises(EngineError, match=r"summarizer\.model"):
        build_engine("transformers", model=None)


def test_missing_model_directory_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "models" / "no-such-model"
    with pytest.raises(EngineError, match=re.escape(str(missing))):
        TransformersSummarizer(str(missing), base=LeadSummarizer())
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(EngineError, match=r"config\.json"):
        TransformersSummarizer(str(empty), base=LeadSummarizer())


def test_uncached_hub_id_fails_offline_with_advice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(EngineError, match="HF_HUB_OFFLINE"):
        TransformersSummarizer("briefbot-tests/no-such-model", base=LeadSummarizer())


def test_model_type_is_detected_and_loaded_once(t5_dir: Path, gpt2_dir: Path) -> None:
    t5 = load_model(str(t5_dir))
    gpt2 = load_model(str(gpt2_dir))
    assert t5.encoder_decoder and not gpt2.encoder_decoder
    assert t5.prefix == "summarize: " and gpt2.prefix == ""
    assert gpt2.context == 256 and t5.context == 256
    assert load_model(str(t5_dir)) is t5
    engine = TransformersSummarizer(str(t5_dir), base=LeadSummarizer())
    assert engine.loaded is t5


# --- random weights: everything generated is rejected, the extractive bullets stand ----------------


@pytest.mark.parametrize("kind", ["t5", "gpt2"])
def test_random_weights_fall_back_to_the_base_bullets(kind: str, t5_dir: Path, gpt2_dir: Path) -> None:
    docs = demo_documents()
    opts = SummaryOptions(max_stories=4, max_bullets=3)
    model_dir = t5_dir if kind == "t5" else gpt2_dir
    engine = TransformersSummarizer(str(model_dir), base=LeadSummarizer(), max_new_tokens=48)
    briefing = engine.summarize(docs, None, opts)
    expected = LeadSummarizer().summarize(docs, None, opts)

    assert isinstance(briefing, Briefing) and len(briefing.stories) == 4
    assert [[b.text for b in s.bullets] for s in briefing.stories] == [
        [b.text for b in s.bullets] for s in expected.stories
    ]
    sources = [_flat(d.text) for d in docs]
    for story in briefing.stories:
        for bullet in story.bullets:
            assert any(_flat(bullet.text) in s for s in sources)
    report = engine.last_report
    assert report and not any(r.accepted for r in report)
    # The guard itself (not only the shape checks) caught the nonsense.
    assert any(any("not in the sources" in p for p in r.problems) for r in report)


def test_default_base_is_the_extractive_engine(t5_dir: Path) -> None:
    assert TransformersSummarizer(str(t5_dir)).base.name == "extractive"


def test_composes_with_the_extractive_engine(t5_dir: Path) -> None:
    docs = demo_documents()
    topic = Topic("taiwan", ("Taiwan", "Taiwan Strait"))
    opts = SummaryOptions(max_stories=2)
    base = build_engine("extractive", embeddings="tfidf")  # tf-idf: no MiniLM load in this test
    engine = TransformersSummarizer(str(t5_dir), base=base, max_new_tokens=24)
    briefing = engine.summarize(docs, topic, opts)
    expected = base.summarize(docs, topic, opts)
    assert briefing.stories and briefing.topic == "taiwan"
    assert [[(b.text, b.sources) for b in s.bullets] for s in briefing.stories] == [
        [(b.text, b.sources) for b in s.bullets] for s in expected.stories
    ]
    assert [s.quotes for s in briefing.stories] == [s.quotes for s in expected.stories]
    assert engine.last_report and not any(r.accepted for r in engine.last_report)


def test_empty_input_gives_an_empty_briefing(t5_dir: Path) -> None:
    briefing = TransformersSummarizer(str(t5_dir), base=LeadSummarizer()).summarize([])
    assert briefing.stories == [] and briefing.sources == []


# --- forced generation: a faithful rewrite replaces bullets and cites both; an invented one does not --


class FixedBase:
    """A base engine with one two-source story: a bullet from the wire and one from the radio."""

    name = "fixed"

    def __init__(self, docs: Sequence[Document]) -> None:
        self.docs = docs
        self.thread: threading.Thread | None = None

    def summarize(
        self, documents: Sequence[Document], topic: Topic | None = None, options: SummaryOptions | None = None
    ) -> Briefing:
        self.thread = threading.current_thread()
        wire, radio = self.docs
        b1 = next(s for s in re.split(r"(?<=\.)\s+", wire.text) if "formal protest" in s)
        b2 = next(s for s in re.split(r"(?<=\.)\s+", radio.text) if "passed 120 metres" in s)
        b3 = next(s for s in re.split(r"(?<=\.)\s+", radio.text) if "Magong" in s)
        sources = [
            SourceRef(i + 1, d.title, d.url, d.outlet, d.published, [], d.key)
            for i, d in enumerate(self.docs)
        ]
        story = Story("Taiwan protests", [Bullet(b1, [1]), Bullet(b2, [2]), Bullet(b3, [2])], [], [1, 2])
        return Briefing(None, datetime.now(UTC), [story], sources)


def force_generation(
    monkeypatch: pytest.MonkeyPatch, engine: TransformersSummarizer, reply: str
) -> list[int]:
    """Make the Hugging Face model emit `reply` for every prompt; returns the prompt lengths seen."""
    import torch

    lm = engine.loaded
    seen: list[int] = []

    def generate(input_ids: Any, **kwargs: Any) -> Any:
        seen.append(int(input_ids.shape[1]))
        ids = lm.tokenizer(reply, add_special_tokens=False)["input_ids"] + [lm.tokenizer.eos_token_id]
        row = torch.tensor([ids] * input_ids.shape[0])
        if lm.encoder_decoder:
            start = torch.full((input_ids.shape[0], 1), lm.model.config.decoder_start_token_id)
            return torch.cat([start, row], dim=1)
        return torch.cat([input_ids, row], dim=1)

    monkeypatch.setattr(lm.model, "generate", generate)
    return seen


FAITHFUL = (
    "Defence Minister Lin Shu-fen said Taiwan would lodge a formal protest after a Chinese "
    "destroyer passed 120 metres in front of the cutter Hai An."
)
INVENTED = FAITHFUL.replace("120 metres", "80 metres")


@pytest.mark.parametrize("kind", ["t5", "gpt2"])
def test_faithful_rewrite_replaces_the_bullets_it_came_from(
    kind: str, t5_dir: Path, gpt2_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = [read_md(WIRE), read_md(RADIO)]
    # The tiny GPT-2 reads 256 tokens; 24 new ones leave room for the first two bullets together.
    engine = TransformersSummarizer(
        str(t5_dir if kind == "t5" else gpt2_dir),
        base=FixedBase(docs),
        max_new_tokens=96 if kind == "t5" else 24,
    )
    seen = force_generation(monkeypatch, engine, FAITHFUL)
    briefing = engine.summarize(docs)

    bullets = briefing.stories[0].bullets
    assert bullets[0] == Bullet(FAITHFUL, [1, 2])  # cites both bullets it came from
    assert len(bullets) == 2 and "Magong" in bullets[1].text and bullets[1].sources == [2]
    assert briefing.stories[0].quotes == []  # quotes are never generated
    if kind == "gpt2":  # prompt + answer fit the window
        assert seen and all(n + engine.max_new_tokens <= engine.loaded.context for n in seen)


def test_invented_number_is_rejected_and_the_originals_stand(
    t5_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = [read_md(WIRE), read_md(RADIO)]
    base = FixedBase(docs)
    engine = TransformersSummarizer(str(t5_dir), base=base)
    force_generation(monkeypatch, engine, INVENTED)
    briefing = engine.summarize(docs)
    original = base.summarize(docs)
    assert briefing.stories[0].bullets == original.stories[0].bullets
    [rewrite] = engine.last_report
    assert not rewrite.accepted and any("80" in p for p in rewrite.problems)


def test_long_bullets_are_chunked_to_the_context(gpt2_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = [read_md(WIRE), read_md(RADIO)]
    engine = TransformersSummarizer(str(gpt2_dir), base=FixedBase(docs), max_new_tokens=150)
    seen = force_generation(monkeypatch, engine, INVENTED)
    briefing = engine.summarize(docs)
    # 256 positions cannot hold the instruction, 150 new tokens and a bullet: the answer is cut
    # down, and each bullet (cut to what fits) is rewritten on its own.
    assert engine.max_new_tokens < 150
    assert len(seen) == 1 and len(engine.last_report) == 3
    assert all(n + engine.max_new_tokens <= engine.loaded.context for n in seen)
    assert briefing.stories[0].bullets == FixedBase(docs).summarize(docs).stories[0].bullets


# --- off the event loop ----------------------------------------------------------------------------


def test_asummarize_runs_off_the_event_loop(t5_dir: Path) -> None:
    docs = [read_md(WIRE), read_md(RADIO)]
    base = FixedBase(docs)
    engine = TransformersSummarizer(str(t5_dir), base=base, max_new_tokens=64)

    async def main() -> tuple[Briefing, int]:
        ticks = 0
        done = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not done.is_set():
                ticks += 1
                await asyncio.sleep(0.001)

        tick_task = asyncio.create_task(ticker())
        briefing = await engine.asummarize(docs)
        done.set()
        await tick_task
        return briefing, ticks

    briefing, ticks = asyncio.run(main())
    assert briefing.stories
    assert base.thread is not None and base.thread is not threading.main_thread()
    assert ticks > 1  # the loop kept running during generation


def test_split_sentences() -> None:
    assert split_sentences('He left. "She stayed," they said. 5 ships came!') == [
        "He left.",
        '"She stayed," they said.',
        "5 ships came!",
    ]


_WORDS = st.lists(
    st.text(st.characters(blacklist_categories=("Zs", "Cc")), min_size=1, max_size=12),
    min_size=1,
    max_size=40,
)


@settings(max_examples=80, deadline=None)
@given(generated=st.text(max_size=300), source=st.text(max_size=600))
def test_guard_never_raises_on_odd_text(generated: str, source: str) -> None:
    problems = check(generated, [source])
    assert isinstance(problems, list) and all(isinstance(p, str) for p in problems)


@settings(max_examples=80, deadline=None)
@given(words=_WORDS, data=st.data())
def test_guard_accepts_facts_copied_from_a_source(words: list[str], data: st.DataObject) -> None:
    """A run of whole words copied from a source may fail only on its share of unknown words."""
    start = data.draw(st.integers(0, len(words) - 1))
    end = data.draw(st.integers(start + 1, len(words)))
    source, generated = " ".join(words), " ".join(words[start:end])
    problems = check(generated, [source])
    assert not [p for p in problems if "not in the sources" in p and "content words" not in p], (
        generated,
        source,
    )
