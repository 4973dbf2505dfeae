"""``uptake spark extract``: e-prints (or unarXive JSONL) → section-tagged Parquet, on Spark.

Each input file (one e-print, a bulk ``arXiv_src_*.tar``, or one unarXive ``.jsonl(.gz)``) is one task; the task
calls uptake's own readers (:func:`~uptake.sources.eprint.iter_eprints`,
:func:`~uptake.sources.unarxive.read_unarxive`) in ``mapInArrow`` and emits the rows of
:mod:`uptake.sources.fulltext_parquet` in small Arrow batches. A paper that fails is a row with status
``failed`` and its reason (uptake's per-paper :class:`~uptake.sources.latex.Limits` bound its size and time);
an exception escaping a reader becomes such a row too, never a failed task.

Inputs are local paths or URLs (``s3a://``, ``s3://``, ``gs://``, …, opened with fsspec through
:mod:`uptake.sources.fsio`; ``--storage-option KEY=VALUE`` passes options such as ``requester_pays=true``). The
driver lists them; each task opens its input and streams it (a bulk tarball member by member).

Output layout (Hive-style, readable by Spark, DuckDB, pyarrow; names starting with ``_`` are not data)::

    OUTPUT/_uptake-fulltext.json                      written first: this folder uses commit objects
    OUTPUT/run=20261130T153012Z-1a2b3c/period=2024-02/part-00003-9f8e7d6c.parquet
    OUTPUT/_commits/run=20261130T153012Z-1a2b3c.json  the commit: written last, one object

The tasks write the data files themselves (pyarrow through fsspec, one file per input and month, named by the
task attempt) and return their names and row counts to the driver, as Spark's own output committers do. Once
every task has succeeded, the driver writes the run's commit object: the exact files of the successful attempts,
the inputs finished (what ``--resume`` skips) and the statuses. Nothing is renamed, so the commit is atomic on
object stores as on a local disk: readers (:func:`~uptake.sources.fulltext_parquet.output_files`) read the
files committed runs list, never those of a failed task attempt or a crashed run, which are deleted afterwards
(best effort). Runs committed by renaming (the earlier layout, with ``run=…/_done/``) are still read.
"""

from __future__ import annotations

import glob as globmod
import json
import os
import signal
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from ..errors import SourceNotFoundError, UsageError
from ..sources import fsio
from ..sources.eprint import paper_id_from_name
from ..sources.fulltext_parquet import (
    COMMITS,
    LAYOUT,
    LAYOUT_FILE,
    REJECTED,
    RUN_FORMAT,
    SCHEMA,
    commit_path,
    done_keys,
    input_key,
    is_committed_layout,
    legacy_runs,
    replaced_runs,
    output_files,
    run_manifests,
    to_batch,
    to_row,
)
from . import session

FORMATS = ("eprints", "unarxive")

#: Spark's name for :data:`~uptake.sources.fulltext_parquet.SCHEMA`.
SPARK_SCHEMA = (
    "id string, month int, period string, published date, categories array<string>, title string, "
    "abstract string, status string, problems array<string>, source_kind string, extractor string, "
    "paragraphs array<struct<role:string,section:string,text:string,cites:array<string>>>, "
    "bibliography array<struct<key:string,text:string>>, source string, input string"
)

#: What a task returns per input: a row with its statuses (``file`` null), then one per data file written.
RESULT_SCHEMA = "input string, file string, rows long, statuses string"

#: Rows per Parquet row group a task writes (full texts are large: keep them small).
ROW_GROUP = 64

#: Test hook: when this environment variable names a file that does not exist yet, the first task to see it
#: creates it and kills its own Python worker (SIGKILL) after writing an input's data files and before returning
#: them; Spark then retries the task, and the dead attempt's files must never be read.
KILL_ONCE_ENV = "UPTAKE_SPARK_TEST_KILL_ONCE"


