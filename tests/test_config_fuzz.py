"""Whatever bytes or YAML-ish structure the loader is given, it raises ConfigError or nothing else."""

from __future__ import annotations

import io
import typing
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from ruamel.yaml import YAML

from bot.config import BriefbotConfig, ConfigError, LoadedConfig
from bot.config.loader import load_config_text

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ENV = {"SET_VAR": "fuzz-secret-value", "EMPTY_VAR": ""}
WHERE = Path("/nonexistent/briefbot-fuzz/briefbot.yaml")


def _schema_keys(model: type[BaseModel], out: set[str]) -> set[str]:
    for name, info in model.model_fields.items():
        out.add(name)
        for arg in (info.annotation, *typing.get_args(info.annotation)):
            for inner in (arg, *typing.get_args(arg)):
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    _schema_keys(inner, out)
    return out


KEYS = sorted(_schema_keys(BriefbotConfig, set()))
key = st.sampled_from(KEYS) | st.text(max_size=12)
scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(
        [
            "15m",
            "1h30m",
            "10MB",
            "512KiB",
            "often",
            "${SET_VAR}",
            "${UNSET_VAR}",
            "${EMPTY_VAR}",
            "${SET_VAR:-x}",
            "${",
            "$${X}",
            "${bad name}",
            "https://example.org/feed",
            "sqlite:///x.db",
            "discord",
            "slack",
            "file",
            "socket",
            "http",
            "Europe/Berlin",
            "0 7 * * *",
            "../x",
            "~",
        ]
    ),
)
structure = st.recursive(
    scalar,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(key, children, max_size=6),
    max_leaves=40,
)
YAML_TOKENS = [
    *"ab:-[]{}&*!|>'\"#%@`?,\n \t$\\~0.x\x00\u00e9\ufeff",
    "${",
    "<<: ",
    "- ",
    "  ",
    ": ",
    "&a ",
    "*a",
    "!!str ",
    "!!binary ",
    "---\n",
    "sources:\n",
    "name: ",
    "topics: ",
    "url: ",
    "9" * 40,
]
yaml_tokens = st.lists(st.sampled_from(YAML_TOKENS), max_size=80).map("".join)


def _dump(data: Any) -> str:
    out = io.StringIO()
    YAML(typ="safe", pure=True).dump(data, out)
    return out.getvalue()


def _load(data: str | bytes) -> None:
    try:
        result = load_config_text(data, WHERE, env=ENV)
    except ConfigError as exc:
        assert exc.issues and all(str(i).startswith(str(WHERE)) for i in exc.issues)
        assert all("fuzz-secret-value" not in str(i) for i in exc.issues)
    else:
        assert isinstance(result, LoadedConfig)


@FUZZ
@given(st.binary(max_size=1500))
def test_random_bytes(data: bytes) -> None:
    _load(data)


@FUZZ
@given(yaml_tokens)
def test_random_yaml_punctuation(text: str) -> None:
    _load(text)


@FUZZ
@given(st.dictionaries(st.sampled_from(list(BriefbotConfig.model_fields)), structure, max_size=6))
def test_random_structures_under_real_keys(data: dict[str, Any]) -> None:
    _load(_dump(data))


@FUZZ
@given(structure)
def test_random_structures(data: Any) -> None:
    _load(_dump(data))
