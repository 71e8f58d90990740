"""Politeness and health through ``poll_feed`` against real local servers, with a settable clock.

410 disables, 301 moves without duplicating, a 304 costs no parse, Cache-Control/Expires/<ttl> raise the
interval, Retry-After and backoff space out retries, an outage raises "source down" once and "source back"
once (delivered through the outbox to a real file channel), and full-text feeds judge the linked article.
"""

from __future__ import annotations

import email.utils
import json
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from contextlib import closing
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from feedworld import RSS_TYPE, T0, Clock, Serve, file_lines, rss, runtime, state
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from monitor.daemon import Daemon, run_once
from monitor.engine import Engine
from monitor.outbox import deliver_due
from monitor.parse import parse_feed
from monitor.pipeline import poll_feed


class CountingExecutor(Executor):
    """Runs each job at once in the calling thread and counts them: how many feeds were parsed."""

    def __init__(self) -> None:
        self.jobs = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.jobs += 1
        future: Future[Any] = Future()
        future.set_result(fn(*args, **kwargs))
        return future


def test_410_gone_disables_the_feed_and_raises_one_notice(
    tmp_path: Path, shipped_engine: Engine, httpserver: HTTPServer
) -> None:
    serve = Serve(b"gone", status=410)
    httpserver.expect_request("/gone").respond_with_handler(serve)
    url = httpserver.url_for("/gone")
    with runtime(tmp_path, shipped_engine, [{"name": "old wire", "url": url}]) as rt:
        result = poll_feed(rt, state(rt, url))
        row = state(rt, url)
        assert result.gone and not result.ok and result.error == "HTTP 410 Gone"
        assert row.disabled_reason == "gone: HTTP 410 Gone on 2026-11-02 08:00 UTC"
        assert not row.pollable and row.last_status == 410
        assert rt.store.due_feeds(T0 + timedelta(days=30)) == []
        run_once(rt)  # neither polled again nor notified twice
        assert len(serve.requests) == 1
        [notice] = file_lines(tmp_path)
        assert (notice["type"], notice["notice"], notice["feed"]["name"]) == (
            "notice",
            "source-gone",
            "old wire",
        )

        rt.store.enable_feed(url, T0)
        assert state(rt, url).pollable and [s.url for s in rt.store.due_feeds(T0)] == [url]


def test_permanent_redirect_moves_the_feed_and_duplicates_nothing(
    tmp_path: Path, shipped_engine: Engine, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/old").respond_with_data(b"", status=301, headers={"Location": "/new"})
    moved = Serve(rss("moved"))
    httpserver.expect_request("/new").respond_with_handler(moved)
    old, new = httpserver.url_for("/old"), httpserver.url_for("/new")
    clock = Clock()
    with runtime(tmp_path, shipped_engine, [{"name": "wire", "url": old}], clock) as rt:
        assert poll_feed(rt, state(rt, old)).new == 3
        assert state(rt, old).current_url == new
        clock.advance(3600)
        assert poll_feed(rt, state(rt, old)).new == 0
        assert [r.path for r, _ in httpserver.log].count("/old") == 1  # the second poll went straight to /new
        assert len(moved.requests) == 2

        # The operator follows the advice and configures the new URL: the feed keeps its row and items.
        rt.store.sync_feeds([(new, "wire", 900.0)], clock())
        [row] = rt.store.feeds()
        assert (row.url, row.current_url, row.items_seen, row.enabled) == (new, None, 3, True)
        assert rt.store.count_items() == 3


def test_a_304_costs_no_parse_and_keeps_what_the_body_said(
    tmp_path: Path, shipped_engine: Engine, httpserver: HTTPServer
) -> None:
    body = rss("cached", items=20, ttl=60)
    assert len(body) > 2048  # big enough to be sent to the parsing pool

    def handler(request: Request) -> Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304, headers={"ETag": '"v1"'})
        return Response(body, content_type=RSS_TYPE, headers={"ETag": '"v1"'})

    httpserver.expect_request("/feed").respond_with_handler(handler)
    url = httpserver.url_for("/feed")
    clock = Clock()
    with runtime(tmp_path, shipped_engine, [{"url": url}], clock) as rt:
        rt.parse_pool = counter = CountingExecutor()
        first = poll_feed(rt, state(rt, url))
        assert (first.items, counter.jobs) == (20, 1)
        clock.advance(3600)
        second = poll_feed(rt, state(rt, url))
        row = state(rt, url)
    assert second.not_modified and counter.jobs == 1  # not parsed again
    assert row.last_status == 304 and row.etag == '"v1"'
    assert row.ttl_s == 3600.0 and row.next_poll_at == clock.now + timedelta(hours=1)  # <ttl> still applies


