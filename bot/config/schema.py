"""Pydantic models of `briefbot.yaml`.

Every model forbids unknown keys so a typo is an error, not a silently ignored setting.
Durations ("15m", "1h30m", "2d") and sizes ("10MB") parse into `timedelta` and `int` bytes.
Secrets arrive as `${ENV_VAR}` (substituted by the loader) and are kept as `SecretStr`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    SecretStr,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from bot.config.urls import url_problem
from bot.platforms import PLATFORMS, PlatformName

WEB_PORT = 8000
"""`briefbot web`'s port when neither --port nor web.port is given."""
MIN_ADMIN_TOKEN = 16

_DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)", re.IGNORECASE)
_DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "m": 1000**2,
    "g": 1000**3,
    "t": 1000**4,
    "ki": 1024,
    "mi": 1024**2,
    "gi": 1024**3,
    "ti": 1024**4,
}


def parse_duration(value: object) -> timedelta:
    """Parse "15m", "1h30m", "2d", "90s" or a number of seconds."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 15m, 1h or 2d")
    if isinstance(value, (int, float)):
        if not value >= 0:
            raise ValueError("a duration must be a number of seconds of 0 or more")
        return _seconds(float(value))
    if not isinstance(value, str):
        raise ValueError("expected a duration such as 15m, 1h or 2d")
    text = value.strip().replace(" ", "")
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return timedelta(seconds=float(text))
    pos, total = 0, 0.0
    for m in _DURATION_RE.finditer(text):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _DURATION_UNITS[m.group(2).lower()]
        pos = m.end()
    if pos != len(text) or not text:
        raise ValueError(f"cannot read {value!r} as a duration; use e.g. 30s, 15m, 1h30m, 2d")
    return _seconds(total)


def _seconds(total: float) -> timedelta:
    try:
        return timedelta(seconds=total)
    except OverflowError:
        raise ValueError("duration is too long") from None


def parse_size(value: object) -> int:
    """Parse "10MB", "512kB", "1GiB" or a number of bytes."""
    if isinstance(value, bool):
        raise ValueError("expected a size such as 10MB")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("a size cannot be negative")
        return value
    if isinstance(value, float):
        if not 0 <= value < 2**63:
            raise ValueError("a size must be a number of bytes of 0 or more")
        return int(value)
    if not isinstance(value, str):
        raise ValueError("expected a size such as 10MB")
    m = _SIZE_RE.match(value)
    if not m:
        raise ValueError(f"cannot read {value!r} as a size; use e.g. 512kB, 10MB, 1GiB")
    unit = (m.group(2) or "").lower().rstrip("b")
    if unit not in _SIZE_UNITS:
        raise ValueError(f"unknown size unit in {value!r}; use B, kB, MB, GB (or KiB, MiB, GiB)")
    size = float(m.group(1)) * _SIZE_UNITS[unit]
    if not size < 2**63:
        raise ValueError(f"size {value!r} is too large")
    return int(size)


def _format_duration(td: timedelta) -> str:
    secs = td.total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if secs >= size and secs % size == 0:
            return f"{int(secs // size)}{unit}"
    return f"{secs:g}s"


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(_format_duration, return_type=str),
    WithJsonSchema(
        {
            "type": ["string", "number"],
            "pattern": r"^(\d+(\.\d+)?(ms|s|m|h|d|w)?)+$",
            "description": "a duration such as 30s, 15m, 1h30m or 2d",
        }
    ),
]
ByteSize = Annotated[
    int,
    BeforeValidator(parse_size),
    WithJsonSchema({"type": ["string", "integer"], "description": "a size such as 512kB or 10MB"}),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class StorageConfig(_Strict):
    url: str = Field(
        default="sqlite:///briefbot.db",
        description="any SQLAlchemy URL; a relative SQLite path is "
        "taken from the config file's folder, `~` is expanded",
    )
    retention: Duration = Field(default=timedelta(days=30), description="articles older than this are pruned")

    @field_validator("url")
    @classmethod
    def _url_shape(cls, v: str) -> str:
        if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", v):
            raise ValueError(
                "not a database URL; use e.g. sqlite:///briefbot.db or "
                "postgresql+psycopg://user@host/briefbot"
            )
        return v


class HttpConfig(_Strict):
    user_agent: str = "briefbot/0.1 (+https://github.com/briefbot/briefbot; news briefing bot)"
    timeout: Duration = timedelta(seconds=20)
    max_bytes: ByteSize = 10 * 1000**2
    per_host_concurrency: int = Field(default=2, ge=1, le=64)
    per_host_delay: Duration = timedelta(seconds=1)
    max_redirects: int = Field(default=5, ge=0, le=20)
    retries: int = Field(default=2, ge=0, le=10)
    max_items: int = Field(default=200, ge=1, description="feed items read per poll, newest first")
    max_retry_after: Duration = Field(
        default=timedelta(minutes=2), description="longest Retry-After honoured inside one poll"
    )


class SourceConfig(_Strict):
    name: str = Field(min_length=1, max_length=200)
    url: str | None = None
    path: str | None = None
    outlet: str | None = None
    labels: list[str] = Field(default_factory=list)
    full_text: bool = False
    interval: Duration = Field(default=timedelta(minutes=15), description="time between polls of this source")
    enabled: bool = True

    @field_validator("interval")
    @classmethod
    def _positive_interval(cls, v: timedelta) -> timedelta:
        if v <= timedelta(0):
            raise ValueError("interval must be longer than 0s, e.g. 15m")
        return v

    @field_validator("url")
    @classmethod
    def _fetchable(cls, v: str | None) -> str | None:
        """Parsed as httpx will parse it, after ${ENV} substitution; the message never quotes it."""
        problem = url_problem(v) if v else None
        if problem:
            raise ValueError(f"this URL cannot be fetched: {problem}")
        return v

    @model_validator(mode="after")
    def _one_location(self) -> SourceConfig:
        if bool(self.url) == bool(self.path):
            raise ValueError("give exactly one of 'url' (a feed or page) or 'path' (a local file or folder)")
        return self


class TopicConfig(_Strict):
    name: str = Field(min_length=1, max_length=100)
    aliases: list[str] = Field(default_factory=list)


class DeliveryConfig(_Strict):
    name: str = Field(min_length=1, max_length=200)
    platform: PlatformName
    channel: str | None = None
    webhook: SecretStr | None = None
    path: str | None = None
    topics: list[str] = Field(default_factory=list)
    cron: str = "0 7 * * *"
    timezone: str = "UTC"
    since: Duration = timedelta(hours=24)
    mode: Literal["digest", "updates"] = "digest"
    max_stories: int | None = Field(default=None, ge=1, le=50)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ValueError(f"unknown time zone {v!r}; use an IANA name such as Europe/Berlin") from None
        return v

    @field_validator("cron")
    @classmethod
    def _schedulable(cls, v: str) -> str:
        """Read by APScheduler's own crontab parser, as `run` will read it."""
        if len(v.split()) != 5:
            raise ValueError(f"cron needs 5 fields (minute hour day month weekday), got {v!r}")
        from apscheduler.triggers.cron import CronTrigger

        try:
            trigger = CronTrigger.from_crontab(v, timezone="UTC")
            never = trigger.get_next_fire_time(None, datetime.now(UTC)) is None
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            raise ValueError(f"cron {v!r} cannot be scheduled: {exc}") from None
        if never:
            raise ValueError(f"cron {v!r} never fires (e.g. 31 February)")
        return v

    @field_validator("webhook")
    @classmethod
    def _webhook_url(cls, v: SecretStr | None) -> SecretStr | None:
        problem = url_problem(v.get_secret_value()) if v is not None else None
        if problem:
            raise ValueError(f"the webhook URL cannot be used: {problem}")
        return v

    @model_validator(mode="after")
    def _target(self) -> DeliveryConfig:
        need = PLATFORMS[self.platform].target
        if need and not getattr(self, need):
            raise ValueError(f"platform {self.platform!r} needs '{need}'")
        return self


