"""Webhook signatures checked with the recipe printed in docs/alerts.md, Slack bodies, and the documented payload.

The recipe is taken from the documentation itself and run against a request a real local receiver got, so
the documentation cannot drift from what the channel sends.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from pytest_httpserver import HTTPServer
from servers import Received, Recorder

from monitor.channels.webhook import WebhookChannel, signature
from monitor.config import Config, WebhookChannelConfig, redact
from monitor.models import RenderedAlert
from monitor.render import Renderer
from monitor.render_context import sample_alert, sample_sources

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "alerts.md"
SECRET = "whsec-0123456789abcdef-s3cr3t"
Verify = Callable[[str, bytes, str, str], bool]


@pytest.fixture(scope="module")
def rendered() -> RenderedAlert:
    alert = sample_alert()
    return Renderer(ROOT / "templates").render(alert, sample_sources(alert))


@pytest.fixture(scope="module")
def verify() -> Verify:
    """``verify_stance_signature`` exactly as docs/alerts.md prints it."""
    text = DOCS.read_text(encoding="utf-8")
    marker = text.index("<!-- signature-recipe")
    match = re.compile(r"```python\n(.*?)```", re.S).search(text, marker)
    assert match is not None, "no python block after the signature-recipe marker"
    namespace: dict[str, Any] = {}
    exec(compile(match.group(1), str(DOCS), "exec"), namespace)
    return cast(Verify, namespace["verify_stance_signature"])


def send(url: str, rendered: RenderedAlert, **config: Any) -> None:
    clock = config.pop("clock", lambda: datetime.now(UTC))
    channel = WebhookChannel(
        WebhookChannelConfig(name="hook", type="webhook", url=url, **config), user_agent="t/1", clock=clock
    )
    try:
        channel.send(rendered)
    finally:
        channel.close()


def received(httpserver: HTTPServer, rendered: RenderedAlert, **config: Any) -> Received:
    recorder = Recorder()
    httpserver.expect_request("/hook", method="POST").respond_with_handler(recorder)
    send(httpserver.url_for("/hook"), rendered, **config)
    [request] = recorder.requests
    return request


def test_the_documented_recipe_verifies_a_real_request(
    httpserver: HTTPServer, rendered: RenderedAlert, verify: Verify
) -> None:
    request = received(httpserver, rendered, secret=SECRET)
    timestamp = request.headers["X-Stance-Timestamp"]
    signed = request.headers["X-Stance-Signature-256"]
    assert signed.startswith("sha256=") and len(signed) == len("sha256=") + 64
    assert abs(int(timestamp) - datetime.now(UTC).timestamp()) < 60
    assert verify(SECRET, request.body, timestamp, signed)
    assert json.loads(request.body) == rendered.payload

    assert not verify(SECRET, request.body + b" ", timestamp, signed)  # a changed body
    assert not verify("another-secret-of-some-length", request.body, timestamp, signed)
    assert not verify(SECRET, request.body, str(int(timestamp) + 1), signed)  # a changed timestamp
    assert SECRET not in json.dumps(request.headers) and SECRET.encode() not in request.body


def test_an_old_request_is_rejected_by_the_recipe(
    httpserver: HTTPServer, rendered: RenderedAlert, verify: Verify
) -> None:
    ten_minutes_ago = datetime.now(UTC) - timedelta(minutes=10)
    request = received(httpserver, rendered, secret=SECRET, clock=lambda: ten_minutes_ago)
    timestamp = request.headers["X-Stance-Timestamp"]
    assert signature(SECRET, timestamp, request.body) == request.headers["X-Stance-Signature-256"]
    assert not verify(SECRET, request.body, timestamp, request.headers["X-Stance-Signature-256"])


def test_without_a_secret_nothing_is_signed(httpserver: HTTPServer, rendered: RenderedAlert) -> None:
    request = received(httpserver, rendered)
    assert "X-Stance-Signature-256" not in request.headers
    assert "X-Stance-Timestamp" not in request.headers


def test_the_secret_is_redacted_and_must_be_long_enough() -> None:
    config = Config.model_validate(
        {"channels": [{"name": "h", "type": "webhook", "url": "https://x.example/h", "secret": SECRET}]}
    )
    assert redact(f"error with {SECRET} inside", config) == "error with *** inside"
    with pytest.raises(ValueError, match="at least 16"):
        WebhookChannelConfig(name="h", type="webhook", url="https://x.example/h", secret="short")


def test_slack_format_sends_text_and_blocks_with_every_source(
    httpserver: HTTPServer, rendered: RenderedAlert
) -> None:
    request = received(httpserver, rendered, format="slack")
    body = request.json()
    assert set(body) == {"text", "blocks"}
    assert body["text"] == rendered.subject
    assert body["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": rendered.subject[:150]},
    }
    flat = json.dumps(body, ensure_ascii=False)
    alert = rendered.alert
    assert alert.sentence in flat and alert.baseline_quote in flat
    assert "Reported by 2 sources" in flat
    for source in rendered.payload["sources"]:
        assert f"<{source['link']}|{source['title']}>" in flat
    assert request.headers["Idempotency-Key"] == alert.alert_id


def test_the_payload_example_in_the_docs_is_what_is_sent(rendered: RenderedAlert) -> None:
    text = DOCS.read_text(encoding="utf-8")
    section = text.index("## The webhook payload")
    match = re.compile(r"```json\n(.*?)```", re.S).search(text, section)
    assert match is not None
    assert json.loads(match.group(1)) == rendered.payload
