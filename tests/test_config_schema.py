"""Durations and sizes as admins write them, and the schema's own rules."""

from __future__ import annotations

import math
import re
import typing
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from bot.config.schema import BriefbotConfig, parse_duration, parse_size

DOCS = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("15m", 900),
        ("1h30m", 5400),
        ("2d", 172800),
        ("90s", 90),
        ("1w", 604800),
        ("250ms", 0.25),
        ("1h 30m", 5400),
        ("1.5h", 5400),
        ("45", 45),
        (30, 30),
        (0.5, 0.5),
        ("15M", 900),
    ],
)
def test_durations_parse(text: object, seconds: float) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize(
    "bad",
    ["often", "", "m15", "1h30", "-5m", "5 minutes", True, None, [1], math.inf, math.nan, -1, "9" * 20 + "w"],
)
def test_bad_durations_raise_value_error(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(bad)


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("10MB", 10_000_000),
        ("512KiB", 524_288),
        ("512kB", 512_000),
        ("1GiB", 1024**3),
        ("2048", 2048),
        ("1.5MB", 1_500_000),
        ("10 mb", 10_000_000),
        ("7B", 7),
        (4096, 4096),
        ("3MiB", 3 * 1024**2),
    ],
)
def test_sizes_parse(text: object, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize(
    "bad", ["ten MB", "10XB", "10iB", "", "-5MB", True, None, math.inf, math.nan, -1, "9" * 30 + "TB"]
)
def test_bad_sizes_raise_value_error(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_size(bad)


def test_durations_and_sizes_in_the_model_round_trip() -> None:
    cfg = BriefbotConfig.model_validate(
        {
            "http": {"timeout": "1m30s", "max_bytes": "512KiB"},
            "sources": [{"name": "a", "url": "https://example.org/feed", "interval": "1h30m"}],
        }
    )
    assert cfg.http.timeout == timedelta(seconds=90) and cfg.http.max_bytes == 524_288
    dumped = cfg.model_dump(mode="json")
    assert dumped["sources"][0]["interval"] == "90m"
    assert BriefbotConfig.model_validate(dumped) == cfg


@pytest.mark.parametrize(
    "data",
    [
        {"sources": [{"name": "a", "url": "https://example.org", "interval": "0s"}]},
        {"sources": [{"name": "a", "url": "ftp://example.org/feed"}]},
        {"storage": {"url": "briefbot.db"}},
        {"deliveries": [{"name": "d", "platform": "file"}]},
        {"deliveries": [{"name": "d", "platform": "console", "cron": "0 7 * *"}]},
        {"deliveries": [{"name": "d", "platform": "console", "timezone": "../../etc/passwd"}]},
        {"slack": {"bot_token": "x", "mode": "http"}},
    ],
)
def test_schema_rules(data: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        BriefbotConfig.model_validate(data)


def _model_of(annotation: object) -> type[BaseModel]:
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    raise AssertionError(f"no model in {annotation!r}")


def test_reference_documents_every_key() -> None:
    text = DOCS.read_text(encoding="utf-8")
    sections = {m.group(1): m.start() for m in re.finditer(r"^### `(\w+)`", text, re.M)}
    assert set(sections) == set(BriefbotConfig.model_fields)
    bounds = [*sorted(sections.values()), len(text)]
    for key, start in sections.items():
        body = text[start : bounds[bounds.index(start) + 1]]
        model = _model_of(BriefbotConfig.model_fields[key].annotation)
        missing = [f for f in model.model_fields if f"| `{f}` |" not in body]
        assert not missing, f"docs/configuration.md section {key} lacks {missing}"
