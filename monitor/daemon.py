"""Assemble the parts and run cycles: once (``run --once``) or on a schedule (the daemon). Does I/O.

APScheduler (3.x) is the in-process ticker, with two jobs (``coalesce``, ``max_instances=1``):

* ``dispatch`` every few seconds picks the feeds whose ``next_poll_at`` has come (the schedule lives in the
  database, so it survives restarts) and hands them to a ``PollQueue`` (``dispatch.py``): a thread pool of
  ``workers`` with at most ``polling.per_host`` polls per host, so one slow feed never delays others and
  no host is hammered; with many feeds, bodies are parsed in a pool of processes (``parsepool.py``);
* ``deliver`` drains the outbox.

SIGINT and SIGTERM set the stop flag: the item in hand is finished, nothing new is started, and the
scheduler waits for running jobs before the process exits.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler

from monitor import fulltext
from monitor.channels import build_channels
from monitor.config import Config
from monitor.dispatch import PollQueue
from monitor.engine import Engine, load_rules
from monitor.fetch import Fetcher
from monitor.outbox import deliver_due
from monitor.parsepool import pool_size, start_pool
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
    renderer = Renderer(
        Path(config.templates),
        digests=any(c.digest for c in config.channels),
        rule_templates={s.id: s.template for s in stances if s.template},
    )
    renderer.self_check()
    store = Store(config.database)
    store.sync_feeds([(f.url, f.label, config.feed_interval(f)) for f in config.feeds], utc_now())
    polling = config.polling
    processes = pool_size(polling.parse_processes, len(config.feeds))
    if processes:
        log.info("parsing feeds in %d processes", processes)
    if any(f.full_text for f in config.feeds) and not fulltext.available():
        log.warning("%s; full-text feeds are judged on their feed text only", fulltext.MISSING_EXTRA)
    return Runtime(
        config=config,
        store=store,
        fetcher=Fetcher(
            config.user_agent,
            timeout=polling.timeout,
            total_timeout=polling.total_timeout,
            max_bytes=polling.max_bytes,
        ),
        engine=Engine(stances),
        renderer=renderer,
        channels=build_channels(config.channels, user_agent=config.user_agent),
        parse_pool=start_pool(processes) if processes else None,
        maybe_pending=store.feeds_with_pending(),
    )


def close_runtime(rt: Runtime) -> None:
    for channel in rt.channels.values():
        channel.close()
    rt.fetcher.close()
    if rt.parse_pool is not None:
        rt.parse_pool.shutdown(wait=True, cancel_futures=True)
    rt.store.close()


def poll_queue(rt: Runtime, poll: Callable[[FeedState], PollResult], *, keep_results: bool) -> PollQueue:
    return PollQueue(
        poll,
        workers=rt.config.workers,
        per_host=rt.config.polling.per_host,
        stop=rt.stop,
        keep_results=keep_results,
    )


def run_once(rt: Runtime) -> list[PollResult]:
    """Poll every enabled feed once (concurrently, ``per_host`` at a time per host), then deliver.

    Feeds disabled as gone (410) are left alone. Results come in the order the polls finish.
    """
    queue = poll_queue(rt, lambda state: poll_feed(rt, state), keep_results=True)
    try:
        queue.offer(f for f in rt.store.feeds() if f.pollable)
        results = queue.join()
    finally:
        queue.shutdown()
    deliver_due(rt)
    return results


class Daemon:
    """The long-running process: a dispatcher and a delivery job on APScheduler, polls in a ``PollQueue``."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.queue = poll_queue(rt, self._poll, keep_results=False)
        self.scheduler = BackgroundScheduler(
            timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30}
        )

    def dispatch(self) -> None:
        if self.rt.stop.is_set():
            return
        due = self.rt.store.due_feeds(self.rt.clock())
        self.queue.offer(due)  # feeds already waiting or running are left as they are

    def _poll(self, state: FeedState) -> PollResult:
        """Poll a feed as it is now: a feed may have waited for a host slot while its row changed."""
        fresh = self.rt.store.feed(state.url)
        if fresh is None or not fresh.pollable or fresh.next_poll_at > self.rt.clock():
            return PollResult(state.name or state.url, ok=True)
        return poll_feed(self.rt, fresh)

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
        feeds = len([f for f in self.rt.store.feeds() if f.pollable])
        log.info(
            "stance-monitor running: %d feeds, %d stances, %d channels; Ctrl-C to stop",
            feeds,
            len(self.rt.engine.stances),
            len(self.rt.channels),
        )
        self.rt.stop.wait()
        log.info("stopping: finishing the items in hand")
        self.scheduler.shutdown(wait=True)
        self.queue.shutdown()
        log.info("stopped")

    def _install_signals(self) -> None:
        def handler(signum: int, frame: FrameType | None) -> None:
            log.info("received %s", signal.Signals(signum).name)
            self.rt.stop.set()

        signal.signal(signal.SIGINT, handler)
        signal.signal(signal.SIGTERM, handler)
