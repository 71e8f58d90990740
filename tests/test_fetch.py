"""Integration tests for monitor.fetch against real local servers (pytest-httpserver and raw sockets)."""

from __future__ import annotations

import socket
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from monitor.errors import FetchError
from monitor.fetch import Fetcher, HTTPStatusFetchError, parse_retry_after

UA = "stance-monitor-test/1.0 (+https://example.org/bot)"
FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
MB = 1_000_000


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with Fetcher(UA, timeout=5, max_bytes=MB) as f:
        yield f


def failure(fetcher: Fetcher, url: str, **kw: str) -> FetchError:
    with pytest.raises(FetchError) as info:
        fetcher.fetch(url, **kw)
    assert info.value.feed and info.value.reason
    return info.value


# --- successful fetches -------------------------------------------------------------------------------


def test_200_returns_body_headers_and_validators(httpserver: HTTPServer, fetcher: Fetcher) -> None:
    httpserver.expect_request("/feed", method="GET", headers={"User-Agent": UA}).respond_with_data(
        FEED,
        content_type="application/rss+xml",
        headers={"ETag": '"v1"', "Last-Modified": "Mon, 09 Mar 2026 10:00:00 GMT"},
    )
    result = fetcher.fetch(httpserver.url_for("/feed"))
    assert result.status == 200 and result.body == FEED and not result.not_modified
    assert result.headers["content-type"] == "application/rss+xml"
    assert (result.etag, result.last_modified) == ('"v1"', "Mon, 09 Mar 2026 10:00:00 GMT")
    assert result.url == httpserver.url_for("/feed") and result.permanent_redirect is None
    ((request, _),) = httpserver.log
    assert request.headers["User-Agent"] == UA
    assert "If-None-Match" not in request.headers and "If-Modified-Since" not in request.headers


def test_conditional_get_sends_validators_and_304_has_no_body(
    httpserver: HTTPServer, fetcher: Fetcher
) -> None:
    stamp = "Mon, 09 Mar 2026 10:00:00 GMT"
    httpserver.expect_request(
        "/feed", headers={"If-None-Match": '"v1"', "If-Modified-Since": stamp}
    ).respond_with_data(b"", status=304, headers={"ETag": '"v1"'})
    result = fetcher.fetch(httpserver.url_for("/feed"), etag='"v1"', last_modified=stamp)
    assert result.status == 304 and result.body is None and result.not_modified
    assert result.etag == '"v1"'


@pytest.mark.parametrize(
    ("encoding", "wbits"),
    [("gzip", 31), ("deflate", 15), ("deflate", -15)],
    ids=["gzip", "zlib", "raw-deflate"],
)
def test_encoded_body_is_decoded(httpserver: HTTPServer, fetcher: Fetcher, encoding: str, wbits: int) -> None:
    httpserver.expect_request("/feed").respond_with_data(
        compress([FEED], wbits=wbits), headers={"Content-Encoding": encoding}
    )
    assert fetcher.fetch(httpserver.url_for("/feed")).body == FEED


def test_unknown_content_encoding_is_an_error(httpserver: HTTPServer, fetcher: Fetcher) -> None:
    httpserver.expect_request("/feed").respond_with_data(b"??", headers={"Content-Encoding": "br"})
    assert failure(fetcher, httpserver.url_for("/feed")).reason == "unsupported Content-Encoding 'br'"


# --- HTTP errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "words"), [(404, "HTTP 404 Not Found"), (500, "HTTP 500 Internal Server Error")]
)
def test_error_status_is_a_fetch_error_naming_it(
    httpserver: HTTPServer, fetcher: Fetcher, status: int, words: str
) -> None:
    httpserver.expect_request("/feed").respond_with_data(b"nope", status=status)
    error = failure(fetcher, httpserver.url_for("/feed"))
    assert error.reason == words
    assert isinstance(error, HTTPStatusFetchError) and error.status == status and error.retry_after is None


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_exposed(httpserver: HTTPServer, fetcher: Fetcher, status: int) -> None:
    httpserver.expect_request("/feed").respond_with_data(
        b"slow down", status=status, headers={"Retry-After": "120"}
    )
    error = failure(fetcher, httpserver.url_for("/feed"))
    assert isinstance(error, HTTPStatusFetchError) and error.retry_after == 120.0


