"""The config loader: every problem is reported as FILE:LINE: key.path: message, nothing else escapes."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pytest

from bot.config import ConfigError, load_config, resolve_config_path
from bot.config.loader import MAX_FILE_BYTES, ConfigIssue, bundled_demo, load_config_text

SECRET = "s3cr3t-Token-Value-7781"


def write(tmp_path: Path, text: str, name: str = "briefbot.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def issues_of(path: Path, env: dict[str, str] | None = None) -> list[ConfigIssue]:
    with pytest.raises(ConfigError) as info:
        load_config(path, env=env if env is not None else {})
    return info.value.issues


def only(issues: list[ConfigIssue]) -> ConfigIssue:
    assert len(issues) == 1, [str(i) for i in issues]
    return issues[0]


# --------------------------------------------------------------------------- line numbers and key paths


def test_wrong_type_names_line_and_key_path(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        storage:
          url: sqlite:///x.db
        sources:
          - name: one
            url: https://example.org/feed.xml
          - name: two
            interval: often
            url: https://example.org/rss
        """,
    )
    issue = only(issues_of(path))
    assert (issue.line, issue.path) == (7, "sources.1.interval")
    assert "cannot read 'often' as a duration" in issue.message
    assert str(issue).startswith(f"{path}:7: sources.1.interval: cannot read 'often'")


def test_unknown_key_is_reported_on_its_own_line_with_did_you_mean(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        sources:
          - name: one
            url: https://example.org/feed.xml
            intervall: 5m
        summarizer:
          max_storys: 3
        """,
    )
    issues = issues_of(path)
    assert [(i.line, i.path) for i in issues] == [(4, "sources.0.intervall"), (6, "summarizer.max_storys")]
    assert issues[0].message == "unknown key 'intervall'; did you mean 'interval'?"
    assert issues[1].message == "unknown key 'max_storys'; did you mean 'max_stories'?"


def test_unknown_key_without_close_match_lists_the_known_keys(tmp_path: Path) -> None:
    issue = only(issues_of(write(tmp_path, "limits:\n  zzz: 1\n")))
    assert issue.line == 2
    assert "unknown key 'zzz'" in issue.message and "brief_per_user" in issue.message


def test_missing_key_points_at_the_parent_mapping(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        topics:
          - name: taiwan
          - aliases: [Kyiv]
        """,
    )
    issue = only(issues_of(path))
    assert (issue.line, issue.path, issue.message) == (3, "topics.1.name", "missing required key 'name'")


def test_model_rule_points_at_the_item(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        sources:
          - name: ok
            url: https://example.org/feed
          - name: both
            url: https://example.org/feed
            path: ./local
        """,
    )
    issue = only(issues_of(path))
    assert (issue.line, issue.path) == (4, "sources.1")
    assert "exactly one of 'url'" in issue.message


def test_bad_choice_suggests_the_closest(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        deliveries:
          - name: d
            platform: slak
            channel: C123
        """,
    )
    issue = only(issues_of(path))
    assert issue.line == 3 and "did you mean 'slack'?" in issue.message


def test_all_problems_are_reported_at_once_in_line_order(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        http:
          retries: many
        topics:
          - name: a
            alias: [x]
        run:
          stale_after: 0
        """,
    )
    issues = issues_of(path)
    assert [i.line for i in issues] == [2, 5, 7]


def test_duplicate_names_are_errors(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        topics:
          - name: Taiwan
          - name: taiwan
        """,
    )
    issue = only(issues_of(path))
    assert issue.path == "topics" and "both named 'taiwan'" in issue.message


# --------------------------------------------------------------------------- hostile or broken YAML


