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
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from monitor import feedhealth, fulltext, stories
from monitor.alerts import build_alert
from monitor.channels import Channel
from monitor.config import Config, FeedConfig
from monitor.decide import Action
from monitor.durations import format_duration
from monitor.engine import Engine
from monitor.errors import FetchError, ParseError
from monitor.fetch import Fetcher
from monitor.parsepool import parse_body
from monitor.politeness import next_interval
from monitor.render import Renderer
from monitor.store import FeedState, Store, StoredItem

log = logging.getLogger("monitor")

PENDING_BATCH = 1000  # items read back for judging at a time; more wait for the next poll


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
    parse_pool: Executor | None = None  # processes parsing feed bodies (``parsepool``); None: in the thread
    # Feeds that may hold items left unjudged (by a crash, a stop or an error); None: unknown, always look.
    maybe_pending: set[str] | None = None
    _feeds: dict[str, FeedConfig] = field(default_factory=dict, init=False, repr=False)

    def feed_config(self, url: str) -> FeedConfig | None:
        if len(self._feeds) != len(self.config.feeds):  # built on first use (a dict: a thousand feeds)
            self._feeds = {feed.url: feed for feed in self.config.feeds}
        return self._feeds.get(url)


@dataclass(frozen=True)
class PollResult:
    feed: str
    ok: bool
    items: int = 0  # items in the feed document
    new: int = 0  # new or changed items judged
    alerts: int = 0
    error: str | None = None
    not_modified: bool = False
    gone: bool = False  # 410 Gone: the feed is disabled
    seconds: float = 0.0  # how long the poll took


def poll_feed(rt: Runtime, state: FeedState) -> PollResult:
    """Fetch, parse and store one feed, then judge its unjudged items. Never raises for feed problems.

    The feed is fetched where it now lives (``current_url`` after a 301/308; a new permanent redirect is
    recorded). A 304 costs no parse. After an answer the next poll waits the feed's interval or what the
    server (Cache-Control, Expires) or the feed (``<ttl>``) asks, whichever is longer; a failure is
    handled by ``feedhealth`` (backoff, Retry-After, 410 Gone, "source down" notices), and the first
    answer after a notified outage raises "source back".
    """
    started = time.monotonic()
    now = rt.clock()
    feed_cfg = rt.feed_config(state.url)
    label = state.name or state.url
    interval = rt.config.feed_interval(feed_cfg) if feed_cfg else state.interval_s
    try:
        result = rt.fetcher.fetch(state.fetch_url, etag=state.etag, last_modified=state.last_modified)
        if result.permanent_redirect:
            feedhealth.record_moved(rt.store, state, label, result.permanent_redirect)
        parsed = None
        if not result.not_modified:
            assert result.body is not None
            parsed = parse_body(
                rt.parse_pool,
                result.body,
                result.headers,
                state.url,
                now=now,
                feed_name=label,
                voice=feed_cfg.voice if feed_cfg else None,
            )
    except (FetchError, ParseError) as exc:
        polling = rt.config.polling
        gone = feedhealth.record_failure(
            rt.store, list(rt.channels), state, label, exc, now=now, interval=interval, polling=polling
        )
        return PollResult(label, ok=False, error=exc.reason, gone=gone, seconds=time.monotonic() - started)
    ttl = parsed.ttl if parsed is not None else state.ttl_s
    delay = next_interval(interval, result.headers, ttl, now, rt.config.polling.max_interval)
    next_at = now + timedelta(seconds=delay)
    feedhealth.record_recovery(rt.store, list(rt.channels), state, label, now=now)

    def succeeded(ttl_s: float | None = None, warning: str | None = None) -> None:
        rt.store.record_fetch_success(
            state.url,
            now=now,
            status=result.status,
            etag=result.etag,
            last_modified=result.last_modified,
            next_poll_at=next_at,
            ttl_s=ttl_s,
            warning=warning,
        )

    if parsed is None:
        succeeded()
        log.info("feed %s: not modified; next poll in %s", label, format_duration(delay))
        return PollResult(label, ok=True, not_modified=True, seconds=time.monotonic() - started)
    warnings = []
    if parsed.warning:
        log.info("feed %s: malformed but usable (%s)", label, parsed.warning)
        warnings.append(f"malformed but usable: {parsed.warning}")
    fresh = rt.store.add_items(state.url, parsed.items, now)
    outcome = judge_pending(rt, state.url, label, fresh)
    if outcome.text_failures:
        warnings.append(
            f"full text: {outcome.text_failures} article(s) judged on the feed's text only"
            f" (last reason: {outcome.last_text_error})"
        )
    succeeded(ttl_s=parsed.ttl, warning="; ".join(warnings) or None)
    log.info(
        "feed %s: %d items, %d new or changed, %d alerts",
        label,
        len(parsed.items),
        outcome.judged,
        outcome.alerts,
    )
    return PollResult(
        label,
        ok=True,
        items=len(parsed.items),
        new=outcome.judged,
        alerts=outcome.alerts,
        seconds=time.monotonic() - started,
    )