def test_parse_retry_after_forms() -> None:
    date = "Mon, 09 Mar 2026 10:00:00 GMT"
    assert parse_retry_after("30", None, 0.0) == 30.0
    assert parse_retry_after("Mon, 09 Mar 2026 10:01:30 GMT", date, 0.0) == 90.0
    assert parse_retry_after("Mon, 09 Mar 2026 09:00:00 GMT", date, 0.0) == 0.0  # in the past
    assert parse_retry_after("soon", date, 0.0) is None
    assert parse_retry_after(None, date, 0.0) is None


def test_credentials_in_the_url_never_appear_in_errors(httpserver: HTTPServer, fetcher: Fetcher) -> None:
    httpserver.expect_request("/feed").respond_with_data(b"", status=401)
    url = httpserver.url_for("/feed").replace("http://", "http://alice:hunter2@")
    error = failure(fetcher, url)
    assert "hunter2" not in str(error) and "***@" in str(error)
    assert "hunter2" not in str(failure(fetcher, f"http://alice:hunter2@127.0.0.1:{closed_port()}/feed"))


# --- size limits --------------------------------------------------------------------------------------


def streamed(body: bytes) -> Callable[[Request], Response]:
    """A handler that sends ``body`` in pieces without a Content-Length."""
    return lambda request: Response(iter([body[i : i + 65536] for i in range(0, len(body), 65536)]))


@pytest.mark.parametrize("chunked", [False, True])
def test_oversized_body_is_refused(httpserver: HTTPServer, fetcher: Fetcher, chunked: bool) -> None:
    body = b"x" * (2 * MB)
    handler = httpserver.expect_request("/big")
    if chunked:
        handler.respond_with_handler(streamed(body))
    else:
        handler.respond_with_data(body)
    assert failure(fetcher, httpserver.url_for("/big")).reason == "response larger than 1000000 bytes"


def compress(pieces: list[bytes], repeat: int = 1, wbits: int = 31) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    data = b"".join(packer.compress(piece) for _ in range(repeat) for piece in pieces)
    return data + packer.flush()


