"""Secrets never reach briefbot's log output, in messages, args or traces."""

from __future__ import annotations

import io
import logging

import pytest

from bot.logs import REDACTED, RedactingFormatter, register_secrets

SECRET = "xoxb-test-9f8e7d6c5b4a"


def test_message_args_and_trace_are_redacted_without_touching_the_record(
    caplog: pytest.LogCaptureFixture,
) -> None:
    register_secrets([SECRET])
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(RedactingFormatter("%(levelname)s %(message)s"))
    log = logging.getLogger("briefbot.test.logs")
    log.addHandler(handler)
    try:
        with caplog.at_level(logging.INFO, logger="briefbot.test.logs"):
            try:
                raise RuntimeError(f"auth failed for token {SECRET}")
            except RuntimeError:
                log.exception("posting with %s failed", SECRET)
    finally:
        log.removeHandler(handler)
    text = out.getvalue()
    assert SECRET not in text and REDACTED in text
    assert "RuntimeError" in text  # the trace is still there, only redacted
    # Other handlers get the untouched record (pytest's capture keeps the exception object).
    assert caplog.records[0].exc_info is not None