class SummarizerConfig(_Strict):
    engine: Literal["extractive", "transformers", "lead"] = "extractive"
    model: str | None = Field(
        default=None, description="transformers engine: Hugging Face id or local directory"
    )
    embeddings: Literal["auto", "minilm", "tfidf"] = Field(
        default="auto",
        description="auto: MiniLM, else tf-idf with a warning; minilm: the model must be there (a config error if not)",
    )
    embedding_model: str | None = Field(
        default=None,
        description="MiniLM files: a directory (relative to this file) or a Hugging Face id in the local cache; "
        "default: $BRIEFBOT_EMBEDDING_MODEL, else the all-MiniLM-L6-v2 that comes with briefbot",
    )
    max_stories: int = Field(default=5, ge=1, le=50)
    max_bullets: int = Field(default=4, ge=1, le=10)
    max_quotes: int = Field(default=3, ge=0, le=10)
    since: Duration = Field(
        default=timedelta(hours=24), description="default look-back of `brief` and /brief"
    )


class DiscordConfig(_Strict):
    token: SecretStr
    guild_ids: list[int] = Field(default_factory=list, description="sync commands to these guilds only")


class SlackConfig(_Strict):
    bot_token: SecretStr
    signing_secret: SecretStr | None = None
    app_token: SecretStr | None = None
    mode: Literal["socket", "http"] = "socket"
    host: str | None = Field(
        default=None,
        min_length=1,
        description="address the HTTP mode listens on; "
        "default 127.0.0.1 (behind a reverse proxy that terminates TLS), else "
        "$BRIEFBOT_SLACK_HOST; 0.0.0.0 for every interface",
    )
    port: int = Field(default=3000, ge=1, le=65535)
    path: str = "/slack/events"

    @model_validator(mode="after")
    def _mode_needs(self) -> SlackConfig:
        if self.mode == "socket" and self.app_token is None:
            raise ValueError("socket mode needs app_token: ${SLACK_APP_TOKEN}")
        if self.mode == "http" and self.signing_secret is None:
            raise ValueError("http mode needs signing_secret: ${SLACK_SIGNING_SECRET}")
        return self


