"""The "undelivered" notice sent to the fallback channel when a delivery gives up. Pure.

Like the feed-health notices (``monitor.notices``) it is a ``RenderedAlert`` built in code, stored with
``Store.add_alert`` (``status="notice"``) and sent through the outbox to the fallback channel only, so it
is retried and never sent twice. It keeps the original alert's stance (email threads it with that
stance's alerts) and its payload has ``"type": "notice", "notice": "dead-letter"`` with the original
payload under ``"alert"``.
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import replace
from datetime import datetime

from monitor.models import RenderedAlert
from monitor.render_context import SUBJECT_LIMIT, oneline

KIND = "dead-letter"


def notice_id(alert_id: str, channel: str, now: datetime) -> str:
    digest = hashlib.sha256(f"{KIND}\n{alert_id}\n{channel}\n{now.isoformat()}".encode()).hexdigest()
    return f"{KIND}-{digest[:16]}"


def dead_letter_notice(
    rendered: RenderedAlert, *, channel: str, error: str, attempts: int, now: datetime
) -> RenderedAlert:
    """The notice that ``rendered`` will not reach ``channel``: what failed, and how to send it again."""
    original = rendered.alert
    nid = notice_id(original.alert_id, channel, now)
    subject = oneline(f"UNDELIVERED to {channel}: {rendered.subject}", SUBJECT_LIMIT)
    retry = f"stance-monitor alerts retry {original.alert_id} --channel {channel}"
    lines = [
        ("Alert", original.alert_id),
        ("Channel", channel),
        ("Attempts", str(attempts)),
        ("Error", oneline(error, 500)),
        ("Raised", f"{original.created_at:%Y-%m-%d %H:%M} UTC"),
    ]
    summary = f"The alert below could not be delivered to channel {channel!r} and will not be retried."
    text = "\n".join(
        [
            "UNDELIVERED ALERT",
            "=" * 72,
            summary,
            "",
            *(f"  {k + ':':10} {v}" for k, v in lines),
            "",
            "Once the problem is fixed, send it again with:",
            f"  {retry}",
            "",
            "----- the undelivered alert " + "-" * 44,
            rendered.text,
        ]
    )
    rows = "".join(
        f"<tr><th align='left' style='padding-right:12px'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
        for k, v in lines
    )
    body = (
        f"<h2>Undelivered alert</h2><p>{html.escape(summary)}</p><table>{rows}</table>"
        f"<p>Once the problem is fixed, send it again with:<br><code>{html.escape(retry)}</code></p>"
        f"<hr><pre style='white-space:pre-wrap'>{html.escape(rendered.text)}</pre>"
    )
    payload = {
        "version": 1,
        "type": "notice",
        "notice": KIND,
        "alert_id": nid,
        "undelivered": {
            "alert_id": original.alert_id,
            "channel": channel,
            "error": error,
            "attempts": attempts,
        },
        "summary": summary,
        "created_at": now.isoformat(),
        "alert": rendered.payload,
    }
    alert = replace(original, alert_id=nid, reason=error, created_at=now)
    return RenderedAlert(alert=alert, subject=subject, text=text, html=body, payload=payload)
