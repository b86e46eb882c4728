"""The quote helper process of one-shot commands: same quotes as in-process, and nothing lost when it fails.

These start real helper processes (`python -m summarizer.quote_worker`, which loads spaCy) or
stand-ins that break the protocol in the ways a helper can.
"""

from __future__ import annotations

import io
import json
import logging
import sys

import pytest

from bot.entry import command_name
from summarizer import quote_worker
from summarizer.quote_worker import QuoteWorker, helper_for_this_command, serve
from summarizer.quotes import extract_quotes

ARTICLE = (
    "The harbour of Velmar reopened on Tuesday after a week of strikes.\n\n"
    "\u201cWe will not accept a deal that cuts the night shift,\u201d said Ana Ferreira, who leads the "
    "dockers' union. She added that talks would go on.\n\n"
    "The port's director, Samir Khalil, said: \"Ships are already queuing outside the breakwater and "
    'every day costs us two berths."\n\n'
    "\u201cIt was a long week for everyone in town,\u201d he said."
)
OTHER = (
    "Officials in Dunmore said the bridge would stay shut.\n\n"
    '"The cracks are wider than the inspectors expected last spring," said Lena Ortiz, the city\'s engineer.'
)


def _plain(quotes: list) -> list[tuple]:
    return [(q.text, q.speaker, q.start, q.end, q.sentence, q.speaker_title) for q in quotes]


@pytest.fixture(scope="module")
def worker():
    w = QuoteWorker()
    w.start()
    yield w
    w.close()


def test_helper_gives_exactly_the_in_process_quotes(worker: QuoteWorker) -> None:
    expected = extract_quotes(ARTICLE)
    assert any(q.speaker == "Ana Ferreira" for q in expected)  # the text really holds attributed quotes
    got = worker.extract(ARTICLE)
    assert _plain(got) == _plain(expected)
    for q in got:
        assert ARTICLE[q.start : q.end] == q.text


def test_prefetched_answers_survive_the_helper_stopping() -> None:
    w = QuoteWorker()
    w.start()
    w.prefetch([ARTICLE, OTHER, ARTICLE])
    futures = [w._by_text[ARTICLE], w._by_text[OTHER]]
    assert len(w._by_text) == 2  # the repeated text was asked once
    for f in futures:
        f.result(timeout=120)
    w.close()
    assert not w.alive
    assert _plain(w.extract(OTHER)) == _plain(extract_quotes(OTHER))
    assert w.extract(OTHER) is futures[1].result()  # the helper's answer, not a new in-process run


@pytest.mark.parametrize(
    "argv, why",
    [
        ([sys.executable, "-c", "pass"], "exits at once"),
        (
            [sys.executable, "-c", "import sys; sys.stdin.readline(); print('not json', flush=True)"],
            "garbage",
        ),
        (
            [
                sys.executable,
                "-c",
                'import sys; sys.stdin.readline(); print(\'{"id": 0, "quotes": [{}]}\', flush=True)',
            ],
            "malformed quotes",
        ),
        (
            [
                sys.executable,
                "-c",
                'import sys; sys.stdin.readline(); print(\'{"id": 0, "error": "boom"}\', flush=True)',
            ],
            "error answer",
        ),
        (["/nonexistent/quote-helper"], "cannot start"),
    ],
)
def test_a_broken_helper_falls_back_to_this_process(
    argv: list[str], why: str, caplog: pytest.LogCaptureFixture
) -> None:
    w = QuoteWorker(argv)
    with caplog.at_level(logging.WARNING, logger="summarizer.quote_worker"):
        w.start()
        got = w.extract(ARTICLE)
    w.close()
    assert _plain(got) == _plain(extract_quotes(ARTICLE)), why
    assert caplog.records, f"{why}: the fallback should be logged"


def test_a_helper_that_already_exited_is_reported_once_and_bypassed(caplog: pytest.LogCaptureFixture) -> None:
    import time

    w = QuoteWorker([sys.executable, "-c", "pass"])
    w.start()
    deadline = time.monotonic() + 30
    while w.alive and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not w.alive
    with caplog.at_level(logging.WARNING, logger="summarizer.quote_worker"):
        first = w.extract(ARTICLE)
        second = w.extract(OTHER)
    w.close()
    assert _plain(first) == _plain(extract_quotes(ARTICLE)) and _plain(second) == _plain(
        extract_quotes(OTHER)
    )
    assert len([r for r in caplog.records if "not running" in r.getMessage()]) == 1


def test_serve_answers_each_request_and_stops_on_a_foreign_line() -> None:
    requests = (
        "\n".join(
            [
                json.dumps({"id": 7, "text": OTHER}),
                json.dumps({"id": 8, "text": ""}),
                "GET / HTTP/1.1",
                json.dumps({"id": 9, "text": OTHER}),
            ]
        )
        + "\n"
    )
    out = io.StringIO()
    serve(io.StringIO(requests), out)
    answers = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [a["id"] for a in answers] == [7, 8]
    assert answers[1]["quotes"] == []
    assert [q["speaker"] for q in answers[0]["quotes"]] == ["Lena Ortiz"]
    q = answers[0]["quotes"][0]
    assert OTHER[q["start"] : q["end"]] == q["text"]


def test_the_command_helper_is_active_only_inside_the_command() -> None:
    assert quote_worker.active() is None
    with helper_for_this_command() as w:
        assert quote_worker.active() is w and w.alive
        assert _plain(w.extract(OTHER)) == _plain(extract_quotes(OTHER))
    assert quote_worker.active() is None and not w.alive


