"""Importing record files into the store: streaming, batched, idempotent."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from .errors import StrictImportError
from .records import ImportSummary, Paper, Rejection
from .sources import SourceFormat, read_records
from .store import Store

#: Called now and then with (file name, bytes read, file size, records read so far in that file).
ProgressFn = Callable[[str, int, int, int], None]

BATCH_SIZE = 5000


def import_files(
    store: Store,
    paths: Sequence[str | Path],
    *,
    fmt: SourceFormat | None = None,
    strict: bool = False,
    progress: ProgressFn | None = None,
    batch_size: int = BATCH_SIZE,
) -> ImportSummary:
    """Stream every record of ``paths`` into ``store`` and say what happened.

    Memory stays bounded by ``batch_size``. Each batch is committed on its own,
    so an interrupted import keeps what it committed and a rerun completes it
    (records already stored come back as *unchanged*). With ``strict`` the whole
    import is one transaction and the first bad line aborts it with nothing written.
    """
    sources = [read_records(p, fmt) for p in paths]  # fail early on missing or unknown files
    summary = ImportSummary()
    if strict:
        store.begin()
    try:
        for source in sources:
            name = str(source.path)
            summary.files.append(name)
            batch: list[Paper] = []
            read_in_file = 0
            for location, item in source:
                if isinstance(item, Rejection):
                    if strict:
                        raise StrictImportError(
                            f"{item} (--strict: nothing was imported; fix the line or import without --strict "
                            f"to skip bad lines and list them)"
                        )
                    summary.read += 1
                    summary.reject(item)
                    continue
                summary.read += 1
                read_in_file += 1
                batch.append(item)
                if len(batch) >= batch_size:
                    _flush(store, batch, summary, own_transaction=not strict)
                    batch = []
                    if progress:
                        progress(name, source.bytes_done(), source.total_bytes, read_in_file)
            _flush(store, batch, summary, own_transaction=not strict)
            if progress:
                progress(name, source.total_bytes, source.total_bytes, read_in_file)
        if strict:
            store.commit()
    except BaseException:
        if strict:
            store.rollback()
        raise
    sync_index(store)
    return summary


def sync_index(store: Store) -> None:
    """Bring the term index up to date with what was just committed (built on first import)."""
    import os

    if os.environ.get("UPTAKE_NO_INDEX"):
        return
    from .errors import StoreError
    from .index import sync

    try:
        sync(store)
    except (OSError, ValueError, RuntimeError) as exc:  # the papers are committed; only the index lags
        raise StoreError(
            f"the papers were imported, but updating the term index failed ({exc}); queries scan the store "
            f"(same counts, slower) until `uptake index --rebuild` succeeds"
        ) from exc


def _flush(store: Store, batch: list[Paper], summary: ImportSummary, *, own_transaction: bool) -> None:
    if not batch:
        return
    if own_transaction:
        store.begin()
        try:
            counts = store.upsert(batch)
            store.commit()
        except BaseException:
            store.rollback()
            raise
    else:
        counts = store.upsert(batch)
    summary.inserted += counts.inserted
    summary.updated += counts.updated
    summary.unchanged += counts.unchanged
