"""Fetch a feed's bytes. Does I/O: the only module that makes HTTP requests for feeds (or reads feed files).

``Fetcher.fetch`` returns a ``FetchResult`` (a 304 is a result with ``body=None``, not an error) or raises
``FetchError`` with a reason in words. It follows redirects itself so that a permanent one (301/308) can be
reported, sends conditional-GET headers, and enforces limits while streaming: decoded body size
(``max_bytes``, so a gzip bomb is cut off early), a timeout per network operation, and a deadline for the
whole fetch from its first request to the body's last byte (``timeout × TOTAL_TIMEOUT_FACTOR`` unless
``total_timeout`` is given). A server that trickles the response *headers* is bounded by the per-read
timeout only. Credentials in a URL (``user:pass@``) never appear in error messages.
"""

from __future__ import annotations

import email.utils
import time
import zlib
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from types import TracebackType
from urllib.parse import unquote, urlsplit

import httpx

from monitor.errors import FetchError
from monitor.parse import redact_url

TOTAL_TIMEOUT_FACTOR = 3.0
ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
PERMANENT = frozenset({301, 308})


class HTTPStatusFetchError(FetchError):
    """The server answered with an error status. ``retry_after`` (seconds) is set from its Retry-After."""

    def __init__(self, feed: str, reason: str, *, status: int, retry_after: float | None = None) -> None:
        super().__init__(feed, reason)
        self.status = status
        self.retry_after = retry_after


@dataclass(frozen=True)
class FetchResult:
    url: str  # the URL finally fetched (after redirects)
    status: int  # HTTP status (200, 304, ...); 200 for local files
    body: bytes | None  # None when not modified (304)
    headers: dict[str, str]  # response headers, lower-case names
    etag: str | None
    last_modified: str | None
    permanent_redirect: str | None = None  # the new URL when only permanent redirects (301/308) were followed

    @property
    def not_modified(self) -> bool:
        return self.body is None