@dataclass
class ExtractReport:
    output: str
    run: str | None
    inputs: int
    skipped: int
    statuses: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    files: int = 0
    cleaned: int = 0
    replaced: int = 0  # earlier runs this run replaced (a run without --resume replaces them all)

    def as_dict(self) -> dict[str, Any]:
        return {"output": self.output, "run": self.run, "inputs": self.inputs, "skipped_done": self.skipped,
                "replaced_runs": self.replaced, "statuses": dict(self.statuses), "files": self.files,
                "seconds": round(self.seconds, 3)}


def expand_inputs(patterns: Sequence[str], fmt: str, storage_options: Mapping[str, Any] | None = None) -> list[str]:
    """The input files of ``patterns`` (paths, folders, globs; or URLs of them), sorted, without duplicates:
    local files as absolute paths, others as URLs (``s3a://`` spelled ``s3://``)."""
    if fmt not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    found: set[str] = set()
    for pat in patterns:
        fs, root = fsio.filesystem(pat, storage_options, what="--input")
        if globmod.has_magic(root):
            hits = {str(k): v.get("type") for k, v in fs.glob(root, detail=True).items()}
        elif fs.exists(root):
            hits = {root: "directory" if fs.isdir(root) else "file"}
        else:
            hits = {}
        if not hits:
            raise SourceNotFoundError(f"{pat}: no such file or folder")
        for h, kind in sorted(hits.items()):
            if kind == "directory":
                for child in fs.ls(h, detail=True):
                    name = str(child["name"])
                    if child.get("type") == "file" and _wanted(fsio.basename(name), fmt):
                        found.add(_input_name(fs, name))
            else:
                found.add(_input_name(fs, h))
    return sorted(found)


def _input_name(fs: Any, path: str) -> str:
    return os.path.realpath(path) if isinstance(fs, fsio.LocalFS) else fsio.url_of(fs, path)


def _wanted(name: str, fmt: str) -> bool:
    if fmt == "unarxive":
        return name.endswith((".jsonl", ".jsonl.gz", ".json.gz", ".json"))
    return paper_id_from_name(name) is not None or name.startswith("arXiv_src_")


def _rows_of(path: str, fmt: str, storage_options: Mapping[str, Any] | None) -> Iterator[dict[str, Any]]:
    """Rows of one input file (path or URL), streamed through uptake's readers; what escapes them becomes a
    failed row."""
    from ..records import FullText
    from ..sources.eprint import iter_eprint_file
    from ..sources.unarxive import iter_unarxive, maybe_gunzip

    name = fsio.basename(path)
    emitted = 0
    try:
        fs, p = fsio.filesystem(path, storage_options)
        if fmt == "unarxive":
            with fs.open(p, "rb") as raw:
                for _line, item in iter_unarxive(maybe_gunzip(raw), name):
                    emitted += 1
                    yield to_row(item, path)
        else:
            for ft in iter_eprint_file(name, partial(fs.open, p, "rb")):
                emitted += 1
                yield to_row(ft, path)
    except Exception as exc:  # noqa: BLE001 - an extractor bug must not fail the task: the input is reported instead
        pid = paper_id_from_name(name) or name.split(".")[0]
        reason = f"extraction stopped after {emitted} paper(s): {type(exc).__name__}: {exc}"
        yield to_row(FullText(id=pid, title="", abstract="", paragraphs=(), bibliography=(), source_kind="latex",
                              extractor="uptake-spark", status="failed", problems=(reason,), source=name), path)