@dataclass(frozen=True)
class Judged:
    """What ``judge_pending`` did: items judged, alerts stored, articles that could not be had."""

    judged: int = 0
    alerts: int = 0
    text_failures: int = 0
    last_text_error: str | None = None


def judge_pending(
    rt: Runtime, feed_url: str, label: str, fresh: Sequence[StoredItem] | None = None
) -> Judged:
    """Judge every stored item of the feed not yet judged at its current revision; store the alerts.

    ``fresh`` are the items ``add_items`` just stored: when the feed is known to have nothing else pending
    (``rt.maybe_pending``), they are judged without reading them back. Items of a ``full_text`` feed are
    judged with their linked article's text (see ``with_full_text``). Judged items are marked in one
    transaction at the end (or when stopping): a crash before that means they are judged again, which the
    alert id makes harmless.
    """
    feed_cfg = rt.feed_config(feed_url)
    voice = feed_cfg.voice if feed_cfg else None
    full_text = bool(feed_cfg and feed_cfg.full_text)
    known = rt.maybe_pending
    if fresh is not None and known is not None and feed_url not in known:
        items, complete = list(fresh), True
    else:
        items = rt.store.pending_items(feed_url, limit=PENDING_BATCH)
        complete = len(items) < PENDING_BATCH
    if known is not None:
        known.add(feed_url)  # until every item is judged
    done: list[tuple[int, int]] = []
    alerts = failures = 0
    last_error: str | None = None
    try:
        for stored in items:
            if rt.stop.is_set():
                log.info("feed %s: stopping; %s left for the next run", label, "the remaining items")
                complete = False
                break
            if full_text:
                stored = with_full_text(rt, stored, label)
                if stored.full_text_error:
                    failures, last_error = failures + 1, stored.full_text_error
            alerts += judge_item(rt, stored, label, voice)
            done.append((stored.id, stored.revision))
    finally:
        rt.store.mark_judged_many(done)
    if complete and known is not None:
        known.discard(feed_url)
    return Judged(len(done), alerts, failures, last_error)


def with_full_text(rt: Runtime, stored: StoredItem, label: str) -> StoredItem:
    """The item with its linked article's main text after the feed's text, to be judged together.

    The article is fetched once per item revision with the feed fetcher (same limits) and kept in the
    store; when it cannot be had, the reason is stored and logged and the item keeps the feed's text.
    """
    if stored.full_text_revision < stored.revision:
        text, error = _article_text(rt.fetcher, stored.item.link)
        rt.store.set_full_text(stored.id, stored.revision, text=text, error=error)
        stored = replace(stored, full_text=text, full_text_error=error, full_text_revision=stored.revision)
        if error:
            log.info(
                "feed %s: full text of %r unavailable (%s); judged on the feed's text",
                label,
                stored.item.title[:80],
                error,
            )
    if not stored.full_text:
        return stored
    text = f"{stored.item.text}\n\n{stored.full_text}" if stored.item.text else stored.full_text
    return replace(stored, item=replace(stored.item, text=text))


def _article_text(fetcher: Fetcher, link: str) -> tuple[str | None, str | None]:
    """(text, None) or (None, why not)."""
    if not link.startswith(("http://", "https://")):
        return None, "the item has no http(s) link"
    if not fulltext.available():
        return None, fulltext.MISSING_EXTRA
    try:
        page = fetcher.fetch(link)
        return fulltext.extract_article(page.body or b"", page.headers, link), None
    except (FetchError, ParseError) as exc:
        return None, exc.reason


def judge_item(rt: Runtime, stored: StoredItem, label: str, voice: str | None) -> int:
    """Compare one item with every stance; decide and record each shift (``stories``): return alerts raised.

    A shift becomes a new alert (with its outbox rows), another source of an alert's story, or a record
    suppressed by a cooldown or a silence (``monitor.decide``).
    """
    item = replace(stored.item, feed_name=label, voice=voice)
    raised = 0
    for verdict in rt.engine.judge(item):
        if verdict.label != "shift":
            continue
        stance = rt.engine.stance(verdict.stance_id)
        now = rt.clock()
        alert = build_alert(item, stance, verdict, now)
        channels = list(stance.channels) or list(rt.channels)
        decision = stories.record_shift(
            rt.store, rt.renderer, rt.config, alert, item_id=stored.id, channels=channels, now=now
        )
        raised += decision.action is Action.RAISE
    return raised
