"""The daemon killed (SIGKILL) after it wrote an alert to the outbox and before it sent it: nothing is lost.

To hold the daemon exactly there, the file channel (the first delivery of every alert) writes to a FIFO that
nobody reads: opening it blocks, so the webhook and email deliveries queued after it are stored but never
tried. The daemon is then killed without warning, restarted with a normal file, and every channel must get
the alert exactly once.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

import pytest
import yaml
from test_e2e import DAEMON_DEADLINE, E2E, SHIFT_LINK, child_env, e2e, ok, wait_until  # noqa: F401

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs a FIFO (POSIX)")


def stored_deliveries(db: Path) -> list[tuple[str, str, int]]:
    if not db.exists():
        return []
    try:
        with closing(sqlite3.connect(db)) as conn:
            return conn.execute("SELECT channel, status, attempts FROM delivery ORDER BY id").fetchall()
    except sqlite3.OperationalError:  # the daemon has not created the table yet
        return []


def set_file_path(config: Path, path: Path) -> None:
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    for channel in data["channels"]:
        if channel["type"] == "file":
            channel["path"] = str(path)
    config.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def test_killed_between_the_outbox_write_and_the_send_delivers_exactly_once_after_restart(
    e2e: E2E,  # noqa: F811  (the fixture imported from test_e2e)
) -> None:
    fifo = e2e.dir / "nobody-reads.jsonl"
    os.mkfifo(fifo)
    set_file_path(e2e.config, fifo)
    log = e2e.dir / "daemon.log"
    with log.open("wb") as stderr:
        proc = subprocess.Popen(
            e2e.command("run"), cwd=e2e.dir, env=child_env(), stdout=subprocess.DEVNULL, stderr=stderr
        )
    try:
        wait_until(lambda: len(stored_deliveries(e2e.db)) == 3, DAEMON_DEADLINE, proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    # Killed with the alert in the outbox and nothing sent.
    assert stored_deliveries(e2e.db) == [
        ("file", "pending", 0),
        ("webhook", "pending", 0),
        ("email", "pending", 0),
    ]
    assert e2e.hooks.requests == [] and e2e.smtp.messages == []

    set_file_path(e2e.config, e2e.alerts_file)
    ok(e2e.cli("run", "--once"))
    ok(e2e.cli("run", "--once"))

    [line] = e2e.file_alerts()
    [hook] = e2e.hooks.requests
    [mail] = e2e.smtp.messages
    assert line["item"]["link"] == SHIFT_LINK and hook.json() == line
    assert mail["Message-ID"] == f"<{line['alert_id']}@stance-monitor>"
    assert e2e.alert_count() == 1
    assert stored_deliveries(e2e.db) == [("file", "sent", 1), ("webhook", "sent", 1), ("email", "sent", 1)]
