"""Hostile servers, end to end through ``run_once`` / ``poll_feed``: each gives a clear record, none stalls others.

The hostile feeds are served from 127.0.0.2 (another "host"), the good ones from 127.0.0.1, all polled in one
cycle. Every hostile case must leave a feed row that says what went wrong in words (or, for the usable
ones, items), and the good feeds must be fetched at once, not after the hanging and trickling ones.
Also: the per-host limit (connections counted at the servers) and parsing in a process pool.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import threading
import time
import zlib
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from contextlib import closing
from pathlib import Path

import pytest
from feedworld import RSS_TYPE, Gate, Serve, http_server, rss, runtime, state
from werkzeug import Request, Response

from monitor.daemon import run_once
from monitor.engine import Engine
from monitor.models import FeedItem
from monitor.parsepool import ProcessPool, start_pool
from monitor.pipeline import poll_feed

MB = 1_000_000
TIMEOUT, TOTAL = 1.5, 2.5


def chunks(piece: bytes, count: int) -> Iterator[bytes]:
    for _ in range(count):
        yield piece


def gzip_bomb(size: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    data = b"".join(packer.compress(bytes(MB)) for _ in range(size // MB))
    return data + packer.flush()


BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE rss [\n'
    + "\n".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' if n else '<!ENTITY l0 "lol">' for n in range(10))
    + "\n]><rss version='2.0'><channel><title>laughs</title><item><guid>bomb-1</guid>"
    "<title>Bomb &l9;</title><description>x &l9; y</description></item></channel></rss>"
).encode()

WRONG_ENCODING = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Caf\xe9 wire</title>'
    "<item><guid>enc-1</guid><title>Caf\xe9 talks in Br\xfcssel</title><description>Na\xefve</description>"
    "</item></channel></rss>"
).encode("latin-1")


def test_hostile_feeds_give_clear_records_and_never_stall_the_good_ones(
    tmp_path: Path, shipped_engine: Engine
) -> None:
    release = threading.Event()

    def hang(request: Request) -> Response:
        release.wait(30)  # accepts the connection, reads the request, never answers
        return Response(b"", status=204)

    def trickle(request: Request) -> Response:
        def body() -> Iterator[bytes]:
            yield b"<"
            while not release.wait(1.0):  # a byte a second
                yield b"x"

        return Response(body(), content_type=RSS_TYPE)

    good = [Serve(rss(f"good{n}")) for n in range(5)]
    with http_server("127.0.0.2") as bad, http_server("127.0.0.1") as fine:
        for n, serve in enumerate(good):
            fine.expect_request(f"/good{n}.xml").respond_with_handler(serve)
        bad.expect_request("/hang").respond_with_handler(hang)
        bad.expect_request("/trickle").respond_with_handler(trickle)
        bad.expect_request("/big").respond_with_handler(
            lambda r: Response(chunks(b"x" * MB, 50), content_type=RSS_TYPE)
        )
        bad.expect_request("/bomb").respond_with_data(
            gzip_bomb(50 * MB), headers={"Content-Encoding": "gzip"}, content_type=RSS_TYPE
        )
        for a, b in (("a", "b"), ("b", "a")):
            bad.expect_request(f"/loop-{a}").respond_with_data(
                b"", status=302, headers={"Location": f"/loop-{b}"}
            )
        page = '<html><head><link rel="alternate" type="application/rss+xml" href="/feed.xml"></head></html>'
        bad.expect_request("/page").respond_with_data(page, content_type="text/html")
        bad.expect_request("/encoding").respond_with_data(WRONG_ENCODING, content_type=RSS_TYPE)
        bad.expect_request("/laughs").respond_with_data(BILLION_LAUGHS, content_type=RSS_TYPE)
        hostile = ["hang", "trickle", "big", "bomb", "loop-a", "page", "encoding", "laughs"]
        feeds = [{"name": name, "url": bad.url_for(f"/{name}")} for name in hostile]
        feeds += [{"name": f"good{n}", "url": fine.url_for(f"/good{n}.xml")} for n in range(5)]
        polling = {"timeout": TIMEOUT, "total_timeout": TOTAL, "per_host": 10}
        try:
            with runtime(tmp_path, shipped_engine, feeds, workers=10, polling=polling) as rt:
                started = time.monotonic()
                results = run_once(rt)
                took = time.monotonic() - started
                rows = {name: state(rt, feed["url"]) for name, feed in zip(hostile, feeds, strict=False)}
                good_rows = [state(rt, f["url"]) for f in feeds[len(hostile) :]]
        finally:
            release.set()

    assert len(results) == len(feeds)
    errors = {name: row.last_error for name, row in rows.items()}
    assert errors["hang"] == f"timed out after {TIMEOUT:g}s waiting for the server"
    assert errors["trickle"] == f"timed out after {TOTAL:g}s reading the body"
    assert errors["big"] == "response larger than 10000000 bytes"
    assert errors["bomb"] == "response larger than 10000000 bytes"
    assert (errors["loop-a"] or "").startswith("redirect loop at http://127.0.0.2:")
    assert errors["page"] == f"HTML page, not a feed; it advertises a feed at {bad.url_for('/feed.xml')}"
    for name in ("hang", "trickle", "big", "bomb", "loop-a", "page"):
        assert rows[name].consecutive_failures == 1 and rows[name].items_seen == 0, name
    # Usable despite their faults: items, with the fault recorded as a warning where there is one.
    assert errors["encoding"] is None and rows["encoding"].items_seen == 1
    assert "declared as utf-8" in (rows["encoding"].last_warning or "")
    assert errors["laughs"] is None and rows["laughs"].items_seen == 1
    items = stored_items(tmp_path)
    assert items["enc-1"].title == "Café talks in Brüssel"
    assert len(items["bomb-1"].title) < 100 and "lollol" not in items["bomb-1"].text

    # The good feeds were fetched as soon as the cycle began, not after the hostile ones gave up.
    assert all(row.last_error is None and row.items_seen == 3 for row in good_rows)
    assert max(serve.served_at[0] for serve in good) - started < 1.0
    assert took >= TOTAL  # the cycle itself did wait for the trickle to be cut off


def stored_items(tmp_path: Path) -> dict[str, FeedItem]:
    """Every stored item by key, straight from the database file."""
    with closing(sqlite3.connect(tmp_path / "monitor.db")) as conn:
        rows = conn.execute("SELECT key, title, text FROM item").fetchall()
    return {key: FeedItem(key=key, title=title, text=text) for key, title, text in rows}


def test_per_host_limit_holds_while_other_hosts_go_ahead(tmp_path: Path, shipped_engine: Engine) -> None:
    gate = Gate(0.15, lambda request: rss(request.path.strip("/")))
    with http_server("127.0.0.1") as one, http_server("127.0.0.2") as two:
        feeds = []
        for server, host in ((one, "a"), (two, "b")):
            server.expect_request(re.compile(r"^/.*$")).respond_with_handler(gate)
            feeds += [{"name": f"{host}{n}", "url": server.url_for(f"/{host}{n}")} for n in range(6)]
        with runtime(tmp_path, shipped_engine, feeds, workers=8, polling={"per_host": 2}) as rt:
            results = run_once(rt)
    assert all(r.ok for r in results) and len(results) == 12
    assert gate.peak == {"127.0.0.1": 2, "127.0.0.2": 2}  # never more than two at once on one host ...
    assert gate.peak_total == 4  # ... while both hosts were being polled at the same time


@pytest.fixture(scope="module")
def parse_pool() -> Iterator[ProcessPool]:
    pool = start_pool(1)
    yield pool
    pool.shutdown(wait=True)


def test_parsing_in_a_process_pool_gives_items_and_clear_errors(
    tmp_path: Path, shipped_engine: Engine, parse_pool: ProcessPool
) -> None:
    page = b'<html><head><link rel="alternate" type="application/atom+xml" href="/atom"></head>' + b" " * 4096
    with http_server() as server:
        server.expect_request("/feed").respond_with_handler(Serve(rss("pooled", items=20)))
        server.expect_request("/page").respond_with_data(page + b"</html>", content_type="text/html")
        feeds = [
            {"name": "pooled", "url": server.url_for("/feed")},
            {"name": "page", "url": server.url_for("/page")},
        ]
        with runtime(tmp_path, shipped_engine, feeds) as rt:
            rt.parse_pool = parse_pool
            ok = poll_feed(rt, state(rt, feeds[0]["url"]))
            bad = poll_feed(rt, state(rt, feeds[1]["url"]))
            page_row = state(rt, feeds[1]["url"])
    assert ok.ok and ok.items == 20 and ok.new == 20
    assert not bad.ok
    assert page_row.last_error == f"HTML page, not a feed; it advertises a feed at {server.url_for('/atom')}"


def test_a_parse_that_hangs_or_a_worker_that_dies_does_not_break_the_pool() -> None:
    pool = start_pool(1, timeout=0.5)
    try:
        started = time.monotonic()
        with pytest.raises(TimeoutError, match="gave up after 0.5s"):
            pool.submit(time.sleep, 30)
        assert time.monotonic() - started < 5
        assert pool.submit(pow, 2, 10).result() == 1024  # a fresh worker took the stuck one's place

        [pid] = pool.pids
        os.kill(pid, signal.SIGKILL)
        with pytest.raises(BrokenProcessPool):
            pool.submit(pow, 2, 3)
        assert pool.submit(pow, 2, 3).result() == 8 and pool.pids != [pid]
        assert "ValueError" in str(pool.submit(int, "x").exception())  # a job's own error comes back
    finally:
        pool.shutdown()
