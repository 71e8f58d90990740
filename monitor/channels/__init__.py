"""Delivery channels: one module per channel behind the ``Channel`` interface (``base.py``). No I/O here.

``build_channels`` turns the configured channels into ready ``Channel`` objects, keyed by name.
Channels send once and classify failures (``DeliveryError.retryable``); the delivery stage retries.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO, assert_never

from monitor.channels.base import Channel
from monitor.channels.console import ConsoleChannel
from monitor.channels.email import EmailChannel
from monitor.channels.file import FileChannel
from monitor.channels.webhook import WebhookChannel
from monitor.config import (
    ChannelConfig,
    ConsoleChannelConfig,
    EmailChannelConfig,
    FileChannelConfig,
    WebhookChannelConfig,
)

__all__ = ["Channel", "build_channel", "build_channels"]


def build_channel(config: ChannelConfig, *, user_agent: str, stream: TextIO | None = None) -> Channel:
    """One channel from its configuration. ``stream`` is where a console channel writes (default stdout)."""
    if isinstance(config, ConsoleChannelConfig):
        return ConsoleChannel(config.name, stream)
    if isinstance(config, FileChannelConfig):
        return FileChannel(config.name, config.path)
    if isinstance(config, WebhookChannelConfig):
        return WebhookChannel(config, user_agent=user_agent)
    if isinstance(config, EmailChannelConfig):
        return EmailChannel(config)
    assert_never(config)


def build_channels(
    configs: Sequence[ChannelConfig], *, user_agent: str, stream: TextIO | None = None
) -> dict[str, Channel]:
    """Every configured channel, keyed by its (unique) name."""
    return {c.name: build_channel(c, user_agent=user_agent, stream=stream) for c in configs}
