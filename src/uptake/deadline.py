"""A time limit on one piece of work, shared by every store connection it opens.

The web server gives each request a :class:`Deadline`; the :class:`~uptake.corpus.Corpus`
serving it registers every store it opens. When the time is up, each registered store is
interrupted (DuckDB's ``interrupt()``), so a long scan stops within milliseconds, and
Python loops between store calls stop at their next :meth:`Deadline.check`.

>>> d = Deadline(None)      # no limit: never expires
>>> d.check()
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

from .errors import DeadlineExceeded


class Interruptible(Protocol):
    def interrupt(self) -> None: ...


class Deadline:
    """Expires ``seconds`` after creation (``None``: never). Thread-safe."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.started = time.monotonic()
        self._expired = seconds is not None and seconds <= 0
        self._lock = threading.Lock()
        self._watched: list[Interruptible] = []
        self._timer: threading.Timer | None = None
        if seconds is not None and not self._expired:
            self._timer = threading.Timer(seconds, self.expire)
            self._timer.daemon = True
            self._timer.start()

    @property
    def expired(self) -> bool:
        if not self._expired and self.seconds is not None and time.monotonic() - self.started > self.seconds:
            self._expired = True
        return self._expired

    def expire(self) -> None:
        """End the work now: interrupt every watched store (also called by the timer)."""
        with self._lock:
            self._expired = True
            watched = list(self._watched)
        for item in watched:
            try:
                item.interrupt()
            except Exception:  # noqa: BLE001 - a connection closed meanwhile has nothing left to interrupt
                pass

    def watch(self, item: Interruptible) -> None:
        """Interrupt ``item`` when the deadline passes (at once if it already has)."""
        with self._lock:
            self._watched.append(item)
        if self.expired:
            self.expire()
            raise self.error()

    def unwatch(self, item: Interruptible) -> None:
        with self._lock:
            if item in self._watched:
                self._watched.remove(item)

    def left(self, default: float) -> float:
        """Seconds until it expires (``default`` when it never does), never below zero."""
        if self.seconds is None:
            return default
        return max(0.0, self.seconds - (time.monotonic() - self.started))

    def check(self) -> None:
        """Raise :class:`DeadlineExceeded` if the time is up."""
        if self.expired:
            raise self.error()

    def error(self) -> DeadlineExceeded:
        return DeadlineExceeded(self.seconds or 0.0)

    def cancel(self) -> None:
        """Stop the timer (the work finished in time)."""
        if self._timer is not None:
            self._timer.cancel()


#: The deadline of work that has none.
NEVER = Deadline(None)
