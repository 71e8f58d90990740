"""Storage of the feeds' polling state: a part of ``Store`` (a mixin). Does I/O.

``Store`` (``monitor.store``) inherits these methods; they use its connections (``_read``/``_write``) and its
dialect's ``INSERT ... ON CONFLICT``. What the state means (validators, backoff, outages, moves, 410s) is
decided in ``monitor.pipeline`` and ``monitor.politeness``; this module only reads and writes it, each call
in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from monitor.tables import FEED, FeedState, feed_state


class FeedStore:
    """The feed table: configuration sync, due feeds, fetch outcomes; mixed into ``Store``."""

    _insert: Any
    _feed_ids: dict[str, int]

    def _write(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    def _read(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    def sync_feeds(self, feeds: Sequence[tuple[str, str, float]], now: datetime) -> None:
        """Make the feed table match the configuration: (url, name, interval_s) each.

        New feeds are due at ``now``; existing ones get the configured name and interval (and are enabled
        again); feeds no longer configured are disabled, keeping their history. A configured URL that is
        where an old feed moved (its ``current_url``, after a 301/308) takes that feed over, items and all,
        so following the advice to update the configuration duplicates nothing.
        """
        wanted = {url: (name, float(interval)) for url, name, interval in feeds}
        with self._write() as conn:
            columns = (FEED.c.url, FEED.c.name, FEED.c.interval_s, FEED.c.enabled, FEED.c.current_url)
            have = {r.url: r for r in conn.execute(select(*columns))}
            moved = {r.current_url: r.url for r in have.values() if r.current_url and r.url not in wanted}
            for url in wanted:
                old_url = moved.get(url)
                if url not in have and old_url is not None and old_url in have:
                    conn.execute(update(FEED).where(FEED.c.url == old_url).values(url=url, current_url=None))
                    have[url] = have.pop(old_url)
            new = [
                {"url": url, "name": name, "interval_s": interval, "next_poll_at": now, "enabled": True}
                for url, (name, interval) in wanted.items()
                if url not in have
            ]
            if new:
                conn.execute(self._insert(FEED).on_conflict_do_nothing(index_elements=["url"]), new)
            for url, (name, interval) in wanted.items():
                old = have.get(url)
                if old is not None and (old.name, old.interval_s, old.enabled) != (name, interval, True):
                    conn.execute(
                        update(FEED)
                        .where(FEED.c.url == url)
                        .values(name=name, interval_s=interval, enabled=True)
                    )
            conn.execute(
                update(FEED).where(FEED.c.url.not_in(list(wanted)), FEED.c.enabled).values(enabled=False)
            )
            self._feed_ids = {r.url: r.id for r in conn.execute(select(FEED.c.url, FEED.c.id))}

    def due_feeds(self, now: datetime) -> list[FeedState]:
        """Enabled feeds whose ``next_poll_at`` has come, earliest first (not those disabled as gone)."""
        query = select(FEED).where(
            FEED.c.enabled, FEED.c.disabled_reason.is_(None), FEED.c.next_poll_at <= now
        )
        with self._read() as conn:
            rows = conn.execute(query.order_by(FEED.c.next_poll_at, FEED.c.url)).mappings()
            return [feed_state(r) for r in rows]

    def feed(self, url: str) -> FeedState | None:
        with self._read() as conn:
            row = conn.execute(select(FEED).where(FEED.c.url == url)).mappings().first()
        return feed_state(row) if row is not None else None

    def feeds(self) -> list[FeedState]:
        with self._read() as conn:
            return [feed_state(r) for r in conn.execute(select(FEED).order_by(FEED.c.url)).mappings()]

    def record_fetch_success(
        self,
        url: str,
        *,
        now: datetime,
        status: int,
        etag: str | None,
        last_modified: str | None,
        next_poll_at: datetime,
        ttl_s: float | None = None,
        warning: str | None = None,
    ) -> None:
        """A fetch that got an answer (200, 304, ...): the outage, if any, is over.

        On a 304, ``None`` validators keep the stored ones, and so do the feed's ``<ttl>`` and warning
        (the body they came from has not changed).
        """
        values: dict[str, Any] = {
            "last_attempt_at": now,
            "last_success_at": now,
            "last_status": status,
            "consecutive_failures": 0,
            "last_error": None,
            "next_poll_at": next_poll_at,
            "failing_since": None,
            "down_notice_at": None,
        }
        if status != 304 or etag is not None:
            values["etag"] = etag
        if status != 304 or last_modified is not None:
            values["last_modified"] = last_modified
        if status != 304:
            values["ttl_s"] = ttl_s
            values["last_warning"] = warning
        with self._write() as conn:
            self._update_feed(conn, url, values)

    def record_fetch_failure(
        self,
        url: str,
        *,
        now: datetime,
        error: str,
        next_poll_at: datetime,
        status: int | None = None,
        failing_since: datetime | None = None,
    ) -> None:
        """A failed fetch or parse. ``failing_since`` is when the outage began (default ``now``)."""
        values = {
            "last_attempt_at": now,
            "last_status": status,
            "consecutive_failures": FEED.c.consecutive_failures + 1,
            "last_error": error,
            "next_poll_at": next_poll_at,
            "failing_since": failing_since or now,
        }
        with self._write() as conn:
            self._update_feed(conn, url, values)

    def set_current_url(self, url: str, current_url: str | None) -> None:
        """Fetch the feed configured as ``url`` from ``current_url`` from now on (after a 301/308)."""
        with self._write() as conn:
            self._update_feed(conn, url, {"current_url": None if current_url == url else current_url})

    def disable_feed(self, url: str, reason: str) -> None:
        """Stop polling a feed (e.g. 410 Gone) until ``enable_feed``; it stays configured and listed."""
        with self._write() as conn:
            self._update_feed(conn, url, {"disabled_reason": reason})

    def enable_feed(self, url: str, now: datetime) -> None:
        """Poll a disabled feed again, at once, from its configured URL."""
        values = {"disabled_reason": None, "current_url": None, "next_poll_at": now}
        with self._write() as conn:
            self._update_feed(conn, url, values)

    def mark_down_notice(self, url: str, when: datetime) -> None:
        """Record that the "source down" notice of the feed's current outage is stored."""
        with self._write() as conn:
            self._update_feed(conn, url, {"down_notice_at": when})

    @staticmethod
    def _update_feed(conn: Connection, url: str, values: dict[str, Any]) -> None:
        if conn.execute(update(FEED).where(FEED.c.url == url).values(**values)).rowcount == 0:
            raise KeyError(url)
