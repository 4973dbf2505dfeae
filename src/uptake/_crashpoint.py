"""A test hook that stops a process at a named point, so crash tests can ``kill -9`` it there exactly.

Set ``UPTAKE_CRASHPOINT=NAME:N:FILE``: the N-th time the process passes point NAME (counting every
paper the point is passed with), it writes FILE and then waits for ever, for the test's SIGKILL. Unset
(always, outside tests) it costs one environment lookup. Points:

- ``fulltext-commit``: full texts of a batch were written and committed;
- ``fulltext-transaction``: full texts were written inside a transaction that is not yet committed.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

ENV = "UPTAKE_CRASHPOINT"
_passed: dict[str, int] = {}


def crashpoint(name: str, papers: int = 1) -> None:
    """Count ``papers`` passing point ``name``; block for ever once the count set in $UPTAKE_CRASHPOINT is reached."""
    spec = os.environ.get(ENV)
    if not spec:
        return
    want, _, rest = spec.partition(":")
    if want != name:
        return
    n_text, _, path = rest.partition(":")
    _passed[name] = _passed.get(name, 0) + papers
    if _passed[name] < int(n_text):
        return
    Path(path).write_text(f"{name} {_passed[name]}\n")
    while True:  # pragma: no cover - ends with the test's SIGKILL
        time.sleep(60)
