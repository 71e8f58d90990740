"""Unit tests for the pure parts of polite polling: caching floors, backoff, notices, the poll queue, <ttl>."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta

import pytest

from monitor.config import PollingConfig
from monitor.dispatch import PollQueue, host_of
from monitor.notices import source_notice
from monitor.parse import discover_feeds, parse_feed
from monitor.parsepool import pool_size
from monitor.pipeline import PollResult
from monitor.politeness import Backoff, cache_floor, next_interval, retry_delay, source_down_due
from monitor.store import FeedState

NOW = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
DATE = "Mon, 02 Nov 2026 08:00:00 GMT"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"cache-control": "max-age=300"}, 300.0),
        ({"cache-control": 'public, s-maxage=10, max-age="600"'}, 600.0),
        ({"cache-control": "private, no-cache"}, None),
        ({"cache-control": "no-store, max-age=600"}, None),
        ({"expires": "Mon, 02 Nov 2026 09:00:00 GMT", "date": DATE}, 3600.0),
        ({"expires": "Mon, 02 Nov 2026 09:00:00 GMT"}, 3600.0),  # no Date: against now
        ({"expires": "0", "date": DATE}, None),
        ({"expires": "Sun, 01 Nov 2026 09:00:00 GMT", "date": DATE}, 0.0),
        ({"cache-control": "max-age=60", "expires": "Mon, 02 Nov 2026 09:00:00 GMT"}, 60.0),  # max-age wins
    ],
)
def test_cache_floor(headers: dict[str, str], expected: float | None) -> None:
    assert cache_floor(headers, NOW) == expected


def test_next_interval_takes_the_largest_floor_capped() -> None:
    assert next_interval(900, {}, None, NOW, 86400) == 900
    assert next_interval(900, {"cache-control": "max-age=60"}, None, NOW, 86400) == 900
    assert next_interval(900, {"cache-control": "max-age=1800"}, 3600.0, NOW, 86400) == 3600
    assert next_interval(900, {"cache-control": "max-age=999999"}, None, NOW, 86400) == 86400
    assert next_interval(100000, {"cache-control": "max-age=999999"}, None, NOW, 86400) == 100000


def test_retry_delay_backs_off_with_jitter_and_honours_retry_after() -> None:
    policy = Backoff(base=60, maximum=3600, jitter=0.0, max_interval=86400)
    assert [retry_delay(n, 900, None, policy) for n in range(1, 9)] == [
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
        3600,
    ]
    assert retry_delay(1, 30, None, policy) == 30  # never later than the feed's own interval at first
    assert retry_delay(20, 7200, None, policy) == 7200  # the cap never undercuts the interval
    assert retry_delay(1, 900, 600.0, policy) == 600
    assert retry_delay(1, 900, 10**9, policy) == 86400
    assert retry_delay(8, 900, None, policy, until_down=100.0) == 100  # the notice is not late ...
    assert retry_delay(8, 900, 600.0, policy, until_down=100.0) == 600  # ... but Retry-After still wins
    jittered = Backoff(base=60, maximum=3600, jitter=0.2, max_interval=86400)
    spread = {round(retry_delay(3, 900, None, jittered, random.Random(seed))) for seed in range(50)}
    assert min(spread) >= 192 and max(spread) <= 288 and len(spread) > 10
    assert Backoff.from_config(PollingConfig()) == Backoff(60.0, 21600.0, 0.2, 86400.0)


def test_source_down_due() -> None:
    since = NOW - timedelta(hours=6)
    assert source_down_due(since, None, NOW, 6 * 3600)
    assert not source_down_due(since, None, NOW - timedelta(seconds=1), 6 * 3600)
    assert not source_down_due(since, NOW, NOW, 6 * 3600)  # already told
    assert not source_down_due(None, None, NOW, 0)


def test_notices_say_what_happened_and_have_one_id_per_outage() -> None:
    since = NOW - timedelta(hours=6, minutes=5)
    url = "https://user:secret@feeds.example.org/rss"
    down = source_notice(
        "source-down", feed_url=url, feed_name="Wire", since=since, now=NOW, error="HTTP 503", failures=9
    )
    again = source_notice(
        "source-down", feed_url=url, feed_name="Wire", since=since, now=NOW + timedelta(hours=1)
    )
    back = source_notice("source-back", feed_url=url, feed_name="Wire", since=since, now=NOW)
    assert down.alert.alert_id == again.alert.alert_id != back.alert.alert_id
    assert down.subject == "SOURCE DOWN: Wire"
    assert "failing for 6h 5m (9 failed polls in a row)" in down.text and "HTTP 503" in down.text
    assert "secret" not in down.text + down.html + str(down.payload)
    assert down.payload["notice"] == "source-down" and down.payload["type"] == "notice"
    assert "answers again after 6h 5m" in back.text and back.alert.severity == "info"
    gone = source_notice("source-gone", feed_url=url, feed_name="<b>Wire</b>", since=NOW, now=NOW)
    assert "&lt;b&gt;" in gone.html and "feeds enable" in gone.text


def feed(url: str) -> FeedState:
    return FeedState(url, url, 900.0, NOW, None, None, None, 0, None, None, None, 0, True)


def test_poll_queue_limits_per_host_and_never_runs_a_feed_twice() -> None:
    lock = threading.Lock()
    running: dict[str, int] = {}
    peak: dict[str, int] = {}
    release = threading.Event()

    def poll(state: FeedState) -> PollResult:
        host = host_of(state.url)
        with lock:
            running[host] = running.get(host, 0) + 1
            peak[host] = max(peak.get(host, 0), running[host])
        release.wait(5)
        with lock:
            running[host] -= 1
        return PollResult(state.url, ok=True)

    queue = PollQueue(poll, workers=4, per_host=2)
    try:
        urls = [f"https://a.example/{n}" for n in range(5)] + ["https://b.example/1", "/local/file.xml"]
        assert queue.offer(feed(u) for u in urls) == 7
        assert queue.offer([feed(urls[0])]) == 0  # already waiting or running
        assert queue.busy(urls[0]) and not queue.busy("https://c.example/")
        release.set()
        results = queue.join(timeout=10)
    finally:
        queue.shutdown()
    assert sorted(r.feed for r in results) == sorted(urls)
    assert peak["a.example"] == 2 and peak["b.example"] == 1


def test_poll_queue_reports_a_crashing_poll_and_keeps_going() -> None:
    def poll(state: FeedState) -> PollResult:
        if state.url.endswith("bad"):
            raise RuntimeError("bug")
        return PollResult(state.url, ok=True)

    queue = PollQueue(poll, workers=1, per_host=1)
    try:
        queue.offer([feed("https://x.example/bad"), feed("https://x.example/good")])
        results = {r.feed: r for r in queue.join(timeout=10)}
    finally:
        queue.shutdown()
    assert results["https://x.example/bad"].error == "unexpected error"
    assert not results["https://x.example/bad"].ok and results["https://x.example/good"].ok


def test_host_of() -> None:
    assert host_of("https://Feeds.Example.org:8443/rss") == "feeds.example.org"
    assert host_of("/var/feeds/x.xml") == host_of("file:///x.xml") == ""


def test_pool_size() -> None:
    assert pool_size(None, 10, cpus=4) == 0
    assert pool_size(None, 500, cpus=4) == 4
    assert pool_size(None, 500, cpus=1) == 0
    assert pool_size(0, 500, cpus=4) == 0 and pool_size(3, 1, cpus=4) == 3


@pytest.mark.parametrize(
    ("ttl", "expected"), [("60", 3600.0), (" 15 ", 900.0), ("0", None), ("soon", None), ("99999999", None)]
)
def test_rss_ttl_is_exposed_in_seconds(ttl: str, expected: float | None) -> None:
    body = f"<rss version='2.0'><channel><title>t</title><ttl>{ttl}</ttl><item><title>a</title></item></channel></rss>"
    assert parse_feed(body.encode(), {}, "https://x.example/rss", now=NOW).ttl == expected


def test_discover_feeds_lists_advertised_feeds_absolute() -> None:
    page = b"""<html><head>
      <link rel="alternate" type="application/rss+xml" href="/rss">
      <link rel="alternate stylesheet" type="text/css" href="/a.css">
      <link rel="Alternate" type="application/atom+xml" href="https://cdn.example.org/atom">
      <link rel="alternate" type="application/rss+xml" href="/rss">
    </head></html>"""
    assert discover_feeds(page, "https://news.example.org/world/") == [
        "https://news.example.org/rss",
        "https://cdn.example.org/atom",
    ]
    assert discover_feeds(b"<html></html>", "https://x/") == []
