"""Deliver: drain the outbox. Every due (alert, channel) delivery is sent once; failures are retried.

Channels send and classify failures (``DeliveryError.retryable``); this stage owns retries, backoff, digests
and dead letters:

* a delivery that succeeded is never sent again, whatever happens to the alert's other channels;
* a retryable failure is tried again after exponential backoff with jitter (at least ``Retry-After``), for
  up to ``alerts.max_age`` (24 h) from when it was queued; then, or at once for a permanent failure, it is
  ``dead``, logged as an error, and a notice goes to the ``alerts.fallback`` channel;
* a digest channel's due deliveries go out together as one message (``Renderer.render_digest``) and are
  marked sent, retried or dead together; notices never wait for a digest;
* each distinct failure is logged once (as a warning): a retry failing the same way again is logged at
  debug level only, because the delivery row keeps the last error.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.backoff import compute_backoff
from monitor.dead_letter import KIND as DEAD_LETTER
from monitor.dead_letter import dead_letter_notice
from monitor.errors import DeliveryError, MonitorError
from monitor.models import RenderedAlert
from monitor.pipeline import Runtime
from monitor.render import DigestEntry
from monitor.store import PendingDelivery

log = logging.getLogger("monitor")

DELIVERY_RETRY_BASE = 15.0
DELIVERY_RETRY_MAX = 3600.0
DELIVERY_MAX_AGE = timedelta(hours=24)  # the default of ``alerts.max_age``
MAX_PASSES = 3  # a pass can queue dead-letter notices: deliver those in the same call


@dataclass(frozen=True)
class Batch:
    """What one send carries: one delivery, or every due delivery of a digest channel."""

    channel: str
    deliveries: tuple[PendingDelivery, ...]
    digest: bool = False

    @property
    def label(self) -> str:
        if not self.digest:
            return f"alert {self.deliveries[0].alert_id}"
        return f"digest of {len(self.deliveries)} alert{'s' if len(self.deliveries) != 1 else ''}"


def is_notice(rendered: RenderedAlert) -> bool:
    """Feed-health and dead-letter notices: sent at once, never collected into a digest."""
    return rendered.payload.get("type") == "notice"


def plan(due: Sequence[PendingDelivery], digest_channels: set[str]) -> list[Batch]:
    """Group due deliveries into sends, in order: one per delivery, one per digest channel. Pure."""
    batches: list[Batch] = []
    digests: dict[str, list[PendingDelivery]] = {}
    for delivery in due:
        if delivery.channel in digest_channels and not is_notice(delivery.rendered):
            digests.setdefault(delivery.channel, []).append(delivery)
        else:
            batches.append(Batch(delivery.channel, (delivery,)))
    batches += [Batch(channel, tuple(items), digest=True) for channel, items in digests.items()]
    return batches


def retry_at(
    error: DeliveryError,
    *,
    attempts: int,
    queued_at: datetime,
    now: datetime,
    max_age: timedelta,
    rng: random.Random | None = None,
) -> datetime | None:
    """When to try again after ``attempts`` failures, or None to give up (permanent, or too old). Pure."""
    if not error.retryable or now - queued_at >= max_age:
        return None
    delay = compute_backoff(attempts, base=DELIVERY_RETRY_BASE, maximum=DELIVERY_RETRY_MAX, rng=rng)
    if error.retry_after:
        delay = max(delay, error.retry_after)
    return now + timedelta(seconds=delay)


def deliver_due(rt: Runtime) -> tuple[int, int]:
    """Send every delivery whose time has come; return (sent, failed) counted in deliveries."""
    sent = failed = 0
    for _ in range(MAX_PASSES):
        passed = _deliver_pass(rt)
        sent, failed = sent + passed[0], failed + passed[1]
        if not passed[2] or rt.stop.is_set():
            break
    return sent, failed


def _deliver_pass(rt: Runtime) -> tuple[int, int, int]:
    sent = failed = notices = 0
    digest_channels = {c.name for c in rt.config.channels if c.digest}
    for batch in plan(rt.store.due_deliveries(rt.clock()), digest_channels):
        if rt.stop.is_set():
            break
        now = rt.clock()
        keys = [(d.alert_id, d.channel) for d in batch.deliveries]
        error = _send(rt, batch, now)
        if error is None:
            rt.store.mark_sent_many(keys, now)
            sent += len(keys)
            continue
        failed += len(keys)
        attempts = max(d.attempts for d in batch.deliveries) + 1
        queued = min(d.queued_at or d.rendered.alert.created_at for d in batch.deliveries)
        max_age = timedelta(seconds=rt.config.alerts.max_age)
        next_at = retry_at(error, attempts=attempts, queued_at=queued, now=now, max_age=max_age)
        rt.store.mark_failed_many(keys, error=error.reason, next_attempt_at=next_at)
        _log_failure(batch, error, attempts, next_at)
        if next_at is None:
            notices += _notify_fallback(rt, batch, error, attempts, now)
    return sent, failed, notices


def _send(rt: Runtime, batch: Batch, now: datetime) -> DeliveryError | None:
    """Send the batch once; the failure, classified, or None on success."""
    channel = rt.channels.get(batch.channel)
    if channel is None:
        return DeliveryError(batch.channel, "channel is no longer configured", retryable=False)
    try:
        rendered = batch.deliveries[0].rendered
        if batch.digest:
            sources = rt.store.sources_of([d.alert_id for d in batch.deliveries])
            entries = [
                DigestEntry(d.rendered, sources.get(d.alert_id, ()), d.decision, d.decision_detail)
                for d in batch.deliveries
            ]
            rendered = rt.renderer.render_digest(entries, now, batch.channel)
        channel.send(rendered)
    except DeliveryError as exc:
        return exc
    except MonitorError as exc:  # a template error in a digest, a channel bug: kept visible, not retried
        return DeliveryError(batch.channel, str(exc), retryable=False)
    return None


def _log_failure(batch: Batch, error: DeliveryError, attempts: int, next_at: datetime | None) -> None:
    if next_at is None:
        log.error(
            "%s -> %s: %s; gave up after %d attempt%s (dead letter)",
            batch.label,
            batch.channel,
            error.reason,
            attempts,
            "s" if attempts != 1 else "",
        )
        return
    repeated = all(d.last_error == error.reason for d in batch.deliveries)
    log.log(
        logging.DEBUG if repeated else logging.WARNING,
        "%s -> %s: %s; retry at %s%s",
        batch.label,
        batch.channel,
        error.reason,
        next_at.strftime("%H:%M:%S UTC"),
        " (same error as before)" if repeated else "",
    )


def _notify_fallback(rt: Runtime, batch: Batch, error: DeliveryError, attempts: int, now: datetime) -> int:
    """Queue a dead-letter notice per alert to the fallback channel; return how many were queued."""
    fallback = rt.config.alerts.fallback
    if fallback is None or fallback == batch.channel or fallback not in rt.channels:
        return 0
    queued = 0
    for delivery in batch.deliveries:
        if delivery.rendered.payload.get("notice") == DEAD_LETTER:
            continue  # a notice that cannot be delivered is not noticed again: no loops
        notice = dead_letter_notice(
            delivery.rendered, channel=batch.channel, error=error.reason, attempts=attempts, now=now
        )
        detail = f"{delivery.alert_id} -> {batch.channel}: {error.reason}"
        if rt.store.add_alert(
            notice, None, [fallback], now, status="notice", decision=DEAD_LETTER, detail=detail
        ):
            queued += 1
            log.info(
                "alert %s -> %s: dead-letter notice queued for %s", delivery.alert_id, batch.channel, fallback
            )
    return queued