def test_an_early_helper_is_adopted_or_discarded() -> None:
    quote_worker.start_early()
    early = quote_worker._early
    assert early is not None and early.alive
    with helper_for_this_command() as w:
        assert w is early
    assert not early.alive and quote_worker._early is None
    quote_worker.start_early()
    early = quote_worker._early
    quote_worker.discard_early()
    assert early is not None and not early.alive and quote_worker._early is None


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["brief"], "brief"),
        (["brief", "taiwan", "--input", "x"], "brief"),
        (["-c", "brief.yaml", "fetch"], "fetch"),
        (["--config", "a.yaml", "-vv", "brief", "taiwan"], "brief"),
        (["--config=a.yaml", "-q", "brief"], "brief"),
        (["brief", "--help"], None),
        (["--help"], None),
        ([], None),
        (["-v"], None),
    ],
)
def test_the_entry_point_finds_the_command(argv: list[str], expected: str | None) -> None:
    assert command_name(argv) == expected


def test_the_helper_loads_spacy_lean_and_still_parses_alike() -> None:
    """The helper skips spacy.cli and the plugin scan; its parses must match a normal load's."""
    import subprocess

    probe = (
        "import sys, json\n"
        "from summarizer.nlp import use_lean_import, get_nlp\n"
        "use_lean_import()\n"
        "nlp = get_nlp()\n"
        "doc = nlp(sys.stdin.read())\n"
        "print(json.dumps({'cli_loaded': 'typer' in sys.modules or 'weasel' in sys.modules,\n"
        "                  'parse': [(t.text, t.pos_, t.dep_, t.head.i, t.ent_type_) for t in doc]}))\n"
    )
    # Tokenizer exceptions, URLs and units: the helper's tokenizer rules come from the pipeline's files.
    text = (
        ARTICLE
        + " It's the U.S. Navy's call, don't you think? See https://example.org/a-b :) 5km, e.g. 3p.m."
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], input=text, capture_output=True, text=True, timeout=300, check=True
    )
    lean = json.loads(out.stdout)
    assert lean["cli_loaded"] is False
    from summarizer.nlp import get_nlp

    doc = get_nlp()(text)
    assert [list(x) for x in lean["parse"]] == [[t.text, t.pos_, t.dep_, t.head.i, t.ent_type_] for t in doc]


def test_a_large_prefetch_does_not_wait_for_the_helper() -> None:
    """Megabytes of requests queue up while the helper is still loading spaCy; the caller moves on."""
    import time

    sleeper = [sys.executable, "-c", "import time, sys; time.sleep(30); sys.stdin.read()"]
    w = QuoteWorker(sleeper)
    w.start()
    texts = [f"{i} " + "word " * 40_000 for i in range(10)]  # ~2 MB, far beyond a pipe's buffer
    t0 = time.perf_counter()
    w.prefetch(texts)
    elapsed = time.perf_counter() - t0
    w.close()
    assert elapsed < 5, f"prefetch blocked for {elapsed:.1f} s"
    assert all(w._by_text.get(t) is None for t in texts)  # unanswered: asked again in-process later


def test_stray_prints_in_the_helper_do_not_break_the_protocol() -> None:
    # A print from inside serve() (a library warning on stdout) comes after main() has moved stdout.
    probe = (
        "import sys\n"
        "from summarizer import quote_worker\n"
        "orig = quote_worker.serve\n"
        "def serve(stdin, out):\n"
        "    print('a library talking on stdout')\n"
        "    orig(stdin, out)\n"
        "quote_worker.serve = serve\n"
        "sys.exit(quote_worker.main())\n"
    )
    w = QuoteWorker([sys.executable, "-c", probe])
    w.start()
    future = w._submit(OTHER)
    assert future is not None
    assert _plain(future.result(timeout=120)) == _plain(extract_quotes(OTHER))
    w.close()


def test_brief_uses_the_helper_unless_switched_off(monkeypatch: pytest.MonkeyPatch, repo_root) -> None:
    """`BRIEFBOT_QUOTE_HELPER=off`: no helper process, and the very same briefing."""
    from typer.testing import CliRunner

    from bot.cli import _register
    from bot.cli import app as cli_app
    from bot.entry import quote_helper_enabled

    _register()
    started: list[QuoteWorker] = []
    real_start = QuoteWorker.start

    def recording_start(self: QuoteWorker) -> None:
        started.append(self)
        real_start(self)

    monkeypatch.setattr(QuoteWorker, "start", recording_start)
    args = [
        "-c",
        str(repo_root / "config" / "demo.yaml"),
        "brief",
        "taiwan",
        "--input",
        str(repo_root / "corpus" / "demo"),
        "--format",
        "json",
    ]

    def briefing() -> dict:
        res = CliRunner().invoke(cli_app, args)
        assert res.exit_code == 0, res.output
        out = json.loads(res.stdout)
        out.pop("generated_at", None)
        return out

    with_helper = briefing()
    assert len(started) == 1 and not started[0].alive  # started for the command, stopped after it
    assert any(st["quotes"] for st in with_helper["stories"])
    monkeypatch.setenv("BRIEFBOT_QUOTE_HELPER", "off")
    assert not quote_helper_enabled()
    without = briefing()
    assert len(started) == 1  # no helper this time
    assert without == with_helper
