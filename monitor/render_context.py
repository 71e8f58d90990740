"""What templates see: one documented context per alert (and per digest), made of plain, clean values. Pure.

``alert_context(alert, sources, decision)`` is the context of every alert template::

    alert_id, stance_id, holder, proposition, severity
    baseline          the baseline as written in the rule: "supports" or "opposes" (the proposition)
    baseline_text     a verb phrase for after the holder ("opposes this")
    grade             hedge | partial | reversal;  grade_text: what that grade means, in words
    score             0.0-1.0;  confidence: the score as a percentage ("82%")
    reason            why the engine called it a shift
    created_at        ISO 8601;  created_at_text: "2 May 2025, 09:41 UTC"
    item              {title, link, published (ISO or None), published_text, feed}   the first source
    evidence          {sentence, speaker}            the new sentence that shows the shift
    baseline_evidence {quote, seed, source, date}    the baseline quote and where it comes from
    sources           every item reporting this story, first seen first: [{feed, title, link, published,
                      published_text, sentence, speaker, grade, first_seen, first_seen_text}]
    source_count      how many (1 when only the first item reported it)
    decision          {reason, text, detail}: why it was raised (monitor.decide.Reason)

``digest_context(entries, now)`` is the context of the digest templates: ``alerts`` (a list of the above),
``count``, ``holders``, ``created_at`` and ``created_at_text``.

Feed content is hostile: every string is stripped of control and bidi-override characters, collapsed onto
one line and length-limited.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from monitor.decide import Reason
from monitor.models import Alert, Source

SUBJECT_LIMIT = 200
SHORT_LIMIT = 200  # names, ids, labels
TITLE_LIMIT = 300
LONG_LIMIT = 2000  # sentences, quotes, reasons, URLs
MAX_SOURCES = 50  # a story reported more often lists its first 50 (source_count still counts all)
ELLIPSIS = "…"

# C0/C1 controls (tab and newline become spaces later), and bidi overrides that can disguise text.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")  # terminal escape sequences (colours, cursor moves)
_SPACE = re.compile(r"\s+")

GRADE_TEXT = {
    "hedge": "hedge: softer wording than the baseline, not yet a change of position",
    "partial": "partial shift: part of the baseline position is given up",
    "reversal": "reversal: the opposite of the baseline position",
}
BASELINE_TEXT = {  # rule files say "supports" or "opposes" (the proposition)
    "opposes": "opposes this",
    "supports": "supports this",
}


def oneline(value: object, limit: int = LONG_LIMIT) -> str:
    """One clean line: no control characters, whitespace collapsed, cut to ``limit`` chars with an ellipsis."""
    text = _SPACE.sub(" ", _CONTROL.sub("", _ANSI.sub("", str(value)))).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + ELLIPSIS
    return text


def safe_url(value: object) -> str:
    """The URL if it is an absolute http(s) URL, else "" (so ``javascript:`` and friends become inert)."""
    url = oneline(value, LONG_LIMIT)
    if ELLIPSIS in url or " " in url:
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else ""


def when(moment: datetime | None) -> tuple[str | None, str]:
    """ISO 8601 and a human form ("2 May 2025, 09:41 UTC") of a moment; naive means UTC."""
    if moment is None:
        return None, "date unknown"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return moment.isoformat(), f"{moment.day} {moment:%B %Y, %H:%M} UTC"


def _confidence(score: float) -> str:
    return f"{score:.0%}" if 0.0 <= score <= 1.0 else f"{score:g}"


def source_context(source: Source) -> dict[str, Any]:
    published, published_text = when(source.published)
    first_seen, first_seen_text = when(source.first_seen)
    return {
        "feed": oneline(source.feed, SHORT_LIMIT),
        "title": oneline(source.title, TITLE_LIMIT),
        "link": oneline(source.link, LONG_LIMIT),
        "published": published,
        "published_text": published_text,
        "sentence": oneline(source.sentence, LONG_LIMIT),
        "speaker": oneline(source.speaker, SHORT_LIMIT),
        "grade": oneline(source.grade, SHORT_LIMIT),
        "first_seen": first_seen,
        "first_seen_text": first_seen_text,
    }


def alert_context(
    alert: Alert, sources: Sequence[Source] = (), reason: str = Reason.FIRST_SHIFT, detail: str = ""
) -> dict[str, Any]:
    """The one context object every alert template sees (documented in this module's docstring)."""
    published, published_text = when(alert.item_published)
    created, created_text = when(alert.created_at)
    grade = oneline(alert.grade, SHORT_LIMIT)
    baseline = oneline(alert.baseline, LONG_LIMIT)
    story = list(sources) or [Source.from_alert(alert)]
    try:
        reason_text = Reason(reason).text
    except ValueError:
        reason_text = reason
    return {
        "alert_id": oneline(alert.alert_id, SHORT_LIMIT),
        "stance_id": oneline(alert.stance_id, SHORT_LIMIT),
        "holder": oneline(alert.holder, SHORT_LIMIT),
        "proposition": oneline(alert.proposition, LONG_LIMIT),
        "baseline": baseline,
        "baseline_text": BASELINE_TEXT.get(baseline.lower(), f"holds the baseline '{baseline}'"),
        "grade": grade,
        "grade_text": GRADE_TEXT.get(grade.lower(), grade),
        "score": round(float(alert.score), 3),
        "confidence": _confidence(float(alert.score)),
        "reason": oneline(alert.reason, LONG_LIMIT),
        "severity": oneline(alert.severity, SHORT_LIMIT),
        "created_at": created,
        "created_at_text": created_text,
        "item": {
            "title": oneline(alert.item_title, TITLE_LIMIT),
            "link": oneline(alert.item_link, LONG_LIMIT),
            "published": published,
            "published_text": published_text,
            "feed": oneline(alert.feed_name, SHORT_LIMIT),
        },
        "evidence": {
            "sentence": oneline(alert.sentence, LONG_LIMIT),
            "speaker": oneline(alert.speaker, SHORT_LIMIT),
        },
        "baseline_evidence": {
            "quote": oneline(alert.baseline_quote, LONG_LIMIT),
            "seed": oneline(alert.seed, SHORT_LIMIT),
            "source": oneline(alert.seed_source, LONG_LIMIT),
            "date": oneline(alert.seed_date, SHORT_LIMIT),
        },
        "sources": [source_context(s) for s in story[:MAX_SOURCES]],
        "source_count": len(story),
        "decision": {
            "reason": oneline(reason, SHORT_LIMIT),
            "text": oneline(reason_text, SHORT_LIMIT),
            "detail": oneline(detail, LONG_LIMIT),
        },
    }


def digest_context(alerts: Sequence[dict[str, Any]], now: datetime) -> dict[str, Any]:
    """The context of the digest templates, from the alerts' own contexts (``alert_context``)."""
    created, created_text = when(now)
    holders = list(dict.fromkeys(a["holder"] for a in alerts if a["holder"]))
    return {
        "alerts": list(alerts),
        "count": len(alerts),
        "holders": holders,
        "created_at": created,
        "created_at_text": created_text,
    }


def sample_alert() -> Alert:
    """A realistic alert on the EU's Crimea stance, for ``render`` and template self-checks."""
    return Alert(
        alert_id="3f9c2a7e5b1d4c08",
        stance_id="eu-crimea-nonrecognition",
        holder="EU",
        proposition="Crimea is recognised as Russian territory",
        baseline="opposes",
        grade="hedge",
        score=0.65,
        reason="a senior EU diplomat (EU, the holder) + 'accepting Russian control of Crimea' "
        "(hedged support of the proposition, via 'would not rule out')",
        sentence="A senior EU diplomat said the bloc would not rule out accepting Russian control of Crimea "
        "as part of a lasting peace settlement.",
        speaker="a senior EU diplomat",
        item_title="EU diplomats weigh Crimea options as Ukraine peace talks stall",
        item_link="https://news.example.org/europe/2025/05/02/eu-crimea-options",
        item_published=datetime(2025, 5, 2, 9, 30, tzinfo=UTC),
        feed_name="Example Wire — Europe",
        baseline_quote="Crimea is Ukraine.",
        seed="2025-04-21-kallas-afp-interview.md",
        seed_source="AFP interview with EU foreign policy chief Kaja Kallas, as reported on April 21, 2025",
        seed_date="2025-04-21",
        severity="high",
        created_at=datetime(2025, 5, 2, 9, 41, tzinfo=UTC),
    )


def sample_sources(alert: Alert) -> tuple[Source, ...]:
    """The sample alert's story as two outlets reported it (the second picked up the wire copy later)."""
    first = Source.from_alert(alert)
    second = Source(
        source_id="sample-syndicated-0002",
        feed="Another Paper — World",
        title="Bloc would not rule out accepting Russian control of Crimea, diplomat says",
        link="https://paper.example.com/world/eu-crimea-diplomat",
        sentence=alert.sentence,
        speaker=alert.speaker,
        grade=alert.grade,
        published=None,
        first_seen=alert.created_at + timedelta(minutes=25),
    )
    return (first, second)
