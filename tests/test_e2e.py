"""End to end: the ``stance-monitor`` command as a subprocess against real local servers. Does I/O.

A feed and a webhook receiver on pytest-httpserver, an SMTP server (aiosmtpd), a JSON-lines file and a SQLite
database in ``tmp_path``; the configuration points at the repository's rules, seeds and templates. Nothing is
mocked: each test runs ``python -m monitor ...`` and looks at what arrived where.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from pytest_httpserver import HTTPServer
from servers import FeedSource, Recorder, SmtpSink, free_port, smtp_sink, text_body

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_FEED = ROOT / "examples" / "sample-feed.xml"
FEED_NAME = "e2e wire"
STANCE = "eu-crimea-nonrecognition"
BASELINE_QUOTE = "Crimea is Ukraine."
SEED = "2025-04-21-kallas-afp-interview.md"
SHIFT_LINK = "https://example.org/sample-wire/eu-envoy-crimea"  # sample-001, the one shift in the sample
SHIFT_PHRASE = "accept Russian control over Crimea"
NEW_LINK = "https://example.org/e2e/commission-crimea"
NEW_SENTENCE = "The Commission said the bloc could accept Crimea as Russian territory."
NEW_ITEM = f"""<item>
  <guid isPermaLink="false">e2e-new-001</guid>
  <title>Commission signals openness on Crimea</title>
  <link>{NEW_LINK}</link>
  <pubDate>Wed, 05 Nov 2025 09:00:00 GMT</pubDate>
  <description>{NEW_SENTENCE}</description>
</item>
"""
RUN_TIMEOUT = 60.0  # one subprocess; a normal run takes 1-3 s
DAEMON_DEADLINE = 30.0  # until the daemon's first alert reaches the file
STOP_DEADLINE = 10.0  # from the signal to the exit
PASSWORD = "e2e-S3cret-pa55word"


def feed_with(*items: str) -> bytes:
    """The sample feed with extra ``<item>`` elements at the end of its channel."""
    text = SAMPLE_FEED.read_text(encoding="utf-8")
    assert text.count("</channel>") == 1
    return text.replace("</channel>", "".join(items) + "</channel>").encode("utf-8")


def child_env(extra: dict[str, str] | None = None, drop: tuple[str, ...] = ()) -> dict[str, str]:
    """The environment for the command: ours without proxies (the servers are local), plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower() and k not in drop}
    env.update(extra or {})
    return env


def stored_time(value: str) -> datetime:
    """A datetime column as SQLite holds it (UTC wall time, no zone)."""
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def wait_until(condition: Callable[[], bool], deadline_s: float, alive: subprocess.Popen[bytes]) -> None:
    """Poll ``condition`` every 0.1 s until it holds; fail at the deadline or if the process exits."""
    deadline = time.monotonic() + deadline_s
    while not condition():
        assert alive.poll() is None, f"the daemon exited early with code {alive.returncode}"
        assert time.monotonic() < deadline, f"condition not met within {deadline_s:g}s"
        time.sleep(0.1)


