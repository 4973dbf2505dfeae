"""Taking turns at a store between readers (``uptake serve``, queries) and writers (harvest, import).

DuckDB lets one process write a file or several read it, never both, and it never waits: a
writer that finds the file open for reading fails at once. A server answering requests
back to back almost always has some connection open, so a writer retrying on its own
could wait for ever. The *gate*, a lock file next to the store (``<store>.lock``,
``flock``), gives writers a turn:

* a **reader** holds the gate shared only while it connects, then lets go: its work runs
  without it, alongside other readers;
* a **writer** holds it exclusively from before it connects until it has closed the store.
  While it waits for readers already connected to finish, no new reader connects, so the
  store drains in the time the slowest request in flight takes. If that takes longer
  than :data:`DRAIN` seconds, the writer lets go for a moment so waiting readers get
  their turn, then tries again (until its own ``wait`` runs out).

Readers arriving while a writer holds the gate wait for it (up to their own ``wait``)
instead of failing. The gate only orders uptake's own processes; DuckDB's lock remains
what keeps the file safe, and the retry loop in :meth:`Store.open` still copes with a
writer that does not use the gate. Where ``flock`` does not exist (Windows) or the lock
file cannot be opened (a read-only folder that never saw a writer), there is no gate.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no gate, DuckDB's lock and the retry loop only
    fcntl = None  # type: ignore[assignment]

#: Seconds a writer holding the gate waits for connected readers before letting waiting readers in again.
DRAIN = 1.0


def gate_path(store_path: Path) -> Path:
    return Path(str(store_path) + ".lock")


class Turn:
    """A held gate (shared or exclusive); :meth:`release` it once (later calls do nothing)."""

    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)


class GateBusy(Exception):
    """The gate could not be taken before the time given ran out."""


def take(store_path: Path, *, exclusive: bool, until: float) -> Turn | None:
    """Hold the store's gate (``exclusive`` for a writer) by ``time.monotonic() == until``, or raise GateBusy.

    None when there is no gate to take (see the module doc). Readers never create the lock file.
    """
    if fcntl is None:
        return None
    path = gate_path(store_path)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666) if exclusive else os.open(path, os.O_RDONLY)
    except OSError:
        return None
    mode = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB
    pause = 0.001
    try:
        while True:
            try:
                fcntl.flock(fd, mode)
                return Turn(fd)
            except BlockingIOError:
                if time.monotonic() >= until:
                    raise GateBusy(str(path)) from None
                # a writer needs a moment with no reader connecting: it polls fast; readers wait for a commit
                time.sleep(pause)
                pause = min(pause * 2, 0.002 if exclusive else 0.02)
    except BaseException:
        os.close(fd)
        raise
