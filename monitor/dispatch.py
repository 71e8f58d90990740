"""Run feed polls concurrently and politely: at most ``workers`` at once, at most ``per_host`` per host.

``PollQueue`` is what both ``run --once`` and the daemon's dispatcher hand feeds to. A feed waits in the
queue while its host already has ``per_host`` polls running (200 feeds on one host never open 200
connections to it) and starts as soon as a slot frees, while feeds of other hosts go ahead: a slow or
hanging feed holds one worker and one slot of its own host, nothing else. A feed is never polled twice
at the same time. Local files have no host and no per-host limit.

Does no I/O itself: polls run in a thread pool through the ``poll`` function it is given.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from monitor.pipeline import PollResult
from monitor.store import FeedState

log = logging.getLogger("monitor")


def host_of(url: str) -> str:
    """The host a URL's requests go to (lower case), or "" for local files."""
    try:
        parts = urlsplit(url)
        return (parts.hostname or "") if parts.scheme.lower() in ("http", "https") else ""
    except ValueError:
        return ""


class PollQueue:
    """Feeds waiting to be polled, started in order as workers and host slots allow."""

    def __init__(
        self,
        poll: Callable[[FeedState], PollResult],
        *,
        workers: int,
        per_host: int,
        stop: threading.Event | None = None,
        keep_results: bool = True,
    ) -> None:
        self._poll = poll
        self._keep_results = keep_results  # the daemon keeps none: it never joins
        self.workers = workers
        self.per_host = per_host
        self._stop = stop or threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="poll")
        self._lock = threading.Condition()
        self._waiting: dict[str, tuple[FeedState, str]] = {}  # url -> (state, host), in the order offered
        self._running: dict[str, str] = {}  # url -> host
        self._hosts: Counter[str] = Counter()
        self._results: list[PollResult] = []
        self._closed = False

    def offer(self, states: Iterable[FeedState]) -> int:
        """Queue feeds not already waiting or running; start what can start. Returns how many were queued."""
        added = 0
        with self._lock:
            for state in states:
                if state.url not in self._waiting and state.url not in self._running:
                    self._waiting[state.url] = (state, host_of(state.fetch_url))
                    added += 1
            self._start_ready()
        return added

    def busy(self, url: str) -> bool:
        with self._lock:
            return url in self._waiting or url in self._running

    def join(self, timeout: float | None = None) -> list[PollResult]:
        """Wait until nothing waits or runs (or, once stopped, until nothing runs); the results so far."""
        with self._lock:
            self._lock.wait_for(
                lambda: not self._running and (not self._waiting or self._stop.is_set()), timeout
            )
            results, self._results = self._results, []
            return results

    def shutdown(self) -> None:
        """Start nothing more; wait for the polls in hand."""
        with self._lock:
            self._closed = True
            self._waiting.clear()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _start_ready(self) -> None:  # called with the lock held
        if self._stop.is_set() or self._closed:
            return
        free = self.workers - len(self._running)
        ready: list[tuple[str, FeedState, str]] = []
        for url, (state, host) in self._waiting.items():
            if len(ready) >= free:
                break
            if host and self._hosts[host] >= self.per_host:
                continue
            self._hosts[host] += 1
            ready.append((url, state, host))
        for url, state, host in ready:
            del self._waiting[url]
            self._running[url] = host
            self._pool.submit(self._run, state)

    def _run(self, state: FeedState) -> None:
        label = state.name or state.url
        result = PollResult(label, ok=False, error="unexpected error")
        try:
            result = self._poll(state)
        except Exception:  # a bug must not kill the worker or the daemon; it is logged with its traceback
            log.exception("feed %s: unexpected error", label)
        finally:
            with self._lock:
                if self._keep_results:
                    self._results.append(result)
                host = self._running.pop(state.url, "")
                self._hosts[host] -= 1
                if self._hosts[host] <= 0:
                    del self._hosts[host]
                self._start_ready()
                self._lock.notify_all()
