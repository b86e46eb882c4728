"""Quote extraction and attribution on small texts written for these tests."""

from __future__ import annotations

import threading

import pytest

from summarizer import names
from summarizer.nlp import get_nlp
from summarizer.quotes import (
    QuoteCandidate,
    conflicting_titles,
    extract_quotes,
    is_verbatim,
    normalize_for_match,
)


def quotes(text: str) -> list[QuoteCandidate]:
    found = extract_quotes(text)
    for q in found:
        assert text[q.start : q.end] == q.text
        assert is_verbatim(q.text, text)
    return found


def only(text: str) -> QuoteCandidate:
    found = quotes(text)
    assert len(found) == 1, found
    return found[0]


# -- spans ----------------------------------------------------------------------------------------------


def test_speaker_after_the_quote_resolved_to_full_name_with_title() -> None:
    text = (
        "Danish Foreign Minister Anna Berg spoke in Copenhagen on Monday.\n"
        "“We will not accept any change of borders by force,” Berg said."
    )
    q = only(text)
    assert q.text == "We will not accept any change of borders by force"
    assert q.speaker == "Anna Berg"
    assert q.speaker_title == "Danish Foreign Minister"
    assert "Berg said" in q.sentence


def test_inverted_said_x() -> None:
    q = only('"The talks have failed completely today," said Peter Lind, a senior diplomat.')
    assert q.speaker == "Peter Lind"
    assert q.text == "The talks have failed completely today"


def test_paraphrase_without_quote_marks_gives_no_quote() -> None:
    assert quotes("Clara Voss said the deal could fall apart within weeks if nothing changed.") == []


def test_he_said_after_two_persons_is_left_without_speaker() -> None:
    q = only(
        'Peter Lind met Omar Haddad in Geneva. "This was a very useful meeting for both sides," he said.'
    )
    assert q.speaker is None


def test_she_said_after_one_person_is_resolved() -> None:
    text = 'Clara Voss arrived late. She looked tired. "We have done everything we could today," she said.'
    assert only(text).speaker == "Clara Voss"


def test_pronoun_is_not_resolved_to_a_person_named_only_inside_a_quote() -> None:
    text = '"Omar Haddad has misled everyone in this room," the statement read. "He must resign," he said.'
    for q in quotes(text):
        assert q.speaker is None


def test_quote_spanning_a_paragraph_break_is_one_quote() -> None:
    text = (
        "Finance Minister Clara Voss spoke at length.\n"
        "“The first part of the plan is about taxes and spending.\n"
        "“The second part is about pensions,” Voss said."
    )
    q = only(text)
    assert q.text.startswith("The first part") and q.text.endswith("about pensions")
    assert q.speaker == "Clara Voss"
    assert q.speaker_title == "Finance Minister"


def test_unclosed_quote_in_a_paragraph_is_not_a_quote() -> None:
    text = "“This sentence opens a quote and never closes it in the paragraph.\nVoss left the room early."
    assert quotes(text) == []


def test_partial_quote_inside_a_sentence() -> None:
    text = (
        "Finance Minister Clara Voss spoke on Monday. Voss warned that the deal could "
        "“fall apart within weeks” if nothing changed."
    )
    q = only(text)
    assert q.text == "fall apart within weeks"
    assert q.speaker == "Clara Voss"


def test_colon_introduction_in_the_previous_paragraph() -> None:
    text = "Foreign Minister Omar Haddad wrote on social media:\n“We are ready to talk to anyone who wants peace.”"
    q = only(text)
    assert q.speaker == "Omar Haddad"
    assert q.text == "We are ready to talk to anyone who wants peace."


def test_person_named_inside_the_quote_is_not_the_speaker() -> None:
    text = (
        "Clara Voss was asked about the talks.\n"
        '"Omar Haddad is wrong about everything he says here," Voss told reporters.'
    )
    assert only(text).speaker == "Clara Voss"


def test_quote_with_no_attribution_has_no_speaker() -> None:
    text = (
        'Clara Voss and Omar Haddad met twice. The communique said it was "a productive and frank exchange".'
    )
    assert only(text).speaker is None


@pytest.mark.parametrize(
    ("text", "inner"),
    [
        ("Kanzler Karl Brandt sagte: „Wir stehen zusammen und wir bleiben zusammen.“", "Wir stehen zusammen"),
        ("Le ministre a déclaré : « Nous sommes prêts à négocier sans conditions. »", "Nous sommes prêts"),
        ("‘We will not give up on this city, ever,’ the mayor said.", "We will not give up"),
    ],
)
def test_other_quote_styles(text: str, inner: str) -> None:
    q = only(text)
    assert q.text.startswith(inner)
    assert not q.text.startswith(("„", "«", "‘", " "))