def http_date(seconds_from_now: float) -> str:
    """An HTTP date relative to the real time: the server's own ``Date`` header is the real time."""
    return email.utils.formatdate(time.time() + seconds_from_now, usegmt=True)


@pytest.mark.parametrize(
    ("headers", "ttl", "expected"),
    [
        ({}, None, 900),
        ({"Cache-Control": "public, max-age=7200"}, None, 7200),
        ({"Cache-Control": "no-cache, max-age=7200"}, None, 900),
        ({"Cache-Control": "max-age=60"}, None, 900),  # a floor never shortens the interval
        ({"Expires": "in 3h"}, None, 3 * 3600),  # made an HTTP date when the test runs
        ({}, 180, 3 * 3600),
        ({"Cache-Control": "max-age=864000"}, None, 86400),  # ten days asked, capped at max_interval
    ],
    ids=["none", "max-age", "no-cache", "short", "expires", "ttl", "capped"],
)
def test_cache_headers_and_ttl_are_a_floor_on_the_interval(
    tmp_path: Path,
    shipped_engine: Engine,
    httpserver: HTTPServer,
    headers: dict[str, str],
    ttl: int | None,
    expected: float,
) -> None:
    if headers.get("Expires") == "in 3h":
        headers = {"Expires": http_date(3 * 3600)}
    httpserver.expect_request("/feed").respond_with_data(
        rss("c", ttl=ttl), content_type=RSS_TYPE, headers=headers
    )
    url = httpserver.url_for("/feed")
    with runtime(tmp_path, shipped_engine, [{"url": url, "interval": "15m"}]) as rt:
        assert poll_feed(rt, state(rt, url)).ok
        waited = (state(rt, url).next_poll_at - T0).total_seconds()
    assert abs(waited - expected) <= 2  # HTTP dates have whole seconds, and the request takes some time


@pytest.mark.parametrize(
    ("status", "retry_after", "expected"),
    [(429, "3600", 3600), (503, "in 2h", 7200), (429, "99999999", 86400), (503, None, 60)],
    ids=["429-seconds", "503-date", "429-capped", "503-none"],
)
def test_retry_after_sets_the_next_try(
    tmp_path: Path,
    shipped_engine: Engine,
    httpserver: HTTPServer,
    status: int,
    retry_after: str | None,
    expected: float,
) -> None:
    if retry_after == "in 2h":
        retry_after = http_date(7200)
    headers = {"Retry-After": retry_after} if retry_after else {}
    httpserver.expect_request("/feed").respond_with_data(b"busy", status=status, headers=headers)
    url = httpserver.url_for("/feed")
    with runtime(tmp_path, shipped_engine, [{"url": url}]) as rt:
        assert not poll_feed(rt, state(rt, url)).ok
        row = state(rt, url)
    assert abs((row.next_poll_at - T0).total_seconds() - expected) <= 2
    assert row.last_status == status and row.consecutive_failures == 1


