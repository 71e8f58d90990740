"""A small world for feed-ingestion tests: a ``Runtime`` on a SQLite file, real HTTP servers, a settable clock.

Does I/O: SQLite files in the test's folder and threaded HTTP servers on 127.0.0.x (pytest-httpserver with
``threaded=True``, so a handler that hangs does not block the others). Nothing is mocked: polls go through
``poll_feed`` with the real fetcher, parser, store and engine; notices reach a real file channel.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from monitor.channels import build_channels
from monitor.config import Config
from monitor.engine import Engine
from monitor.fetch import Fetcher
from monitor.pipeline import Runtime
from monitor.render import Renderer
from monitor.store import FeedState, Store

ROOT = Path(__file__).resolve().parents[1]
UA = "stance-monitor-test/1.0"
RSS_TYPE = "application/rss+xml; charset=utf-8"
T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def rss(feed: str, items: int = 3, *, ttl: int | None = None, title: str | None = None) -> bytes:
    """An RSS document with ``items`` plain items keyed ``{feed}-{n}``."""
    entries = "".join(
        f"<item><guid isPermaLink='false'>{feed}-{n}</guid><title>Market report {n} from {feed}</title>"
        f"<link>https://news.example.org/{feed}/{n}</link>"
        f"<description>Prices were steady on day {n}; traders expect a quiet week.</description></item>"
        for n in range(items)
    )
    extra = f"<ttl>{ttl}</ttl>" if ttl is not None else ""
    return (
        f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>{title or feed}</title>"
        f"<link>https://news.example.org/</link><description>d</description>{extra}{entries}</channel></rss>"
    ).encode()


@dataclass
class Clock:
    """The time the world's runtime sees; tests move it forward."""

    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Serve:
    """A handler answering ``body`` with ``status`` and ``headers`` (all changeable), keeping what it saw."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": RSS_TYPE})
    requests: list[dict[str, str]] = field(default_factory=list)
    served_at: list[float] = field(default_factory=list)

    def __call__(self, request: Request) -> Response:
        self.requests.append(dict(request.headers))
        self.served_at.append(time.monotonic())
        return Response(self.body, status=self.status, headers=self.headers)


@contextmanager
def http_server(host: str = "127.0.0.1") -> Iterator[HTTPServer]:
    """A threaded pytest-httpserver on ``host`` (127.0.0.2 and up stand for other hosts)."""
    server = HTTPServer(host=host, port=0, threaded=True)
    server.start()
    try:
        yield server
    finally:
        server.clear()
        if server.is_running():
            server.stop()


def config_for(tmp_path: Path, feeds: list[dict[str, Any]], **settings: Any) -> Config:
    polling = {"timeout": 2, "jitter": 0, **settings.pop("polling", {})}
    return Config.model_validate(
        {
            "database": f"sqlite:///{tmp_path / 'monitor.db'}",
            "rules": str(ROOT / "rules"),
            "seeds": str(ROOT / "seeds"),
            "templates": str(ROOT / "templates"),
            "interval": "15m",
            "feeds": feeds,
            "channels": [{"name": "file", "type": "file", "path": str(tmp_path / "alerts.jsonl")}],
            "polling": polling,
            **settings,
        }
    )


@contextmanager
def runtime(
    tmp_path: Path, engine: Engine, feeds: list[dict[str, Any]], clock: Clock | None = None, **settings: Any
) -> Iterator[Runtime]:
    """A ``Runtime`` like ``build_runtime``'s, with the shipped engine, a file channel and ``clock``."""
    config = config_for(tmp_path, feeds, **settings)
    clock = clock or Clock()
    store = Store(config.database)
    store.sync_feeds([(f.url, f.label, config.feed_interval(f)) for f in config.feeds], clock())
    polling = config.polling
    fetcher = Fetcher(
        UA, timeout=polling.timeout, total_timeout=polling.total_timeout, max_bytes=polling.max_bytes
    )
    rt = Runtime(
        config=config,
        store=store,
        fetcher=fetcher,
        engine=engine,
        renderer=Renderer(ROOT / "templates"),
        channels=build_channels(config.channels, user_agent=UA),
        clock=clock,
    )
    try:
        yield rt
    finally:
        fetcher.close()
        store.close()


def state(rt: Runtime, url: str) -> FeedState:
    found = rt.store.feed(url)
    assert found is not None, f"no feed {url}"
    return found


def file_lines(tmp_path: Path) -> list[dict[str, Any]]:
    path = tmp_path / "alerts.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


class Gate:
    """Counts requests in progress (per server) and the most seen at once; each request takes ``hold`` s."""

    def __init__(self, hold: float, body: Callable[[Request], bytes]) -> None:
        self.hold = hold
        self.body = body
        self.lock = threading.Lock()
        self.now: dict[str, int] = {}
        self.peak: dict[str, int] = {}
        self.peak_total = 0

    def __call__(self, request: Request) -> Response:
        host = request.host.split(":")[0]
        with self.lock:
            self.now[host] = self.now.get(host, 0) + 1
            self.peak[host] = max(self.peak.get(host, 0), self.now[host])
            self.peak_total = max(self.peak_total, sum(self.now.values()))
        try:
            time.sleep(self.hold)  # the server is slow on purpose: polls overlap
            return Response(self.body(request), content_type=RSS_TYPE)
        finally:
            with self.lock:
                self.now[host] -= 1
