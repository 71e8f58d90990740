"""Parse feeds in a pool of processes, so that parsing uses every core. Starts processes; no other I/O.

Polls run in threads, and feedparser is pure Python: in threads, all parsing shares one core with the
fetching, storing and judging. With many feeds the pipeline hands each body to a process pool instead
(``parse_feed`` is pure and its inputs and results pickle); with few, or with ``parse_processes: 0``, it
parses in the polling thread. A ``ParseError`` comes back as a value and is raised again here, and a
broken pool (a worker killed) falls back to parsing in the thread.

``ProcessPool`` is a small ``Executor`` made for this: each worker process has its own pipe, and the
polling thread that wants a parse takes an idle worker, sends the job and waits for the answer itself.
``ProcessPoolExecutor`` routes every job and result through two helper threads of this process, which
wait for the interpreter lock behind the polling threads; measured here, that left the workers idle two
thirds of the time. Workers start from a fresh interpreter (``forkserver``, not ``fork``: the daemon has
threads), are restarted if they die, and ignore SIGINT, so Ctrl-C reaches the daemon, which stops
cleanly, instead of killing parses half-way.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import queue
import signal
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, Future
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from typing import Any

from monitor.errors import ParseError
from monitor.models import ParsedFeed
from monitor.parse import parse_feed, redact_url

log = logging.getLogger("monitor")

AUTO_MIN_FEEDS = 50  # below this many feeds, one core parses fast enough: no processes
INLINE_BELOW = 2048  # bytes: a body this small costs less to parse than to ship to another process
PARSE_TIMEOUT = 60.0  # seconds: a parse that takes longer (a pathological document) is abandoned


def pool_size(setting: int | None, feeds: int, cpus: int | None = None) -> int:
    """How many parsing processes to start: the setting, or (None) one per core when there are many feeds."""
    if setting is not None:
        return setting
    cpus = cpus if cpus is not None else (os.cpu_count() or 1)
    return cpus if cpus > 1 and feeds >= AUTO_MIN_FEEDS else 0


def start_pool(processes: int, timeout: float = PARSE_TIMEOUT) -> ProcessPool:
    return ProcessPool(processes, timeout=timeout)


class ProcessPool(Executor):
    """``processes`` worker processes; ``submit`` runs a job in an idle one and returns when it is done.

    A job that runs longer than ``timeout`` seconds raises ``TimeoutError``; its worker is killed and
    replaced, so a pathological document cannot hold a worker (or the feed's poll) for ever.
    """

    def __init__(self, processes: int, *, timeout: float = PARSE_TIMEOUT) -> None:
        self.timeout = timeout
        self._context: BaseContext = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(["monitor.parse"])
        self._idle: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
        self._closed = threading.Event()
        self._all = [self._start() for _ in range(processes)]
        for worker in self._all:
            self._idle.put(worker)

    def _start(self) -> _Worker:
        ours, theirs = self._context.Pipe()
        process = self._context.Process(target=_serve, args=(theirs,), daemon=True)  # type: ignore[attr-defined]
        process.start()
        theirs.close()
        return _Worker(process, ours)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        worker = self._take()
        future: Future[Any] = Future()
        try:
            worker.conn.send((fn, args, kwargs))
            if not worker.conn.poll(self.timeout):
                worker = self._replace(worker)
                raise TimeoutError(f"gave up after {self.timeout:g}s")
            ok, value = worker.conn.recv()
        except TimeoutError:  # an OSError, but not a dead worker: the stuck one is replaced already
            raise
        except (EOFError, OSError) as exc:  # the worker died (killed, out of memory): replace it
            worker = self._replace(worker)
            raise BrokenProcessPool(f"a parsing process died: {exc or type(exc).__name__}") from None
        finally:
            self._idle.put(worker)
        if ok:
            future.set_result(value)
        else:
            future.set_exception(RuntimeError(value))
        return future

    def _replace(self, worker: _Worker) -> _Worker:
        worker.close(wait=False)
        if self._closed.is_set():
            return worker
        fresh = self._start()
        self._all.remove(worker)
        self._all.append(fresh)
        return fresh

    def _take(self) -> _Worker:
        while not self._closed.is_set():
            try:
                return self._idle.get(timeout=0.5)
            except queue.Empty:
                continue
        raise RuntimeError("the parsing pool is shut down")

    @property
    def pids(self) -> list[int]:
        return [w.process.pid for w in self._all if w.process.pid is not None and w.process.is_alive()]

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._closed.set()
        for worker in self._all:
            worker.close(wait)


class _Worker:
    def __init__(self, process: BaseProcess, conn: Connection) -> None:
        self.process = process
        self.conn = conn

    def close(self, wait: bool = True) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.conn.send(None)
        self.conn.close()
        self.process.join(5 if wait else 0)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(1)


def _serve(conn: Connection) -> None:
    """A worker's loop: run each job sent, answer (True, result) or (False, what went wrong)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        fn, args, kwargs = job
        try:
            answer: tuple[bool, Any] = (True, fn(*args, **kwargs))
        except Exception as exc:  # sent back as words: not every exception pickles
            answer = (False, f"{type(exc).__name__}: {exc}")
        conn.send(answer)


def parse_body(
    pool: Executor | None,
    body: bytes,
    headers: Mapping[str, str],
    feed_url: str,
    *,
    now: datetime,
    feed_name: str = "",
    voice: str | None = None,
) -> ParsedFeed:
    """``parse_feed``, in ``pool`` when there is one and the body is worth sending there."""
    if pool is None or len(body) < INLINE_BELOW:
        return parse_feed(body, headers, feed_url, now=now, feed_name=feed_name, voice=voice)
    try:
        outcome = pool.submit(_parse_job, body, dict(headers), feed_url, now, feed_name, voice).result()
    except TimeoutError as exc:
        raise ParseError(redact_url(feed_url), f"parsing {exc}") from None
    except (BrokenProcessPool, RuntimeError) as exc:  # a killed worker, or the pool shut down under us
        log.warning("parsing pool unavailable (%s); parsing in the polling thread", type(exc).__name__)
        return parse_feed(body, headers, feed_url, now=now, feed_name=feed_name, voice=voice)
    if isinstance(outcome, ParsedFeed):
        return outcome
    raise ParseError(*outcome)


def _parse_job(
    body: bytes, headers: dict[str, str], feed_url: str, now: datetime, feed_name: str, voice: str | None
) -> ParsedFeed | tuple[str, str]:
    """Runs in a worker: the parsed feed, or (feed, reason) of its ParseError (which does not pickle)."""
    try:
        return parse_feed(body, headers, feed_url, now=now, feed_name=feed_name, voice=voice)
    except ParseError as exc:
        return (exc.feed, exc.reason)
