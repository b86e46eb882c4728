"""Read `briefbot.yaml` into a validated `BriefbotConfig`, with errors an admin can act on.

Every problem is reported as `FILE:LINE: key.path: message`. The YAML is only *composed* into
nodes by ruamel.yaml; this module converts the nodes itself so that line numbers, duplicate keys,
alias bombs, unsupported tags and `${ENV_VAR}` substitution are all handled before pydantic sees
the data. Secrets come from the environment only and never appear in a message.
"""

from __future__ import annotations

import difflib
import os
import re
import types
import typing
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer, ComposerError, MaxDepthExceededError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError

from bot.config.schema import BriefbotConfig
from bot.config.urls import literal_credentials
from bot.errors import BriefbotError
from bot.logs import Redactor

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGED_DEMO = Path(__file__).resolve().parents[1] / "_demo" / "config" / "demo.yaml"
"""Where a wheel has the demo config (setup.py copies config/ and corpus/demo/ into bot/_demo/)."""
CHECKOUT_DEMO = REPO_ROOT / "config" / "demo.yaml"


def bundled_demo() -> Path:
    """The demo config: inside the installed package, else in the checkout (an editable install)."""
    return PACKAGED_DEMO if PACKAGED_DEMO.is_file() else CHECKOUT_DEMO


MAX_FILE_BYTES = 1_000_000
"""A real config is a few kB; anything over 1 MB is refused unread."""
MAX_VALUES = 20_000
"""Values (mappings, lists, scalars) converted in one file, counting each alias expansion."""
MAX_ALIAS_VALUES = 10_000
"""Values produced by expanding aliases: stops billion-laughs files long before memory runs out."""
MAX_DEPTH = 64
EXTENSION_PREFIX = "x-"
"""Top-level keys starting with this are ignored: a place for YAML anchors (`x-defaults: &d ...`)."""

_Path = tuple[str | int, ...]
_YAML_TAG = "tag:yaml.org,2002:"
_ENV_REF = re.compile(r"\$\$\{|\$\{([^}]*)\}|\$\{")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


# --------------------------------------------------------------------------- public types


@dataclass(frozen=True)
class ConfigIssue:
    """One problem in a config file, printed as `FILE:LINE: key.path: message`."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ConfigError(BriefbotError):
    """The config file cannot be used; `issues` lists every problem found."""

    def __init__(self, issues: list[ConfigIssue]):
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


@dataclass
class LoadedConfig:
    """A validated config plus what is needed to interpret it: its folder and its secrets."""

    config: BriefbotConfig
    path: Path
    secrets: list[str] = field(default_factory=list)
    chat_off: list[str] = field(default_factory=list)
    """Chat sections left out because their `${VAR}` is unset (only when loaded with chat=False)."""

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def resolve_path(self, value: str | os.PathLike[str]) -> Path:
        """A path from the config: `~` expanded, relative paths taken from the config's folder."""
        p = Path(os.path.expanduser(os.fspath(value)))
        return p if p.is_absolute() else (self.base_dir / p).resolve()

    @property
    def storage_url(self) -> str:
        """`storage.url` with a relative or `~` SQLite path made absolute and its folder created."""
        return resolve_storage_url(
            self.config.storage.url, self.base_dir, create_dir=True, file=str(self.path)
        )


def resolve_storage_url(url: str, base_dir: Path, *, create_dir: bool = False, file: str = "") -> str:
    """Make a SQLite URL's file path absolute (relative to `base_dir`); other URLs pass unchanged.

    Parsing and anchoring are shared with the store (`bot.config.dburl.resolve_url`); this adds the config's
    file name to the error and creates the database folder.
    """
    from bot.config.dburl import resolve_url, sqlite_path
    from bot.errors import StoreError

    try:
        parsed = resolve_url(url, base_dir)
    except StoreError as exc:
        raise ConfigError([ConfigIssue(file, None, "storage.url", str(exc))]) from None
    db_path = sqlite_path(parsed)
    if db_path is None:
        return url
    db_path = db_path.resolve()
    if create_dir:
        try:
            db_path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                [
                    ConfigIssue(
                        file,
                        None,
                        "storage.url",
                        f"cannot create the database folder {db_path.parent}: {exc.strerror or exc}",
                    )
                ]
            ) from None
    return parsed.set(database=str(db_path)).render_as_string(hide_password=False)


