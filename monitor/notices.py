"""Feed-health notices ("source down", "source back", "source gone") as alerts the channels can send. Pure.

A notice is a ``RenderedAlert`` built here rather than from the stance templates (it has no stance, quote
or seed). The pipeline stores it with ``Store.add_alert`` like any alert, so it goes through the same
outbox: one delivery per channel, retried, never sent twice. Its id is derived from the feed and the
start of the outage, so each outage gives one "down" and one "back" notice, whatever repeats.

Its ``stance_id`` is the notice kind, and its payload has ``"type": "notice"`` so a webhook receiver can
tell it from a stance alert (``"version": 1`` payloads with a ``stance_id`` of a rule).
"""

from __future__ import annotations

import hashlib
import html
from datetime import datetime, timedelta
from typing import Literal

from monitor.models import Alert, RenderedAlert
from monitor.parse import redact_url

NoticeKind = Literal["source-down", "source-back", "source-gone"]
HEADLINE = {"source-down": "SOURCE DOWN", "source-back": "SOURCE BACK", "source-gone": "SOURCE GONE"}


def notice_id(kind: NoticeKind, feed_url: str, since: datetime) -> str:
    digest = hashlib.sha256(f"{kind}\n{feed_url}\n{since.isoformat()}".encode()).hexdigest()
    return f"{kind}-{digest[:16]}"


def source_notice(
    kind: NoticeKind,
    *,
    feed_url: str,
    feed_name: str,
    since: datetime,
    now: datetime,
    error: str | None = None,
    failures: int = 0,
) -> RenderedAlert:
    """The notice of ``kind`` for the feed whose outage began at ``since``."""
    url = redact_url(feed_url)
    name = feed_name or url
    took = _span(now - since)
    subject = f"{HEADLINE[kind]}: {name}"
    if kind == "source-down":
        summary = f"The feed has been failing for {took} ({failures} failed polls in a row)."
        advice = "Its items are not being judged until it recovers; you will be told when it does."
    elif kind == "source-back":
        summary = f"The feed answers again after {took} of failures."
        advice = (
            "Its items are being judged again; anything published meanwhile is picked up if still listed."
        )
    else:
        summary = "The server says the feed is gone for good (HTTP 410 Gone). It is no longer polled."
        advice = f"Remove it from the configuration, or run `stance-monitor feeds enable {url}` to try again."
    lines = [
        ("Feed", name),
        ("URL", url),
        ("Since", f"{since:%Y-%m-%d %H:%M} UTC"),
        ("Now", f"{now:%Y-%m-%d %H:%M} UTC"),
    ]
    if error and kind != "source-back":
        lines.append(("Error", error))
    text = "\n".join([subject, "=" * 72, summary, "", *(f"  {k + ':':8} {v}" for k, v in lines), "", advice])
    rows = "".join(
        f"<tr><th align='left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in lines
    )
    body = (
        f"<h2>{html.escape(subject)}</h2><p>{html.escape(summary)}</p>"
        f"<table>{rows}</table><p>{html.escape(advice)}</p>"
    )
    alert = Alert(
        alert_id=notice_id(kind, feed_url, since),
        stance_id=kind,
        holder="",
        proposition="",
        baseline="",
        grade="notice",
        score=0.0,
        reason=error or summary,
        sentence=summary,
        speaker="",
        item_title=subject,
        item_link=url,
        item_published=None,
        feed_name=name,
        baseline_quote="",
        seed="",
        seed_source="",
        seed_date="",
        severity="info" if kind == "source-back" else "high",
        created_at=now,
    )
    payload = {
        "version": 1,
        "type": "notice",
        "notice": kind,
        "alert_id": alert.alert_id,
        "feed": {"name": name, "url": url},
        "since": since.isoformat(),
        "failures": failures,
        "error": error,
        "summary": summary,
        "created_at": now.isoformat(),
    }
    return RenderedAlert(alert=alert, subject=subject, text=text, html=body, payload=payload)


def _span(delta: timedelta) -> str:
    """ "6h 5m", "2d 3h", "40m": how long, to the minute."""
    days, minutes = divmod(max(0, int(delta.total_seconds() // 60)), 1440)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "m")) if n]
    return " ".join(parts) or "less than a minute"
