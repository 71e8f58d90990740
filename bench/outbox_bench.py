"""Outbox throughput: alerts per second delivered to a local webhook receiver, against plain httpx POSTs.

Run: ``.venv/bin/python bench/outbox_bench.py [--alerts N] [--rounds R]``.

A small threaded ``http.server`` on 127.0.0.1, in its own process, answers every POST with 204 (keep-alive).
In the same run we measure

* **plain**: ``httpx.Client.post`` of the same JSON body, one after another (the floor: HTTP only);
* **outbox**: N alerts stored in a SQLite outbox (not timed), then ``deliver_due`` sends them all: per alert
  it reads the due row, sends through ``WebhookChannel`` (body, headers, classification) and marks it sent
  in its own transaction (what makes "never lost, never twice" hold);
* **outbox, signed**: the same with a webhook ``secret`` (an HMAC-SHA256 per request).

Each figure is the best of R rounds; the ratio to plain is printed, so machine noise largely cancels out.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from monitor.channels import build_channels
from monitor.config import Config
from monitor.engine import Engine
from monitor.fetch import Fetcher
from monitor.outbox import deliver_due
from monitor.pipeline import Runtime
from monitor.render import Renderer
from monitor.render_context import sample_alert, sample_sources
from monitor.store import Store

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 3, 12, 0, tzinfo=UTC)


class Receiver(BaseHTTPRequestHandler):
    """Reads the body, answers 204. Runs in its own process, so it does not compete with us for the GIL."""

    protocol_version = "HTTP/1.1"  # keep-alive, as real receivers do

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.hits.value += 1  # type: ignore[attr-defined]
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve(port: Any, hits: Any) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.hits = hits  # type: ignore[attr-defined]
    port.value = server.server_address[1]
    server.serve_forever()


def plain(url: str, body: bytes, n: int) -> float:
    with httpx.Client() as client:
        started = time.perf_counter()
        for _ in range(n):
            client.post(url, content=body, headers={"Content-Type": "application/json"}).raise_for_status()
        return n / (time.perf_counter() - started)


def outbox(url: str, n: int, folder: Path, secret: str | None) -> float:
    hook: dict[str, Any] = {"name": "hook", "type": "webhook", "url": url}
    if secret:
        hook["secret"] = secret
    config = Config.model_validate({"database": f"sqlite:///{folder}/bench.db", "channels": [hook]})
    renderer = Renderer(ROOT / "templates")
    base = sample_alert()
    rendered = renderer.render(base, sample_sources(base))
    store = Store(config.database)
    for i in range(n):
        alert = replace(base, alert_id=f"bench-{i:06d}", created_at=NOW)
        store.add_alert(replace(rendered, alert=alert), None, ["hook"], NOW)
    rt = Runtime(
        config=config,
        store=store,
        fetcher=Fetcher("bench"),
        engine=Engine([]),
        renderer=renderer,
        channels=build_channels(config.channels, user_agent="stance-monitor-bench"),
        clock=lambda: NOW,
    )
    try:
        started = time.perf_counter()
        sent, failed = deliver_due(rt)
        elapsed = time.perf_counter() - started
    finally:
        for channel in rt.channels.values():
            channel.close()
        rt.fetcher.close()
        store.close()
    assert (sent, failed) == (n, 0), (sent, failed)
    return n / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    port, hits = multiprocessing.Value("i", 0), multiprocessing.Value("i", 0, lock=False)
    receiver = multiprocessing.Process(target=serve, args=(port, hits), daemon=True)
    receiver.start()
    while not port.value:
        time.sleep(0.01)
    url = f"http://127.0.0.1:{port.value}/hook"
    base = sample_alert()
    body = json.dumps(Renderer(ROOT / "templates").render(base, sample_sources(base)).payload).encode()
    try:
        best = {"plain": 0.0, "outbox": 0.0, "signed": 0.0}
        for _ in range(args.rounds):
            best["plain"] = max(best["plain"], plain(url, body, args.alerts))
            with tempfile.TemporaryDirectory() as tmp:
                best["outbox"] = max(best["outbox"], outbox(url, args.alerts, Path(tmp), None))
            with tempfile.TemporaryDirectory() as tmp:
                best["signed"] = max(
                    best["signed"], outbox(url, args.alerts, Path(tmp), "bench-secret-0123456789")
                )
    finally:
        receiver.terminate()
        receiver.join()
    print(
        f"{args.alerts} alerts to a local webhook receiver, best of {args.rounds} rounds ({len(body)} byte payload)"
    )
    print(f"  plain httpx POSTs:   {best['plain']:8.0f} /s")
    print(f"  outbox:              {best['outbox']:8.0f} /s   ratio {best['outbox'] / best['plain']:.2f}")
    print(f"  outbox, signed:      {best['signed']:8.0f} /s   ratio {best['signed'] / best['plain']:.2f}")
    print(f"  the receiver answered {hits.value} requests")


if __name__ == "__main__":
    main()