def test_single_quotes_nested_in_double_quotes_stay_in_the_outer_quote() -> None:
    text = "Omar Haddad recalled: \"He told me, 'We will never sign this paper,' and then he left the room.\""
    q = only(text)
    assert q.text.startswith("He told me, 'We will never sign this paper,'")
    assert q.speaker == "Omar Haddad"


def test_apostrophes_do_not_open_or_close_quotes() -> None:
    text = "It’s a long road, Voss’s aide said. ‘We don’t know yet what they’ll do next,’ Peter Lind said."
    q = only(text)
    assert q.text == "We don’t know yet what they’ll do next"
    assert q.speaker == "Peter Lind"


def test_scare_quotes_titles_and_headlines_are_not_quotes() -> None:
    text = (
        '"Minister Warns Of Long Winter Ahead"\n'
        "The so-called \"opt-out\" clause is a 'red line' for Berlin, which has gone full ‘Red Dawn’.\n"
        'She reviewed the book "the long road to peace in our time" last week.'
    )
    assert quotes(text) == []


def test_short_quote_is_kept_when_a_speech_verb_is_right_beside_it() -> None:
    text = 'Anna Berg was asked whether she would resign. "Never," Berg said.'
    q = only(text)
    assert (q.text, q.speaker) == ("Never", "Anna Berg")


def test_according_to_and_told_the_times() -> None:
    a = only('According to Clara Voss, "the budget is balanced for the first time in a decade."')
    assert a.speaker == "Clara Voss"
    b = only('Peter Lind told the Times that the alliance was "ready to defend every inch of its territory".')
    assert b.speaker == "Peter Lind"
    assert b.text == "ready to defend every inch of its territory"


def test_follow_on_quote_in_the_same_paragraph_keeps_the_speaker() -> None:
    text = '"We have to stand ready for every outcome," Anna Berg said. "We cannot be naive about it."'
    assert [q.speaker for q in quotes(text)] == ["Anna Berg", "Anna Berg"]


def test_follow_on_quote_after_another_person_is_named_has_no_speaker() -> None:
    text = (
        '"We have to stand ready for every outcome," Anna Berg said. Peter Lind nodded in agreement. '
        '"We cannot be naive about it."'
    )
    assert [q.speaker for q in quotes(text)] == ["Anna Berg", None]


def test_definite_description_resolved_only_through_the_title() -> None:
    text = (
        "NATO Secretary-General Anna Berg spoke in Brussels on Monday. "
        'The NATO chief said the alliance was "ready for any test that comes its way".\n'
        'An official said it was "only the beginning of a long and difficult process".'
    )
    first, second = quotes(text)
    assert first.speaker == "Anna Berg"
    assert first.speaker_title == "NATO Secretary-General"
    assert second.speaker is None


def test_empty_and_quote_free_text() -> None:
    assert extract_quotes("") == []
    assert extract_quotes("No quotation marks at all in this sentence.") == []


# -- normalisation ---------------------------------------------------------------------------------------


def test_normalize_for_match_folds_marks_dashes_ellipses_and_whitespace() -> None:
    assert normalize_for_match("“It’s — he said…”\u00a0\n  ok\u200b") == '"It\'s - he said..." ok'
    assert normalize_for_match("„a“ «b» ‚c‘") == '"a" "b" \'c\''


def test_is_verbatim() -> None:
    source = "She said: “The crews are deeply tired… after the long night,” and left."
    assert is_verbatim("The crews are deeply tired... after the long night", source)
    assert is_verbatim("The crews  are\ndeeply tired", source)
    assert not is_verbatim("The crews are tired after the night", source)  # words dropped
    assert not is_verbatim("", source)
    assert not is_verbatim("   ", source)


# -- conflicting titles --------------------------------------------------------------------------------------


def _quote(speaker: str, title: str | None) -> QuoteCandidate:
    return QuoteCandidate("We will stand together", speaker, 0, 22, "", title)


def test_conflicting_titles_majority_and_tie() -> None:
    texts = {
        "a": "NATO Secretary-General Anna Berg said so.",
        "b": "NATO Secretary General Anna Berg agreed.",
        "c": "NATO Secretary-General Peter Lind disagreed.",
    }
    cands = {
        "a": [_quote("Anna Berg", "NATO Secretary-General")],
        "b": [],
        "c": [_quote("Peter Lind", "NATO Secretary-General")],
    }
    assert conflicting_titles(cands, texts) == {("c", "Peter Lind")}
    tie = {k: v for k, v in texts.items() if k != "b"}
    assert conflicting_titles(cands, tie) == {("a", "Anna Berg"), ("c", "Peter Lind")}


