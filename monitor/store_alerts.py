"""Storage of stories, silences and the outbox's bookkeeping: a part of ``Store`` (a mixin). Does I/O.

``Store`` (``monitor.store``) inherits these methods; they use its connections (``_read``/``_write``) and its
dialect's ``INSERT ... ON CONFLICT``. Deciding is pure (``monitor.decide``); this module reads the history a
decision needs and writes what was decided, each in one transaction.

``story_lock(stance_id)`` serialises deciding about one stance: threads of this process with a lock, and
processes sharing a PostgreSQL database with an advisory lock, so two feeds carrying the same shift at the
same moment still make one story.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, or_, select, text, update

from monitor.decide import PriorAlert, Silence
from monitor.models import Alert, RenderedAlert, Source
from monitor.tables import ALERT, DELIVERY, DeliveryState, delivery_state, rendered_alert
from monitor.tables_alerts import ALERT_SOURCE, SILENCE, silence_value, source_row, source_value

STORY_STATUSES = ("raised", "suppressed")
# Built once: the outbox marks a delivery after every send, and building (and cache-keying) a statement
# each time cost as much as the send.
_MARK = (
    update(DELIVERY)
    .where(DELIVERY.c.alert_id == bindparam("b_alert"), DELIVERY.c.channel == bindparam("b_channel"))
    .values(
        status=bindparam("b_status"),
        attempts=DELIVERY.c.attempts + 1,
        last_error=bindparam("b_error"),
        next_attempt_at=bindparam("b_next"),
        sent_at=bindparam("b_sent"),
    )
)
_LOCK = threading.Lock()  # one decision at a time in this process (decisions take milliseconds)


@dataclass(frozen=True)
class Story:
    """A stored alert with everything needed to render it again or show it: its sources and its decision."""

    rendered: RenderedAlert
    sources: tuple[Source, ...]
    status: str
    decision: str
    decision_detail: str


@dataclass(frozen=True)
class AlertOverview:
    """One line of ``stance-monitor alerts``: an alert, what was decided, where it went."""

    alert: Alert
    status: str
    decision: str
    decision_detail: str
    sources: int
    deliveries: tuple[DeliveryState, ...]


class AlertStore:
    """Stories, silences and delivery bookkeeping; mixed into ``Store``."""

    _engine: Engine
    _insert: Any

    def _write(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    def _read(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    # -- stories -------------------------------------------------------------------------------------------

    @contextmanager
    def story_lock(self, stance_id: str) -> Iterator[None]:
        """Hold while reading history, deciding and recording a shift on ``stance_id``."""
        with _LOCK:
            if self._engine.dialect.name != "postgresql":
                yield
                return
            key = {"key": f"stance-monitor story {stance_id}"}
            with self._engine.connect() as conn:
                conn.execute(text("SELECT pg_advisory_lock(hashtext(:key))"), key)
                try:
                    yield
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(hashtext(:key))"), key)
                    conn.commit()

    def story_history(self, stance_id: str, since: datetime, source_id: str) -> list[PriorAlert]:
        """Alerts on the stance created since ``since``, and any alert that already holds ``source_id``."""
        holding = select(ALERT_SOURCE.c.alert_id).where(ALERT_SOURCE.c.source_id == source_id)
        query = select(ALERT).where(
            ALERT.c.stance_id == stance_id,
            ALERT.c.status.in_(STORY_STATUSES),
            or_(ALERT.c.created_at >= since, ALERT.c.id == source_id, ALERT.c.id.in_(holding)),
        )
        with self._read() as conn:
            rows = conn.execute(query.order_by(ALERT.c.created_at, ALERT.c.id)).mappings().all()
            alerts = {r["id"]: (Alert.from_dict(json.loads(r["alert_json"])), r) for r in rows}
            sources = self._sources(conn, list(alerts))
        return [
            PriorAlert(
                alert_id=alert_id,
                grade=alert.grade,
                created_at=row["created_at"],
                status=row["status"],
                sources=sources.get(alert_id) or (Source.from_alert(alert),),
            )
            for alert_id, (alert, row) in alerts.items()
        ]

    def story(self, alert_id: str) -> Story | None:
        with self._read() as conn:
            row = conn.execute(select(ALERT).where(ALERT.c.id == alert_id)).mappings().first()
            if row is None:
                return None
            rendered = rendered_alert(row)
            sources = self._sources(conn, [alert_id]).get(alert_id) or (Source.from_alert(rendered.alert),)
        return Story(rendered, sources, row["status"], row["decision"], row["decision_detail"])

    def sources_of(self, alert_ids: Sequence[str]) -> dict[str, tuple[Source, ...]]:
        """Every alert's sources, first seen first (alerts without recorded sources are left out)."""
        with self._read() as conn:
            return self._sources(conn, alert_ids)

    @staticmethod
    def _sources(conn: Connection, alert_ids: Sequence[str]) -> dict[str, tuple[Source, ...]]:
        out: dict[str, list[Source]] = {}
        query = select(ALERT_SOURCE).order_by(ALERT_SOURCE.c.first_seen, ALERT_SOURCE.c.id)
        for start in range(0, len(alert_ids), 500):
            chunk = list(alert_ids[start : start + 500])
            for row in conn.execute(query.where(ALERT_SOURCE.c.alert_id.in_(chunk))).mappings():
                out.setdefault(row["alert_id"], []).append(source_value(row))
        return {k: tuple(v) for k, v in out.items()}

    def attach_source(
        self, alert_id: str, item_id: int | None, source: Source, rendered: RenderedAlert
    ) -> bool:
        """Add ``source`` to the story ``alert_id`` and keep its bodies re-rendered with it, in one transaction.

        Deliveries already sent are not repeated; those still to come carry the new bodies. Returns False,
        writing nothing, when the source is already recorded.
        """
        insert = self._insert(ALERT_SOURCE).values(source_row(alert_id, item_id, source))
        with self._write() as conn:
            added = conn.execute(
                insert.on_conflict_do_nothing(index_elements=["source_id"]).returning(ALERT_SOURCE.c.id)
            ).first()
            if added is None:
                return False
            bodies = {
                "subject": rendered.subject,
                "text_body": rendered.text,
                "html_body": rendered.html,
                "payload_json": json.dumps(rendered.payload, ensure_ascii=False),
            }
            conn.execute(update(ALERT).where(ALERT.c.id == alert_id).values(**bodies))
        return True

    # -- silences ------------------------------------------------------------------------------------------

    def add_silence(
        self, stance_id: str, *, starts_at: datetime, ends_at: datetime, reason: str, now: datetime
    ) -> Silence:
        values = {
            "stance_id": stance_id,
            "starts_at": starts_at,
            "ends_at": ends_at,
            "reason": reason,
            "created_at": now,
        }
        with self._write() as conn:
            row = conn.execute(SILENCE.insert().values(**values).returning(*SILENCE.c)).mappings().one()
        return silence_value(row)

    def silences(self, now: datetime, *, include_ended: bool = False) -> list[Silence]:
        """Silences not removed and not yet over (all of them with ``include_ended``), soonest end first."""
        query = select(SILENCE)
        if not include_ended:
            query = query.where(SILENCE.c.removed_at.is_(None), SILENCE.c.ends_at > now)
        with self._read() as conn:
            rows = conn.execute(query.order_by(SILENCE.c.ends_at, SILENCE.c.id)).mappings()
            return [silence_value(r) for r in rows]

    def remove_silence(self, silence_id: int, now: datetime) -> bool:
        """End a silence now (it stays listed with ``include_ended``). False if there is no such active one."""
        stmt = update(SILENCE).where(SILENCE.c.id == silence_id, SILENCE.c.removed_at.is_(None))
        with self._write() as conn:
            return bool(conn.execute(stmt.values(removed_at=now)).rowcount)

    # -- the outbox's bookkeeping --------------------------------------------------------------------------

    def mark_sent_many(self, keys: Sequence[tuple[str, str]], now: datetime) -> None:
        """``mark_sent`` for one or several (alert, channel) deliveries at once (a digest went out)."""
        self._mark(keys, status="sent", error=None, next_attempt_at=None, sent_at=now)

    def mark_failed_many(
        self, keys: Sequence[tuple[str, str]], *, error: str, next_attempt_at: datetime | None
    ) -> None:
        """``mark_failed`` for one or several deliveries at once: retried together, or dead together."""
        status = "failed" if next_attempt_at is not None else "dead"
        self._mark(keys, status=status, error=error, next_attempt_at=next_attempt_at, sent_at=None)

    def _mark(
        self,
        keys: Sequence[tuple[str, str]],
        *,
        status: str,
        error: str | None,
        next_attempt_at: datetime | None,
        sent_at: datetime | None,
    ) -> None:
        if not keys:
            return
        common: dict[str, Any] = {
            "b_status": status,
            "b_error": error,
            "b_next": next_attempt_at,
            "b_sent": sent_at,
        }
        with self._write() as conn:
            conn.execute(_MARK, [{**common, "b_alert": a, "b_channel": c} for a, c in keys])

    def retry_deliveries(self, alert_id: str, now: datetime, channel: str | None = None) -> list[str]:
        """Re-queue the alert's dead (and failed) deliveries: due now, attempts and age counted afresh.

        Returns the channels re-queued; a delivery already sent is never re-queued.
        """
        where = [DELIVERY.c.alert_id == alert_id, DELIVERY.c.status.in_(("dead", "failed"))]
        if channel is not None:
            where.append(DELIVERY.c.channel == channel)
        values = {
            "status": "pending",
            "attempts": 0,
            "last_error": None,
            "next_attempt_at": now,
            "queued_at": now,
        }
        with self._write() as conn:
            channels = conn.execute(select(DELIVERY.c.channel).where(*where)).scalars().all()
            conn.execute(update(DELIVERY).where(*where).values(**values))
        return sorted(channels)

    def alert_overview(self, limit: int = 20) -> list[AlertOverview]:
        """The newest alerts (raised, suppressed, notices) first, with their decision, sources and deliveries."""
        query = select(ALERT).order_by(ALERT.c.created_at.desc(), ALERT.c.id.desc()).limit(limit)
        with self._read() as conn:
            rows = conn.execute(query).mappings().all()
            ids = [r["id"] for r in rows]
            sources = self._sources(conn, ids)
            deliveries: dict[str, list[DeliveryState]] = {i: [] for i in ids}
            dq = select(DELIVERY).where(DELIVERY.c.alert_id.in_(ids)).order_by(DELIVERY.c.channel)
            for d in conn.execute(dq).mappings():
                deliveries[d["alert_id"]].append(delivery_state(d))
        return [
            AlertOverview(
                alert=Alert.from_dict(json.loads(r["alert_json"])),
                status=r["status"],
                decision=r["decision"],
                decision_detail=r["decision_detail"],
                sources=len(sources.get(r["id"], ())) or 1,
                deliveries=tuple(deliveries[r["id"]]),
            )
            for r in rows
        ]
