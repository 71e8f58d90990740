"""The one interface every delivery channel implements. No I/O.

A channel sends one rendered alert and classifies its own failures: it raises
``DeliveryError(channel, reason, retryable=..., retry_after=...)`` and never retries, sleeps or logs;
the shared delivery stage owns retries, backoff and logging. Reasons never contain secrets.
"""

from __future__ import annotations

from typing import Protocol

from monitor.models import RenderedAlert


class Channel(Protocol):
    """Sends rendered alerts somewhere. ``name`` is the channel's name in the configuration."""

    name: str

    def send(self, rendered: RenderedAlert) -> None:
        """Deliver once, or raise ``DeliveryError`` saying whether trying again could help."""
        ...

    def close(self) -> None:
        """Release connections or files; the channel is not used afterwards."""
        ...