class LimitsConfig(_Strict):
    brief_per_user: int = Field(default=5, ge=1, description="/brief calls per user per window")
    brief_per_channel: int = Field(default=20, ge=1, description="/brief calls per channel per window")
    window: Duration = timedelta(minutes=10)


class RunConfig(_Strict):
    health_port: int | None = Field(default=None, ge=0, le=65535)
    stale_after: int = Field(default=5, ge=1, description="consecutive failures before a source is stale")
    max_backoff: Duration = timedelta(hours=6)
    claim_lease: Duration | None = Field(
        default=None, description="unused since the task engine runs the work; accepted so older configs load"
    )
    queue: Literal["auto", "inline", "procrastinate"] = Field(
        default="auto",
        description="where polls, compositions and posts run: inline (inside `briefbot run`), or "
        "procrastinate (`briefbot worker` processes on PostgreSQL); auto: procrastinate on PostgreSQL",
    )
    heartbeat: Duration = Field(
        default=timedelta(seconds=10), description="how often a worker says it is alive"
    )
    stalled_after: Duration = Field(
        default=timedelta(seconds=30),
        description="a worker silent this long is dead: its jobs run again elsewhere",
    )
    tick_every: Duration | None = Field(
        default=None,
        description="how often due polls and deliveries are looked for (default: every second inline, "
        "every minute on procrastinate)",
    )
    misfire_grace: Duration = timedelta(hours=1)
    jitter: Duration = timedelta(seconds=30)


class WebConfig(_Strict):
    """The web face: today's briefing, the archive, story pages, Atom feeds, the admin page."""

    host: str | None = Field(
        default=None,
        min_length=1,
        description="address the pages are served on; default 127.0.0.1 (behind a reverse proxy that "
        "terminates TLS), else $BRIEFBOT_WEB_HOST; 0.0.0.0 for every interface",
    )
    port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description="`briefbot run` serves the pages on this port (off when omitted, unless --web-port); "
        f"`briefbot web` uses it too (default {WEB_PORT})",
    )
    public_url: str | None = Field(
        default=None,
        description="the address readers open, e.g. https://news.example.org: absolute links in the "
        "Atom feeds, and story titles in chat link to its /story/ID pages",
    )
    admin_token: SecretStr | None = Field(
        default=None,
        description="the token of /admin/sources (HTTP Basic password or Bearer token), from the "
        "environment: ${WEB_ADMIN_TOKEN}; without it the admin page is off",
    )
    title: str = Field(default="briefbot", min_length=1, max_length=100, description="the site's name")
    cache: Duration = Field(
        default=timedelta(seconds=60), description="a page is composed again at most this often"
    )

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, v: str | None) -> str | None:
        if v is None:
            return v
        problem = url_problem(v)
        if problem:
            raise ValueError(f"public_url cannot be used: {problem}")
        from urllib.parse import urlsplit

        parts = urlsplit(v)
        if parts.username is not None or parts.password is not None:
            raise ValueError("public_url is shown on every page: no user name or password in it")
        if parts.query or parts.fragment or v.endswith("?"):
            raise ValueError("public_url is the site's address, without ? or #")
        return v.rstrip("/")

    @field_validator("admin_token")
    @classmethod
    def _long_token(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and len(v.get_secret_value()) < MIN_ADMIN_TOKEN:
            raise ValueError(
                f"the admin token must be at least {MIN_ADMIN_TOKEN} characters "
                "(make one with: python3 -c 'import secrets; print(secrets.token_urlsafe(24))')"
            )
        return v


_Named = TypeVar("_Named", SourceConfig, TopicConfig, DeliveryConfig)


class BriefbotConfig(_Strict):
    storage: StorageConfig = Field(default_factory=StorageConfig)
    http: HttpConfig = Field(default_factory=HttpConfig)
    sources: list[SourceConfig] = Field(default_factory=list)
    topics: list[TopicConfig] = Field(default_factory=list)
    deliveries: list[DeliveryConfig] = Field(default_factory=list)
    summarizer: SummarizerConfig = Field(default_factory=SummarizerConfig)
    discord: DiscordConfig | None = None
    slack: SlackConfig | None = None
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    run: RunConfig = Field(default_factory=RunConfig)
    web: WebConfig = Field(default_factory=WebConfig)

    @field_validator("sources", "topics", "deliveries")
    @classmethod
    def _unique_names(cls, items: list[_Named]) -> list[_Named]:
        seen: dict[str, int] = {}
        for i, item in enumerate(items):
            key = item.name.casefold()
            if key in seen:
                raise ValueError(
                    f"items {seen[key]} and {i} are both named {item.name!r}; names must be unique"
                )
            seen[key] = i
        return items

    def topic(self, name: str) -> TopicConfig | None:
        for t in self.topics:
            if t.name.casefold() == name.casefold():
                return t
        return None