@dataclass
class E2E:
    """One test's world: its folder, servers, and helpers to configure and run the command."""

    dir: Path
    feed: FeedSource
    hooks: Recorder
    smtp: SmtpSink
    feed_url: str
    hook_url: str
    smtp_port: int

    @property
    def config(self) -> Path:
        return self.dir / "monitor.yaml"

    @property
    def db(self) -> Path:
        return self.dir / "state" / "monitor.db"

    @property
    def alerts_file(self) -> Path:
        return self.dir / "out" / "alerts.jsonl"

    def write_config(
        self,
        *,
        feeds: list[dict[str, Any]] | None = None,
        hook_url: str | None = None,
        email: dict[str, Any] | None = None,
        alerts: dict[str, Any] | None = None,
    ) -> Path:
        config: dict[str, Any] = {
            "database": f"sqlite:///{self.db}",
            "rules": str(ROOT / "rules"),
            "seeds": str(ROOT / "seeds"),
            "templates": str(ROOT / "templates"),
            "interval": "1m",
            "feeds": feeds if feeds is not None else [{"name": FEED_NAME, "url": self.feed_url}],
            "channels": [
                {"name": "file", "type": "file", "path": str(self.alerts_file)},
                {"name": "webhook", "type": "webhook", "url": hook_url or self.hook_url, "timeout": "5s"},
                {
                    "name": "email",
                    "type": "email",
                    "host": "127.0.0.1",
                    "port": self.smtp_port,
                    "from": "monitor@example.org",
                    "to": ["desk@example.org"],
                    "timeout": "5s",
                    **(email or {}),
                },
            ],
        }
        if alerts is not None:
            config["alerts"] = alerts
        self.config.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        return self.config

    def command(self, *args: str, config: bool = True) -> list[str]:
        return [sys.executable, "-m", "monitor", *args, *(["--config", str(self.config)] if config else [])]

    def cli(
        self, *args: str, config: bool = True, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.command(*args, config=config),
            cwd=self.dir,
            env=env if env is not None else child_env(),
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
            check=False,
        )

    def file_alerts(self) -> list[dict[str, Any]]:
        """Complete lines of the file channel (a line being written is not one yet)."""
        if not self.alerts_file.exists():
            return []
        lines = self.alerts_file.read_text(encoding="utf-8").split("\n")[:-1]
        return [json.loads(line) for line in lines]

    def deliveries(self) -> dict[str, dict[str, Any]]:
        """The ``delivery`` table by channel (every test here raises one alert at a time)."""
        with closing(sqlite3.connect(self.db)) as conn:
            conn.row_factory = sqlite3.Row
            rows = conn.execute("SELECT * FROM delivery ORDER BY id").fetchall()
        return {row["channel"]: dict(row) for row in rows}

    def alert_count(self) -> int:
        with closing(sqlite3.connect(self.db)) as conn:
            return int(conn.execute("SELECT count(*) FROM alert").fetchone()[0])


