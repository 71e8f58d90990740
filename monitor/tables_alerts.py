"""The tables of stories and silences, beside ``alert`` and ``delivery`` (``monitor.tables``). No I/O.

- ``alert_source``: one row per source of a story: the item that raised the alert, and every later item that
  reported the same shift (``monitor.decide``). ``source_id`` is unique, so a source is recorded once, in
  one story, however often its item is judged again.
- ``silence``: a stance (or ``*``, every stance) silenced for a time; removing one keeps it, marked removed.

Only ``monitor.store_alerts`` uses this module; everyone else works on ``monitor.decide``'s values.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, RowMapping, Text
from sqlmodel import Field, SQLModel

from monitor.decide import Silence
from monitor.models import Source
from monitor.tables import UTCDateTime, table


class AlertSourceRow(SQLModel, table=True):
    __tablename__ = "alert_source"
    __table_args__ = (Index("ix_alert_source_alert", "alert_id"),)

    id: int | None = Field(default=None, primary_key=True)
    alert_id: str = Field(foreign_key="alert.id")
    source_id: str = Field(unique=True)
    item_id: int | None = Field(default=None, foreign_key="item.id")
    feed: str = Field(sa_type=Text)
    title: str = Field(sa_type=Text)
    link: str = Field(sa_type=Text)
    sentence: str = Field(sa_type=Text)
    speaker: str = Field(default="", sa_type=Text)
    grade: str
    published: datetime | None = Field(default=None, sa_type=UTCDateTime)
    first_seen: datetime = Field(sa_type=UTCDateTime)


class SilenceRow(SQLModel, table=True):
    __tablename__ = "silence"
    __table_args__ = (Index("ix_silence_ends", "ends_at"),)

    id: int | None = Field(default=None, primary_key=True)
    stance_id: str
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    reason: str = Field(default="", sa_type=Text)
    created_at: datetime = Field(sa_type=UTCDateTime)
    removed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


ALERT_SOURCE = table(AlertSourceRow)
SILENCE = table(SilenceRow)

_SOURCE_COLUMNS = (
    "source_id",
    "feed",
    "title",
    "link",
    "sentence",
    "speaker",
    "grade",
    "published",
    "first_seen",
)


def source_row(alert_id: str, item_id: int | None, source: Source) -> dict[str, Any]:
    return {"alert_id": alert_id, "item_id": item_id, **{c: getattr(source, c) for c in _SOURCE_COLUMNS}}


def source_value(row: RowMapping) -> Source:
    return Source(**{c: row[c] for c in _SOURCE_COLUMNS})


def silence_value(row: RowMapping) -> Silence:
    return Silence(
        silence_id=row["id"],
        stance_id=row["stance_id"],
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        reason=row["reason"],
        created_at=row["created_at"],
        removed_at=row["removed_at"],
    )
