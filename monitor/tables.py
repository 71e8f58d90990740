"""The database side of storage: tables (SQLModel), the values rows become, and opening an engine.

Only ``monitor.store`` uses this module directly; everyone else works on the frozen values defined here
(re-exported by ``monitor.store``). No I/O except ``open_engine``, which creates a SQLite file's folder.

- ``feed``: one row per configured feed, with its own schedule (``next_poll_at``) and health: fetch state,
  where it moved (``current_url``), why it is disabled (410 Gone), when its current outage began.
- ``item``: one row per (feed, key); ``content_hash`` and ``revision`` track edits of an entry; full-text
  feeds also keep the linked article's text (or why it could not be had) per revision.
- ``alert``: one row per deterministic ``alert_id``, with its rendered bodies (rendered once).
- ``delivery``: one row per (alert, channel): the retry state of sending that alert there.
- ``alert_source`` and ``silence`` (``monitor.tables_alerts``): the sources of each story, and silences.

Every datetime column is ``UTCDateTime``: aware UTC in and out, whatever the database returns.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    DateTime,
    Dialect,
    Engine,
    Index,
    RowMapping,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    inspect,
    make_url,
    text,
)
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from monitor.errors import MonitorError
from monitor.models import Alert, FeedItem, RenderedAlert

DELIVERY_STATUSES = ("pending", "sent", "failed", "dead")


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC. Refuses naive datetimes; re-attaches UTC to the naive ones SQLite returns."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} given to the store; pass aware UTC")
        value = value.astimezone(UTC)
        # SQLite keeps no zone: store the UTC wall time. PostgreSQL's timestamptz takes the aware value.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {type(value).__name__}")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class FeedRow(SQLModel, table=True):
    __tablename__ = "feed"
    __table_args__ = (Index("ix_feed_due", "enabled", "next_poll_at"),)

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(sa_type=Text, unique=True)
    name: str = Field(sa_type=Text)
    interval_s: float
    next_poll_at: datetime = Field(sa_type=UTCDateTime)
    last_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_success_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_status: int | None = None
    consecutive_failures: int = 0
    last_error: str | None = Field(default=None, sa_type=Text)
    etag: str | None = Field(default=None, sa_type=Text)
    last_modified: str | None = Field(default=None, sa_type=Text)
    items_seen: int = 0
    enabled: bool = True  # False once the feed is no longer in the configuration
    current_url: str | None = Field(
        default=None, sa_type=Text
    )  # where it moved (301/308); ``url`` stays the key
    disabled_reason: str | None = Field(
        default=None, sa_type=Text
    )  # e.g. HTTP 410 Gone: not polled until enabled
    failing_since: datetime | None = Field(default=None, sa_type=UTCDateTime)  # first failure of this outage
    down_notice_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # "source down" sent for it
    ttl_s: float | None = None  # the feed's own <ttl>, kept for the 304 answers that do not repeat it
    last_warning: str | None = Field(default=None, sa_type=Text)  # malformed but usable; full-text failures


class ItemRow(SQLModel, table=True):
    __tablename__ = "item"
    __table_args__ = (UniqueConstraint("feed_id", "key", name="uq_item_feed_key"),)

    id: int | None = Field(default=None, primary_key=True)
    feed_id: int = Field(foreign_key="feed.id")
    key: str = Field(sa_type=Text)
    content_hash: str
    title: str = Field(sa_type=Text)
    text: str = Field(sa_type=Text)
    link: str = Field(sa_type=Text)
    published: datetime | None = Field(default=None, sa_type=UTCDateTime)
    author: str = Field(sa_type=Text)
    first_seen_at: datetime = Field(sa_type=UTCDateTime)
    changed_at: datetime = Field(sa_type=UTCDateTime)
    revision: int = 1
    judged_revision: int = 0  # the revision the engine last judged; below ``revision`` means still to judge
    full_text: str | None = Field(
        default=None, sa_type=Text
    )  # the linked article's main text (full_text feeds)
    full_text_error: str | None = Field(default=None, sa_type=Text)  # why the article could not be had
    full_text_revision: int = 0  # the item revision ``full_text``/``full_text_error`` belong to


class AlertRow(SQLModel, table=True):
    __tablename__ = "alert"
    __table_args__ = (Index("ix_alert_created", "created_at"), Index("ix_alert_stance", "stance_id"))

    id: str = Field(primary_key=True)  # the deterministic alert_id
    stance_id: str
    item_id: int | None = Field(default=None, foreign_key="item.id")
    created_at: datetime = Field(sa_type=UTCDateTime)
    alert_json: str = Field(sa_type=Text)  # Alert.as_dict()
    subject: str = Field(sa_type=Text)
    text_body: str = Field(sa_type=Text)
    html_body: str = Field(sa_type=Text)
    payload_json: str = Field(sa_type=Text)
    status: str = "raised"  # raised (sent to its channels) | suppressed (recorded, never sent)
    decision: str = "first-shift"  # monitor.decide.Reason: why it was raised or suppressed
    decision_detail: str = Field(default="", sa_type=Text)  # which alert or silence, how long ago


class DeliveryRow(SQLModel, table=True):
    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("alert_id", "channel", name="uq_delivery_alert_channel"),
        Index("ix_delivery_due", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    alert_id: str = Field(foreign_key="alert.id")
    channel: str
    status: str = "pending"  # one of DELIVERY_STATUSES
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_type=Text)
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    queued_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # re-queued by hand (alerts retry)


def table(model: type[SQLModel]) -> Table:
    """The Core ``Table`` of a table model (for bulk statements)."""
    name = model.__tablename__
    assert isinstance(name, str)
    return SQLModel.metadata.tables[name]


FEED = table(FeedRow)
ITEM = table(ItemRow)
ALERT = table(AlertRow)
DELIVERY = table(DeliveryRow)


@dataclass(frozen=True)
class FeedState:
    """A feed's schedule and the outcome of its last fetches."""

    url: str
    name: str
    interval_s: float
    next_poll_at: datetime
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    last_status: int | None
    consecutive_failures: int
    last_error: str | None
    etag: str | None
    last_modified: str | None
    items_seen: int
    enabled: bool
    current_url: str | None = None
    disabled_reason: str | None = None
    failing_since: datetime | None = None
    down_notice_at: datetime | None = None
    ttl_s: float | None = None
    last_warning: str | None = None

    @property
    def fetch_url(self) -> str:
        """Where to fetch the feed: where it moved permanently, else its configured URL."""
        return self.current_url or self.url

    @property
    def pollable(self) -> bool:
        return self.enabled and self.disabled_reason is None