def test_backoff_doubles_up_to_its_cap(
    tmp_path: Path, shipped_engine: Engine, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/feed").respond_with_data(b"oops", status=500)
    url = httpserver.url_for("/feed")
    clock = Clock()
    polling = {"retry_base": "1m", "retry_max": "5m"}
    delays = []
    with runtime(tmp_path, shipped_engine, [{"url": url, "interval": "1m"}], clock, polling=polling) as rt:
        for _ in range(5):
            poll_feed(rt, state(rt, url))
            row = state(rt, url)
            delays.append((row.next_poll_at - clock.now).total_seconds())
            clock.now = row.next_poll_at
    assert delays == [60, 120, 240, 300, 300]
    assert row.consecutive_failures == 5 and row.failing_since == T0


def test_an_outage_raises_source_down_once_and_source_back_once(
    tmp_path: Path, shipped_engine: Engine, httpserver: HTTPServer
) -> None:
    serve = Serve(b"down for maintenance", status=503)
    httpserver.expect_request("/feed").respond_with_handler(serve)
    url = httpserver.url_for("/feed")
    clock = Clock()
    feeds = [{"name": "wire", "url": url}]
    with runtime(tmp_path, shipped_engine, feeds, clock, polling={"source_down_after": "1h"}) as rt:
        notices = []
        while clock.now < T0 + timedelta(hours=3):
            poll_feed(rt, state(rt, url))
            notices = [line["notice"] for line in file_lines(tmp_path)]
            deliver_due(rt)
            clock.now = state(rt, url).next_poll_at
            if state(rt, url).down_notice_at is not None and len(notices) == 0:
                # The retry was brought forward so the notice went out when the hour was up, not later.
                assert state(rt, url).down_notice_at == T0 + timedelta(hours=1)
        lines = file_lines(tmp_path)
        assert [line["notice"] for line in lines] == ["source-down"]
        down = lines[0]
        assert down["feed"] == {"name": "wire", "url": url}
        assert down["error"] == "HTTP 503 Service Unavailable" and down["failures"] >= 6
        assert down["since"] == T0.isoformat()

        serve.status, serve.body = 200, rss("back")
        assert poll_feed(rt, state(rt, url)).ok
        clock.advance(3600)
        assert poll_feed(rt, state(rt, url)).ok
        deliver_due(rt)
        row = state(rt, url)
    back = file_lines(tmp_path)[1:]
    assert [line["notice"] for line in back] == ["source-back"]
    assert back[0]["alert_id"] != down["alert_id"]
    assert (row.failing_since, row.down_notice_at, row.consecutive_failures) == (None, None, 0)


ARTICLE = """<html><head><title>EU envoy</title></head><body><nav>Home | World | Sport | Weather</nav>
<article><h1>Envoy gives interview on the talks</h1>
<p>The EU's special envoy for the talks said on Monday that the bloc could accept Russian control over Crimea
if it were part of a final settlement endorsed by Kyiv. Diplomats said the remark had not been cleared with
member states, and several capitals asked for clarification within hours.</p>
<p>Officials in Brussels declined to comment further, saying talks would continue in Geneva next week.</p>
</article><footer>Cookies | Privacy</footer><script>var tracking = "Crimea is Russian";</script></body></html>"""


def teaser_feed(base: str) -> bytes:
    items = "".join(
        f"<item><guid>ft-{n}</guid><title>Envoy gives interview on the talks</title>"
        f"<link>{base}/article/{n}</link><description>The envoy spoke to reporters on Monday.</description></item>"
        for n in (1, 2)
    )
    return f"<rss version='2.0'><channel><title>teasers</title>{items}</channel></rss>".encode()


@pytest.mark.parametrize("full_text", [True, False])
def test_full_text_judges_the_article_and_falls_back_with_the_reason(
    tmp_path: Path, shipped_engine: Engine, httpserver: HTTPServer, full_text: bool
) -> None:
    base = httpserver.url_for("").rstrip("/")
    httpserver.expect_request("/feed").respond_with_data(teaser_feed(base), content_type=RSS_TYPE)
    article = Serve(ARTICLE.encode(), headers={"Content-Type": "text/html; charset=utf-8"})
    httpserver.expect_request("/article/1").respond_with_handler(article)
    httpserver.expect_request("/article/2").respond_with_data(b"no such page", status=404)
    url = httpserver.url_for("/feed")
    clock = Clock()
    with runtime(tmp_path, shipped_engine, [{"url": url, "full_text": full_text}], clock) as rt:
        first = poll_feed(rt, state(rt, url))
        row = state(rt, url)
        clock.advance(3600)
        second = poll_feed(rt, state(rt, url))
    if not full_text:  # the teaser alone shows no shift, and no article is fetched
        assert first.alerts == 0 and article.requests == []
        return
    assert first.ok and first.new == 2 and first.alerts == 1  # the shift is only in the article
    assert second.new == 0 and len(article.requests) == 1  # fetched once, not on every poll
    assert row.last_error is None
    assert row.last_warning == (
        "full text: 1 article(s) judged on the feed's text only (last reason: HTTP 404 Not Found)"
    )
    [(payload,)] = stored(tmp_path, "SELECT payload_json FROM alert")
    alert = json.loads(payload)
    assert "accept Russian control over Crimea" in alert["evidence"]["sentence"]
    assert alert["item"]["link"] == f"{base}/article/1"
    texts = stored(
        tmp_path, "SELECT key, full_text, full_text_error, full_text_revision FROM item ORDER BY key"
    )
    assert [(key, error, revision) for key, _, error, revision in texts] == [
        ("ft-1", None, 1),
        ("ft-2", "HTTP 404 Not Found", 1),
    ]
    assert "Officials in Brussels declined" in texts[0][1] and "tracking" not in texts[0][1]


def stored(tmp_path: Path, query: str) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(tmp_path / "monitor.db")) as conn:
        return conn.execute(query).fetchall()


