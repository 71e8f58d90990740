"""``stance-monitor feeds``, ``feeds add`` and ``feeds enable``, in process, on real files and a local server.

Also the pure parts behind them: the health table (``format_feeds``) and appending to the configuration's
text (``configedit.append_feed``), which must keep every comment and the layout of the file.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from feedworld import ROOT, RSS_TYPE, rss
from pytest_httpserver import HTTPServer

from monitor.cli import main
from monitor.cli_feeds import feed_status, format_feeds
from monitor.config import load_config
from monitor.configedit import append_feed
from monitor.store import FeedState, Store

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)

CONFIG = """# Our monitor. Keep this comment.
database: sqlite:///{db}
rules: {root}/rules
seeds: {root}/seeds
templates: {root}/templates

feeds:
  - name: first wire      # the one we started with
    url: https://first.example.org/rss
  # - name: parked
  #   url: https://parked.example.org/rss

channels:
  - name: console
    type: console
"""


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "monitor.yaml"
    path.write_text(CONFIG.format(db=tmp_path / "monitor.db", root=ROOT), encoding="utf-8")
    return path


PAGE = """<!doctype html><html><head><title>Example News</title>
<link rel="stylesheet" href="/style.css">
<link rel="alternate" type="application/rss+xml" title="Example Wire" href="/feed.xml">
</head><body><p>Welcome</p></body></html>"""


def test_add_discovers_the_advertised_feed_and_appends_it_keeping_comments(
    config_file: Path, httpserver: HTTPServer, capsys: pytest.CaptureFixture[str]
) -> None:
    httpserver.expect_request("/").respond_with_data(PAGE, content_type="text/html")
    httpserver.expect_request("/feed.xml").respond_with_data(
        rss("wire", title="Example Wire"), content_type=RSS_TYPE
    )
    before = config_file.read_text(encoding="utf-8")

    assert main(["feeds", "add", httpserver.url_for("/"), "--voice", "EU", "--config", str(config_file)]) == 0

    out = capsys.readouterr().out
    feed_url = httpserver.url_for("/feed.xml")
    assert f"Example Wire: {feed_url} (advertised by {httpserver.url_for('/')})" in out
    assert "3 items now" in out
    after = config_file.read_text(encoding="utf-8")
    added = f'  - url: "{feed_url}"\n    name: "Example Wire"\n    voice: "EU"\n'
    anchor = "    url: https://first.example.org/rss\n"
    assert after == before.replace(
        anchor, anchor + added
    )  # inserted after the last entry; the rest as it was
    feed = load_config(config_file).feeds[-1]
    assert (feed.url, feed.name, feed.voice, feed.full_text) == (feed_url, "Example Wire", "EU", False)

    # The same feed again is refused, and the file is left alone.
    assert main(["feeds", "add", feed_url, "--config", str(config_file)]) == 1
    assert "already configured as 'Example Wire'" in capsys.readouterr().err
    assert config_file.read_text(encoding="utf-8") == after


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (
            "<html><head><title>x</title></head><body>no feed here</body></html>",
            "text/html",
            "HTML page, not a feed",
        ),
        ("<rss version='2.0'><channel><title>empty</title></channel></rss>", RSS_TYPE, "has no items"),
    ],
    ids=["page-without-feed", "feed-without-items"],
)
def test_add_refuses_what_is_not_a_working_feed(
    config_file: Path,
    httpserver: HTTPServer,
    capsys: pytest.CaptureFixture[str],
    body: str,
    content_type: str,
    reason: str,
) -> None:
    httpserver.expect_request("/x").respond_with_data(body, content_type=content_type)
    before = config_file.read_text(encoding="utf-8")
    assert main(["feeds", "add", httpserver.url_for("/x"), "--config", str(config_file)]) == 1
    assert reason in capsys.readouterr().err
    assert config_file.read_text(encoding="utf-8") == before


def test_add_with_full_text_and_a_name(
    config_file: Path, httpserver: HTTPServer, capsys: pytest.CaptureFixture[str]
) -> None:
    httpserver.expect_request("/rss").respond_with_data(rss("w"), content_type=RSS_TYPE)
    args = [
        "feeds",
        "add",
        httpserver.url_for("/rss"),
        "--name",
        "teasers",
        "--full-text",
        "--interval",
        "30m",
    ]
    assert main([*args, "--config", str(config_file)]) == 0
    feed = load_config(config_file).feeds[-1]
    assert (feed.name, feed.full_text, feed.interval) == ("teasers", True, 1800.0)


def test_feeds_table_and_enable(config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = load_config(config_file)
    now = datetime.now(UTC)
    with Store(config.database) as store:
        urls = ["https://ok.example.org/rss", "https://down.example.org/rss", "https://gone.example.org/rss"]
        store.sync_feeds([(u, u.split("//")[1].split(".")[0], 900.0) for u in urls], now)
        store.record_fetch_success(
            urls[0], now=now, status=200, etag=None, last_modified=None, next_poll_at=now
        )
        store.set_current_url(urls[0], "https://ok.example.net/feed")
        store.record_fetch_failure(
            urls[1],
            now=now,
            error="connection refused",
            next_poll_at=now,
            failing_since=now - timedelta(hours=7),
        )
        store.record_fetch_failure(urls[2], now=now, error="HTTP 410 Gone", next_poll_at=now, status=410)
        store.disable_feed(urls[2], "gone: HTTP 410 Gone on 2026-11-02 08:00 UTC")

    assert main(["feeds", "--config", str(config_file)]) == 0
    out = capsys.readouterr().out.splitlines()
    rows = {line.split()[0]: line for line in out[1:-1]}
    assert out[0].split() == [
        "FEED",
        "STATE",
        "HTTP",
        "FAILS",
        "ITEMS",
        "LAST",
        "SUCCESS",
        "NEXT",
        "POLL",
        "NOTE",
    ]
    assert rows["ok"].split()[1:3] == ["ok", "200"]
    assert "moved to https://ok.example.net/feed: update its url in the configuration" in rows["ok"]
    assert rows["down"].split()[1] == "down" and "since 7h ago" in rows["down"]
    assert rows["down"].endswith("connection refused")
    assert rows["gone"].split()[1:3] == ["gone", "410"] and "feeds enable" in rows["gone"]
    assert out[-1] == "3 feeds: 1 down, 1 gone, 1 ok"

    assert main(["feeds", "enable", "gone", "--config", str(config_file)]) == 0
    with Store(config.database) as store:
        row = store.feed(urls[2])
    assert row is not None and row.pollable


def state(**kw: object) -> FeedState:
    base: dict[str, object] = dict(
        url="https://a.example/rss",
        name="a",
        interval_s=900.0,
        next_poll_at=NOW + timedelta(minutes=5),
        last_attempt_at=NOW,
        last_success_at=NOW - timedelta(minutes=10),
        last_status=200,
        consecutive_failures=0,
        last_error=None,
        etag=None,
        last_modified=None,
        items_seen=12,
        enabled=True,
    )
    return FeedState(**{**base, **kw})  # type: ignore[arg-type]


def test_feed_status_words() -> None:
    failing = dict(consecutive_failures=2, failing_since=NOW - timedelta(hours=1), last_error="timed out")
    assert feed_status(state(), NOW, 3600) == "ok"
    assert feed_status(state(last_attempt_at=None), NOW, 3600) == "new"
    assert feed_status(state(**failing), NOW, 7200) == "failing"
    assert feed_status(state(**failing), NOW, 3600) == "down"
    assert feed_status(state(enabled=False), NOW, 3600) == "removed"
    assert feed_status(state(disabled_reason="gone"), NOW, 3600) == "gone"
    table = format_feeds([state(name="a" * 40, last_warning="malformed but usable: x")], NOW, 3600)
    header, row, summary = table.splitlines()
    assert row.startswith("a" * 27 + "…  ok")
    assert "10m ago" in row and "in 5m" in row and row.endswith("malformed but usable: x")
    assert summary == "1 feeds: 1 ok"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "database: x\n",
        "feeds: []\n",
        "feeds: [{url: a}]\nchannels: []\n",
        "feeds:\n# none yet\nchannels: []\n",
        "feeds:\n-   url: a\n    name: b  # c\n\n# trailing\nchannels: []",
        "feeds:\n  -\n    url: a\n",
        "feeds:\n  - url: |\n      multi\n  # after\nworkers: 2\n",
    ],
)
def test_append_feed_keeps_the_rest_and_adds_one_entry(text: str) -> None:
    entry: dict[str, str | bool | float] = {
        "url": 'https://n.example/f?a=1&b=#x"',
        "name": 'N: "q"',
        "full_text": True,
    }
    out = append_feed(text, entry)
    data = yaml.safe_load(out)
    before = (yaml.safe_load(text) or {}).get("feeds") or []
    assert data["feeds"] == [*before, entry]
    for line in text.splitlines():
        if line.strip().startswith("#"):
            assert line in out.splitlines()  # comments survive


def test_append_feed_refuses_what_it_cannot_edit() -> None:
    with pytest.raises(ValueError, match="not a list"):
        append_feed("feeds: 3\n", {"url": "u"})
    with pytest.raises(ValueError, match="not valid YAML"):
        append_feed("feeds: [\n", {"url": "u"})
