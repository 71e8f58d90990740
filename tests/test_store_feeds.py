"""Storage of feed health, moves, gone feeds and full text, on SQLite and PostgreSQL (real databases)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from test_store import FEED, NOW, db_url, item, postgres_server  # noqa: F401  (fixtures: SQLite and PostgreSQL)

from monitor.store import Store

LATER = NOW + timedelta(hours=1)


@pytest.fixture
def feeds(db_url: str) -> Iterator[Store]:  # noqa: F811  (the fixture imported above)
    with Store(db_url) as s:
        s.sync_feeds([(FEED, "Example", 900.0)], NOW)
        yield s


def test_failure_keeps_when_the_outage_began_and_success_ends_it(feeds: Store) -> None:
    feeds.record_fetch_failure(FEED, now=NOW, error="connection refused", next_poll_at=NOW)
    feeds.record_fetch_failure(FEED, now=LATER, error="timed out", next_poll_at=LATER, failing_since=NOW)
    feeds.mark_down_notice(FEED, LATER)
    row = feeds.feed(FEED)
    assert row is not None
    assert (row.failing_since, row.down_notice_at, row.consecutive_failures) == (NOW, LATER, 2)
    assert row.last_error == "timed out"

    feeds.record_fetch_success(
        FEED,
        now=LATER,
        status=200,
        etag='"e"',
        last_modified=None,
        next_poll_at=LATER,
        ttl_s=600.0,
        warning="w",
    )
    row = feeds.feed(FEED)
    assert row is not None
    assert (row.failing_since, row.down_notice_at, row.consecutive_failures, row.last_error) == (
        None,
        None,
        0,
        None,
    )
    assert (row.ttl_s, row.last_warning) == (600.0, "w")

    # A 304 says nothing new about the body: its <ttl> and warning stay.
    feeds.record_fetch_success(FEED, now=LATER, status=304, etag=None, last_modified=None, next_poll_at=LATER)
    row = feeds.feed(FEED)
    assert row is not None and (row.ttl_s, row.last_warning, row.etag) == (600.0, "w", '"e"')


def test_a_disabled_feed_is_not_due_until_enabled(feeds: Store) -> None:
    feeds.disable_feed(FEED, "gone: HTTP 410 Gone")
    assert feeds.due_feeds(LATER) == []
    row = feeds.feed(FEED)
    assert row is not None and not row.pollable and row.enabled
    feeds.sync_feeds([(FEED, "Example", 900.0)], LATER)  # a restart does not bring it back by itself
    assert feeds.due_feeds(LATER) == []
    feeds.set_current_url(FEED, "https://moved.example.org/rss")
    feeds.enable_feed(FEED, LATER)
    [due] = feeds.due_feeds(LATER)
    assert due.url == FEED and due.current_url is None and due.fetch_url == FEED


def test_configuring_the_url_a_feed_moved_to_takes_the_feed_over(feeds: Store) -> None:
    new = "https://moved.example.org/rss"
    feeds.add_items(FEED, [item("1"), item("2")], NOW)
    feeds.set_current_url(FEED, new)
    row = feeds.feed(FEED)
    assert row is not None and row.fetch_url == new

    feeds.sync_feeds([(new, "Example", 900.0)], LATER)
    [row] = feeds.feeds()
    assert (row.url, row.current_url, row.items_seen, row.enabled) == (new, None, 2, True)
    assert feeds.add_items(new, [item("1"), item("2")], LATER) == []  # the same items, not new ones
    feeds.set_current_url(new, new)  # moving to where it is configured is no move
    assert feeds.feed(new) is not None and feeds.feed(new).current_url is None  # type: ignore[union-attr]


def test_judged_in_one_batch_and_full_text_per_revision(feeds: Store) -> None:
    stored = feeds.add_items(FEED, [item("1"), item("2"), item("3")], NOW)
    feeds.set_full_text(stored[0].id, 1, text="the article", error=None)
    feeds.set_full_text(stored[1].id, 1, text=None, error="HTTP 404 Not Found")
    feeds.mark_judged_many([(stored[2].id, 1)])
    pending = {p.item.key: p for p in feeds.pending_items(FEED)}
    assert set(pending) == {"1", "2"}
    assert (pending["1"].full_text, pending["1"].full_text_error, pending["1"].full_text_revision) == (
        "the article",
        None,
        1,
    )
    assert (pending["2"].full_text, pending["2"].full_text_error) == (None, "HTTP 404 Not Found")
    feeds.mark_judged_many([(p.id, p.revision) for p in pending.values()])
    feeds.mark_judged_many([])
    assert feeds.pending_items(FEED) == []
    assert feeds.pending_items("https://unknown.example/") == []
