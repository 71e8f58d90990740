"""Digest schedules: when a digest channel's collected alerts go out. Pure (``now`` is passed in).

A schedule is written either as a period (``"1h"``, ``"30m"``, ``"1d"``), meaning every multiple of that period
since 1970-01-01 00:00 UTC (``1h`` = on the hour, ``1d`` = at midnight UTC), or as a five-field cron expression
in UTC (``"0 8 * * mon-fri"`` = 08:00 UTC on weekdays), read by APScheduler's ``CronTrigger``.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from apscheduler.triggers.cron import CronTrigger

from monitor.durations import parse_duration

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MIN_PERIOD = 60.0


def check_schedule(spec: str) -> str:
    """``spec`` if it is a valid schedule; raises ValueError saying what is wrong (for config validation)."""
    next_digest_at(spec, EPOCH)
    return spec


def next_digest_at(spec: str, after: datetime) -> datetime:
    """The first digest time at or after ``after`` for schedule ``spec``. Raises ValueError for a bad spec."""
    text = spec.strip()
    if len(text.split()) == 5:
        try:
            trigger = CronTrigger.from_crontab(text, timezone=UTC)
        except ValueError as exc:
            raise ValueError(f"{spec!r} is not a cron expression: {exc}") from None
        when = trigger.get_next_fire_time(None, after)
        if when is None:  # pragma: no cover - five-field crontabs always fire again
            raise ValueError(f"{spec!r} never fires")
        return when.astimezone(UTC)
    try:
        period = parse_duration(text)
    except ValueError:
        raise ValueError(
            f"{spec!r} is neither a period ('1h', '30m', '1d') nor a cron expression ('0 8 * * *')"
        ) from None
    if period < MIN_PERIOD:
        raise ValueError(f"a digest period must be at least {MIN_PERIOD:g} seconds, not {spec!r}")
    elapsed = (after - EPOCH).total_seconds()
    return EPOCH + timedelta(seconds=math.ceil(elapsed / period) * period)
