"""When to poll a feed next: the server's caching hints, the feed's ``<ttl>``, backoff. Pure (``now`` given).

Miniflux's rules, a little stricter:

* after an answer (200 or 304), the feed's interval, raised to the floor the server or feed asks for:
  ``Cache-Control: max-age`` (ignored with ``no-cache``/``no-store``), else ``Expires`` (against the
  response's ``Date``), and RSS ``<ttl>``; the floor is capped at ``max_interval`` so a typo on the
  server's side cannot stop a feed for a year;
* after a failure, capped exponential backoff with jitter, but never sooner than a ``Retry-After``
  (429/503), itself capped at ``max_interval``.
"""

from __future__ import annotations

import email.utils
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from monitor.backoff import compute_backoff
from monitor.config import PollingConfig

_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*\"?(\d+)", re.I)
_NO_CACHE = re.compile(r"(?:^|[,\s])(no-cache|no-store)(?:$|[,\s=])", re.I)


@dataclass(frozen=True)
class Backoff:
    """How a failing feed is retried: capped exponential backoff with jitter."""

    base: float
    maximum: float
    jitter: float
    max_interval: float

    @classmethod
    def from_config(cls, polling: PollingConfig) -> Backoff:
        return cls(polling.retry_base, polling.retry_max, polling.jitter, polling.max_interval)


def cache_floor(headers: Mapping[str, str], now: datetime) -> float | None:
    """Seconds the response says it stays fresh (``max-age``, else ``Expires``); None if it says nothing."""
    control = headers.get("cache-control", "")
    if _NO_CACHE.search(control):
        return None
    match = _MAX_AGE.search(control)
    if match:
        return float(match.group(1))
    expires = headers.get("expires")
    if not expires:
        return None
    when = _http_date(expires)
    if when is None:  # "Expires: 0" and other invalid dates mean "already expired"
        return None
    base = _http_date(headers.get("date", "")) or now
    return max(0.0, (when - base).total_seconds())


def next_interval(
    interval: float, headers: Mapping[str, str], ttl: float | None, now: datetime, max_interval: float
) -> float:
    """Seconds until the next poll after an answer: the interval, raised to any floor, floors capped."""
    floors = [f for f in (cache_floor(headers, now), ttl) if f is not None]
    floor = min(max(floors), max_interval) if floors else 0.0
    return max(interval, floor)


def retry_delay(
    failures: int,
    interval: float,
    retry_after: float | None,
    policy: Backoff,
    rng: random.Random | None = None,
    *,
    until_down: float | None = None,
) -> float:
    """Seconds until a failing feed is tried again after ``failures`` consecutive failures (1 = first).

    The first retry comes after ``base`` (or the interval, if shorter); the cap is ``maximum`` (or the
    interval, if longer: a failing feed is never polled more often than a healthy one). ``until_down``
    (seconds until the outage is long enough for a "source down" notice) brings the retry forward to
    that moment; a ``Retry-After`` still wins.
    """
    delay = compute_backoff(
        failures,
        base=min(policy.base, interval),
        maximum=max(policy.maximum, interval),
        jitter=policy.jitter,
        rng=rng,
    )
    if until_down is not None:
        delay = min(delay, until_down)
    if retry_after:
        delay = max(delay, min(retry_after, policy.max_interval))
    return delay


def source_down_due(
    failing_since: datetime | None, notice_at: datetime | None, now: datetime, after: float
) -> bool:
    """Whether a failing feed's "source down" notice is due: failing ``after`` seconds, not yet told."""
    return failing_since is not None and notice_at is None and (now - failing_since).total_seconds() >= after


def _http_date(value: str) -> datetime | None:
    try:
        when = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