@dataclass(frozen=True)
class StoredItem:
    """An item that is new (revision 1) or whose title/text changed since it was last stored."""

    id: int
    item: FeedItem
    revision: int
    full_text: str | None = None  # the linked article's text, when fetched for this revision
    full_text_error: str | None = None
    full_text_revision: int = 0


@dataclass(frozen=True)
class PendingDelivery:
    """A delivery due now: which alert, to which channel, how many tries so far."""

    alert_id: str
    channel: str
    attempts: int
    rendered: RenderedAlert
    last_error: str | None = None  # the previous try's error: a repeat is not logged again
    queued_at: datetime | None = None  # when retries started counting: re-queued by hand, else created
    decision: str = "first-shift"
    decision_detail: str = ""


@dataclass(frozen=True)
class DeliveryState:
    """The state of one (alert, channel) delivery."""

    alert_id: str
    channel: str
    status: str  # pending, sent, failed (will retry), dead (gave up)
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    sent_at: datetime | None
    created_at: datetime


def content_hash(item: FeedItem) -> str:
    """What decides whether a re-polled item changed: its title and text."""
    return hashlib.sha256(f"{item.title}\0{item.text}".encode()).hexdigest()


def feed_state(row: RowMapping) -> FeedState:
    return FeedState(**{f.name: row[f.name] for f in fields(FeedState)})


def delivery_state(row: RowMapping) -> DeliveryState:
    return DeliveryState(**{f.name: row[f.name] for f in fields(DeliveryState)})


def item_row(feed_id: int, item: FeedItem, now: datetime) -> dict[str, Any]:
    """The columns of a newly seen item (its content columns also serve to update a changed one)."""
    return {
        "feed_id": feed_id,
        "key": item.key,
        "content_hash": content_hash(item),
        "title": item.title,
        "text": item.text,
        "link": item.link,
        "published": item.published,
        "author": item.author,
        "first_seen_at": now,
        "changed_at": now,
        "revision": 1,
    }