@pytest.fixture
def e2e(tmp_path: Path, httpserver: HTTPServer) -> Iterator[E2E]:
    feed = FeedSource(SAMPLE_FEED.read_bytes())
    hooks = Recorder()
    httpserver.expect_request("/feed.xml", method="GET").respond_with_handler(feed)
    httpserver.expect_request("/hook", method="POST").respond_with_handler(hooks)
    with smtp_sink() as (sink, port):
        world = E2E(
            dir=tmp_path,
            feed=feed,
            hooks=hooks,
            smtp=sink,
            feed_url=httpserver.url_for("/feed.xml"),
            hook_url=httpserver.url_for("/hook"),
            smtp_port=port,
        )
        world.write_config()
        yield world


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, (
        f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


# --- one cycle, restarts, a new item ---------------------------------------------------------------


def test_one_shift_reaches_every_channel_once_across_restarts(e2e: E2E) -> None:
    ok(e2e.cli("run", "--once"))

    [line] = e2e.file_alerts()
    [hook] = e2e.hooks.requests
    [mail] = e2e.smtp.messages
    assert e2e.alert_count() == 1  # the restatement, Orban's call and the background items raised nothing

    payload = hook.json()
    assert payload == line  # the file and the webhook carry the same payload
    assert payload["stance_id"] == STANCE
    assert payload["item"]["link"] == SHIFT_LINK
    sentence = payload["evidence"]["sentence"]
    assert SHIFT_PHRASE in sentence
    assert payload["baseline_evidence"]["quote"] == BASELINE_QUOTE
    assert payload["baseline_evidence"]["seed"] == SEED
    assert hook.headers.get("Idempotency-Key") == payload["alert_id"]
    assert hook.headers.get("Content-Type") == "application/json"

    body = text_body(mail)
    assert " ".join(sentence.split()) in body
    assert f'"{BASELINE_QUOTE}"' in body
    assert SEED in body and STANCE in body
    assert mail["Message-ID"] == f"<{payload['alert_id']}@stance-monitor>"

    # A restart re-polls the same feed: nothing new anywhere.
    hits = e2e.feed.hits
    second = ok(e2e.cli("run", "--once"))
    assert e2e.feed.hits == hits + 1, "the second run did not poll the feed"
    assert len(e2e.file_alerts()) == 1
    assert len(e2e.hooks.requests) == 1
    assert len(e2e.smtp.messages) == 1
    assert e2e.alert_count() == 1
    assert "0 alerts" in second.stderr

    # One new shifted item appears: exactly one new alert, on every channel. (A new story on the same
    # stance within the default 6 h cooldown would be recorded as suppressed: tests/test_stories.py.)
    e2e.write_config(alerts={"cooldown": 0})
    e2e.feed.body = feed_with(NEW_ITEM)
    ok(e2e.cli("run", "--once"))
    lines = e2e.file_alerts()
    hooks = e2e.hooks.requests
    mails = e2e.smtp.messages
    assert [len(lines), len(hooks), len(mails)] == [2, 2, 2]
    new = lines[1]
    assert new["item"]["link"] == NEW_LINK and new["stance_id"] == STANCE
    assert new["evidence"]["sentence"] == NEW_SENTENCE
    assert new["alert_id"] != payload["alert_id"]
    assert hooks[1].json() == new
    assert hooks[1].headers.get("Idempotency-Key") == new["alert_id"]
    assert NEW_SENTENCE in text_body(mails[1])


# --- check: a dry run ------------------------------------------------------------------------------


def snapshot(folder: Path) -> dict[str, float]:
    return {str(p.relative_to(folder)): p.stat().st_mtime for p in folder.rglob("*")}


def test_check_prints_verdicts_and_stores_nothing(e2e: E2E) -> None:
    feed_file = e2e.dir / "sample.xml"
    feed_file.write_bytes(SAMPLE_FEED.read_bytes())
    before = snapshot(e2e.dir)

    # No --rules: ``check`` takes rules and seeds from ./monitor.yaml, our configuration.
    result = ok(e2e.cli("check", str(feed_file), config=False))

    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows, "check printed nothing"
    assert all({"stance", "verdict"} <= row.keys() for row in rows)
    pairs = [(row["key"], row["stance"]) for row in rows]
    assert len(pairs) == len(set(pairs)), "more than one line for an (item, stance)"
    shifts = [(row["key"], row["stance"]) for row in rows if row["verdict"] == "shift"]
    assert shifts == [("sample-001", STANCE)]
    assert {row["key"] for row in rows} >= {"sample-001", "sample-002", "sample-003", "sample-004"}

    assert not e2e.db.exists()
    assert snapshot(e2e.dir) == before
    assert e2e.hooks.requests == [] and e2e.smtp.messages == []


# --- delivery failures and retries -----------------------------------------------------------------


def test_webhook_down_then_up_is_retried_once_and_nothing_else_repeats(e2e: E2E) -> None:
    port = free_port()  # nothing listens here until the receiver starts below
    e2e.write_config(hook_url=f"http://127.0.0.1:{port}/hook")

    first = ok(e2e.cli("run", "--once"))
    failed_at = datetime.now(UTC)
    assert len(e2e.file_alerts()) == 1
    assert len(e2e.smtp.messages) == 1
    rows = e2e.deliveries()
    assert rows["file"]["status"] == "sent" and rows["email"]["status"] == "sent"
    hook_row = rows["webhook"]
    assert (hook_row["status"], hook_row["attempts"]) == ("failed", 1)
    assert f"127.0.0.1:{port}" in hook_row["last_error"]
    assert "retry at" in first.stderr
    listing = ok(e2e.cli("alerts"))
    assert "webhook: failed" in listing.stdout and "file: sent" in listing.stdout

    alert_id = e2e.file_alerts()[0]["alert_id"]
    receiver = Recorder()
    with HTTPServer(host="127.0.0.1", port=port) as server:
        server.expect_request("/hook", method="POST").respond_with_handler(receiver)

        # The first retry waits about 15 s: a run right now must leave the delivery alone.
        retry_at = stored_time(hook_row["next_attempt_at"])
        assert retry_at > failed_at + timedelta(seconds=5), "too little backoff left to test an early run"
        ok(e2e.cli("run", "--once"))
        assert datetime.now(UTC) < retry_at, "the machine was too slow for this check to mean anything"
        assert receiver.requests == []
        assert e2e.deliveries()["webhook"]["attempts"] == 1

        # Waiting out the backoff would make the test slow: move the retry time to the past in SQLite.
        with closing(sqlite3.connect(e2e.db)) as conn, conn:
            conn.execute(
                "UPDATE delivery SET next_attempt_at = ? WHERE channel = 'webhook'",
                ("2000-01-01 00:00:00.000000",),
            )
        ok(e2e.cli("run", "--once"))

    [request] = receiver.requests
    assert request.headers.get("Idempotency-Key") == alert_id
    assert request.json()["alert_id"] == alert_id
    hook_row = e2e.deliveries()["webhook"]
    assert (hook_row["status"], hook_row["attempts"], hook_row["last_error"]) == ("sent", 2, None)
    assert len(e2e.file_alerts()) == 1
    assert len(e2e.smtp.messages) == 1
    assert e2e.hooks.requests == []


def test_unreachable_feed_is_one_log_line_and_exit_0(e2e: E2E) -> None:
    port = free_port()
    e2e.write_config(feeds=[{"name": "unreachable wire", "url": f"http://127.0.0.1:{port}/feed.xml"}])

    result = ok(e2e.cli("run", "--once"))

    lines = [line for line in result.stderr.splitlines() if "unreachable wire" in line]
    assert len(lines) == 1, result.stderr
    assert "connection refused" in lines[0]
    assert "next try in" in lines[0]
    assert e2e.file_alerts() == []


# --- invalid configuration -------------------------------------------------------------------------


def test_unknown_key_exits_2_naming_file_line_and_key(e2e: E2E) -> None:
    e2e.config.write_text(
        f"database: sqlite:///{e2e.db}\nrules: {ROOT / 'rules'}\nfeeds:\n  - url: {e2e.feed_url}\n    intervall: 5m\n",
        encoding="utf-8",
    )
    result = e2e.cli("run", "--once")
    assert result.returncode == 2, result.stderr
    assert f"{e2e.config}:5: feeds[0].intervall: unknown key" in result.stderr
    assert not e2e.db.exists()


def test_missing_environment_variable_exits_2_naming_it(e2e: E2E) -> None:
    e2e.write_config(email={"username": "monitor", "password": "${E2E_UNSET_PASSWORD}"})
    result = e2e.cli("check-config", env=child_env(drop=("E2E_UNSET_PASSWORD",)))
    assert result.returncode == 2, result.stderr
    assert "E2E_UNSET_PASSWORD" in result.stderr
    assert str(e2e.config) in result.stderr


# --- the daemon ------------------------------------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_daemon_alerts_then_stops_cleanly_on_signal(e2e: E2E, sig: signal.Signals) -> None:
    log = e2e.dir / "daemon.log"
    with log.open("wb") as stderr:
        proc = subprocess.Popen(
            e2e.command("run"), cwd=e2e.dir, env=child_env(), stdout=subprocess.DEVNULL, stderr=stderr
        )
    try:
        wait_until(lambda: len(e2e.file_alerts()) > 0, DAEMON_DEADLINE, proc)
        proc.send_signal(sig)
        code = proc.wait(timeout=STOP_DEADLINE)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    output = log.read_text(encoding="utf-8")
    assert code == 0, output
    assert f"received {sig.name}" in output
    assert output.rstrip().splitlines()[-1].endswith("stopped"), output
    assert "Traceback" not in output
    [line] = e2e.file_alerts()
    assert line["stance_id"] == STANCE and line["item"]["link"] == SHIFT_LINK


# --- secrets -----------------------------------------------------------------------------------------


def test_smtp_password_is_used_but_never_printed(e2e: E2E) -> None:
    logins: list[tuple[bytes, bytes]] = []

    def refuse(server: object, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
        assert isinstance(data, LoginPassword)
        logins.append((data.login, data.password))
        return AuthResult(success=False, handled=False)

    env = child_env({"SMTP_PASSWORD": PASSWORD})
    with smtp_sink(authenticator=refuse, auth_require_tls=False) as (sink, port):
        e2e.write_config(email={"port": port, "username": "monitor", "password": "${SMTP_PASSWORD}"})
        assert PASSWORD not in e2e.config.read_text(encoding="utf-8")
        outputs = [ok(e2e.cli("check-config", env=env))]
        assert "OK" in outputs[0].stdout
        outputs.append(ok(e2e.cli("--log-level", "debug", "run", "--once", env=env)))
        outputs.append(ok(e2e.cli("alerts", env=env)))
        outputs.append(ok(e2e.cli("render", env=env)))

    # smtplib tries the next mechanism (PLAIN, then LOGIN) after a refusal: each try sent the variable's value.
    assert logins and set(logins) == {(b"monitor", PASSWORD.encode())}
    assert sink.messages == []
    row = e2e.deliveries()["email"]
    assert row["status"] == "dead" and "535" in row["last_error"]  # an auth refusal is not retried
    assert "535" in outputs[1].stderr  # the failure was reported ...
    for result in outputs:  # ... and nothing printed the secret
        assert PASSWORD not in result.stdout and PASSWORD not in result.stderr
    assert PASSWORD not in row["last_error"]
    assert PASSWORD not in e2e.alerts_file.read_text(encoding="utf-8")
