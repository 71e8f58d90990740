"""Typed values that cross the pipeline's boundaries. Frozen, no I/O.

``FeedItem`` leaves parsing, ``Verdict`` leaves the engine, ``Alert`` is what the pipeline decides
to raise, and ``RenderedAlert`` is what channels send.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Label = Literal["shift", "hold", "none"]
LABELS: tuple[Label, ...] = ("shift", "hold", "none")


@dataclass(frozen=True)
class FeedItem:
    """One entry of a feed, as parsed: plain text, UTC dates."""

    key: str  # stable identity within its feed: guid, else canonical link, else content hash
    title: str
    text: str  # summary/content as plain text
    link: str = ""
    published: datetime | None = None
    author: str = ""
    feed_url: str = ""
    feed_name: str = ""
    voice: str | None = None  # holder name when the feed is that holder's own channel


@dataclass(frozen=True)
class ParsedFeed:
    """What parsing a feed's bytes yielded."""

    title: str
    items: tuple[FeedItem, ...]
    warning: str | None = None  # feedparser's bozo message when it still yielded entries
    ttl: float | None = None  # seconds from RSS <ttl> (minutes in the document): poll no more often


@dataclass(frozen=True)
class Span:
    """A matched piece of a sentence: character offsets into ``Evidence.sentence`` and what it is."""

    start: int
    end: int
    kind: str  # holder, topic, pro, contra, hedge, negation, other-actor, ...
    text: str


@dataclass(frozen=True)
class Evidence:
    """The sentence that decided a verdict, with what matched in it and who said it."""

    sentence: str
    speaker: str
    spans: tuple[Span, ...] = ()
    reason: str = ""


@dataclass(frozen=True)
class Verdict:
    """The engine's answer for one (item, stance)."""

    stance_id: str
    label: Label
    grade: str | None = None  # for shifts: hedge, partial, reversal
    score: float = 0.0
    evidence: tuple[Evidence, ...] = ()
    reason: str = ""
    trace: tuple[str, ...] = field(default=(), compare=False)  # step-by-step explanation

    @property
    def sentence(self) -> str:
        return self.evidence[0].sentence if self.evidence else ""


@dataclass(frozen=True)
class Alert:
    """A shift worth telling people about: everything a template needs, nothing more."""

    alert_id: str
    stance_id: str
    holder: str
    proposition: str
    baseline: str
    grade: str
    score: float
    reason: str
    sentence: str
    speaker: str
    item_title: str
    item_link: str
    item_published: datetime | None
    feed_name: str
    baseline_quote: str
    seed: str
    seed_source: str
    seed_date: str
    severity: str
    created_at: datetime

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            out[name] = value.isoformat() if isinstance(value, datetime) else value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Alert:
        """Inverse of ``as_dict`` (used by storage to rebuild an alert from its stored JSON)."""
        values = dict(data)
        for name in ("item_published", "created_at"):
            if isinstance(values.get(name), str):
                values[name] = datetime.fromisoformat(values[name])
        return cls(**{k: values[k] for k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Source:
    """One item reporting a shift: what a story's alert lists as "reported by"."""

    source_id: str  # alert_id(feed, item key, stance): the same item on the same stance is the same source
    feed: str
    title: str
    link: str
    sentence: str
    speaker: str
    grade: str
    published: datetime | None
    first_seen: datetime  # when Stance Monitor first judged it

    @classmethod
    def from_alert(cls, alert: Alert, first_seen: datetime | None = None) -> Source:
        """The source an alert's own item is: the first source of its story."""
        return cls(
            source_id=alert.alert_id,
            feed=alert.feed_name,
            title=alert.item_title,
            link=alert.item_link,
            sentence=alert.sentence,
            speaker=alert.speaker,
            grade=alert.grade,
            published=alert.item_published,
            first_seen=first_seen or alert.created_at,
        )


@dataclass(frozen=True)
class RenderedAlert:
    """An alert with its bodies rendered once, before any channel is tried."""

    alert: Alert
    subject: str
    text: str
    html: str
    payload: dict[str, Any]