def stored_item(row: RowMapping, feed_url: str) -> StoredItem:
    """An item row back as the value the engine judges."""
    item = FeedItem(
        key=row["key"],
        title=row["title"],
        text=row["text"],
        link=row["link"],
        published=row["published"],
        author=row["author"],
        feed_url=feed_url,
    )
    return StoredItem(
        id=row["id"],
        item=item,
        revision=row["revision"],
        full_text=row["full_text"],
        full_text_error=row["full_text_error"],
        full_text_revision=row["full_text_revision"],
    )


def alert_row(rendered: RenderedAlert, item_id: int | None, now: datetime) -> dict[str, Any]:
    alert = rendered.alert
    return {
        "id": alert.alert_id,
        "stance_id": alert.stance_id,
        "item_id": item_id,
        "created_at": now,
        "alert_json": json.dumps(alert.as_dict(), ensure_ascii=False, sort_keys=True),
        "subject": rendered.subject,
        "text_body": rendered.text,
        "html_body": rendered.html,
        "payload_json": json.dumps(rendered.payload, ensure_ascii=False),
    }


def delivery_row(alert_id: str, channel: str, now: datetime, due: datetime | None = None) -> dict[str, Any]:
    """A new delivery: pending, due at ``due`` (a digest channel's next digest time), else at once."""
    return dict(
        alert_id=alert_id,
        channel=channel,
        status="pending",
        attempts=0,
        next_attempt_at=due or now,
        created_at=now,
        queued_at=now,
    )


def rendered_alert(row: RowMapping) -> RenderedAlert:
    return RenderedAlert(
        alert=Alert.from_dict(json.loads(row["alert_json"])),
        subject=row["subject"],
        text=row["text_body"],
        html=row["html_body"],
        payload=json.loads(row["payload_json"]),
    )


# -- opening a database ----------------------------------------------------------------------------------

WRITE_OPTION = "monitor_write"  # execution option: this transaction writes (SQLite: BEGIN IMMEDIATE)
SQLITE_BUSY_TIMEOUT_S = 30.0


def add_missing_columns(engine: Engine, tables: list[Table]) -> None:
    """Bring a database made by an older version up to date: add the columns it lacks.

    New columns always have defaults, so ``ALTER TABLE ... ADD COLUMN ... DEFAULT`` is the whole upgrade;
    nothing is ever dropped or rewritten. (A rename or a type change would need a real migration tool.)
    """
    inspector = inspect(engine)
    with engine.begin() as conn:
        for table in tables:
            have = {c["name"] for c in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name in have:
                    continue
                kind = column.type.compile(dialect=engine.dialect)
                default = getattr(column.default, "arg", None) if column.default is not None else None
                clause = (
                    f" DEFAULT {default!r}"
                    if isinstance(default, int | float | str) and not isinstance(default, bool)
                    else ""
                )
                if isinstance(default, bool):
                    clause = (
                        f" DEFAULT {int(default)}"
                        if engine.dialect.name == "sqlite"
                        else f" DEFAULT {str(default).upper()}"
                    )
                conn.execute(text(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}{clause}'))


def open_engine(url: str) -> tuple[Engine, str]:
    """An engine for a ``sqlite:///`` or ``postgresql://`` URL, and the URL with its password hidden."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise MonitorError("database: not a valid database URL (e.g. sqlite:///var/monitor.db)") from None
    safe = parsed.render_as_string(hide_password=True)
    backend = parsed.get_backend_name()
    try:
        if backend == "sqlite":
            return _sqlite_engine(parsed, safe), safe
        if backend == "postgresql":
            return create_engine(parsed, pool_pre_ping=True), safe
    except ModuleNotFoundError as exc:
        raise MonitorError(f"database {safe}: its driver is not installed ({exc.name})") from None
    raise MonitorError(f"database {safe}: only sqlite and postgresql are supported")


def _sqlite_engine(url: URL, safe: str) -> Engine:
    path = url.database or ""
    memory = path in ("", ":memory:") or url.query.get("mode") == "memory"
    if not memory and not path.startswith("file:"):  # a file: URI names its own path
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise MonitorError(f"database {safe}: cannot create its folder: {exc.strerror}") from None
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let SQLAlchemy's BEGIN (below) open transactions
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if not memory:
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A writer takes the write lock up front, so the busy timeout applies instead of failing on upgrade.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE_OPTION) else "BEGIN")

    return engine
