"""Storage: the only module that touches the database (SQLite or PostgreSQL). Does I/O.

The engine and the pipeline work on frozen values (``monitor.models`` and the dataclasses below); this module
converts them to and from the tables of ``monitor.tables``. Every datetime in or out is aware UTC.

Repeating a step is harmless: items are unique per (feed, key), alerts per ``alert_id``, deliveries per
(alert, channel), and inserts use ``INSERT ... ON CONFLICT DO NOTHING``, batched in one transaction per call.

SQLite: WAL journal, a busy timeout, ``BEGIN IMMEDIATE`` for writes, the file's folder created on open; one
process per database file. PostgreSQL: plain portable SQLAlchemy (needs a driver such as ``psycopg``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError

from monitor.errors import MonitorError
from monitor.models import Alert, FeedItem, RenderedAlert, Source
from monitor.store_alerts import AlertOverview, AlertStore, Story
from monitor.store_feeds import FeedStore
from monitor.tables import (
    ALERT,
    DELIVERY,
    FEED,
    ITEM,
    WRITE_OPTION,
    DeliveryState,
    FeedState,
    PendingDelivery,
    SQLModel,
    StoredItem,
    add_missing_columns,
    alert_row,
    content_hash,
    delivery_row,
    delivery_state,
    item_row,
    open_engine,
    rendered_alert,
    stored_item,
)
from monitor.tables_alerts import ALERT_SOURCE, SILENCE, source_row

__all__ = [
    "AlertOverview",
    "DeliveryState",
    "FeedState",
    "PendingDelivery",
    "Store",
    "Story",
    "StoredItem",
    "content_hash",
]

BATCH = 500  # rows per statement: well under SQLite's bound-parameter limit


def _chunks(seq: Sequence[Any], size: int = BATCH) -> Iterator[Sequence[Any]]:
    for start in range(0, len(seq), size):
        yield seq[start : start + size]


class Store(FeedStore, AlertStore):
    """All reads and writes of Stance Monitor's state. Safe to share between threads.

    Feed state is in ``monitor.store_feeds``; stories, silences and the outbox's bookkeeping are in
    ``monitor.store_alerts`` (both inherited).
    """

    def __init__(self, url: str) -> None:
        self._engine, self.url = open_engine(url)
        # SQLite has one writer at a time; threads that wait for it in SQLite's busy handler sleep in steps of
        # up to 100 ms. Queueing them on a lock here instead keeps many polling threads from stalling.
        self._write_lock: AbstractContextManager[object] = (
            threading.Lock() if self._engine.dialect.name == "sqlite" else nullcontext()
        )
        self._feed_ids: dict[str, int] = {}  # url -> feed.id (rows are never deleted; renames clear it)
        dialect = self._engine.dialect.name
        self._insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
        try:
            tables = [FEED, ITEM, ALERT, DELIVERY, ALERT_SOURCE, SILENCE]
            SQLModel.metadata.create_all(self._engine, tables=tables)
            add_missing_columns(self._engine, tables)
        except OperationalError as exc:
            self._engine.dispose()
            raise MonitorError(f"database {self.url}: cannot open: {exc.orig}") from None

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._write_lock, self._engine.connect() as conn:
            conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._engine.connect() as conn:
            yield conn

    # -- items ---------------------------------------------------------------------------------------------

    def add_items(self, feed_url: str, items: Sequence[FeedItem], now: datetime) -> list[StoredItem]:
        """Store a feed's items; return those that are new or whose title/text changed, in input order.

        A changed item gets ``revision + 1`` and its new content; an unchanged one is not returned. Items
        repeating a key within ``items`` count once (the first wins). Raises ``KeyError`` for an unknown feed.
        """
        unique: dict[str, FeedItem] = {}
        for item in items:
            unique.setdefault(item.key, item)
        with self._write() as conn:
            feed_id = self._feed_id(conn, feed_url)
            rows = {key: item_row(feed_id, item, now) for key, item in unique.items()}
            existing: dict[str, tuple[int, str, int]] = {}  # key -> (id, content_hash, revision)
            query = select(ITEM.c.key, ITEM.c.id, ITEM.c.content_hash, ITEM.c.revision)
            for chunk in _chunks(list(unique)):
                for key, *state in conn.execute(
                    query.where(ITEM.c.feed_id == feed_id, ITEM.c.key.in_(chunk))
                ):
                    existing[key] = (state[0], state[1], state[2])
            inserted = self._insert_items(conn, [row for key, row in rows.items() if key not in existing])
            changed = {k: v for k, v in existing.items() if v[1] != rows[k]["content_hash"]}
            self._update_items(
                conn, [{**rows[k], "b_id": v[0], "b_old_hash": v[1]} for k, v in changed.items()]
            )
            if inserted:
                feed = update(FEED).where(FEED.c.id == feed_id)
                conn.execute(feed.values(items_seen=FEED.c.items_seen + len(inserted)))
        out: list[StoredItem] = []
        for key, item in unique.items():
            if key in inserted:
                out.append(StoredItem(id=inserted[key], item=item, revision=1))
            elif key in changed:
                out.append(StoredItem(id=changed[key][0], item=item, revision=changed[key][2] + 1))
        return out

    def _insert_items(self, conn: Connection, rows: list[dict[str, Any]]) -> dict[str, int]:
        """Insert new items; return key -> id of those this call inserted (not those another writer beat it to)."""
        insert = self._insert(ITEM).on_conflict_do_nothing(index_elements=["feed_id", "key"])
        stmt = insert.returning(ITEM.c.id, ITEM.c.key)
        inserted: dict[str, int] = {}
        for chunk in _chunks(rows):
            inserted.update((key, id_) for id_, key in conn.execute(stmt, list(chunk)))
        return inserted

    @staticmethod
    def _update_items(conn: Connection, rows: list[dict[str, Any]]) -> None:
        """Write the new content of changed items (``item_row`` plus ``b_id``, ``b_old_hash``), batched."""
        if not rows:
            return
        content = ("content_hash", "title", "text", "link", "published", "author", "changed_at")
        stmt = (
            update(ITEM)
            .where(ITEM.c.id == bindparam("b_id"), ITEM.c.content_hash == bindparam("b_old_hash"))
            .values({name: bindparam(f"b_{name}") for name in content} | {"revision": ITEM.c.revision + 1})
        )
        params = [
            {"b_id": r["b_id"], "b_old_hash": r["b_old_hash"]} | {f"b_{n}": r[n] for n in content}
            for r in rows
        ]
        for chunk in _chunks(params):
            conn.execute(stmt, list(chunk))

    def pending_items(self, feed_url: str, limit: int = 1000) -> list[StoredItem]:
        """The feed's items not yet judged at their current revision, oldest first.

        Items are stored before they are judged and marked judged after their alerts are stored, so items
        left pending by a crash or a stop are judged on the next poll.
        """
        with self._read() as conn:
            try:
                feed_id = self._feed_id(conn, feed_url)
            except KeyError:
                return []
            query = (
                select(ITEM)
                .where(ITEM.c.feed_id == feed_id, ITEM.c.judged_revision < ITEM.c.revision)
                .order_by(ITEM.c.id)
                .limit(limit)
            )
            return [stored_item(r, feed_url) for r in conn.execute(query).mappings()]

    def _feed_id(self, conn: Connection, url: str) -> int:
        feed_id = self._feed_ids.get(url)
        if feed_id is None:
            feed_id = conn.execute(select(FEED.c.id).where(FEED.c.url == url)).scalar()
            if feed_id is None:
                raise KeyError(url)
            self._feed_ids[url] = feed_id
        return feed_id

    def feeds_with_pending(self) -> set[str]:
        """URLs of the feeds that have items not judged at their current revision (after a crash or stop)."""
        query = (
            select(FEED.c.url)
            .join(ITEM, ITEM.c.feed_id == FEED.c.id)
            .where(ITEM.c.judged_revision < ITEM.c.revision)
            .distinct()
        )
        with self._read() as conn:
            return set(conn.execute(query).scalars())

    def mark_judged(self, item_id: int, revision: int) -> None:
        """Record that the engine judged this item at ``revision`` (and its alerts are stored)."""
        with self._write() as conn:
            conn.execute(
                update(ITEM)
                .where(ITEM.c.id == item_id, ITEM.c.judged_revision < revision)
                .values(judged_revision=revision)
            )

    def mark_judged_many(self, judged: Sequence[tuple[int, int]]) -> None:
        """``mark_judged`` for many (item id, revision) pairs in one transaction."""
        if not judged:
            return
        stmt = (
            update(ITEM)
            .where(ITEM.c.id == bindparam("b_id"), ITEM.c.judged_revision < bindparam("b_rev"))
            .values(judged_revision=bindparam("b_rev"))
        )
        with self._write() as conn:
            for chunk in _chunks([{"b_id": i, "b_rev": r} for i, r in judged]):
                conn.execute(stmt, list(chunk))

    def set_full_text(self, item_id: int, revision: int, *, text: str | None, error: str | None) -> None:
        """Keep the linked article's text of an item's ``revision``, or why it could not be had."""
        values = {"full_text": text, "full_text_error": error, "full_text_revision": revision}
        with self._write() as conn:
            conn.execute(update(ITEM).where(ITEM.c.id == item_id).values(**values))

    def count_items(self) -> int:
        with self._read() as conn:
            return int(conn.execute(select(func.count()).select_from(ITEM)).scalar_one())

    # -- alerts and deliveries -----------------------------------------------------------------------------

    def add_alert(
        self,
        rendered: RenderedAlert,
        item_id: int | None,
        channels: Sequence[str],
        now: datetime,
        *,
        due: Mapping[str, datetime] | None = None,
        status: str = "raised",
        decision: str = "first-shift",
        detail: str = "",
        source: Source | None = None,
    ) -> bool:
        """Store an alert and a pending delivery per channel, in one transaction.

        ``due`` gives a channel's first attempt (a digest channel's next digest time; default ``now``).
        ``status``, ``decision`` and ``detail`` record what ``monitor.decide`` decided (a suppressed alert
        is given no channels); ``source`` is the first source of its story. Returns False, writing
        nothing, if an alert with this ``alert_id`` is already stored.
        """
        alert_id = rendered.alert.alert_id
        row = alert_row(rendered, item_id, now) | {
            "status": status,
            "decision": decision,
            "decision_detail": detail,
        }
        with self._write() as conn:
            stmt = self._insert(ALERT).values(row).on_conflict_do_nothing(index_elements=["id"])
            if conn.execute(stmt.returning(ALERT.c.id)).first() is None:
                return False
            if source is not None:
                conn.execute(
                    self._insert(ALERT_SOURCE)
                    .values(source_row(alert_id, item_id, source))
                    .on_conflict_do_nothing(index_elements=["source_id"])
                )
            when = due or {}
            deliveries = [
                delivery_row(alert_id, channel, now, when.get(channel)) for channel in dict.fromkeys(channels)
            ]
            if deliveries:
                conn.execute(
                    self._insert(DELIVERY).on_conflict_do_nothing(index_elements=["alert_id", "channel"]),
                    deliveries,
                )
        return True

    def due_deliveries(self, now: datetime, limit: int | None = None) -> list[PendingDelivery]:
        """Deliveries pending or failed-to-retry whose ``next_attempt_at`` has come, earliest first."""
        query = (
            select(
                DELIVERY.c.alert_id,
                DELIVERY.c.channel,
                DELIVERY.c.attempts,
                DELIVERY.c.last_error,
                DELIVERY.c.queued_at,
                DELIVERY.c.created_at.label("delivery_created_at"),
                ALERT,
            )
            .join(ALERT, ALERT.c.id == DELIVERY.c.alert_id)
            .where(DELIVERY.c.status.in_(("pending", "failed")), DELIVERY.c.next_attempt_at <= now)
            .order_by(DELIVERY.c.next_attempt_at, DELIVERY.c.id)
            .limit(limit)
        )
        with self._read() as conn:
            return [
                PendingDelivery(
                    alert_id=r["alert_id"],
                    channel=r["channel"],
                    attempts=r["attempts"],
                    rendered=rendered_alert(r),
                    last_error=r["last_error"],
                    queued_at=r["queued_at"] or r["delivery_created_at"],
                    decision=r["decision"],
                    decision_detail=r["decision_detail"],
                )
                for r in conn.execute(query).mappings()
            ]

    def mark_sent(self, alert_id: str, channel: str, now: datetime) -> None:
        self._update_delivery(
            alert_id,
            channel,
            status="sent",
            attempts=DELIVERY.c.attempts + 1,
            last_error=None,
            next_attempt_at=None,
            sent_at=now,
        )

    def mark_failed(
        self, alert_id: str, channel: str, *, error: str, now: datetime, next_attempt_at: datetime | None
    ) -> None:
        """Record a failed try: retried at ``next_attempt_at``, or given up (``dead``) when it is None."""
        self._update_delivery(
            alert_id,
            channel,
            status="failed" if next_attempt_at is not None else "dead",
            attempts=DELIVERY.c.attempts + 1,
            last_error=error,
            next_attempt_at=next_attempt_at,
        )

    def _update_delivery(self, alert_id: str, channel: str, **values: Any) -> None:
        stmt = update(DELIVERY).where(DELIVERY.c.alert_id == alert_id, DELIVERY.c.channel == channel)
        with self._write() as conn:
            if conn.execute(stmt.values(**values)).rowcount == 0:
                raise KeyError((alert_id, channel))

    def alert(self, alert_id: str) -> RenderedAlert | None:
        with self._read() as conn:
            row = conn.execute(select(ALERT).where(ALERT.c.id == alert_id)).mappings().first()
        return rendered_alert(row) if row is not None else None

    def alerts(self, limit: int = 50) -> list[tuple[Alert, dict[str, str]]]:
        """The newest alerts first, each with its delivery status per channel."""
        with self._read() as conn:
            query = select(ALERT.c.id, ALERT.c.alert_json).order_by(
                ALERT.c.created_at.desc(), ALERT.c.id.desc()
            )
            rows = conn.execute(query.limit(limit)).all()
            status: dict[str, dict[str, str]] = {r.id: {} for r in rows}
            query = select(DELIVERY.c.alert_id, DELIVERY.c.channel, DELIVERY.c.status).order_by(
                DELIVERY.c.channel
            )
            for chunk in _chunks(list(status)):
                for d in conn.execute(query.where(DELIVERY.c.alert_id.in_(chunk))):
                    status[d.alert_id][d.channel] = d.status
        return [(Alert.from_dict(json.loads(r.alert_json)), status[r.id]) for r in rows]

    def alerts_since(self, since: datetime, stance_id: str | None = None) -> list[Alert]:
        """Alerts stored at or after ``since`` (optionally for one stance), oldest first: history for cooldowns."""
        query = select(ALERT.c.alert_json).where(ALERT.c.created_at >= since)
        if stance_id is not None:
            query = query.where(ALERT.c.stance_id == stance_id)
        with self._read() as conn:
            rows = conn.execute(query.order_by(ALERT.c.created_at, ALERT.c.id)).scalars().all()
        return [Alert.from_dict(json.loads(r)) for r in rows]

    def deliveries(self, alert_id: str) -> list[DeliveryState]:
        query = select(DELIVERY).where(DELIVERY.c.alert_id == alert_id).order_by(DELIVERY.c.channel)
        with self._read() as conn:
            return [delivery_state(r) for r in conn.execute(query).mappings()]
