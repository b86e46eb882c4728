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


def test_every_rendering_of_a_secret_is_redacted() -> None:
    """Plain, percent-encoded in any subset of its characters (either hex case), as httpx writes a
    password in userinfo and urllib a key in a query, HTML- and JSON-escaped; and the pieces a URL
    parser cuts out of it and quotes (`Invalid port: 'Hunter2Secret'`)."""
    import json
    import random
    import re
    from html import escape
    from urllib.parse import quote, quote_plus

    import httpx

    from bot.logs import redact as hide

    secrets = ["Tr0ub4dor&3@x", "p@ss!word", "fk+SECRET/key=42 zz", "Hunter2Secret#tail", "naïve-Sécret"]
    register_secrets(secrets)
    rng = random.Random(16)
    for secret in secrets:
        forms = {
            secret,
            quote(secret, safe=""),
            quote(secret),
            quote_plus(secret),
            str(httpx.URL(f"http://reader:{quote(secret, safe='')}@127.0.0.1/feed")),
            str(httpx.URL("http://127.0.0.1/feed", params={"key": secret})),
            escape(secret),
            json.dumps(secret),
            json.dumps(secret, ensure_ascii=False),
        }
        for _ in range(20):  # any subset of its characters encoded, in either case
            forms.add("".join(quote(c, safe="") if rng.random() < 0.5 else c for c in secret))
            forms.add(re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), quote(secret, safe="")))
        for form in forms:
            shown = hide(f"GET {form} failed")
            assert REDACTED in shown, (secret, form)
            assert secret not in shown and form not in shown.replace(REDACTED, ""), (secret, form, shown)
    try:
        httpx.URL("http://reader:Hunter2Secret#tail@127.0.0.1/feed")
    except httpx.InvalidURL as exc:
        assert "Hunter2Secret" in str(exc) and "Hunter2Secret" not in hide(str(exc))
    assert (
        hide("a 127.0.0.1 host and the word password stay") == "a 127.0.0.1 host and the word password stay"
    )