class Fetcher:
    """Fetches feeds over one pooled HTTP client. Safe to share between threads."""

    def __init__(
        self,
        user_agent: str,
        *,
        timeout: float = 20.0,
        max_bytes: int = 10_000_000,
        max_redirects: int = 5,
        total_timeout: float | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.timeout = timeout
        self.total_timeout = total_timeout if total_timeout is not None else timeout * TOTAL_TIMEOUT_FACTOR
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self._client = httpx.Client(
            headers={"User-Agent": user_agent, "Accept": ACCEPT, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            transport=transport,
        )

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
        """Fetch ``url`` (http(s)://, file:// or a local path); raise ``FetchError`` if it cannot be had."""
        scheme = urlsplit(url).scheme.lower() if "://" in url else ""
        if scheme in ("http", "https"):
            return self._fetch_http(url, etag, last_modified)
        if scheme in ("", "file"):
            return self._read_file(url)
        raise FetchError(redact_url(url), f"unsupported URL scheme {scheme!r}")

    def _read_file(self, url: str) -> FetchResult:
        path = Path(unquote(urlsplit(url).path)) if url.lower().startswith("file://") else Path(url)
        feed = redact_url(url)
        try:
            if path.stat().st_size > self.max_bytes:
                raise FetchError(feed, f"file {path} larger than {self.max_bytes} bytes")
            body = path.read_bytes()
        except FileNotFoundError:
            raise FetchError(feed, f"no such file: {path}") from None
        except OSError as exc:
            raise FetchError(feed, f"cannot read {path}: {exc.strerror or exc}") from None
        return FetchResult(url=url, status=200, body=body, headers={}, etag=None, last_modified=None)

    def _fetch_http(self, url: str, etag: str | None, last_modified: str | None) -> FetchResult:
        deadline = time.monotonic() + self.total_timeout
        conditional = {k: v for k, v in (("If-None-Match", etag), ("If-Modified-Since", last_modified)) if v}
        seen = {url}
        current, permanent = url, True
        for _ in range(self.max_redirects + 1):
            try:
                request = self._client.build_request("GET", current, headers=conditional)
                response = self._client.send(request, stream=True)
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                raise FetchError(redact_url(url), _describe(exc, self.timeout, current)) from None
            try:
                if response.next_request is None:  # not a redirect with a usable Location
                    moved = current if permanent and current != url else None
                    return self._finish(url, response, deadline, moved)
                permanent = permanent and response.status_code in PERMANENT
                current = str(response.next_request.url)
            finally:
                response.close()
            if current in seen:
                raise FetchError(redact_url(url), f"redirect loop at {redact_url(current)}")
            seen.add(current)
            if time.monotonic() > deadline:
                raise FetchError(
                    redact_url(url), f"gave up after {self.total_timeout:g}s following redirects"
                )
        raise FetchError(redact_url(url), f"too many redirects (more than {self.max_redirects})")

    def _finish(self, url: str, response: httpx.Response, deadline: float, moved: str | None) -> FetchResult:
        status = response.status_code
        headers = {k.lower(): v for k, v in response.headers.items()}
        if status != 304 and not 200 <= status < 300:
            phrase = _phrase(status) or response.reason_phrase
            raise HTTPStatusFetchError(
                redact_url(url),
                f"HTTP {status} {phrase}".strip(),
                status=status,
                retry_after=parse_retry_after(headers.get("retry-after"), headers.get("date"), time.time()),
            )
        body = None if status == 304 else self._read_body(url, response, deadline)
        return FetchResult(
            url=str(response.url),
            status=status,
            body=body,
            headers=headers,
            etag=headers.get("etag"),
            last_modified=headers.get("last-modified"),
            permanent_redirect=moved,
        )

    def _read_body(self, url: str, response: httpx.Response, deadline: float) -> bytes:
        feed = redact_url(url)
        too_big = f"response larger than {self.max_bytes} bytes"
        declared = response.headers.get("content-length", "")
        if (
            declared.isdigit()
            and "content-encoding" not in response.headers
            and int(declared) > self.max_bytes
        ):
            raise FetchError(feed, too_big)
        decoder = _Decoder(feed, response.headers.get("content-encoding", ""))
        body = bytearray()
        try:
            for raw in response.iter_raw():
                if not decoder.feed(raw, body, self.max_bytes - len(body) + 1) or len(body) > self.max_bytes:
                    raise FetchError(feed, too_big)
                if time.monotonic() > deadline:
                    raise FetchError(feed, f"timed out after {self.total_timeout:g}s reading the body")
        except httpx.HTTPError as exc:
            raise FetchError(feed, _describe(exc, self.timeout, url)) from None
        return bytes(body)


class _Decoder:
    """Undoes gzip/deflate Content-Encoding without ever inflating more than asked for (gzip bombs)."""

    def __init__(self, feed: str, encoding: str) -> None:
        self.label = feed
        self.encoding = encoding.strip().lower()
        if self.encoding in ("gzip", "x-gzip"):
            self.inflater: zlib._Decompress | None = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self.encoding == "deflate":
            self.inflater = zlib.decompressobj()
        elif self.encoding in ("", "identity"):
            self.inflater = None
        else:
            raise FetchError(feed, f"unsupported Content-Encoding {encoding!r}")
        self.started = False

    def feed(self, data: bytes, out: bytearray, room: int) -> bool:
        """Append what ``data`` decodes to onto ``out``; False as soon as more than ``room`` bytes come out."""
        if self.inflater is None:
            out += data
            return len(data) <= room
        while data and room > 0:
            try:
                piece = self.inflater.decompress(data, room)
            except zlib.error as exc:
                if self.encoding == "deflate" and not self.started:  # raw deflate, without zlib header
                    self.inflater, self.started = zlib.decompressobj(-zlib.MAX_WBITS), True
                    continue
                raise FetchError(self.label, f"corrupt {self.encoding} response body: {exc}") from None
            self.started = True
            out += piece
            room -= len(piece)
            data = self.inflater.unconsumed_tail
        return room > 0


def parse_retry_after(value: str | None, date: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After value (seconds or an HTTP date, relative to the Date header)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value).timestamp()
        base = email.utils.parsedate_to_datetime(date).timestamp() if date else now
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return max(0.0, when - base)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _describe(exc: Exception, timeout: float, url: str) -> str:
    """What went wrong, in words, without the URL's credentials."""
    text = str(exc).replace(url, redact_url(url))
    lowered = text.lower()
    if isinstance(exc, httpx.TimeoutException):
        stage = "connecting" if isinstance(exc, httpx.ConnectTimeout) else "waiting for the server"
        return f"timed out after {timeout:g}s {stage}"
    if isinstance(exc, httpx.ConnectError):
        if "refused" in lowered:
            return "connection refused"
        if (
            "name or service not known" in lowered
            or "nodename nor servname" in lowered
            or "getaddrinfo" in lowered
        ):
            return "host not found"
        if "ssl" in lowered or "certificate" in lowered:
            return f"TLS error: {text}"
        return f"could not connect: {text}"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"server broke the HTTP protocol: {text}"
    if isinstance(exc, httpx.DecodingError):
        return f"could not decode the response body: {text}"
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return f"invalid URL: {text}"
    if isinstance(exc, httpx.ReadError | httpx.WriteError):
        return f"connection lost: {text or type(exc).__name__}"
    return text or type(exc).__name__