def test_duplicate_keys_name_both_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        sources:
          - name: first
            url: https://example.org/a
            interval: 5m
            name: second
        """,
    )
    issue = only(issues_of(path))
    assert issue.line == 5 and issue.path == "sources.0.name"
    assert issue.message == "key 'name' repeated at lines 2 and 5"


def billion_laughs() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_billion_laughs_is_refused_quickly(tmp_path: Path) -> None:
    text = billion_laughs()
    assert len(text.encode()) < 1100
    path = write(tmp_path, text)
    start = time.perf_counter()
    issue = only(issues_of(path))
    assert time.perf_counter() - start < 1.0
    assert "alias bomb" in issue.message and issue.line is not None


def test_recursive_alias_is_refused(tmp_path: Path) -> None:
    issue = only(issues_of(write(tmp_path, "topics: &t\n  - *t\n")))
    assert "recursive" in issue.message


def test_oversized_file_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("# padding\n" * (MAX_FILE_BYTES // 10 + 1), encoding="utf-8")
    issue = only(issues_of(path))
    assert issue.file == str(path) and "larger than 1 MB" in issue.message


def test_tabs_are_explained(tmp_path: Path) -> None:
    issue = only(issues_of(write(tmp_path, "topics:\n\t- name: a\n")))
    assert issue.line == 2 and "tab" in issue.message


def test_syntax_error_has_a_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        topics:
          - name: a
            aliases: [x, y
        limits:
          window: 5m
        """,
    )
    issue = only(issues_of(path))
    assert issue.line is not None and issue.line >= 3 and "YAML syntax error" in issue.message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("- a\n- b\n", "not a list"),
        ("just text\n", "not text"),
        ("42\n", "not a number"),
    ],
)
def test_top_level_must_be_a_mapping(tmp_path: Path, text: str, words: str) -> None:
    issue = only(issues_of(write(tmp_path, text)))
    assert issue.line == 1 and "must be a mapping" in issue.message and words in issue.message


def test_second_document_is_refused(tmp_path: Path) -> None:
    issue = only(issues_of(write(tmp_path, "topics: []\n---\nlimits: {}\n")))
    assert issue.line == 2 and "second YAML document" in issue.message


def test_unsupported_tags_are_refused(tmp_path: Path) -> None:
    issue = only(issues_of(write(tmp_path, "storage:\n  url: !!python/object:os.system x\n")))
    assert (issue.line, issue.path) == (2, "storage.url") and "not supported" in issue.message


def test_invalid_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("topics:\n  - name: caf\u00e9\n".encode("latin-1"))
    issue = only(issues_of(path))
    assert issue.line == 2 and "UTF-8" in issue.message


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    issue = only(issues_of(tmp_path / "nope.yaml"))
    assert issue.line is None and "cannot read the config file" in issue.message


@pytest.mark.parametrize("text", ["", "# only a comment\n", "~\n", "---\n"])
def test_empty_file_means_all_defaults(tmp_path: Path, text: str) -> None:
    loaded = load_config(write(tmp_path, text), env={})
    assert loaded.config.sources == [] and loaded.config.summarizer.max_stories == 5


def test_anchors_in_extension_keys_and_merge_keys(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        x-feed: &feed
          interval: 5m
          labels: [Wire Service]
        sources:
          - <<: *feed
            name: a
            url: https://example.org/a
          - <<: *feed
            name: b
            url: https://example.org/b
            interval: 1h
        """,
    )
    sources = load_config(path, env={}).config.sources
    assert [s.interval.total_seconds() for s in sources] == [300, 3600]
    assert sources[0].labels == ["Wire Service"]


# --------------------------------------------------------------------------- environment and secrets


def test_env_substitution_and_defaults(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        storage:
          url: sqlite:///${DATA_DIR:-/var/lib/briefbot}/b.db
        http:
          user_agent: "bot ${UA_SUFFIX} $${NOT_A_VAR}"
        """,
    )
    loaded = load_config(path, env={"UA_SUFFIX": "contact-me"})
    assert loaded.config.storage.url == "sqlite:////var/lib/briefbot/b.db"
    assert loaded.config.http.user_agent == "bot contact-me ${NOT_A_VAR}"
    assert loaded.secrets == ["contact-me"]