def test_gzip_bomb_is_cut_off_without_being_inflated(httpserver: HTTPServer, fetcher: Fetcher) -> None:
    bomb = compress([bytes(MB)], repeat=50)  # ~50 KB on the wire, 50 MB inflated
    assert len(bomb) < 100_000
    httpserver.expect_request("/bomb").respond_with_data(bomb, headers={"Content-Encoding": "gzip"})
    tracemalloc.start()
    try:
        error = failure(fetcher, httpserver.url_for("/bomb"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert error.reason == "response larger than 1000000 bytes"
    assert peak < 20 * MB, f"inflated {peak} bytes"


# --- redirects ----------------------------------------------------------------------------------------


def redirect(httpserver: HTTPServer, path: str, to: str, status: int = 301) -> None:
    httpserver.expect_request(path).respond_with_data(b"", status=status, headers={"Location": to})


def test_permanent_redirect_is_reported(httpserver: HTTPServer, fetcher: Fetcher) -> None:
    redirect(httpserver, "/old", "/new", 301)
    httpserver.expect_request("/new").respond_with_data(FEED)
    result = fetcher.fetch(httpserver.url_for("/old"))
    assert result.body == FEED
    assert result.url == result.permanent_redirect == httpserver.url_for("/new")


@pytest.mark.parametrize("statuses", [(302,), (301, 307), (302, 308)])
def test_a_chain_with_a_temporary_redirect_is_not_permanent(
    httpserver: HTTPServer, fetcher: Fetcher, statuses: tuple[int, ...]
) -> None:
    for n, status in enumerate(statuses):
        redirect(httpserver, f"/r{n}", f"/r{n + 1}", status)
    httpserver.expect_request(f"/r{len(statuses)}").respond_with_data(FEED)
    result = fetcher.fetch(httpserver.url_for("/r0"))
    assert result.body == FEED and result.permanent_redirect is None


def test_redirect_loop_is_an_error(httpserver: HTTPServer, fetcher: Fetcher) -> None:
    redirect(httpserver, "/a", "/b", 302)
    redirect(httpserver, "/b", "/a", 302)
    assert failure(fetcher, httpserver.url_for("/a")).reason.startswith("redirect loop at ")


def test_too_many_redirects_is_an_error(httpserver: HTTPServer) -> None:
    for n in range(5):
        redirect(httpserver, f"/r{n}", f"/r{n + 1}")
    httpserver.expect_request("/r5").respond_with_data(FEED)
    with Fetcher(UA, max_redirects=5) as ok:
        assert ok.fetch(httpserver.url_for("/r0")).body == FEED  # exactly five is fine
    with Fetcher(UA, max_redirects=4) as strict:
        assert failure(strict, httpserver.url_for("/r0")).reason == "too many redirects (more than 4)"


# --- network failures ---------------------------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_connection_refused(fetcher: Fetcher) -> None:
    assert failure(fetcher, f"http://127.0.0.1:{closed_port()}/feed").reason == "connection refused"


@contextmanager
def raw_server(serve: Callable[[socket.socket, threading.Event], None]) -> Iterator[str]:
    """A one-connection TCP server running ``serve(conn, stop)`` in a thread; yields its URL."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(5)
    stop = threading.Event()

    def run() -> None:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        with conn:
            serve(conn, stop)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/feed"
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def silent(conn: socket.socket, stop: threading.Event) -> None:
    conn.recv(65536)
    stop.wait(10)  # accept, read the request, never answer


def trickle(conn: socket.socket, stop: threading.Event) -> None:
    conn.recv(65536)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: 100000\r\n\r\n")
    while not stop.wait(0.02):  # one byte every 20 ms: never idle long enough for the read timeout
        try:
            conn.sendall(b"x")
        except OSError:
            return


def test_a_server_that_never_answers_times_out() -> None:
    with raw_server(silent) as url, Fetcher(UA, timeout=0.5) as fetcher:
        started = time.monotonic()
        error = failure(fetcher, url)
        elapsed = time.monotonic() - started
    assert error.reason == "timed out after 0.5s waiting for the server"
    assert elapsed < 2


def test_a_trickling_server_is_cut_off_at_the_total_deadline() -> None:
    with raw_server(trickle) as url, Fetcher(UA, timeout=0.5, total_timeout=0.6) as fetcher:
        started = time.monotonic()
        error = failure(fetcher, url)
        elapsed = time.monotonic() - started
    assert error.reason == "timed out after 0.6s reading the body"
    assert 0.5 < elapsed < 2


def test_unsupported_scheme(fetcher: Fetcher) -> None:
    assert failure(fetcher, "ftp://example.org/feed.xml").reason == "unsupported URL scheme 'ftp'"


# --- local files --------------------------------------------------------------------------------------


def test_local_file_by_path_and_by_file_url(tmp_path: Path, fetcher: Fetcher) -> None:
    path = tmp_path / "sample feed.xml"
    path.write_bytes(FEED)
    for url in (str(path), path.as_uri()):
        result = fetcher.fetch(url)
        assert (result.status, result.body, result.url) == (200, FEED, url)


def test_missing_local_file_names_the_path(tmp_path: Path, fetcher: Fetcher) -> None:
    missing = tmp_path / "nowhere.xml"
    assert failure(fetcher, str(missing)).reason == f"no such file: {missing}"


def test_oversized_local_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.xml"
    path.write_bytes(b"x" * 2048)
    with Fetcher(UA, max_bytes=1024) as small:
        assert "larger than 1024 bytes" in failure(small, str(path)).reason