def test_former_and_unqualified_titles_do_not_conflict() -> None:
    texts = {
        "a": "NATO Secretary-General Anna Berg said so.",
        "b": "Former NATO Secretary-General Peter Lind said so too. President Omar Haddad agreed.",
        "c": "President Clara Voss disagreed.",
    }
    cands = {
        "a": [_quote("Anna Berg", "NATO Secretary-General")],
        "b": [_quote("Peter Lind", "Former NATO Secretary-General"), _quote("Omar Haddad", "President")],
        "c": [_quote("Clara Voss", "President")],
    }
    assert conflicting_titles(cands, texts) == set()


# -- helpers ----------------------------------------------------------------------------------------------


def test_name_helpers() -> None:
    assert names.same_person("Rutte", "Mark Rutte")
    assert names.same_person("Vladimir Putin", "Vladimir Vladimirovich Putin")
    assert not names.same_person("Anna Berg", "Peter Lind")
    assert names.resolve_full_name("Rutte", ["Rutte", "Mark Rutte"]) == "Mark Rutte"
    assert names.resolve_full_name("Trump", ["Donald Trump", "Melania Trump"]) is None
    assert names.normalize_title("Nato Secretary General") == names.normalize_title("NATO Secretary-General")
    assert names.is_specific_title("US President") and not names.is_specific_title("President")


def test_get_nlp_loads_once_across_threads() -> None:
    got: list[object] = []
    threads = [threading.Thread(target=lambda: got.append(get_nlp())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 4 and all(n is got[0] for n in got)
    assert "lemmatizer" not in got[0].pipe_names  # type: ignore[attr-defined]


def test_he_said_is_not_given_to_an_earlier_person_past_an_unnamed_speaker() -> None:
    text = (
        '"The vote shows that the city cares about its neighbours," said Nadia Ferrand, the mayor. '
        "Ferrand said work could start within two years.\n"
        "Their spokesman, Jean-Luc Marnier, said the group accepted the result. "
        '"We will be watching every single franc of the budget," he said.'
    )
    first, second = quotes(text)
    assert first.speaker == "Nadia Ferrand"
    assert second.speaker != "Nadia Ferrand"


def test_person_given_in_an_appositive_of_the_subject() -> None:
    a = only(
        '"The ships are returning to the canal at last," the port\'s director, Samir Khalil, told a conference.'
    )
    assert a.speaker == "Samir Khalil"
    b = only(
        '"Factories carry the economy again, which cannot last," said Maria Lopez, chief economist at a bank.'
    )
    assert b.speaker == "Maria Lopez"


def test_quote_only_sentence_after_a_sentence_naming_two_people_has_no_speaker() -> None:
    text = 'Anna Berg said the plan was sound, but Peter Lind disagreed. "We will fight this plan in every court."'
    assert only(text).speaker is None


def test_quote_only_sentence_introduced_by_a_speech_verb() -> None:
    text = 'Peter Lind said the plan was unsound. "We will fight this plan in every court."'
    assert only(text).speaker == "Peter Lind"


def test_quotes_in_markup_and_hard_wrapped_lines() -> None:
    a = only('<p>"We will rebuild every school in the region," Anna Berg said.</p>')
    assert (a.text, a.speaker) == ("We will rebuild every school in the region", "Anna Berg")
    b = only('Anna Berg said: "We will rebuild every\nschool in the region," and left.')
    assert b.text == "We will rebuild every\nschool in the region"


def test_short_partial_quote_right_after_a_speech_verb_is_kept() -> None:
    text = 'Peter Lind said the vote was "a disaster."'
    q = only(text)
    assert (q.text, q.speaker) == ("a disaster.", "Peter Lind")


def test_institutions_are_not_speakers() -> None:
    text = '"The strikes hit only military targets near the border," the Kremlin said in a statement.'
    assert only(text).speaker is None


def test_extract_quotes_from_several_threads_gives_the_same_answer() -> None:
    text = (
        "Finance Minister Clara Voss spoke on Monday.\n"
        '"We have done everything we could today," Voss said. "The rest is up to parliament."'
    )
    expected = extract_quotes(text)
    results: list[list[QuoteCandidate]] = []
    threads = [threading.Thread(target=lambda: results.append(extract_quotes(text))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [q.speaker for q in expected] == ["Clara Voss", "Clara Voss"]
    assert results == [expected] * 4