def resolve_config_path(explicit: str | os.PathLike[str] | None) -> Path:
    """Which config to use: --config, $BRIEFBOT_CONFIG, ./briefbot.yaml, the user's config, the demo."""
    if explicit:
        return Path(os.path.expanduser(os.fspath(explicit)))
    env = os.environ.get("BRIEFBOT_CONFIG")
    if env:
        return Path(os.path.expanduser(env))
    local = Path("briefbot.yaml")
    if local.is_file():
        return local
    xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
    user = Path(xdg) / "briefbot" / "briefbot.yaml"
    if user.is_file():
        return user
    return bundled_demo()


def load_config(
    path: str | os.PathLike[str], env: Mapping[str, str] | None = None, *, chat: bool = True
) -> LoadedConfig:
    """Read, check and validate a config file; raise ConfigError listing every problem.

    `chat=False` is for commands that never connect to a chat platform (`brief`, `fetch`,
    `status`...): a `discord:` or `slack:` section whose `${VAR}` is unset is left out (named in
    `LoadedConfig.chat_off`) instead of being an error.
    """
    p = Path(path)
    name = os.fspath(path)
    try:
        with p.open("rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigError(
            [ConfigIssue(name, None, "", f"cannot read the config file: {exc.strerror or exc}")]
        ) from None
    if len(data) > MAX_FILE_BYTES:
        raise ConfigError(
            [
                ConfigIssue(
                    name,
                    None,
                    "",
                    f"file is larger than {MAX_FILE_BYTES // 1_000_000} MB; "
                    "a briefbot config is a few kB, is this the right file?",
                )
            ]
        )
    return load_config_text(data, p, env=env, display_name=name, chat=chat)


CHAT_SECTIONS = ("discord", "slack")


def load_config_text(
    data: str | bytes,
    path: str | os.PathLike[str],
    env: Mapping[str, str] | None = None,
    display_name: str | None = None,
    *,
    chat: bool = True,
) -> LoadedConfig:
    """Validate config text as if read from `path` (which gives the base folder and the name in messages)."""
    name = display_name if display_name is not None else os.fspath(path)
    issues = _Issues(name)
    if len(data) > MAX_FILE_BYTES:
        issues.fail(None, (), f"text is larger than {MAX_FILE_BYTES // 1_000_000} MB")
    text = _decode(data, issues) if isinstance(data, bytes) else data
    root = _compose(text, issues)
    converter = _Converter(issues, os.environ if env is None else env, optional=() if chat else CHAT_SECTIONS)
    doc = converter.run(root)
    if doc.data is None:  # a document holding only `~`
        doc.data = {}
    for section in sorted(converter.dropped):
        if isinstance(doc.data, dict):
            doc.data.pop(section, None)
    if not isinstance(doc.data, dict):
        issues.add(
            doc.lines.get((), 1),
            (),
            f"the file must be a mapping of settings such as 'sources:' and 'topics:', not {_kind(doc.data)}",
        )
        issues.raise_if_any(doc.redact)
    _check_secret_literals(doc, issues)
    _check_delivery_topics(doc, issues)
    reported = issues.paths()
    try:
        config = BriefbotConfig.model_validate(doc.data)
    except ValidationError as exc:
        for err in exc.errors():
            _add_validation_issue(err, doc, issues, reported)
        issues.raise_if_any(doc.redact)
        raise AssertionError("unreachable") from None
    issues.raise_if_any(doc.redact)
    return LoadedConfig(
        config, Path(path).resolve(), secrets=sorted(doc.secrets), chat_off=sorted(converter.dropped)
    )


# --------------------------------------------------------------------------- issue collection


class _Abort(Exception):
    """Stop converting: the file is hostile or broken beyond useful further reporting."""


class _Issues:
    def __init__(self, file: str):
        self.file = file
        self.items: list[tuple[int | None, _Path, str]] = []

    def add(self, line: int | None, path: _Path, message: str) -> None:
        self.items.append((line, path, message))

    def paths(self) -> list[_Path]:
        return [p for _, p, _ in self.items if p]

    def fail(self, line: int | None, path: _Path, message: str) -> typing.NoReturn:
        self.add(line, path, message)
        self.raise_if_any()
        raise AssertionError("unreachable")

    def raise_if_any(self, redact: set[str] | None = None) -> None:
        if not self.items:
            return
        hide = Redactor(redact or ())
        out: list[ConfigIssue] = []
        for line, path, message in sorted(self.items, key=lambda i: i[0] or 0):
            out.append(ConfigIssue(self.file, line, _dotted(path), hide(message)))
        raise ConfigError(out)