def test_missing_env_secret_names_variable_line_and_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        discord:
          guild_ids: [1]
          token: ${DISCORD_TOKEN}
        """,
    )
    issue = only(issues_of(path, env={}))
    assert (issue.line, issue.path) == (3, "discord.token")
    assert "environment variable DISCORD_TOKEN is not set" in issue.message


def test_env_secret_is_collected_as_secret(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        slack:
          bot_token: ${SLACK_BOT_TOKEN}
          signing_secret: ${SLACK_SIGNING_SECRET}
          mode: http
        """,
    )
    loaded = load_config(path, env={"SLACK_BOT_TOKEN": "xoxb-123456", "SLACK_SIGNING_SECRET": SECRET})
    assert loaded.config.slack is not None
    assert loaded.config.slack.bot_token.get_secret_value() == "xoxb-123456"
    assert set(loaded.secrets) == {"xoxb-123456", SECRET}
    assert SECRET not in repr(loaded.config)


def test_literal_secret_is_refused_without_echoing_it(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"""
        discord:
          token: {SECRET}
        """,
    )
    issue = only(issues_of(path))
    assert (issue.line, issue.path) == (2, "discord.token")
    assert "${DISCORD_TOKEN}" in issue.message and SECRET not in str(issue)


def test_substituted_secret_never_appears_in_errors(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        sources:
          - name: leaky
            url: ${FEED_TOKEN}
        deliveries:
          - name: d
            platform: discord-webhook
            webhook: ${FEED_TOKEN}
            timezone: ${FEED_TOKEN}
        """,
    )
    issues = issues_of(path, env={"FEED_TOKEN": SECRET})
    text = "\n".join(str(i) for i in issues)
    assert len(issues) == 3, text  # a bad url, webhook and time zone, all built from the secret
    assert SECRET not in text and "***" in text


# --------------------------------------------------------------------------- paths


def test_relative_paths_and_sqlite_urls_use_the_config_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conf_dir = tmp_path / "etc"
    conf_dir.mkdir()
    write(
        conf_dir,
        """
        storage:
          url: sqlite:///data/briefbot.db
        sources:
          - name: local
            path: ../corpus
        """,
    )
    monkeypatch.chdir(tmp_path)
    loaded = load_config(Path("etc") / "briefbot.yaml", env={})
    assert loaded.base_dir == conf_dir.resolve()
    assert loaded.resolve_path(loaded.config.sources[0].path or "") == (tmp_path / "corpus").resolve()
    assert loaded.resolve_path("/abs/x") == Path("/abs/x")
    assert not (conf_dir / "data").exists()
    assert loaded.storage_url == f"sqlite:///{conf_dir.resolve() / 'data' / 'briefbot.db'}"
    assert (conf_dir / "data").is_dir()


def test_sqlite_url_expands_home_and_leaves_others_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    demo_like = "storage:\n  url: sqlite:///${BRIEFBOT_DATA:-~/.local/share/briefbot}/demo.db\n"
    loaded = load_config_text(demo_like, tmp_path / "c.yaml", env={})
    assert loaded.storage_url == f"sqlite:///{tmp_path / 'home/.local/share/briefbot/demo.db'}"
    assert (tmp_path / "home/.local/share/briefbot").is_dir()
    for url in ("sqlite://", "sqlite:///:memory:", "postgresql+psycopg://u@db/briefbot"):
        assert load_config_text(f"storage:\n  url: '{url}'\n", tmp_path / "c.yaml", env={}).storage_url == url


def test_config_path_resolution_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BRIEFBOT_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert resolve_config_path(None) == bundled_demo()
    user = tmp_path / "xdg" / "briefbot" / "briefbot.yaml"
    user.parent.mkdir(parents=True)
    user.write_text("")
    assert resolve_config_path(None) == user
    (tmp_path / "briefbot.yaml").write_text("")
    assert resolve_config_path(None) == Path("briefbot.yaml")
    monkeypatch.setenv("BRIEFBOT_CONFIG", "/etc/briefbot.yaml")
    assert resolve_config_path(None) == Path("/etc/briefbot.yaml")
    assert resolve_config_path("mine.yaml") == Path("mine.yaml")


def test_bundled_demo_config_validates() -> None:
    assert bundled_demo().is_file(), "the bundled demo config is what a fresh clone runs"
    loaded = load_config(bundled_demo(), env={})
    assert loaded.config.sources and loaded.config.topics
