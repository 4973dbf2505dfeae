"""Library work for requests: in worker threads, under a time budget, once per question.

Each question (an endpoint and its normalised arguments, for one version of the store) becomes
one *flight*: a job in a bounded thread pool, with a :class:`~uptake.deadline.Deadline` that the
job's :class:`~uptake.corpus.Corpus` watches. Requests wait for their flight on the event loop.

* **Budget.** A request waits at most until its flight's deadline. Then the deadline is expired
  (which interrupts every DuckDB statement the job runs) and the request answers 503 at once,
  without waiting for the worker thread to notice.
* **Bounded concurrency.** Trend, papers and stats jobs share ``Limits.workers`` threads;
  adoption and emerging jobs share ``Limits.analytics_workers`` (one by default), so heavy
  computations queue instead of multiplying memory. A job still queued when its deadline
  passes never starts (503 "busy", with ``Retry-After``); beyond ``Limits.analytics_queue``
  questions waiting, a new one is refused at once the same way.
* **Single flight.** A request identical to one already running joins it instead of computing again.
* **Memo.** Results marked ``memo`` (adoption, emerging, stats) are kept per store version
  (the file's mtime and size) in a bounded LRU, so repeated requests answer at once.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from ..corpus import Corpus
from ..deadline import Deadline
from ..errors import DeadlineExceeded, NoCorpusError, StoreLockedError, UsageError
from .errors import ApiError, budget_error, busy_error
from .limits import Limits

T = TypeVar("T")
_MISSING = object()


class Memo:
    """A bounded, thread-safe LRU of finished results."""

    def __init__(self, size: int) -> None:
        self.size = max(0, size)
        self._lock = threading.Lock()
        self._items: OrderedDict[Hashable, Any] = OrderedDict()

    def get(self, key: Hashable) -> Any:
        with self._lock:
            if key not in self._items:
                return _MISSING
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: Hashable, value: Any) -> None:
        if self.size == 0:
            return
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


@dataclass
class Flight:
    """One computation and everything waiting for it."""

    future: Future[Any]
    deadline: Deadline
    heavy: bool
    started: threading.Event = field(default_factory=threading.Event)

    def remaining(self) -> float:
        seconds = self.deadline.seconds or 0.0
        return max(0.0, seconds - (time.monotonic() - self.deadline.started))


class Runner:
    """Runs ``fn(corpus)`` jobs for requests over the store at ``path`` (see the module doc)."""

    def __init__(self, path: Path, limits: Limits) -> None:
        self.path = path
        self.limits = limits
        self._pools = self._new_pools()
        self._lock = threading.Lock()
        self._flights: dict[Hashable, Flight] = {}
        self.memo = Memo(limits.memo_size)
        #: Called as ``on_wait(key, joined)`` when a request starts waiting for its flight; ``joined`` is True
        #: when it shares one already under way (a seam for tests and logs).
        self.on_wait: Callable[[Hashable, bool], None] | None = None

    async def run(self, key: Hashable, fn: Callable[[Corpus], T], *, heavy: bool = False, memo: bool = False) -> T:
        """The result of ``fn`` for ``key`` on the current store, or an :class:`ApiError` (503) within the budget."""
        full = (key, store_version(self.path))
        if memo:
            hit = self.memo.get(full)
            if hit is not _MISSING:
                return hit  # type: ignore[no-any-return]
        flight, joined = self._flight(full, fn, heavy, memo)
        if self.on_wait is not None:
            self.on_wait(key, joined)
        finished = await _wait(flight.future, flight.remaining())
        if not finished:
            flight.deadline.expire()  # interrupts the job's DuckDB statements; it ends on its own
            never_started = flight.future.cancel()
            self._forget(full, flight)
            seconds = flight.deadline.seconds or 0.0
            if never_started or not flight.started.is_set():
                raise busy_error(seconds, self.limits.retry_after, analytics=heavy)
            raise budget_error(seconds)
        try:
            return flight.future.result()  # type: ignore[no-any-return]
        except CancelledError:
            raise busy_error(flight.deadline.seconds or 0.0, self.limits.retry_after, analytics=heavy) from None
        except ApiError:
            raise
        except DeadlineExceeded:
            raise budget_error(flight.deadline.seconds or 0.0) from None
        except (UsageError, StoreLockedError, NoCorpusError):
            raise  # the request's or the store's state, whatever the clock says
        except Exception:
            if flight.deadline.expired:  # e.g. DuckDB's own exception for an interrupted statement
                raise budget_error(flight.deadline.seconds or 0.0) from None
            raise

    def _flight(self, full: Hashable, fn: Callable[[Corpus], Any], heavy: bool, memo: bool) -> tuple[Flight, bool]:
        with self._lock:
            flight = self._flights.get(full)
            if flight is not None:
                return flight, True
            if heavy and self._queued_heavy() >= self.limits.analytics_queue:
                raise busy_error(0, self.limits.retry_after, analytics=True, queue=self.limits.analytics_queue)
            seconds = self.limits.analytics_budget if heavy else self.limits.time_budget
            flight = Flight(future=None, deadline=Deadline(seconds), heavy=heavy)  # type: ignore[arg-type]
            flight.future = self._pools[heavy].submit(self._job, fn, flight)
            self._flights[full] = flight
        flight.future.add_done_callback(lambda f: self._finished(full, flight, memo))
        return flight, False

    def _queued_heavy(self) -> int:
        return sum(1 for f in self._flights.values() if f.heavy and not f.started.is_set())

    def _job(self, fn: Callable[[Corpus], T], flight: Flight) -> T:
        flight.started.set()
        flight.deadline.check()  # queued past its time: do not start
        return fn(Corpus(self.path, deadline=flight.deadline))

    def _finished(self, full: Hashable, flight: Flight, memo: bool) -> None:
        flight.deadline.cancel()
        self._forget(full, flight)
        if memo and not flight.future.cancelled() and flight.future.exception() is None:
            self.memo.put(full, flight.future.result())

    def _forget(self, full: Hashable, flight: Flight) -> None:
        with self._lock:
            if self._flights.get(full) is flight:
                del self._flights[full]

    def running(self) -> int:
        """Flights under way or queued (for tests and the docs)."""
        with self._lock:
            return len(self._flights)

    def _new_pools(self) -> dict[bool, ThreadPoolExecutor]:
        return {
            False: ThreadPoolExecutor(max(1, self.limits.workers), thread_name_prefix="uptake-web"),
            True: ThreadPoolExecutor(max(1, self.limits.analytics_workers), thread_name_prefix="uptake-analytics"),
        }

    def shutdown(self) -> None:
        """Cancel queued work and stop the threads; an app started again (a new lifespan) gets fresh pools."""
        old, self._pools = self._pools, self._new_pools()  # pools start no thread until work arrives
        for pool in old.values():
            pool.shutdown(wait=False, cancel_futures=True)


async def _wait(future: Future[Any], timeout: float) -> bool:
    """Wait on the event loop until ``future`` is done (True) or ``timeout`` seconds pass (False)."""
    if future.done():
        return True
    loop = asyncio.get_running_loop()
    done = asyncio.Event()

    def wake(_: Future[Any]) -> None:
        try:
            loop.call_soon_threadsafe(done.set)
        except RuntimeError:  # that request's loop has already closed
            pass

    future.add_done_callback(wake)
    try:
        await asyncio.wait_for(done.wait(), timeout)
    except TimeoutError:
        return future.done()
    return True


def store_version(path: Path) -> tuple[int, int]:
    """What changes when the store is written: its file's mtime and size, and its WAL's mtime."""
    try:
        st = path.stat()
    except OSError:
        return (0, 0)
    wal = path.with_name(path.name + ".wal")
    try:
        wal_m = wal.stat().st_mtime_ns
    except OSError:
        wal_m = 0
    return (st.st_mtime_ns, st.st_size + wal_m)