def test_the_daemon_dispatcher_polls_due_feeds_and_skips_a_stale_offer(
    tmp_path: Path, shipped_engine: Engine, httpserver: HTTPServer
) -> None:
    serves = [Serve(rss(f"d{n}")) for n in range(3)]
    for n, serve in enumerate(serves):
        httpserver.expect_request(f"/d{n}").respond_with_handler(serve)
    feeds = [{"url": httpserver.url_for(f"/d{n}")} for n in range(3)]
    clock = Clock()
    with runtime(tmp_path, shipped_engine, feeds, clock) as rt:
        daemon = Daemon(rt)
        try:
            daemon.dispatch()
            daemon.queue.join(timeout=10)
            assert [len(s.requests) for s in serves] == [1, 1, 1]
            daemon.dispatch()  # nothing is due any more
            # A state read before the feed was polled (as when it waited for a host slot) is not polled again.
            stale = state(rt, feeds[0]["url"])
            daemon.queue.offer([replace(stale, next_poll_at=T0)])
            daemon.queue.join(timeout=10)
        finally:
            daemon.queue.shutdown()
    assert [len(s.requests) for s in serves] == [1, 1, 1]


def test_items_left_unjudged_by_a_crash_are_judged_on_the_next_poll(
    tmp_path: Path, shipped_engine: Engine, httpserver: HTTPServer
) -> None:
    serve = Serve(rss("left", items=3))
    httpserver.expect_request("/feed").respond_with_handler(serve)
    url = httpserver.url_for("/feed")
    clock = Clock()
    with runtime(tmp_path, shipped_engine, [{"url": url}], clock) as rt:
        # A crash between storing and judging: the items are stored, none is judged.
        stored = rt.store.add_items(url, parse_feed(serve.body, {}, url, now=T0).items, T0)
        assert len(stored) == 3
        rt.maybe_pending = rt.store.feeds_with_pending()  # what a restart finds
        assert rt.maybe_pending == {url}
        first = poll_feed(rt, state(rt, url))
        assert (first.items, first.new) == (3, 3) and rt.maybe_pending == set()
        assert rt.store.pending_items(url) == []

        serve.body = rss("left", items=4)  # one more item: judged straight from what was just stored
        clock.advance(3600)
        second = poll_feed(rt, state(rt, url))
        assert (second.items, second.new) == (4, 1) and rt.store.pending_items(url) == []
