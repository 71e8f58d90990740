"""Deliver: drain the outbox. Every due (alert, channel) delivery is sent once; failures are retried.

Channels send and classify failures (``DeliveryError.retryable``); this stage owns retries, backoff and
dead letters. A delivery that succeeded is never sent again, whatever happens to the alert's other channels.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from monitor.backoff import compute_backoff
from monitor.errors import DeliveryError, MonitorError, TemplateError
from monitor.pipeline import Runtime

log = logging.getLogger("monitor")

DELIVERY_RETRY_BASE = 15.0
DELIVERY_RETRY_MAX = 3600.0
DELIVERY_MAX_AGE = timedelta(hours=24)


def deliver_due(rt: Runtime) -> tuple[int, int]:
    """Send every delivery whose time has come; return (sent, failed). Channels send, this step retries."""
    sent = failed = 0
    for pending in rt.store.due_deliveries(rt.clock()):
        if rt.stop.is_set():
            break
        now = rt.clock()
        channel = rt.channels.get(pending.channel)
        try:
            if channel is None:
                raise DeliveryError(pending.channel, "channel is no longer configured", retryable=False)
            channel.send(pending.rendered)
        except DeliveryError as exc:
            failed += 1
            attempts = pending.attempts + 1
            age = now - pending.rendered.alert.created_at
            next_at: datetime | None = None
            if exc.retryable and age < DELIVERY_MAX_AGE:
                delay = compute_backoff(attempts, base=DELIVERY_RETRY_BASE, maximum=DELIVERY_RETRY_MAX)
                if exc.retry_after:
                    delay = max(delay, exc.retry_after)
                next_at = now + timedelta(seconds=delay)
            rt.store.mark_failed(
                pending.alert_id, pending.channel, error=exc.reason, now=now, next_attempt_at=next_at
            )
            if next_at is None:
                log.error(
                    "alert %s -> %s: %s; gave up (dead letter)", pending.alert_id, pending.channel, exc.reason
                )
            else:
                log.warning(
                    "alert %s -> %s: %s; retry at %s",
                    pending.alert_id,
                    pending.channel,
                    exc.reason,
                    next_at.strftime("%H:%M:%S UTC"),
                )
            continue
        except (TemplateError, MonitorError) as exc:  # pragma: no cover - a channel bug, kept visible
            failed += 1
            rt.store.mark_failed(
                pending.alert_id, pending.channel, error=str(exc), now=now, next_attempt_at=None
            )
            log.error("alert %s -> %s: %s", pending.alert_id, pending.channel, exc)
            continue
        rt.store.mark_sent(pending.alert_id, pending.channel, now)
        sent += 1
    return sent, failed
