"""Telling a damaged store file from other DuckDB errors, so users get one line that says what to do."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import duckdb

from ..errors import StoreDamagedError, StoreError

#: DuckDB errors that mean the file cannot be read back as written (unless :func:`_environment_error` says otherwise).
_DAMAGE_TYPES = tuple(getattr(duckdb, n) for n in ("IOException", "SerializationException", "InternalException",
                                                 "FatalException")
                      if hasattr(duckdb, n))
_DAMAGE_WORDS = ("corrupt", "checksum", "could not read", "not enough bytes", "truncated", "invalid block",
                 "failed to read", "unexpected end", "is not a valid duckdb", "magic bytes")


def _environment_error(text: str) -> str | None:
    """What is wrong when a DuckDB IO error is about the machine, not the file (permissions, a full disk)."""
    low = text.lower()
    if "permission denied" in low or "read-only file system" in low:
        return "permission denied"
    if "no space left" in low or "disk full" in low:
        return "the disk is full"
    return None


def damage_error(path: Path, exc: BaseException) -> StoreError | None:
    """The uptake error a DuckDB error raised while using the store at ``path`` stands for, if any.

    Corruption and short reads become :class:`StoreDamagedError` (one line that says what to do);
    permission and full-disk errors a plain :class:`StoreError`; anything else None (re-raised as is).
    """
    if not isinstance(exc, duckdb.Error):
        return None
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    env = _environment_error(text)
    if env is not None:
        return StoreError(f"cannot use {path}: {env} ({text}); what was committed before is kept: free space or "
                          f"fix the permissions, then run the command again")
    low = text.lower()
    if isinstance(exc, _DAMAGE_TYPES) or any(w in low for w in _DAMAGE_WORDS):
        return StoreDamagedError(
            f"the store {path} is damaged ({text[:160]}): restore it from a backup or re-import your files into "
            f"a new --db; run `uptake check --db {path}` for details")
    return None


def translated(path: Path, batches: Iterable[Any]) -> Iterator[Any]:
    """``batches``, with a read error of a damaged store file raised as :class:`StoreDamagedError`."""
    try:
        yield from batches
    except Exception as exc:
        mapped = damage_error(path, exc)
        if mapped is None and any(w in str(exc).lower() for w in _DAMAGE_WORDS):
            mapped = damage_error(path, duckdb.IOException(str(exc)))
        if mapped is None:
            raise
        raise mapped from exc
