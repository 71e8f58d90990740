"""One error hierarchy for Stance Monitor. No I/O.

::

    MonitorError                 anything the user can act on; str() says what and where
    +-- ConfigError              monitor.yaml is invalid (file, line, key)
    +-- RuleError                a rule file is invalid (file, line, key), or its quote is not in its seed
    +-- FetchError               a feed could not be fetched (feed, reason); retryable
    +-- ParseError               a feed's bytes are not a usable feed (feed, reason)
    +-- TemplateError            a template failed to load or render (file, line)
    +-- DeliveryError            a channel could not deliver; ``retryable`` says whether to try again

"Not modified" and "nothing new" are return values, never exceptions.
"""

from __future__ import annotations

from dataclasses import dataclass


class MonitorError(Exception):
    """Base of every error Stance Monitor raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One problem found while validating a file: where it is and what is wrong."""

    file: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        key = f" {self.key}:" if self.key else ""
        return f"{where}:{key} {self.message}"


class ProblemsError(MonitorError):
    """A validation error holding every problem found, so that all are reported together."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ConfigError(ProblemsError):
    """The configuration file is invalid."""


class RuleError(ProblemsError):
    """One or more rule files are invalid."""


class FetchError(MonitorError):
    """A feed could not be fetched. Always worth retrying later."""

    def __init__(self, feed: str, reason: str) -> None:
        self.feed = feed
        self.reason = reason
        super().__init__(f"feed {feed}: {reason}")


class ParseError(MonitorError):
    """A feed's body is not a usable feed."""

    def __init__(self, feed: str, reason: str) -> None:
        self.feed = feed
        self.reason = reason
        super().__init__(f"feed {feed}: {reason}")


class TemplateError(MonitorError):
    """A template could not be loaded or rendered."""


class DeliveryError(MonitorError):
    """A channel failed to deliver. ``retryable`` tells the delivery stage whether to try again."""

    def __init__(
        self, channel: str, reason: str, *, retryable: bool, retry_after: float | None = None
    ) -> None:
        self.channel = channel
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after
        kind = "will retry" if retryable else "permanent"
        super().__init__(f"channel {channel}: {reason} ({kind})")
