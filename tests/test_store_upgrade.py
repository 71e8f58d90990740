"""A database made by an older version is brought up to date on open: missing columns are added."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from monitor.models import FeedItem
from monitor.store import Store


def test_old_item_table_gains_judged_revision_and_keeps_its_rows(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    with sqlite3.connect(db) as conn:  # the item table as the first release made it, without judged_revision
        conn.execute(
            "create table feed (id integer primary key, url text unique, name text, interval_s float, "
            "next_poll_at datetime, last_attempt_at datetime, last_success_at datetime, last_status integer, "
            "consecutive_failures integer default 0, last_error text, etag text, last_modified text, "
            "items_seen integer default 0, enabled boolean default 1)"
        )
        conn.execute(
            "create table item (id integer primary key, feed_id integer, key text, content_hash text, title text, "
            "text text, link text, published datetime, author text, first_seen_at datetime, changed_at datetime, "
            "revision integer, unique (feed_id, key))"
        )
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with Store(f"sqlite:///{db}") as store:
        store.sync_feeds([("https://example.org/f", "f", 60.0)], now)
        stored = store.add_items("https://example.org/f", [FeedItem(key="a", title="t", text="x")], now)
        assert [s.item.key for s in store.pending_items("https://example.org/f")] == ["a"]
        store.mark_judged(stored[0].id, stored[0].revision)
        assert store.pending_items("https://example.org/f") == []
    with sqlite3.connect(db) as conn:
        columns = [row[1] for row in conn.execute("pragma table_info(item)")]
    assert "judged_revision" in columns
