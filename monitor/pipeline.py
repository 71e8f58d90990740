"""One polling cycle, composed stage by stage: fetch -> parse -> store -> compare -> decide -> render -> outbox.

Delivery is a separate step (``outbox.deliver_due``) that drains the outbox, so an alert is always stored with its
rendered bodies before any channel is tried, and a crash between the two loses nothing: pending deliveries
are picked up again. Items are stored before they are judged and marked judged after their alerts are
stored, so a crash in between means they are judged again (the alert id makes that harmless).

This module does I/O only through the parts it is given (``Runtime``); the clock is injected.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from monitor.alerts import build_alert
from monitor.backoff import compute_backoff
from monitor.channels import Channel
from monitor.config import Config, FeedConfig
from monitor.durations import format_duration
from monitor.engine import Engine
from monitor.errors import FetchError, ParseError
from monitor.fetch import Fetcher, HTTPStatusFetchError
from monitor.parse import parse_feed
from monitor.render import Renderer
from monitor.store import FeedState, Store, StoredItem

log = logging.getLogger("monitor")

FEED_RETRY_BASE = 60.0  # first retry of a failing feed after about a minute
FEED_RETRY_MAX = 6 * 3600.0


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    """The assembled parts one process works with. Built once by ``daemon.build_runtime``."""

    config: Config
    store: Store
    fetcher: Fetcher
    engine: Engine
    renderer: Renderer
    channels: dict[str, Channel]
    clock: Callable[[], datetime] = utc_now
    stop: threading.Event = field(default_factory=threading.Event)

    def feed_config(self, url: str) -> FeedConfig | None:
        for feed in self.config.feeds:
            if feed.url == url:
                return feed
        return None


@dataclass(frozen=True)
class PollResult:
    feed: str
    ok: bool
    items: int = 0  # items in the feed document
    new: int = 0  # new or changed items judged
    alerts: int = 0
    error: str | None = None
    not_modified: bool = False


def poll_feed(rt: Runtime, state: FeedState) -> PollResult:
    """Fetch, parse and store one feed, then judge its unjudged items. Never raises for feed problems."""
    now = rt.clock()
    feed_cfg = rt.feed_config(state.url)
    label = state.name or state.url
    interval = rt.config.feed_interval(feed_cfg) if feed_cfg else state.interval_s
    try:
        result = rt.fetcher.fetch(state.url, etag=state.etag, last_modified=state.last_modified)
        parsed = None
        if not result.not_modified:
            assert result.body is not None
            parsed = parse_feed(
                result.body,
                result.headers,
                state.url,
                now=now,
                feed_name=label,
                voice=feed_cfg.voice if feed_cfg else None,
            )
    except (FetchError, ParseError) as exc:
        failures = state.consecutive_failures + 1
        delay = compute_backoff(
            failures, base=min(FEED_RETRY_BASE, interval), maximum=max(FEED_RETRY_MAX, interval)
        )
        if isinstance(exc, HTTPStatusFetchError) and exc.retry_after:
            delay = max(delay, exc.retry_after)
        next_at = now + timedelta(seconds=delay)
        status = exc.status if isinstance(exc, HTTPStatusFetchError) else None
        rt.store.record_fetch_failure(
            state.url, now=now, error=exc.reason, next_poll_at=next_at, status=status
        )
        log.warning(
            "feed %s: %s; next try in %s at %s",
            label,
            exc.reason,
            format_duration(delay),
            next_at.strftime("%H:%M:%S UTC"),
        )
        return PollResult(label, ok=False, error=exc.reason)
    next_at = now + timedelta(seconds=interval)
    if parsed is None:
        rt.store.record_fetch_success(
            state.url,
            now=now,
            status=result.status,
            etag=result.etag,
            last_modified=result.last_modified,
            next_poll_at=next_at,
        )
        log.info("feed %s: not modified", label)
        return PollResult(label, ok=True, not_modified=True)
    if parsed.warning:
        log.info("feed %s: malformed but usable (%s)", label, parsed.warning)
    rt.store.add_items(state.url, parsed.items, now)
    judged, alerts = judge_pending(rt, state.url, label)
    rt.store.record_fetch_success(
        state.url,
        now=now,
        status=result.status,
        etag=result.etag,
        last_modified=result.last_modified,
        next_poll_at=next_at,
    )
    log.info("feed %s: %d items, %d new or changed, %d alerts", label, len(parsed.items), judged, alerts)
    return PollResult(label, ok=True, items=len(parsed.items), new=judged, alerts=alerts)


def judge_pending(rt: Runtime, feed_url: str, label: str) -> tuple[int, int]:
    """Judge every stored item of the feed not yet judged at its current revision; store the alerts."""
    feed_cfg = rt.feed_config(feed_url)
    judged = alerts = 0
    for stored in rt.store.pending_items(feed_url):
        if rt.stop.is_set():
            log.info("feed %s: stopping; %s left for the next run", label, "the remaining items")
            break
        alerts += judge_item(rt, stored, label, feed_cfg.voice if feed_cfg else None)
        rt.store.mark_judged(stored.id, stored.revision)
        judged += 1
    return judged, alerts


def judge_item(rt: Runtime, stored: StoredItem, label: str, voice: str | None) -> int:
    """Compare one item with every stance; store an alert (with its outbox rows) for each shift."""
    item = replace(stored.item, feed_name=label, voice=voice)
    raised = 0
    for verdict in rt.engine.judge(item):
        if verdict.label != "shift":
            continue
        stance = rt.engine.stance(verdict.stance_id)
        alert = build_alert(item, stance, verdict, rt.clock())
        rendered = rt.renderer.render(alert)
        channels = list(stance.channels) or list(rt.channels)
        if rt.store.add_alert(rendered, stored.id, channels, rt.clock()):
            raised += 1
            log.info("alert %s: %s shift (%s) in %r", alert.alert_id, stance.id, alert.grade, item.title[:80])
    return raised
