"""Importing record files into the store: streaming, batched, idempotent."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import StrictImportError
from .records import ImportSummary, Paper, Rejection
from .sources import SourceFormat, read_records
from .sources.detect import LineChunk, RecordFile, json_line_chunks, parse_json_line
from .sources.export import ExportColumns, read_export_columns
from .analytics.openness import OPENNESS_VERSION, detect, may_find
from .store import OPENNESS_COLUMNS, Store, UpsertCounts, stage_papers, stage_schema
from .text import exact_token_strings, folded_token_strings, folds_by_lower, token_string, token_strings

#: Called now and then with (file name, bytes read, file size, records read so far in that file).
ProgressFn = Callable[[str, int, int, int], None]

BATCH_SIZE = 5000
#: Rows per transaction, at least, when exports are imported as columns (see _ColumnWriter): few commits, and
#: memory bounded by about this many rows plus one export file (at most 100,000 rows).
COLUMNAR_BATCH = 65_536
#: Imports at least this large (bytes on disk) tokenise in worker processes when there are 2+ cores.
PARALLEL_FROM_BYTES = 32 * 1024 * 1024


#: Files in an import folder (or matched by a glob) that are not records: an export's checksums and manifest.
NOT_RECORDS = ("SHA256SUMS", "export.json")


def resolve_inputs(paths: Sequence[str | Path]) -> list[Path]:
    """The record files behind ``paths``: files as given, folders as their files (sorted).

    A folder written by ``uptake export`` (it holds ``SHA256SUMS``) is checked first: a missing
    or altered file is an :class:`~uptake.errors.InputError` and nothing is imported. The
    checksum file and manifest are skipped wherever they are named (``snap/*``), and a file named on its
    own is checked against the ``SHA256SUMS`` beside it when it is listed there. Missing paths
    raise :class:`~uptake.errors.SourceNotFoundError` before any store is created.
    """
    from .errors import InputError, SourceNotFoundError

    out: list[Path] = []
    for raw in paths:
        p = Path(raw).expanduser()
        if p.is_dir():
            if (p / "SHA256SUMS").is_file():
                from .sources.export import verify_export

                bad = verify_export(p)
                if bad:
                    raise InputError(f"{p}: {', '.join(bad)} missing or not matching SHA256SUMS; nothing was "
                                     f"imported. Export the corpus again, or copy the folder again")
            files = sorted(f for f in p.iterdir() if f.is_file() and f.name not in NOT_RECORDS
                           and not f.name.startswith("."))
            if not files:
                raise SourceNotFoundError(f"{p}: the folder holds no record files")
            out.extend(files)
        elif p.name in NOT_RECORDS and p.is_file():
            continue
        elif not p.exists():
            raise SourceNotFoundError(f"{p}: no such file. Check the path, or use a shell glob like data/*.jsonl.gz")
        else:
            from .sources.export import export_file_intact

            if export_file_intact(p) is False:
                raise InputError(f"{p}: does not match its line in {p.parent / 'SHA256SUMS'}; nothing was imported. "
                                 f"Export the corpus again, or copy the file again")
            out.append(p)
    if not out:
        raise SourceNotFoundError("no record files to import among " + ", ".join(str(x) for x in paths))
    return out


def _write_error(store: Store, exc: BaseException) -> Exception:
    from .errors import StoreWriteError

    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return StoreWriteError(
        f"could not write to {store.path} ({reason[:160]}): the disk is probably full. Every batch committed "
        f"before is intact; free space on the disk holding {store.path.parent} (an import needs roughly its input's "
        f"uncompressed size again) and run the same command again"
    )


def index_path_problem(store_path: Path) -> str | None:
    """Why the term index next to ``store_path`` cannot be written, or None."""
    root = Path(str(store_path) + ".index")
    if root.exists() and not root.is_dir():
        return (f"{root} is a file, but uptake keeps the store's term index in a folder of that name: "
                f"move or delete the file, then run `uptake index --rebuild`")
    return None


def import_files(
    store: Store,
    paths: Sequence[str | Path],
    *,
    fmt: SourceFormat | None = None,
    strict: bool = False,
    progress: ProgressFn | None = None,
    batch_size: int = BATCH_SIZE,
    workers: int | None = None,
) -> ImportSummary:
    """Stream every record of ``paths`` into ``store`` and say what happened.

    Memory stays bounded by ``batch_size``. Each batch is committed on its own,
    so an interrupted import keeps what it committed and a rerun completes it
    (records already stored come back as *unchanged*). With ``strict`` the whole
    import is one transaction and the first bad line aborts it with nothing written.

    ``workers`` > 1 tokenises batches in that many worker processes while this one
    reads the next batch and writes the previous one (same result, in the same
    order); JSON Lines go to the workers as raw lines, which they also parse and
    stage (:func:`parse_and_stage`). A JSON Lines batch is ``batch_size`` non-blank
    lines, rejected ones included. By default large imports (``PARALLEL_FROM_BYTES``)
    use 2 on a machine with 2 or more cores.
    """
    sources = [read_records(p, fmt) for p in resolve_inputs(paths)]  # fail early on missing or unknown files
    if workers is None:
        big = sum(s.total_bytes for s in sources) >= PARALLEL_FROM_BYTES
        workers = min(2, os.cpu_count() or 1) if big else 1
    if workers < 1:
        from .errors import UsageError

        raise UsageError(f"--workers must be 1 or more, not {workers}")
    summary = ImportSummary()
    refresh_openness(store)  # a store made by an older uptake gets its openness flags (re)computed once
    writer = _BatchWriter(store, summary, own_transaction=not strict, workers=workers, strict=strict)
    column_writer = _ColumnWriter(store, summary, own_transaction=not strict, progress=progress)
    if strict:
        store.begin()
    try:
        _import_sources(sources, writer, column_writer, summary, strict=strict, progress=progress, batch_size=batch_size)
        if strict:
            store.commit()
    except BaseException as exc:
        writer.close()
        if strict:
            store.rollback()
        if isinstance(exc, Exception) and Store.write_failure(exc):
            raise _write_error(store, exc) from None
        raise
    writer.close()
    sync_index(store)
    return summary


def _import_sources(sources: Sequence[RecordFile], writer: _BatchWriter, column_writer: _ColumnWriter,
                    summary: ImportSummary, *, strict: bool, progress: ProgressFn | None, batch_size: int) -> None:
    """Every file of ``sources`` through the writer its format takes, in order."""
    for source in sources:
        name = str(source.path)
        summary.files.append(name)
        if source.format == "parquet":
            columns = read_export_columns(source.path)
            if columns is not None:  # uptake's own export: no Paper per record (see _ColumnWriter)
                writer.finish()  # earlier files' batches first: counts follow the order of the files
                column_writer.add(columns, name, source.total_bytes)
                continue
        column_writer.flush()
        if source.format in ("kaggle", "jsonl"):  # parsed in the workers too: see _BatchWriter.write_lines
            counted = _PapersSoFar(progress, name, source.total_bytes)
            for chunk in json_line_chunks(source, batch_size):
                writer.write_lines(name, source.format == "kaggle", chunk, counted.after(chunk.bytes_done))
            continue
        batch: list[Paper] = []
        read_in_file = 0
        for _location, item in source:
            if isinstance(item, Rejection):
                if strict:
                    raise _strict_error(item)
                summary.read += 1
                summary.reject(item)
                continue
            summary.read += 1
            read_in_file += 1
            batch.append(item)
            if len(batch) >= batch_size:
                writer.write(batch, _report(progress, name, source.bytes_done(), source.total_bytes, read_in_file))
                batch = []
        writer.write(batch, _report(progress, name, source.total_bytes, source.total_bytes, read_in_file))
    writer.finish()
    column_writer.flush()


class _ColumnWriter:
    """Imports export files read as columns: the same rows, derived columns and counts as reading them record
    by record, committed in transactions of :data:`COLUMNAR_BATCH` rows (one, with ``--strict``).

    Rows of consecutive export files share a transaction as long as their ids are distinct (an id seen again
    starts a new one), so each row is compared with the store as the files before it left it, exactly as
    record by record; few, large transactions let DuckDB write its compressed blocks once.

    Token strings come from the vectorised tokenizer (:func:`uptake.text.exact_token_strings`). Artifact flags
    are taken from the file only where they are provably what :func:`~uptake.analytics.openness.detect` gives:
    the file says they were detected with this uptake's rule version, and the row's content hash, recomputed
    here from its fields, equals the one written beside the flags (so abstract and comments are the texts they
    were detected on). Every other row is detected again, except those whose abstract and comments hold none
    of the detector's hints (:func:`~uptake.analytics.openness.may_find`), which get the empty result.
    """

    def __init__(self, store: Store, summary: ImportSummary, *, own_transaction: bool,
                 progress: ProgressFn | None) -> None:
        self.store = store
        self.summary = summary
        self.own_transaction = own_transaction
        self.progress = progress
        self.pending: list[Any] = []
        self.ids: set[str] = set()
        self.rows = 0
        self.done: list[tuple[str, int, int]] = []  # (file, size, rows) to report once committed

    def add(self, columns: ExportColumns, name: str, total_bytes: int) -> None:
        table = columns.table
        ids = table.column("id").to_pylist()
        if not self.ids.isdisjoint(ids):
            self.flush()
        self.ids.update(ids)  # distinct within the file: a flush part-way through it keeps them apart
        self.done.append((name, total_bytes, table.num_rows))
        start = 0
        while start < table.num_rows:
            stop = min(table.num_rows, start + COLUMNAR_BATCH - self.rows)
            self.pending.append(_stage_columns(columns, start, stop))
            self.rows += stop - start
            start = stop
            if self.rows >= COLUMNAR_BATCH:
                self.flush()
                self.ids.update(ids[start:])

    def flush(self) -> None:
        if not self.pending:
            return
        import pyarrow as pa

        stage = pa.concat_tables(self.pending)
        _write(self.store, lambda: self.store.upsert_table(stage), self.summary, own_transaction=self.own_transaction)
        self.summary.read += stage.num_rows
        self.summary.uncategorised += stage.column("primary_category").null_count
        if self.progress is not None:
            for name, size, rows in self.done:
                self.progress(name, size, size, rows)
        self.pending, self.ids, self.rows, self.done = [], set(), 0, []
        _test_pause("columns-committed")


def _stage_columns(columns: ExportColumns, start: int, stop: int) -> Any:
    """Rows ``start:stop`` of an export as the store's stage table (:func:`uptake.store.stage_schema`)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    part = columns.table.slice(start, stop - start)
    cats = columns.categories[start:stop]
    hashes = columns.hashes[start:stop]
    flags = _openness_columns(columns, part, hashes, start, stop)
    published = part.column("published")
    month = pc.cast(pc.subtract(pc.add(pc.multiply(pc.year(published), 12), pc.month(published)), 1), pa.int32())
    title, abstract = part.column("title"), part.column("abstract")
    data = {
        "id": part.column("id"), "title": title, "abstract": abstract, "categories": part.column("categories"),
        "primary_category": pa.array([c[0] if c else None for c in cats], pa.string()),
        "cat_str": pa.array([" " + " ".join(c) + " " for c in cats], pa.string()),
        "published": published, "month": month, "updated": part.column("updated"), "authors": part.column("authors"),
        "comments": part.column("comments"), "journal_ref": part.column("journal_ref"), "doi": part.column("doi"),
        "source": part.column("source"), "content_hash": pa.array(hashes, pa.string()),
        "title_tok": folded_token_strings(title), "abstract_tok": folded_token_strings(abstract),
        "title_tok_cs": exact_token_strings(title), "abstract_tok_cs": exact_token_strings(abstract),
        **flags,
    }
    schema = stage_schema()
    return pa.Table.from_arrays([data[f.name] for f in schema], schema=schema)


def _openness_columns(columns: ExportColumns, part: Any, hashes: list[str], start: int, stop: int) -> dict[str, Any]:
    """The OPENNESS_COLUMNS of rows ``start:stop``: carried over where provably current, else detected."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = stop - start
    values: dict[str, list[Any]] = {c: [False] * n for c in OPENNESS_COLUMNS}
    values["links"] = [[] for _ in range(n)]
    todo = pc.or_(may_find(part.column("abstract")), may_find(part.column("comments")))
    if columns.carried is not None and columns.openness_version == OPENNESS_VERSION:
        carried = columns.carried.slice(start, n)
        same = pc.equal(carried.column("content_hash"), pa.array(hashes, pa.string()))
        for c in OPENNESS_COLUMNS:
            same = pc.and_(same, pc.is_valid(carried.column(c)))
        same = pc.fill_null(same, False)
        for c in OPENNESS_COLUMNS:
            values[c] = carried.column(c).to_pylist()
        todo = pc.and_(todo, pc.invert(same))  # rows whose flags are not proven are detected (or found empty)
        for i in pc.indices_nonzero(pc.and_(pc.invert(same), pc.invert(todo))).to_pylist():
            for c in OPENNESS_COLUMNS:
                values[c][i] = [] if c == "links" else False
    abstracts, comments = part.column("abstract"), part.column("comments")
    for i in pc.indices_nonzero(todo).to_pylist():
        found = openness_values(abstracts[i].as_py(), comments[i].as_py())
        for c, v in zip(OPENNESS_COLUMNS, found, strict=True):
            values[c][i] = v
    return {c: pa.array(values[c], pa.list_(pa.string()) if c == "links" else pa.bool_()) for c in OPENNESS_COLUMNS}


class _PapersSoFar:
    """Progress of one JSON Lines file whose chunks are parsed elsewhere: papers are counted as chunks land."""

    def __init__(self, progress: ProgressFn | None, name: str, total_bytes: int) -> None:
        self.progress, self.name, self.total_bytes, self.papers = progress, name, total_bytes, 0

    def after(self, bytes_done: int) -> Callable[[int], None]:
        def landed(papers: int) -> None:
            self.papers += papers
            if self.progress is not None:
                self.progress(self.name, bytes_done, self.total_bytes, self.papers)
        return landed


def _report(progress: ProgressFn | None, *args: Any) -> Callable[[], None] | None:
    """A progress call with the position at the time the batch was read, made once it is written."""
    if progress is None:
        return None
    return lambda: progress(*args)  # type: ignore[arg-type]


def _strict_error(rejection: Rejection) -> StrictImportError:
    return StrictImportError(f"{rejection} (--strict: nothing was imported; fix the line or import without --strict "
                             f"to skip bad lines and list them)")


@dataclass(slots=True)
class _ParsedLines:
    """A chunk of JSON lines, parsed and staged (:func:`parse_and_stage`)."""

    rejections: list[Rejection]
    papers: int
    uncategorised: int
    stage: Any  # pa.Table, or None when no line was a paper
    duplicates: int


def parse_and_stage(name: str, kaggle: bool, lines: Sequence[bytes], line_numbers: Sequence[int]) -> _ParsedLines:
    """Parse JSON lines (:func:`~uptake.sources.detect.parse_json_line`), derive and stage their papers
    (:func:`derive`, :func:`~uptake.store.stage_papers`): everything a batch needs before the store, as a plain
    function of the lines, so that large imports run it in worker processes."""
    papers: list[Paper] = []
    rejections: list[Rejection] = []
    for raw, line_no in zip(lines, line_numbers, strict=True):
        item = parse_json_line(raw, name, line_no, kaggle=kaggle)
        if isinstance(item, Rejection):
            rejections.append(item)
        elif item is not None:
            papers.append(item)
    stage, duplicates = stage_papers(papers, derive(papers)) if papers else (None, 0)
    return _ParsedLines(rejections, len(papers), sum(1 for p in papers if not p.categories), stage, duplicates)


class _BatchWriter:
    """Writes batches in the order they were read.

    With ``workers`` > 1 each batch's text columns (:func:`derive`) are computed in a process pool (for JSON
    Lines, the parsing and staging too: :meth:`write_lines`), at most ``workers`` batches ahead of the writes, so
    memory stays bounded and results land exactly as a one-process import's would.
    """

    def __init__(self, store: Store, summary: ImportSummary, *, own_transaction: bool, workers: int,
                 strict: bool = False) -> None:
        self.store = store
        self.summary = summary
        self.own_transaction = own_transaction
        self.strict = strict
        self.workers = workers
        self.pending: deque[tuple[Future[Any], Callable[[Any], None]]] = deque()
        self.pool = None
        if workers > 1:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            # spawn, not fork: the parent holds DuckDB's threads and locks. Workers ignore Ctrl-C: the
            # parent handles it, and shutting down waits only for the batch each worker is on.
            with _sigint_blocked():  # the pool may start helper processes (resource tracker) right away
                self.pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                                initializer=_ignore_interrupts)

    def write(self, batch: list[Paper], after: Callable[[], None] | None) -> None:
        if not batch:
            if after:
                after()
            return

        def land(derived: Sequence[tuple[Any, ...]] | None) -> None:
            _flush(self.store, batch, self.summary, own_transaction=self.own_transaction, derived=derived)
            if after:
                after()

        if self.pool is None:
            land(None)
            return
        self._submit(land, derive, batch)

    def write_lines(self, name: str, kaggle: bool, chunk: LineChunk, after: Callable[[int], None]) -> None:
        """Parse, stage and write a chunk of JSON lines (in a worker when there are workers); ``after`` gets the
        number of papers among them once they are written. A file that ends inside the chunk is reported after it."""

        def land(parsed: _ParsedLines) -> None:
            self._land_lines(parsed)
            if chunk.ends_early is not None:
                self._reject(chunk.ends_early)
            after(parsed.papers)

        if self.pool is None:
            land(parse_and_stage(name, kaggle, chunk.lines, chunk.line_numbers))
            return
        self._submit(land, parse_and_stage, name, kaggle, chunk.lines, chunk.line_numbers)

    def _submit(self, land: Callable[[Any], None], fn: Callable[..., Any], *args: Any) -> None:
        with _sigint_blocked():  # a worker started here inherits the mask: no Ctrl-C during its startup
            future = self.pool.submit(fn, *args)  # type: ignore[union-attr]  # only called with a pool
        self.pending.append((future, land))
        _test_pause("workers-starting")
        while len(self.pending) > self.workers:
            self._write_oldest()

    def _reject(self, rejection: Rejection) -> None:
        if self.strict:
            raise _strict_error(rejection)
        self.summary.read += 1
        self.summary.reject(rejection)

    def _land_lines(self, parsed: _ParsedLines) -> None:
        for rejection in parsed.rejections:
            self._reject(rejection)
        self.summary.read += parsed.papers
        if parsed.stage is None:
            return
        _write(self.store, lambda: self.store.upsert_staged(parsed.stage, parsed.duplicates), self.summary,
               own_transaction=self.own_transaction)
        self.summary.uncategorised += parsed.uncategorised

    def _write_oldest(self) -> None:
        future, land = self.pending.popleft()
        land(future.result())
        _test_pause("batch-committed")

    def finish(self) -> None:
        while self.pending:
            self._write_oldest()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


def sync_index(store: Store) -> None:
    """Bring the term index up to date with what was just committed (built on first import)."""
    import os

    if os.environ.get("UPTAKE_NO_INDEX"):
        return
    from .errors import StoreError
    from .index import sync
    from .index.fulltext import sync as sync_fulltext

    problem = index_path_problem(store.path)
    if problem:
        raise StoreError(f"the papers were imported; the term index was not updated: {problem}")
    try:
        sync(store)
        sync_fulltext(store)  # full texts take their month and categories from the metadata just imported
    except (OSError, ValueError, RuntimeError) as exc:  # the papers are committed; only the index lags
        raise StoreError(
            f"the papers were imported, but updating the term index failed ({exc}); queries scan the store "
            f"(same counts, slower) until `uptake index --rebuild` succeeds"
        ) from exc


def _ignore_interrupts() -> None:
    """Worker initializer: ignore Ctrl-C (the parent handles it), then lift the mask it started with.

    A SIGINT that arrived while the worker was starting is pending under the mask; ignoring the
    signal before unblocking it discards it, so no worker ever prints a KeyboardInterrupt.
    """
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


class _sigint_blocked:
    """Block SIGINT in this thread for the duration (POSIX); a Ctrl-C meanwhile is delivered on exit.

    Processes (and threads) started inside inherit the blocked mask: spawn's fork+exec keeps it.
    """

    def __enter__(self) -> None:
        import signal
        import threading

        self.active = hasattr(signal, "pthread_sigmask") and threading.current_thread() is threading.main_thread()
        if self.active:
            self.old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})

    def __exit__(self, *exc: object) -> None:
        import signal

        if self.active:
            signal.pthread_sigmask(signal.SIG_SETMASK, self.old)


def _test_pause(point: str) -> None:
    """Test hook: with ``UPTAKE_TEST_PAUSE=point:FILE`` the import creates FILE at ``point`` and waits there
    for a signal, so tests can interrupt it at a known place without timing guesses. The 15-minute limit is
    only a hang guard: however loaded the machine, the signal comes first."""
    spec = os.environ.get("UPTAKE_TEST_PAUSE")
    if not spec or not spec.startswith(point + ":"):
        return
    import time

    marker = Path(spec[len(point) + 1 :])
    if marker.exists():
        return  # only the first time the point is reached
    marker.write_text(str(os.getpid()))
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        time.sleep(0.02)


def _flush(store: Store, batch: list[Paper], summary: ImportSummary, *, own_transaction: bool,
           derived: Sequence[tuple[Any, ...]] | None = None) -> None:
    if not batch:
        return
    _write(store, lambda: store.upsert(batch, derived if derived is not None else derive(batch)), summary,
           own_transaction=own_transaction)
    summary.uncategorised += sum(1 for p in batch if not p.categories)


def _write(store: Store, upsert: Callable[[], UpsertCounts], summary: ImportSummary, *, own_transaction: bool) -> None:
    """Run ``upsert`` (in a transaction of its own unless the caller holds one) and count what it did."""
    if own_transaction:
        store.begin()
        try:
            counts = upsert()
            store.commit()
        except BaseException:
            store.rollback()
            raise
    else:
        counts = upsert()
    summary.inserted += counts.inserted
    summary.updated += counts.updated
    summary.unchanged += counts.unchanged


def openness_values(abstract: str | None, comments: str | None) -> tuple[Any, ...]:
    """A paper's OPENNESS_COLUMNS values, in that order (see :mod:`uptake.analytics.openness`)."""
    found = detect(abstract, comments)
    return (found.has_code, found.has_weights, found.has_data, found.has_demo, found.promise, found.link_labels(),
            found.has_code_released)


def derive(papers: Sequence[Paper]) -> list[tuple[Any, ...]]:
    """Per paper, the store's derived columns (:data:`uptake.store.DERIVED_COLUMNS`): the four token
    strings (folded ones None for a field whose text is ASCII: the store derives those), then the openness values.
    A plain function of the papers, so large imports compute it in worker processes while the main process reads
    the next batch.

    The batch is tokenised with the vectorised tokenizer (:func:`uptake.text.exact_token_strings`, equal to
    :func:`uptake.text.token_string` everywhere), and artifact detection runs only on papers whose abstract or
    comments hold one of the detector's hints (:func:`~uptake.analytics.openness.may_find`): the others get
    the empty result, which is what :func:`~uptake.analytics.openness.detect` returns for them.
    """
    if not papers:
        return []
    import pyarrow as pa
    import pyarrow.compute as pc

    titles = pa.array([p.title for p in papers], pa.string())
    abstracts = pa.array([p.abstract for p in papers], pa.string())
    comments = pa.array([p.comments for p in papers], pa.string())
    columns = [folded_token_strings(titles).to_pylist(), folded_token_strings(abstracts).to_pylist(),
               exact_token_strings(titles).to_pylist(), exact_token_strings(abstracts).to_pylist()]
    todo = set(pc.indices_nonzero(pc.or_(may_find(abstracts), may_find(comments))).to_pylist())
    out = []
    for i, paper in enumerate(papers):
        flags = openness_values(paper.abstract, paper.comments) if i in todo else _NOTHING_FOUND
        out.append((columns[0][i], columns[1][i], columns[2][i], columns[3][i], *flags[:5], list(flags[5]), flags[6]))
    return out


#: openness_values of a paper in which detect finds nothing (its links list is copied per paper).
_NOTHING_FOUND: tuple[Any, ...] = (False, False, False, False, False, [], False)


def derive_one_by_one(papers: Sequence[Paper]) -> list[tuple[Any, ...]]:
    """:func:`derive` computed record by record with the reference functions (what tests compare it with)."""
    out = []
    for paper in papers:
        title_folded, title_exact = _token_strings(paper.title)
        abstract_folded, abstract_exact = _token_strings(paper.abstract)
        out.append((title_folded, abstract_folded, title_exact, abstract_exact,
                    *openness_values(paper.abstract, paper.comments)))
    return out


def _token_strings(text: str) -> tuple[str | None, str]:
    """(folded or None where SQL ``lower`` derives it, exact) token strings of one field."""
    if folds_by_lower(text):
        return None, token_string(text, case_sensitive=True)
    return token_strings(text)


def upsert(store: Store, papers: Sequence[Paper]) -> UpsertCounts:
    """Insert or replace ``papers`` (inside the caller's transaction), computing their derived columns."""
    return store.upsert(papers, derive(papers))


def refresh_openness(store: Store) -> int:
    """Fill the openness columns where missing or detected by an older rule set; returns papers done."""
    return store.refresh_openness(OPENNESS_VERSION, openness_values)

