"""The configuration file: strict, with file, line and key in every error; secrets from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config import (
    EmailChannelConfig,
    FileChannelConfig,
    WebhookChannelConfig,
    load_config,
    redact,
)
from monitor.durations import format_duration, parse_duration
from monitor.errors import ConfigError

GOOD = """\
database: sqlite:///var/test.db
interval: 10m
feeds:
  - url: examples/feed.xml
    name: local
  - url: https://example.org/rss
    interval: 90s
    voice: EU
channels:
  - name: console
    type: console
  - name: jsonl
    type: file
  - name: hook
    type: webhook
    url: https://hooks.example.org/x
    headers: {Authorization: "Bearer ${HOOK_TOKEN}"}
  - name: mail
    type: email
    host: smtp.example.org
    port: 587
    from: monitor@example.org
    to: analysts@example.org
    username: monitor
    password: ${SMTP_PASSWORD}
    starttls: true
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "monitor.yaml"
    path.write_text(text)
    return path


def errors(path: Path, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as err:
        load_config(path, env=env or {})
    return [str(p) for p in err.value.problems]


def test_a_full_configuration_loads_with_paths_relative_to_the_file(tmp_path: Path) -> None:
    config = load_config(
        write(tmp_path, GOOD), env={"SMTP_PASSWORD": "s3cret-pass", "HOOK_TOKEN": "tok-123456"}
    )
    assert config.database == f"sqlite:///{tmp_path}/var/test.db"
    assert config.rules == str(tmp_path / "rules")
    assert config.feeds[0].url == str(tmp_path / "examples" / "feed.xml")
    assert config.feed_interval(config.feeds[0]) == 600 and config.feed_interval(config.feeds[1]) == 90
    assert config.feeds[1].voice == "EU"
    file_channel = config.channel("jsonl")
    assert isinstance(file_channel, FileChannelConfig) and file_channel.path == str(
        tmp_path / "var" / "alerts.jsonl"
    )
    mail = config.channel("mail")
    assert isinstance(mail, EmailChannelConfig)
    assert (mail.password, mail.sender, mail.to, mail.starttls) == (
        "s3cret-pass",
        "monitor@example.org",
        ["analysts@example.org"],
        True,
    )
    hook = config.channel("hook")
    assert isinstance(hook, WebhookChannelConfig) and hook.headers["Authorization"] == "Bearer tok-123456"
    assert (
        redact("login failed for s3cret-pass with Bearer tok-123456", config)
        == "login failed for *** with ***"
    )


def test_unknown_key_and_wrong_type_name_file_line_and_key(tmp_path: Path) -> None:
    text = GOOD.replace("    name: local\n", "    name: local\n    intervall: 5m\n").replace(
        "port: 587", "port: five"
    )
    found = errors(write(tmp_path, text), {"SMTP_PASSWORD": "x", "HOOK_TOKEN": "y"})
    path = tmp_path / "monitor.yaml"
    assert f"{path}:6: feeds[0].intervall: unknown key" in found
    assert any(p.startswith(f"{path}:22: channels[3].port:") and "valid integer" in p for p in found), found


def test_missing_environment_variable_is_named(tmp_path: Path) -> None:
    found = errors(write(tmp_path, GOOD), {"HOOK_TOKEN": "y"})
    assert found == [
        f"{tmp_path / 'monitor.yaml'}:25: channels[3].password: environment variable SMTP_PASSWORD is not set"
    ]


def test_channel_types_and_their_settings_are_checked(tmp_path: Path) -> None:
    text = "channels:\n  - name: a\n    type: pager\n  - name: b\n    type: webhook\n    url: ftp://x\n  - name: b\n    type: console\n"
    found = errors(write(tmp_path, text))
    joined = "\n".join(found)
    assert ":3: channels[0].type:" in joined or ":2: channels[0]" in joined
    assert ":6: channels[1].url: Value error, a webhook url must start with http:// or https://" in joined
    assert ":7: channels[2].name: duplicate name 'b'" in joined


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    found = errors(write(tmp_path, "feeds:\n  - url: [unclosed\n"))
    assert len(found) == 1 and ":3:" in found[0] and "YAML syntax error" in found[0]


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    found = errors(tmp_path / "nope.yaml")
    assert "cannot read" in found[0] and "nope.yaml" in found[0]


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("15m", 900), ("1h30m", 5400), ("2d", 172800), (45, 45), ("300", 300)]
)
def test_durations(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["soon", "5 minutes", "-3", "m5"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_format_duration() -> None:
    assert [format_duration(s) for s in (45, 120, 7200, 86400, 90)] == ["45s", "2m", "2h", "1d", "90s"]


def test_the_shipped_configuration_is_valid(root: Path) -> None:
    config = load_config(root / "monitor.yaml", env={})
    assert {c.type for c in config.channels} == {"console", "file"}
    assert any(f.url.endswith("examples/sample-feed.xml") for f in config.feeds)
    assert len(config.feeds) >= 3