# --------------------------------------------------------------------------- YAML text → nodes


def _decode(data: bytes, issues: _Issues) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        issues.fail(line, (), f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8")


class _TooManyValues(ComposerError):
    """Raised while composing, so a huge file is refused before all of it is parsed."""


class _CountingComposer(Composer):
    """ruamel's composer, stopping after MAX_VALUES nodes (the pure-Python parser is slow)."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._count = getattr(self, "_count", 0) + 1
        if self._count > MAX_VALUES:
            raise _TooManyValues(
                None,
                None,
                f"more than {MAX_VALUES} values; a config file is much smaller",
                self.parser.peek_event().start_mark,
            )
        return super().compose_node(parent, index)


def _compose(text: str, issues: _Issues) -> Node | None:
    yaml = YAML(typ="safe", pure=True)
    yaml.Composer = _CountingComposer
    yaml.max_depth = MAX_DEPTH
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return typing.cast("Node | None", yaml.compose(text))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        issues.add(line, (), _yaml_problem(exc))
    except ReaderError as exc:
        line = text[: max(exc.position, 0)].count("\n") + 1
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        issues.add(line, (), f"character U+{ord(char):04X} is not allowed in YAML; remove it")
    except YAMLError as exc:
        issues.add(None, (), f"cannot read the YAML: {exc}")
    except RecursionError:
        issues.add(None, (), f"nested too deeply (a config needs fewer than {MAX_DEPTH} levels)")
    issues.raise_if_any()
    raise AssertionError("unreachable")


def _yaml_problem(exc: MarkedYAMLError) -> str:
    problem = (exc.problem or "").strip()
    if isinstance(exc, _TooManyValues):
        return problem
    if isinstance(exc, MaxDepthExceededError):
        return f"nested more than {MAX_DEPTH} levels deep"
    if "\\t" in problem:  # ruamel: "found character '\t' that cannot start any token"
        return "tab character: YAML indentation must use spaces, not tabs"
    if "expected a single document" in (exc.context or ""):
        return "found a second YAML document ('---'); a config file holds exactly one"
    message = f"YAML syntax error: {problem}" if problem else "YAML syntax error"
    cm, pm = exc.context_mark, exc.problem_mark
    if exc.context and cm is not None and pm is not None and cm.line != pm.line:
        message += f" ({exc.context.strip()} that started at line {cm.line + 1})"
    elif exc.context and not problem:
        message += f": {exc.context.strip()}"
    return message


# --------------------------------------------------------------------------- nodes → data


@dataclass
class _Doc:
    data: Any
    lines: dict[_Path, int]
    substituted: set[_Path]
    secrets: set[str]
    redact: set[str]
    urls: dict[_Path, str] = field(default_factory=dict)  # URL-like values as written, before ${ENV}


class _Converter:
    """Turn composed nodes into plain data, recording the line of every key and list item."""

    def __init__(self, issues: _Issues, env: Mapping[str, str], optional: tuple[str, ...] = ()):
        self.issues = issues
        self.env = env
        self.optional = optional  # top-level sections dropped, not refused, when a ${VAR} is unset
        self.dropped: set[str] = set()
        self.lines: dict[_Path, int] = {}
        self.substituted: set[_Path] = set()
        self.secrets: set[str] = set()
        self.urls: dict[_Path, str] = {}
        self.seen: set[int] = set()
        self.active: set[int] = set()
        self.values = 0
        self.alias_values = 0
        self._scalar_yaml = YAML(typ="safe", pure=True)

    def run(self, root: Node | None) -> _Doc:
        data: Any = {}
        if root is not None:
            self.lines[()] = root.start_mark.line + 1
            try:
                data = self._node(root, (), 0, False)
            except _Abort:
                self.issues.raise_if_any(self.secrets)
        return _Doc(data, self.lines, self.substituted, self.secrets, set(self.secrets), self.urls)

    def _line(self, node: Node) -> int:
        return int(node.start_mark.line) + 1

    def _node(self, node: Node, path: _Path, depth: int, via_alias: bool) -> Any:
        via_alias = via_alias or id(node) in self.seen
        self.seen.add(id(node))
        self.values += 1
        if via_alias:
            self.alias_values += 1
            if self.alias_values > MAX_ALIAS_VALUES:
                self._abort(
                    node,
                    path,
                    f"aliases expand to more than {MAX_ALIAS_VALUES} values; refusing "
                    "this file (an anchor/alias bomb?)",
                )
        if self.values > MAX_VALUES:
            self._abort(node, path, f"more than {MAX_VALUES} values; a config file is much smaller")
        if depth > MAX_DEPTH:
            self._abort(node, path, f"nested more than {MAX_DEPTH} levels deep")
        if id(node) in self.active:
            self._abort(
                node,
                path,
                "an alias refers to a mapping or list that contains it; recursive structures are not allowed",
            )
        self.active.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self._mapping(node, path, depth, via_alias)
            if isinstance(node, SequenceNode):
                out = []
                for i, item in enumerate(node.value):
                    self.lines.setdefault((*path, i), self._line(item))
                    out.append(self._node(item, (*path, i), depth + 1, via_alias))
                return out
            return self._scalar(typing.cast(ScalarNode, node), path)
        finally:
            self.active.discard(id(node))

    def _abort(self, node: Node, path: _Path, message: str) -> typing.NoReturn:
        self.issues.add(self._line(node), path, message)
        raise _Abort

    def _mapping(self, node: MappingNode, path: _Path, depth: int, via_alias: bool) -> dict[str, Any]:
        out: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        merges: list[Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _YAML_TAG + "merge":
                merges.append(value_node)
                continue
            if not isinstance(key_node, ScalarNode):
                self.issues.add(
                    self._line(key_node), path, "a key must be a plain name, not a list or mapping"
                )
                continue
            key = str(key_node.value)
            line = self._line(key_node)
            if key in first_line:
                self.issues.add(
                    line, (*path, key), f"key {key!r} repeated at lines {first_line[key]} and {line}"
                )
                continue
            first_line[key] = line
            if not path and key.startswith(EXTENSION_PREFIX):
                self._node(value_node, (key,), depth + 1, via_alias)  # checked, then dropped
                continue
            self.lines.setdefault((*path, key), line)
            out[key] = self._node(value_node, (*path, key), depth + 1, via_alias)
        for merge in merges:  # `<<: *defaults`: explicit keys win, then earlier merges
            sources = merge.value if isinstance(merge, SequenceNode) else [merge]
            for src in sources:
                if not isinstance(src, MappingNode):
                    self.issues.add(self._line(src), path, "'<<' merges only mappings (e.g. <<: *defaults)")
                    continue
                merged = self._node(src, path, depth + 1, via_alias)
                for key, value in merged.items():
                    out.setdefault(key, value)
        return out

    def _scalar(self, node: ScalarNode, path: _Path) -> Any:
        tag = str(node.tag)
        short = tag.removeprefix(_YAML_TAG)
        if tag == "!" or short in ("str", "timestamp"):
            if "://" in str(node.value):
                self.urls[path] = str(node.value)
            return self._substitute(str(node.value), node, path)
        if short in ("int", "float", "bool", "null"):
            try:
                return self._scalar_yaml.constructor.construct_object(node)
            except (ValueError, OverflowError, TypeError, AttributeError, KeyError, IndexError):
                what = {"int": "a whole number", "float": "a number", "bool": "true/false"}.get(
                    short, "a value"
                )
                self.issues.add(self._line(node), path, f"cannot read {_short(node.value)} as {what}")
                return None
        shown = "!!" + short if tag.startswith(_YAML_TAG) else tag
        self.issues.add(
            self._line(node), path, f"YAML tag {_short(shown)} is not supported; write a plain value"
        )
        return None

    def _substitute(self, value: str, node: ScalarNode, path: _Path) -> str:
        """Replace `${NAME}` / `${NAME:-default}` with environment values; `$${` is a literal `${`."""
        if "${" not in value:
            return value
        parts: list[str] = []
        pos = 0
        for m in _ENV_REF.finditer(value):
            parts.append(value[pos : m.start()])
            pos = m.end()
            token = m.group(0)
            if token == "$${":
                parts.append("${")
                continue
            body = m.group(1)
            if body is None:
                self.issues.add(
                    self._line(node), path, "unclosed '${'; write ${NAME}, or $${ for a literal '${'"
                )
                continue
            name, has_default, default = body.partition(":-")
            if not _ENV_NAME.fullmatch(name):
                self.issues.add(
                    self._line(node),
                    path,
                    f"bad environment reference ${{{body[:40]}}}; write ${{NAME}} or ${{NAME:-default}}",
                )
                continue
            env_value = self.env.get(name)
            if env_value:
                self.secrets.add(env_value)
                parts.append(env_value)
            elif has_default:
                parts.append(default)
            elif path[:1] and path[0] in self.optional:
                self.dropped.add(str(path[0]))
            elif env_value is None:
                self.issues.add(
                    self._line(node),
                    path,
                    f"environment variable {name} is not set; set it "
                    f"or give a default with ${{{name}:-value}}",
                )
            else:
                self.issues.add(self._line(node), path, f"environment variable {name} is empty")
            self.substituted.add(path)
        parts.append(value[pos:])
        return "".join(parts)


# --------------------------------------------------------------------------- schema-aware checks


def _unwrap(ann: Any) -> Any:
    """`X | None` → X (only when exactly one non-None choice)."""
    origin = typing.get_origin(ann)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        if len(args) == 1:
            return _unwrap(args[0])
    return ann


def _annotation_at(path: _Path) -> Any:
    """The schema type at a data path, or None when the path is not in the schema."""
    ann: Any = BriefbotConfig
    for comp in path:
        ann = _unwrap(ann)
        if isinstance(comp, int):
            if typing.get_origin(ann) is not list:
                return None
            ann = typing.get_args(ann)[0]
        elif isinstance(ann, type) and issubclass(ann, BaseModel) and comp in ann.model_fields:
            ann = ann.model_fields[comp].annotation
        else:
            return None
    return ann


def _model_keys(path: _Path) -> list[str]:
    ann = _unwrap(_annotation_at(path))
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return list(ann.model_fields)
    return []


def _check_secret_literals(doc: _Doc, issues: _Issues) -> None:
    """Secret fields must be filled from the environment, never written into the file."""

    def walk(value: Any, path: _Path) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, (*path, k))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, (*path, i))
        elif value is not None and path not in doc.substituted and _unwrap(_annotation_at(path)) is SecretStr:
            if isinstance(value, str):
                doc.redact.add(value)
            env = _env_name_for(path, doc.data)
            issues.add(
                doc.lines.get(path),
                path,
                "secrets must not be written in the config file; put it "
                f"in an environment variable and write ${{{env}}}",
            )
        elif isinstance(value, str) and path in doc.urls:
            _check_url_credentials(doc, issues, path)

    walk(doc.data, ())


def _check_url_credentials(doc: _Doc, issues: _Issues, path: _Path) -> None:
    """A password (or a lone user name, often a key) spelled out in a URL's userinfo is a secret
    written into the file: refused like a literal token, and never echoed."""
    template = doc.urls[path]
    found = literal_credentials(template, user_alone_is_secret=path[:1] != ("storage",))
    if found is None:
        return
    userinfo = template.split("://", 1)[-1].split("/", 1)[0].rpartition("@")[0]
    user, _, password = userinfo.partition(":")
    doc.redact.add(password if found == "password" else user)
    env = _env_name_for(path, doc.data).removesuffix("_URL") + (
        "_PASSWORD" if found == "password" else "_USER"
    )
    scheme = template.split("://", 1)[0]
    example = f"{scheme}://{user}:${{{env}}}@…" if found == "password" else f"{scheme}://${{{env}}}@…"
    issues.add(
        doc.lines.get(path),
        path,
        f"a {found} in a URL is a secret and must not be written in the config file; put it in an "
        f"environment variable and write {example} (or the whole URL as ${{…}})",
    )


def _check_delivery_topics(doc: _Doc, issues: _Issues) -> None:
    """A delivery's topic must be a configured one: `topics: [tiawan]` would post "No stories" forever."""
    data = doc.data if isinstance(doc.data, dict) else {}
    topics, deliveries = data.get("topics"), data.get("deliveries")
    names = (
        [t["name"] for t in topics if isinstance(t, dict) and isinstance(t.get("name"), str)]
        if isinstance(topics, list)
        else []
    )
    known = {n.casefold(): n for n in names}
    for i, delivery in enumerate(deliveries if isinstance(deliveries, list) else []):
        wanted = delivery.get("topics") if isinstance(delivery, dict) else None
        for j, topic in enumerate(wanted if isinstance(wanted, list) else []):
            if not isinstance(topic, str) or topic.casefold() in known:
                continue
            close = difflib.get_close_matches(topic.casefold(), list(known), n=1, cutoff=0.6)
            if close:
                hint = f"; did you mean {known[close[0]]!r}?"
            elif names:
                hint = f"; configured topics: {', '.join(names)}"
            else:
                hint = "; no topics are configured (add it under 'topics:')"
            path: _Path = ("deliveries", i, "topics", j)
            issues.add(_line_for(path, doc), path, f"no topic named {topic!r}{hint}")


def _env_name_for(path: _Path, data: Any) -> str:
    """A suggested variable name: DISCORD_TOKEN, SLACK_APP_TOKEN, MORNING_DIGEST_WEBHOOK."""
    words = [str(c) for c in path if isinstance(c, str)]
    if len(path) == 3 and path[0] in ("deliveries", "sources") and isinstance(path[1], int):
        name = data[path[0]][path[1]].get("name")
        words = [str(name), str(path[2])] if isinstance(name, str) and name else words
    return re.sub(r"[^A-Za-z0-9]+", "_", "_".join(words)).strip("_").upper()


def _data_path(loc: tuple[Any, ...], data: Any) -> _Path:
    """Pydantic's error location mapped onto the data (dropping its union/validator labels)."""
    path: list[str | int] = []
    node = data
    for i, comp in enumerate(loc):
        last = i == len(loc) - 1
        in_dict = isinstance(node, dict) and isinstance(comp, str) and comp in node
        in_list = isinstance(node, list) and isinstance(comp, int) and 0 <= comp < len(node)
        if in_dict or in_list:
            path.append(comp)
            node = node[comp]
        elif last and isinstance(node, dict) and isinstance(comp, str):
            path.append(comp)  # a missing key
    return tuple(path)


def _line_for(path: _Path, doc: _Doc) -> int | None:
    for n in range(len(path), -1, -1):
        if path[:n] in doc.lines:
            return doc.lines[path[:n]]
    return None


_TYPE_MESSAGES = {
    "model_type": "expected a mapping of settings (key: value lines)",
    "model_attributes_type": "expected a mapping of settings (key: value lines)",
    "dict_type": "expected a mapping of settings (key: value lines)",
    "list_type": "expected a list ('- item' lines or [a, b])",
    "string_type": "expected text",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
}


def _add_validation_issue(err: Any, doc: _Doc, issues: _Issues, reported: list[_Path]) -> None:
    path = _data_path(tuple(err["loc"]), doc.data)
    if any(p[: len(path)] == path or path[: len(p)] == p for p in reported):
        return  # the YAML pass already explained this part (e.g. an unset ${VAR})
    kind = err["type"]
    if kind == "extra_forbidden" and path:
        key = str(path[-1])
        known = _model_keys(path[:-1])
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        if close:
            message = f"unknown key {key!r}; did you mean {close[0]!r}?"
        else:
            message = f"unknown key {key!r}" + (f" (known keys: {', '.join(known)})" if known else "")
    elif kind == "missing" and path:
        message = f"missing required key {path[-1]!r}"
    elif kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str((err.get("ctx") or {}).get("expected", "")))
        message = "must be one of " + ", ".join(choices)
        close = difflib.get_close_matches(str(err.get("input")), choices, n=1, cutoff=0.6)
        message += f"; did you mean {close[0]!r}?" if close else f", got {_short(err.get('input'))}"
    else:
        message = _TYPE_MESSAGES.get(kind) or str(err["msg"]).removeprefix("Value error, ")
        given = err.get("input")
        if kind in _TYPE_MESSAGES or kind in (
            "greater_than_equal",
            "less_than_equal",
            "greater_than",
            "less_than",
            "string_too_short",
            "string_too_long",
        ):
            if isinstance(given, str | int | float | bool) and repr(given) not in message:
                message += f", got {_short(given)}"
            elif isinstance(given, list | dict):
                message += f", got {_kind(given)}"
    issues.add(_line_for(path, doc), path, message)


def _dotted(path: _Path) -> str:
    shown = ".".join(str(c) for c in path[:12])
    return shown + ".…" if len(path) > 12 else shown


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "...'"


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    return "text"
