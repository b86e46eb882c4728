"""Property tests: extract_quotes never raises and never returns a quote that is not in its input."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from summarizer.quotes import QuoteCandidate, extract_quotes, is_verbatim, normalize_for_match

# Pieces of news-like text, markup and every kind of quote mark, so that random joins produce
# balanced, unbalanced, nested and paragraph-spanning quotes far more often than random unicode does.
FRAGMENTS = [
    "“", "”", "„", "«", "»", "‘", "’", '"', "'", "‚", "‹", "›", "\n", "\n\n", " ", ", ", ". ", ": ",
    "he said", "she said", " said Anna Berg", "Anna Berg", "Omar Haddad told reporters",
    "Foreign Minister Omar Haddad", "NATO Secretary-General Mark Rutte", "Rutte warned",
    "according to Berg", "We will not accept this", "never", "keep us busy here", "it's", "don’t",
    "<p>", "</p>", "&quot;", "<h3>Title</h3>", "—", "…", "\u200b", "\u00a0", "Ünïcödé", "北京",
    "1.1 million", "(", ")", "[Donald]", "X", "wrote:", "\t",
]  # fmt: skip

news_like = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12)), min_size=0, max_size=80
).map("".join)
any_text = st.one_of(st.text(max_size=3000), news_like)


def _check(text: str, quotes: list[QuoteCandidate]) -> None:
    normalized_text = normalize_for_match(text)  # is_verbatim, with the source normalised once
    for q in quotes:
        assert 0 <= q.start < q.end <= len(text)
        assert text[q.start : q.end] == q.text
        assert normalize_for_match(q.text) and normalize_for_match(q.text) in normalized_text
        assert q.speaker is None or q.speaker.strip()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_text)
def test_any_text_gives_only_verbatim_slices(text: str) -> None:
    quotes = extract_quotes(text)
    _check(text, quotes)
    assert all(is_verbatim(q.text, text) for q in quotes)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(news_like.filter(lambda s: len(s) > 20))
def test_huge_inputs_are_bounded(chunk: str) -> None:
    text = (chunk * (200_000 // len(chunk) + 1))[:200_000]
    t0 = time.perf_counter()
    quotes = extract_quotes(text)
    elapsed = time.perf_counter() - t0
    _check(text, quotes)
    assert elapsed < 30, f"extract_quotes took {elapsed:.1f}s on 200 kB"


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=400), st.integers(0, 400), st.integers(0, 400))
def test_normal_form_of_a_slice_is_inside_the_normal_form_of_the_whole(text: str, a: int, b: int) -> None:
    a, b = sorted((min(a, len(text)), min(b, len(text))))
    piece = text[a:b]
    assert normalize_for_match(piece) in normalize_for_match(text)
    if normalize_for_match(piece):
        assert is_verbatim(piece, text)


def test_a_huge_article_full_of_quotes_stays_within_the_parse_budget() -> None:
    paragraph = (
        "Foreign Minister Anna Berg spoke in Oslo on Monday.\n"
        "“We will not accept any change of borders by force,” Berg said. “Never.”\n"
        "Peter Lind met Omar Haddad in Geneva. 'This was useful for both sides,' he said.\n"
    )
    text = (paragraph * (200_000 // len(paragraph) + 1))[:200_000]
    t0 = time.perf_counter()
    quotes = extract_quotes(text)
    elapsed = time.perf_counter() - t0
    _check(text, quotes)
    assert len(quotes) > 1000  # every quote is returned, attributed or not
    assert quotes[0].speaker == "Anna Berg"  # the start of the article is within the budget
    assert elapsed < 30, f"extract_quotes took {elapsed:.1f}s on 200 kB"
