"""The webhook channel: POSTs each alert's JSON payload with httpx. Does network I/O.

``format: slack`` sends a Slack-compatible body instead (``monitor.channels.slack``). With a ``secret``,
every request is signed: ``X-Stance-Timestamp: <unix seconds>`` and ``X-Stance-Signature-256:
sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" keyed with the secret>`` (recipe in docs/alerts.md).

Success is any 2xx. 408, 429, 5xx, timeouts and connection errors are retryable (``Retry-After`` in
seconds or as an HTTP date becomes ``retry_after``); other statuses are permanent. Every request carries
``Idempotency-Key: <alert_id>`` so a receiver can drop a retried duplicate. Error messages show the URL
as ``scheme://host/path`` only: userinfo, query and fragment can hold secrets.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import httpx

from monitor.channels.slack import slack_message
from monitor.config import WebhookChannelConfig
from monitor.errors import DeliveryError
from monitor.models import RenderedAlert

RETRYABLE_STATUS = frozenset({408, 425, 429})
SIGNATURE_HEADER = "X-Stance-Signature-256"
TIMESTAMP_HEADER = "X-Stance-Timestamp"
SNIPPET_BYTES = 512  # how much of an error response body to quote
DRAIN_BYTES = 65536  # a success body read up to this much, so the connection can be reused


def redact_url(url: str) -> str:
    """``scheme://host[:port]/path``: no userinfo, query or fragment. Pure."""
    try:
        parts = urlsplit(url)
        host = parts.netloc.rpartition("@")[2]
    except ValueError:
        return "<invalid url>"
    return f"{parts.scheme}://{host}{parts.path}"


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date); None if absent/invalid. Pure."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def is_retryable_status(status: int) -> bool:
    return status in RETRYABLE_STATUS or status >= 500


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of ``<timestamp>.<body>`` keyed with ``secret``. Pure."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class WebhookChannel:
    def __init__(
        self,
        config: WebhookChannelConfig,
        *,
        user_agent: str,
        client: httpx.Client | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.name = config.name
        self._url = config.url
        self._shown_url = redact_url(config.url)
        self._headers = httpx.Headers({"User-Agent": user_agent})
        self._headers.update(config.headers)  # case-insensitive: a configured User-Agent replaces ours
        self._secrets = self._secret_parts(config)
        self._secret = config.secret
        self._slack = config.format == "slack"
        self._own_client = client is None
        self._client = client or httpx.Client(timeout=httpx.Timeout(config.timeout), follow_redirects=False)
        self._clock = clock

    def send(self, rendered: RenderedAlert) -> None:
        document = slack_message(rendered) if self._slack else rendered.payload
        body = json.dumps(document, ensure_ascii=False).encode("utf-8")
        headers = self._headers.copy()
        headers["Content-Type"] = "application/json"
        headers["Idempotency-Key"] = rendered.alert.alert_id
        if self._secret:
            timestamp = str(int(self._clock().timestamp()))
            headers[TIMESTAMP_HEADER] = timestamp
            headers[SIGNATURE_HEADER] = signature(self._secret, timestamp, body)
        try:
            with self._client.stream("POST", self._url, content=body, headers=headers) as response:
                status = response.status_code
                if 200 <= status < 300:
                    self._drain(response)
                    return
                snippet = self._snippet(response)
                retry_after = parse_retry_after(response.headers.get("Retry-After"), self._clock())
        except httpx.TimeoutException as exc:
            raise self._error(f"timed out ({type(exc).__name__})", retryable=True) from exc
        except httpx.TransportError as exc:
            raise self._error(f"{type(exc).__name__}: {exc}", retryable=True) from exc
        except httpx.HTTPError as exc:  # invalid URL and the like: trying again will not help
            raise self._error(f"{type(exc).__name__}: {exc}", retryable=False) from exc
        detail = f"HTTP {status}" + (f": {snippet}" if snippet else "")
        if 300 <= status < 400:
            detail = f"unexpected redirect ({detail})"
        if is_retryable_status(status):
            raise self._error(detail, retryable=True, retry_after=retry_after)
        raise self._error(detail, retryable=False)

    def close(self) -> None:
        if self._own_client:
            self._client.close()

    @staticmethod
    def _drain(response: httpx.Response) -> None:
        """Read a (small) success body to its end: only then does httpx keep the connection for the next alert."""
        read = 0
        try:
            for chunk in response.iter_raw():
                read += len(chunk)
                if read > DRAIN_BYTES:
                    break
        except httpx.HTTPError:
            pass  # delivered: the receiver answered 2xx; a broken body changes nothing

    def _snippet(self, response: httpx.Response) -> str:
        data = b""
        try:
            for chunk in response.iter_bytes():
                data += chunk
                if len(data) >= SNIPPET_BYTES:
                    break
        except httpx.HTTPError:
            pass
        text = " ".join(data[:SNIPPET_BYTES].decode("utf-8", errors="replace").split())
        return text[:200]

    def _error(self, reason: str, *, retryable: bool, retry_after: float | None = None) -> DeliveryError:
        reason = reason.replace(self._url, self._shown_url)
        for secret in self._secrets:
            reason = reason.replace(secret, "***")
        return DeliveryError(
            self.name, f"POST {self._shown_url}: {reason}", retryable=retryable, retry_after=retry_after
        )

    @staticmethod
    def _secret_parts(config: WebhookChannelConfig) -> list[str]:
        """Pieces of the configuration that must never appear in an error message, longest first."""
        parts = urlsplit(config.url)
        userinfo = parts.netloc.rpartition("@")[0]
        query_values = [pair.partition("=")[2] for pair in parts.query.split("&")]
        found = [userinfo, *userinfo.split(":"), parts.query, *query_values, parts.fragment]
        found += config.headers.values()
        found += [config.secret or ""]
        return sorted({s for s in found if len(s) >= 3}, key=len, reverse=True)
