"""Slack-compatible message bodies for webhook channels with ``format: slack``. Pure.

``slack_message(rendered)`` returns ``{"text": ..., "blocks": [...]}`` for a Slack incoming webhook (also
understood by Mattermost and Rocket.Chat). It is built from the rendered subject and the documented payload
keys (``holder``, ``grade``, ``evidence``, ``baseline_evidence``, ``sources``, ...; a digest's ``alerts``), so
it follows what the webhook template says. Feed text is escaped for Slack's mrkdwn (``&``, ``<``, ``>``) and
links are only http(s), so nothing in a feed can ping a channel or forge a link.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from monitor.models import RenderedAlert
from monitor.render_context import oneline, safe_url

MAX_BLOCKS = 50  # Slack's limit per message
HEADER_LIMIT = 150  # Slack's limit for a header's text
TEXT_LIMIT = 2900  # a section's text may hold 3,000 characters
MAX_SOURCES = 10


def escape(text: object) -> str:
    """Text safe inside Slack mrkdwn: no markup, no <!channel> pings, no forged links."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: object, label: object) -> str:
    """``<url|label>`` when ``url`` is http(s), else just the escaped label."""
    target = safe_url(url).replace("|", "%7C").replace(">", "%3E").replace("<", "%3C")
    label_text = escape(oneline(label, 300)) or target
    return f"<{target}|{label_text}>" if target else label_text


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:TEXT_LIMIT]}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:TEXT_LIMIT]}]}


def _get(payload: Mapping[str, Any], *keys: str) -> str:
    value: Any = payload
    for key in keys:
        value = value.get(key) if isinstance(value, Mapping) else None
    return oneline(value, 2000) if isinstance(value, str | int | float) else ""


def alert_blocks(payload: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The blocks of one alert, from its payload."""
    holder, grade, severity = _get(payload, "holder"), _get(payload, "grade"), _get(payload, "severity")
    proposition = _get(payload, "proposition")
    head = f"*{escape(holder)}* ({escape(grade)}, {escape(severity)} severity) on _{escape(proposition)}_"
    now = f"*Now:*\n>{escape(_get(payload, 'evidence', 'sentence'))}"
    speaker = _get(payload, "evidence", "speaker")
    if speaker:
        now += f"\n— {escape(speaker)}"
    before = (
        f"*Before:*\n>{escape(_get(payload, 'baseline_evidence', 'quote'))} "
        f"({escape(_get(payload, 'baseline_evidence', 'date') or 'date not given')})"
    )
    blocks = [_section(head), _section(now), _section(before)]
    sources = payload.get("sources")
    if isinstance(sources, list) and sources:
        count = payload.get("source_count")
        total = count if isinstance(count, int) else len(sources)
        lines = [
            f"• {link(s.get('link'), s.get('title') or s.get('feed') or 'source')} · {escape(_get(s, 'feed'))}"
            for s in sources[:MAX_SOURCES]
            if isinstance(s, Mapping)
        ]
        if total > len(lines):
            lines.append(f"… and {total - len(lines)} more")
        blocks.append(
            _context(f"Reported by {total} source{'s' if total != 1 else ''}:\n" + "\n".join(lines))
        )
    else:
        item = payload.get("item")
        if isinstance(item, Mapping):
            blocks.append(
                _context(f"{link(item.get('link'), item.get('title'))} · {escape(_get(item, 'feed'))}")
            )
    blocks.append(
        _context(f"alert {escape(_get(payload, 'alert_id'))} · stance {escape(_get(payload, 'stance_id'))}")
    )
    return blocks


def slack_message(rendered: RenderedAlert) -> dict[str, Any]:
    """The Slack body for an alert, a digest, or a notice (anything else: the subject and the text body)."""
    subject = oneline(rendered.subject, 3000)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": oneline(subject, HEADER_LIMIT)}}
    ]
    payload = rendered.payload
    kind = payload.get("type")
    if kind == "digest" and isinstance(payload.get("alerts"), list):
        entries = [a for a in payload["alerts"] if isinstance(a, Mapping)]
        for index, entry in enumerate(entries):
            per_alert = alert_blocks(entry)
            if len(blocks) + len(per_alert) + 2 > MAX_BLOCKS:
                blocks.append(_context(f"… and {len(entries) - index} more alerts: see the email or the log"))
                break
            blocks.append({"type": "divider"})
            blocks.extend(per_alert)
    elif kind is None and "evidence" in payload:
        blocks.extend(alert_blocks(payload))
    else:
        blocks.append(_section(f"```{escape(rendered.text.strip())[: TEXT_LIMIT - 6]}```"))
    return {"text": escape(subject), "blocks": blocks}
