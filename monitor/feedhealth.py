"""Feed health: what a failed, moved or recovered poll does to a feed's state, and the notices it raises.

Called by ``pipeline.poll_feed``; does I/O only through the ``Store`` it is given. The timing decisions are
the pure functions of ``politeness``; the notices are the pure ``RenderedAlert`` values of ``notices``,
stored with ``Store.add_alert`` so the outbox delivers them like alerts (to every channel, retried, once).

* A failure is recorded with the time its outage began, and retried with capped exponential backoff and
  jitter, never sooner than the server's ``Retry-After``. The retry is brought forward to the moment the
  outage reaches ``polling.source_down_after``, so the "source down" notice is never late.
* ``410 Gone`` disables the feed (``disabled_reason``) and raises "source gone" at once.
* A permanent redirect (301/308) is recorded as the feed's ``current_url``; its configured URL stays its
  identity, and the operator is told (once per move) to update the configuration.
* The first answer after an outage that raised "source down" raises "source back".
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from monitor.config import PollingConfig
from monitor.durations import format_duration
from monitor.errors import FetchError, ParseError
from monitor.fetch import HTTPStatusFetchError
from monitor.notices import NoticeKind, source_notice
from monitor.parse import redact_url
from monitor.politeness import Backoff, retry_delay, source_down_due
from monitor.store import FeedState, Store

log = logging.getLogger("monitor")

GONE = 410


def record_failure(
    store: Store,
    channels: Sequence[str],
    state: FeedState,
    label: str,
    exc: FetchError | ParseError,
    *,
    now: datetime,
    interval: float,
    polling: PollingConfig,
) -> bool:
    """Record a failed poll and schedule the retry; raise notices that are due. True if the feed is gone."""
    status = exc.status if isinstance(exc, HTTPStatusFetchError) else None
    since = state.failing_since or now
    failures = state.consecutive_failures + 1
    if status == GONE:
        store.record_fetch_failure(
            state.url, now=now, error=exc.reason, next_poll_at=now, status=status, failing_since=since
        )
        store.disable_feed(state.url, f"gone: {exc.reason} on {now:%Y-%m-%d %H:%M} UTC")
        raise_notice(store, channels, "source-gone", state, label, now=now, error=exc.reason)
        log.error(
            "feed %s: %s: the feed was removed and is no longer polled; remove it from the configuration,"
            " or run `stance-monitor feeds enable %s` to try again",
            label,
            exc.reason,
            redact_url(state.url),
        )
        return True
    retry_after = exc.retry_after if isinstance(exc, HTTPStatusFetchError) else None
    until_down = None
    if state.down_notice_at is None:
        until_down = max(1.0, (since + timedelta(seconds=polling.source_down_after) - now).total_seconds())
    delay = retry_delay(failures, interval, retry_after, Backoff.from_config(polling), until_down=until_down)
    next_at = now + timedelta(seconds=delay)
    store.record_fetch_failure(
        state.url, now=now, error=exc.reason, next_poll_at=next_at, status=status, failing_since=since
    )
    log.warning(
        "feed %s: %s; next try in %s at %s",
        label,
        exc.reason,
        format_duration(delay),
        next_at.strftime("%H:%M:%S UTC"),
    )
    if source_down_due(since, state.down_notice_at, now, polling.source_down_after):
        failing = replace(state, failing_since=since, consecutive_failures=failures)
        raise_notice(store, channels, "source-down", failing, label, now=now, error=exc.reason)
        store.mark_down_notice(state.url, now)
    return False


def record_recovery(
    store: Store, channels: Sequence[str], state: FeedState, label: str, *, now: datetime
) -> None:
    """Before recording a successful poll: "source back" if this outage raised "source down"."""
    if state.failing_since is None:
        return
    if state.down_notice_at is not None:
        raise_notice(store, channels, "source-back", state, label, now=now)
    log.info(
        "feed %s: answers again after %d failed polls since %s",
        label,
        state.consecutive_failures,
        state.failing_since.strftime("%Y-%m-%d %H:%M UTC"),
    )


def record_moved(store: Store, state: FeedState, label: str, new_url: str) -> None:
    """A permanent redirect: fetch from ``new_url`` from now on, and tell the operator."""
    if new_url == state.fetch_url:
        return
    store.set_current_url(state.url, new_url)
    log.warning(
        "feed %s: moved permanently to %s; polling it there from now on. Update its url in the"
        " configuration (its items and history carry over)",
        label,
        redact_url(new_url),
    )


def raise_notice(
    store: Store,
    channels: Sequence[str],
    kind: NoticeKind,
    state: FeedState,
    label: str,
    *,
    now: datetime,
    error: str | None = None,
) -> bool:
    """Store a feed-health notice for every channel (once per outage: its id says which)."""
    notice = source_notice(
        kind,
        feed_url=state.url,
        feed_name=label,
        since=state.failing_since or now,
        now=now,
        error=error,
        failures=state.consecutive_failures,
    )
    if not store.add_alert(notice, None, list(channels), now, decision="notice", detail=kind):
        return False
    log.warning("feed %s: %s notice raised (%s)", label, kind, notice.alert.alert_id)
    return True
