"""``uptake spark extract``: e-prints (or unarXive JSONL) → section-tagged Parquet, on Spark.

Each input file (one e-print, a bulk ``arXiv_src_*.tar``, or one unarXive ``.jsonl(.gz)``) is one task; the task
calls uptake's own readers (:func:`~uptake.sources.eprint.iter_eprints`,
:func:`~uptake.sources.unarxive.read_unarxive`) in ``mapInArrow`` and emits the rows of
:mod:`uptake.sources.fulltext_parquet` in small Arrow batches. A paper that fails is a row with status
``failed`` and its reason (uptake's per-paper :class:`~uptake.sources.latex.Limits` bound its size and time);
an exception escaping a reader becomes such a row too, never a failed task.

Output layout (Hive-style, readable by Spark, DuckDB, pyarrow; folders starting with ``_`` are not data)::

    OUTPUT/run=20261130T153012Z-1a2b3c/period=2024-02/part-….parquet
    OUTPUT/run=…/_done/<digest>          one marker per input file finished in that run
    OUTPUT/_staging/                     runs being written (never read)

A run is written under ``_staging`` and renamed into place once Spark has finished it, markers included: a run
is there completely or not at all (the rename is atomic on a local file system and HDFS; on object stores see
docs/scale.md). ``--resume`` skips the inputs some committed run marked done.
"""

from __future__ import annotations

import glob as globmod
import hashlib
import os
import shutil
import signal
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import SourceNotFoundError, UsageError
from ..sources.eprint import paper_id_from_name
from ..sources.fulltext_parquet import REJECTED, SCHEMA, to_batch, to_row
from . import session

FORMATS = ("eprints", "unarxive")

#: Spark's name for :data:`~uptake.sources.fulltext_parquet.SCHEMA`.
SPARK_SCHEMA = (
    "id string, month int, period string, published date, categories array<string>, title string, "
    "abstract string, status string, problems array<string>, source_kind string, extractor string, "
    "paragraphs array<struct<role:string,section:string,text:string,cites:array<string>>>, "
    "bibliography array<struct<key:string,text:string>>, source string, input string"
)

#: Rows per Arrow batch a task emits (full texts are large: keep batches small).
BATCH_ROWS = 16

#: Test hook: when this environment variable names a file that does not exist yet, the first task to see it
#: creates it and kills its own Python worker (SIGKILL); Spark then retries the task.
KILL_ONCE_ENV = "UPTAKE_SPARK_TEST_KILL_ONCE"


@dataclass
class ExtractReport:
    output: str
    run: str | None
    inputs: int
    skipped: int
    statuses: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"output": self.output, "run": self.run, "inputs": self.inputs, "skipped_done": self.skipped,
                "statuses": dict(self.statuses), "seconds": round(self.seconds, 3)}


def expand_inputs(patterns: Sequence[str], fmt: str) -> list[str]:
    """The input files of ``patterns`` (paths, folders, globs), absolute, sorted, without duplicates."""
    if fmt not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    found: set[str] = set()
    for pat in patterns:
        hits = sorted(globmod.glob(pat)) if globmod.has_magic(pat) else [pat]
        if not hits or not all(Path(h).exists() for h in hits):
            raise SourceNotFoundError(f"{pat}: no such file or folder")
        for h in hits:
            p = Path(h)
            if p.is_dir():
                for child in sorted(p.iterdir()):
                    if child.is_file() and _wanted(child, fmt):
                        found.add(str(child.resolve()))
            else:
                found.add(str(p.resolve()))
    return sorted(found)


def _wanted(p: Path, fmt: str) -> bool:
    if fmt == "unarxive":
        return p.name.endswith((".jsonl", ".jsonl.gz", ".json.gz", ".json"))
    return paper_id_from_name(p.name) is not None or p.name.startswith("arXiv_src_")


def input_key(path: str) -> str:
    """The ``_done`` marker name of an input file."""
    return hashlib.sha256(path.encode()).hexdigest()[:40]


def done_inputs(output: Path) -> set[str]:
    """Marker names of the inputs finished by committed runs."""
    return {m.name for m in output.glob("run=*/_done/*") if m.is_file()}


def _rows_of(path: str, fmt: str) -> Iterator[dict[str, Any]]:
    """Rows of one input file, through uptake's readers; what escapes them becomes a failed row."""
    from ..records import FullText
    from ..sources.eprint import iter_eprints
    from ..sources.unarxive import read_unarxive

    name = Path(path).name
    emitted = 0
    try:
        if fmt == "unarxive":
            for _line, item in read_unarxive(path):
                emitted += 1
                yield to_row(item, path)
        else:
            for ft in iter_eprints(path):
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


def extract_batches(fmt: str, kill_flag: str | None = None) -> Callable[[Iterator[Any]], Iterator[Any]]:
    """The ``mapInArrow`` function: batches of input paths → batches of full-text rows."""

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        for batch in batches:
            for path in batch.column("path").to_pylist():
                _kill_once(kill_flag)
                rows: list[dict[str, Any]] = []
                for row in _rows_of(path, fmt):
                    rows.append(row)
                    if len(rows) >= BATCH_ROWS:
                        yield to_batch(rows)
                        rows = []
                if rows:
                    yield to_batch(rows)

    return run


def run_extract(inputs: Sequence[str], output: str | Path, *, fmt: str = "eprints", master: str | None = None,
                resume: bool = False, spark: Any = None) -> ExtractReport:
    """Extract ``inputs`` into a new committed run under ``output``."""
    t0 = time.perf_counter()
    out = Path(output)
    files = expand_inputs(inputs, fmt)
    if not files:
        raise UsageError(f"no {fmt} inputs in {', '.join(inputs)}")
    runs = sorted(out.glob("run=*")) if out.exists() else []
    if runs and not resume:
        raise UsageError(f"{out} already holds {len(runs)} extraction run(s): add --resume to extract only the "
                         f"inputs not done yet, or choose another --output")
    if out.exists() and not out.is_dir():
        raise UsageError(f"--output {out} is a file; give a folder")
    done = done_inputs(out) if out.exists() else set()
    todo = [f for f in files if input_key(f) not in done]
    report = ExtractReport(output=str(out), run=None, inputs=len(todo), skipped=len(files) - len(todo))
    if not todo:
        report.seconds = time.perf_counter() - t0
        return report
    spark = spark or session(master, app="uptake extract")
    run_id = "run=" + time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + uuid.uuid4().hex[:8]
    staging = out / "_staging" / run_id
    staging.parent.mkdir(parents=True, exist_ok=True)
    try:
        paths = spark.sparkContext.parallelize([(f,) for f in todo], numSlices=len(todo)).toDF("path string")
        rows = paths.mapInArrow(extract_batches(fmt, os.environ.get(KILL_ONCE_ENV)), SPARK_SCHEMA)
        rows.write.partitionBy("period").parquet(str(staging / "data"))
        data = staging / "data"
        # the run folder holds the partitions directly: move them up one level inside the staging folder
        for child in data.iterdir():
            child.rename(staging / child.name)
        data.rmdir()
        (staging / "_done").mkdir()
        for f in todo:
            (staging / "_done" / input_key(f)).write_text(f + "\n", encoding="utf-8")
        os.rename(staging, out / run_id)  # the commit
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    report.run = run_id
    counts = (spark.read.parquet(str(out / run_id)).groupBy("status").count().collect())
    report.statuses = {str(r["status"]): int(r["count"]) for r in counts}
    report.seconds = time.perf_counter() - t0
    return report


__all__ = ["REJECTED", "SCHEMA", "SPARK_SCHEMA", "ExtractReport", "expand_inputs", "run_extract"]
