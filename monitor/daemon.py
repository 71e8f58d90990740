"""Assemble the parts and run cycles: once (``run --once``) or on a schedule (the daemon). Does I/O.

APScheduler (3.x) is the in-process ticker, with two jobs (``coalesce``, ``max_instances=1``):

* ``dispatch`` every few seconds picks the feeds whose ``next_poll_at`` has come (the schedule lives in the
  database, so it survives restarts) and polls them in a thread pool: one slow feed never delays others;
* ``deliver`` drains the outbox.

SIGINT and SIGTERM set the stop flag: the item in hand is finished, nothing new is started, and the
scheduler waits for running jobs before the process exits.
"""

from __future__ import annotations

import logging
import signal
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler

from monitor.channels import build_channels
from monitor.config import Config
from monitor.engine import Engine, load_rules
from monitor.fetch import Fetcher
from monitor.outbox import deliver_due
from monitor.pipeline import PollResult, Runtime, poll_feed, utc_now
from monitor.render import Renderer
from monitor.store import FeedState, Store

log = logging.getLogger("monitor")

DISPATCH_EVERY = 2.0  # seconds between looks for due feeds
DELIVER_EVERY = 2.0


def build_runtime(config: Config) -> Runtime:
    """Load rules and templates (failing fast on any error), open the database, build channels."""
    stances = load_rules(
        Path(config.rules), Path(config.seeds), channel_names={c.name for c in config.channels}
    )
    renderer = Renderer(Path(config.templates))
    renderer.self_check()
    store = Store(config.database)
    store.sync_feeds([(f.url, f.label, config.feed_interval(f)) for f in config.feeds], utc_now())
    return Runtime(
        config=config,
        store=store,
        fetcher=Fetcher(config.user_agent),
        engine=Engine(stances),
        renderer=renderer,
        channels=build_channels(config.channels, user_agent=config.user_agent),
    )


def close_runtime(rt: Runtime) -> None:
    for channel in rt.channels.values():
        channel.close()
    rt.fetcher.close()
    rt.store.close()


def run_once(rt: Runtime) -> list[PollResult]:
    """Poll every enabled feed once (concurrently), then deliver what is due."""
    feeds = [f for f in rt.store.feeds() if f.enabled]
    with ThreadPoolExecutor(max_workers=rt.config.workers, thread_name_prefix="poll") as pool:
        results = list(pool.map(lambda f: poll_feed(rt, f), feeds))
    deliver_due(rt)
    return results


class Daemon:
    """The long-running process: a dispatcher and a delivery job on APScheduler, polls in a thread pool."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.pool = ThreadPoolExecutor(max_workers=rt.config.workers, thread_name_prefix="poll")
        self.in_flight: dict[str, Future[PollResult]] = {}
        self.lock = threading.Lock()
        self.scheduler = BackgroundScheduler(
            timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30}
        )

    def dispatch(self) -> None:
        if self.rt.stop.is_set():
            return
        for state in self.rt.store.due_feeds(self.rt.clock()):
            with self.lock:
                if state.url in self.in_flight:
                    continue
                future = self.pool.submit(self._poll, state)
                self.in_flight[state.url] = future

    def _poll(self, state: FeedState) -> PollResult:
        try:
            return poll_feed(self.rt, state)
        except Exception:  # a bug must not kill the daemon; it is logged with its traceback
            log.exception("feed %s: unexpected error", state.name or state.url)
            return PollResult(state.name or state.url, ok=False, error="unexpected error")
        finally:
            with self.lock:
                self.in_flight.pop(state.url, None)

    def deliver(self) -> None:
        try:
            deliver_due(self.rt)
        except Exception:
            log.exception("delivery: unexpected error")

    def run(self) -> None:
        """Run until SIGINT/SIGTERM (or ``rt.stop`` is set)."""
        self._install_signals()
        now = self.rt.clock()
        self.scheduler.add_job(
            self.dispatch, "interval", seconds=DISPATCH_EVERY, id="dispatch", next_run_time=now
        )
        self.scheduler.add_job(
            self.deliver, "interval", seconds=DELIVER_EVERY, id="deliver", next_run_time=now
        )
        self.scheduler.start()
        feeds = len([f for f in self.rt.store.feeds() if f.enabled])
        log.info(
            "stance-monitor running: %d feeds, %d stances, %d channels; Ctrl-C to stop",
            feeds,
            len(self.rt.engine.stances),
            len(self.rt.channels),
        )
        self.rt.stop.wait()
        log.info("stopping: finishing the items in hand")
        self.scheduler.shutdown(wait=True)
        self.pool.shutdown(wait=True, cancel_futures=True)
        log.info("stopped")

    def _install_signals(self) -> None:
        def handler(signum: int, frame: FrameType | None) -> None:
            log.info("received %s", signal.Signals(signum).name)
            self.rt.stop.set()

        signal.signal(signal.SIGINT, handler)
        signal.signal(signal.SIGTERM, handler)