def _kill_once(flag: str | None) -> None:
    if not flag:
        return
    try:
        fd = os.open(flag, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    os.kill(os.getpid(), signal.SIGKILL)


def write_input(path: str, index: int, fmt: str, fs: Any, root: str, run: str,
                storage_options: Mapping[str, Any] | None) -> tuple[list[tuple[str, int]], Counter[str]]:
    """Extract one input into its own data files under ``root/run/period=…/`` (one per month, named by this
    attempt); ``([(file relative to root, rows)], statuses)``."""
    import pyarrow.parquet as pq

    attempt = uuid.uuid4().hex[:8]
    writers: dict[str, tuple[Any, Any, str]] = {}
    buffers: dict[str, list[dict[str, Any]]] = {}
    counts: Counter[str] = Counter()
    statuses: Counter[str] = Counter()

    def flush(period: str) -> None:
        rows = buffers.pop(period, [])
        if not rows:
            return
        if period not in writers:
            rel = f"{run}/period={period}/part-{index:05d}-{attempt}.parquet"
            f = fs.open(fsio.join(root, rel), "wb")
            writers[period] = (f, pq.ParquetWriter(f, SCHEMA), rel)
        writers[period][1].write_batch(to_batch(rows))
        counts[period] += len(rows)

    try:
        for row in _rows_of(path, fmt, storage_options):
            statuses[str(row["status"])] += 1
            buf = buffers.setdefault(row["period"], [])
            buf.append(row)
            if len(buf) >= ROW_GROUP:
                flush(row["period"])
        for period in list(buffers):
            flush(period)
    finally:
        for f, w, _rel in writers.values():
            w.close()
            f.close()
    return sorted((rel, counts[period]) for period, (_f, _w, rel) in writers.items()), statuses


def extract_batches(fmt: str, output: str, run: str, storage_options: Mapping[str, Any] | None = None,
                    kill_flag: str | None = None) -> Callable[[Iterator[Any]], Iterator[Any]]:
    """The ``mapInArrow`` function: batches of (index, input) → the files each input was written to."""
    opts = dict(storage_options or {})

    def run_task(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa

        fs, root = fsio.filesystem(output, opts)
        for batch in batches:
            for index, path in zip(batch.column("index").to_pylist(), batch.column("path").to_pylist(), strict=True):
                files, statuses = write_input(path, int(index), fmt, fs, root, run, opts)
                _kill_once(kill_flag)  # the test hook: this attempt's files are written, its result is lost
                yield pa.RecordBatch.from_pydict(
                    {"input": [path] * (len(files) + 1), "file": [None, *(f for f, _ in files)],
                     "rows": [sum(statuses.values()), *(n for _, n in files)],
                     "statuses": [json.dumps(dict(sorted(statuses.items())))] + [None] * len(files)},
                    schema=pa.schema([("input", pa.string()), ("file", pa.string()), ("rows", pa.int64()),
                                      ("statuses", pa.string())]))

    return run_task


def build_manifest(run_id: str, fmt: str, todo: Sequence[str], results: Sequence[Mapping[str, Any]], *,
                   replaces: Sequence[str] = ()) -> dict[str, Any]:
    """The commit object of a run from what its tasks returned (rows of :data:`RESULT_SCHEMA`); ``replaces``
    names the earlier runs it supersedes (all of them when the job ran without ``--resume``)."""
    statuses: Counter[str] = Counter()
    per_input: dict[str, dict[str, Any]] = {}
    data: list[dict[str, Any]] = []
    for r in results:
        if r["file"] is None:
            st = json.loads(r["statuses"])
            statuses.update(st)
            per_input[r["input"]] = {"input": r["input"], "key": input_key(r["input"]), "rows": int(r["rows"]),
                                     "statuses": st}
        else:
            data.append({"path": r["file"], "rows": int(r["rows"]), "input": r["input"]})
    missing = [f for f in todo if f not in per_input]
    if missing:  # Spark returns every task's result or fails the job: this would be a bug
        raise RuntimeError(f"no result for {len(missing)} input(s), e.g. {missing[0]}; nothing committed")
    return {"format": RUN_FORMAT, "run": run_id, "committed": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "input_format": fmt, "inputs": [per_input[f] for f in todo],
            "files": sorted(data, key=lambda d: d["path"]), "statuses": dict(sorted(statuses.items())),
            "replaces": list(replaces)}


def write_commit(fs: Any, root: str, manifest: dict[str, Any]) -> None:
    """The commit of a run: its manifest, one object written whole (no rename)."""
    fs.pipe(commit_path(root, manifest["run"]), (json.dumps(manifest, indent=1) + "\n").encode())


def cleanup(fs: Any, root: str) -> int:
    """Delete what no committed run lists (files of failed task attempts, runs that never committed); best
    effort, never an error. Returns how many files went."""
    listed = {f for _run, f in output_files(fs, root)}
    runs = {str(m["run"]) for m in run_manifests(fs, root)} | set(legacy_runs(fs, root))
    gone = 0
    try:
        folders = fsio.fresh(fs).glob(fsio.join(root, "run=*"))
    except Exception:  # noqa: BLE001 - best effort: a failed clean-up leaves files nobody reads
        return 0
    for d in folders:
        name = fsio.basename(str(d))
        try:
            if name not in runs:
                n = len(fs.find(d))
                fs.rm(d, recursive=True)
                gone += n
                continue
            for f in fs.find(d):
                if f not in listed and "/_done/" not in f:
                    fs.rm(f)
                    gone += 1
        except Exception:  # noqa: BLE001 - as above
            continue
    for name in replaced_runs(fs, root):  # a replaced run's files are gone: its commit object goes last
        try:
            if not fs.glob(fsio.join(root, name)):
                fs.rm(commit_path(root, name))
        except Exception:  # noqa: BLE001 - as above
            continue
    return gone


def run_extract(inputs: Sequence[str], output: str | Path, *, fmt: str = "eprints", master: str | None = None,
                resume: bool = False, spark: Any = None,
                storage_options: Mapping[str, Any] | None = None) -> ExtractReport:
    """Extract ``inputs`` into a new committed run under ``output`` (a folder or URL)."""
    t0 = time.perf_counter()
    opts = dict(storage_options or {})
    files = expand_inputs(inputs, fmt, opts)
    if not files:
        raise UsageError(f"no {fmt} inputs in {', '.join(inputs)}")
    fs, root = fsio.filesystem(output, opts, what="--output")
    if fs.isfile(root):
        raise UsageError(f"--output {output} is a file; give a folder")
    manifests = run_manifests(fs, root) if fs.isdir(root) else []
    legacy = legacy_runs(fs, root) if fs.isdir(root) else []
    runs = [m["run"] for m in manifests] + legacy
    if fs.isdir(root) and not is_committed_layout(fs, root):
        loose = [f for run, f in output_files(fs, root) if run not in legacy]
        if loose:  # Parquet not written by a committed run: it would become invisible here, and be cleaned up
            raise UsageError(f"{output} holds Parquet files that no extraction run committed (e.g. {loose[0]}): "
                             f"give another --output")
    # Without --resume the new run replaces every run before it, at its commit: until then readers read the old
    # output whole, from then on the new one only (its manifest names the runs it replaces).
    replaces = sorted(runs) if runs and not resume else []
    done = done_keys(fs, root) if runs and resume else set()
    todo = [f for f in files if input_key(f) not in done]
    report = ExtractReport(output=str(output), run=None, inputs=len(todo), skipped=len(files) - len(todo),
                           replaced=len(replaces))
    if not todo:
        report.seconds = time.perf_counter() - t0
        return report
    spark = spark or session(master, app="uptake extract")
    run_id = "run=" + time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + uuid.uuid4().hex[:8]
    layout = fsio.join(root, LAYOUT_FILE)
    if not fs.exists(layout):  # before any data file: from now on readers read committed runs only
        fs.pipe(layout, (json.dumps({"format": LAYOUT, "commits": COMMITS + "/"}, indent=1) + "\n").encode())
    paths = spark.sparkContext.parallelize(list(enumerate(todo)), numSlices=len(todo)).toDF("index int, path string")
    out_url = fsio.url_of(fs, root)
    results = paths.mapInArrow(extract_batches(fmt, out_url, run_id, opts, os.environ.get(KILL_ONCE_ENV)),
                               RESULT_SCHEMA).collect()
    manifest = build_manifest(run_id, fmt, todo, [r.asDict() for r in results], replaces=replaces)
    write_commit(fs, root, manifest)
    report.run = run_id
    report.files = len(manifest["files"])
    report.cleaned = cleanup(fs, root)
    report.statuses = dict(manifest["statuses"])
    report.seconds = time.perf_counter() - t0
    return report


__all__ = ["REJECTED", "SCHEMA", "SPARK_SCHEMA", "ExtractReport", "expand_inputs", "run_extract"]
