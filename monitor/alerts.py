"""Decide what becomes an alert: from a shift verdict to an ``Alert`` value. Pure (``now`` is passed in).

The alert id is derived from the feed, the item's key and the stance, so the same shift in the same item is
the same alert whatever happens: a re-poll, a restart, or an edited revision of the item. The store's
unique key on it is what makes "no alert twice" hold.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from monitor.engine import Stance
from monitor.models import Alert, FeedItem, Verdict


def alert_id(feed_url: str, item_key: str, stance_id: str) -> str:
    digest = hashlib.sha256(f"{feed_url}\n{item_key}\n{stance_id}".encode()).hexdigest()
    return f"{stance_id[:24]}-{digest[:16]}"


def build_alert(item: FeedItem, stance: Stance, verdict: Verdict, now: datetime) -> Alert:
    """The alert for a ``shift`` verdict on ``item``: everything a template shows, side by side."""
    if verdict.label != "shift":
        raise ValueError(f"only a shift becomes an alert, not {verdict.label!r}")
    quote = stance.quote
    evidence = verdict.evidence[0] if verdict.evidence else None
    return Alert(
        alert_id=alert_id(item.feed_url, item.key, stance.id),
        stance_id=stance.id,
        holder=stance.holder,
        proposition=stance.proposition,
        baseline=stance.baseline,
        grade=verdict.grade or "reversal",
        score=verdict.score,
        reason=verdict.reason,
        sentence=evidence.sentence if evidence else item.title,
        speaker=evidence.speaker if evidence else "",
        item_title=item.title,
        item_link=item.link,
        item_published=item.published,
        feed_name=item.feed_name or item.feed_url,
        baseline_quote=quote.text,
        seed=quote.seed.name,
        seed_source=quote.seed.source,
        seed_date=quote.seed.date,
        severity=stance.severity,
        created_at=now,
    )
