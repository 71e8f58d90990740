"""The ``alerts:`` section and the channel settings of issue 4 (digest, secret, format): strict, with lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config import WebhookChannelConfig, load_config
from monitor.errors import ConfigError
from monitor.stories import policy_of

CHANNELS = """\
channels:
  - name: console
    type: console
  - name: hook
    type: webhook
    url: https://hooks.example.org/x
    secret: ${HOOK_SECRET}
    format: slack
    digest: 30m
"""


def load(tmp_path: Path, text: str) -> object:
    path = tmp_path / "monitor.yaml"
    path.write_text(text, encoding="utf-8")
    return load_config(path, env={"HOOK_SECRET": "0123456789abcdef-secret"})


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as err:
        load(tmp_path, text)
    return [str(p) for p in err.value.problems]


def test_defaults_and_a_full_alerts_section(tmp_path: Path) -> None:
    default = load(tmp_path, CHANNELS)
    alerts = default.alerts  # type: ignore[attr-defined]
    assert (
        alerts.fallback,
        alerts.cooldown,
        alerts.story_window,
        alerts.story_similarity,
        alerts.max_age,
    ) == (
        None,
        6 * 3600.0,
        48 * 3600.0,
        0.5,
        24 * 3600.0,
    )
    config = load(
        tmp_path,
        CHANNELS
        + "alerts:\n  fallback: console\n  cooldown: 2h\n  story_window: 1d\n  story_similarity: 1\n  max_age: 12h\n",
    )
    policy = policy_of(config.alerts)  # type: ignore[attr-defined]
    assert (
        policy.cooldown.total_seconds(),
        policy.story_window.total_seconds(),
        policy.story_similarity,
    ) == (
        7200.0,
        86400.0,
        1.0,
    )
    [_, hook] = config.channels  # type: ignore[attr-defined]
    assert isinstance(hook, WebhookChannelConfig)
    assert (hook.secret, hook.format, hook.digest) == ("0123456789abcdef-secret", "slack", "30m")


def test_every_alerts_problem_is_reported_with_its_line(tmp_path: Path) -> None:
    text = CHANNELS + "alerts:\n  fallback: pager\n  story_similarity: 1.5\n  cooldwn: 1h\n"
    found = problems(tmp_path, text)
    assert any(":12: alerts.story_similarity:" in p for p in found), found
    assert any(":13: alerts.cooldwn: unknown key" in p for p in found), found
    # A fallback naming no channel is reported once the rest is valid.
    found = problems(tmp_path, CHANNELS + "alerts:\n  fallback: pager\n")
    assert found == [f"{tmp_path / 'monitor.yaml'}:11: alerts.fallback: no channel named 'pager'"]


def test_webhook_format_and_secret_are_checked(tmp_path: Path) -> None:
    text = "channels:\n  - name: hook\n    type: webhook\n    url: https://x.example/h\n    format: teams\n    secret: short\n"
    found = problems(tmp_path, text)
    assert any(":5: channels[0].format:" in p for p in found), found
    assert any(":6: channels[0].secret:" in p and "at least 16" in p for p in found), found
