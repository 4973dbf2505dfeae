"""``uptake spark counts``: how many papers contain each n-gram (n ≤ ``max_n``), per month × primary category ×
role, over the Parquet ``uptake spark extract`` wrote — the tables a counts corpus answers terms and phrases from.

The n-grams are those uptake's phrase matching sees: each role's folded token string from
:func:`~uptake.index.fulltext.role_token_strings`, cut at its paragraph breaks (formula, citation and reference
markers included), n consecutive tokens within one piece. A paper counts once per (n-gram, month, category,
role). Roles are the query roles (``use`` included) plus ``*``: anywhere but ``use``, what a query without
``in:`` reads. Only case-folded n-grams are counted (``=GRPO`` cannot be answered from them).

Output (a folder or URL: ``gs://…``, ``s3://…``; the tasks write the data files with pyarrow through fsspec and
return their names, then the driver writes ``_metadata.json`` last — the commit, listing exactly those files; no
rename, so it is atomic on object stores too)::

    OUTPUT/ngrams/part-*.parquet   ngram string, n int, month int, category string, role string, papers long
    OUTPUT/totals/part-*.parquet   month int, category string, papers long   (usable full texts)
    OUTPUT/_metadata.json          max_n, min_papers (cells with fewer papers were dropped), roles, source,
                                   last_date (the newest v1 date of a usable full text), files (the commit)

Without ``_metadata.json`` the folder is a crashed run: nothing reads it, and the next run into it replaces it.
Running again into a finished output replaces it at the new ``_metadata.json``: readers see the old counts whole
until then, the new ones after; the old files are deleted next.

``uptake import-counts OUTPUT --db FOLDER`` makes it a counts corpus (:mod:`uptake.corpus._counts`).
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..sources import fsio
from . import session
from .trend import committed_inputs, latest_rows

ANY_ROLE = "*"
NGRAM_SCHEMA = "ngram string, n int, month int, category string, role string"
NO_CATEGORY = "(none)"
#: Written last: the commit of a counts run.
META_FILE = "_metadata.json"


def ngram_batches(max_n: int) -> Callable[[Iterator[Any]], Iterator[Any]]:
    """The ``mapInArrow`` function: papers → one row per distinct (n-gram, role) of each paper."""

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa

        from ..index.fulltext import PARAGRAPH_BREAK, role_token_strings

        schema = pa.schema([("ngram", pa.string()), ("n", pa.int32()), ("month", pa.int32()),
                            ("category", pa.string()), ("role", pa.string())])
        for batch in batches:
            cols: dict[str, list[Any]] = {"ngram": [], "n": [], "month": [], "category": [], "role": []}
            for row in batch.to_pylist():
                cats = row["categories"] or []
                cat = cats[0] if cats else NO_CATEGORY
                roles = role_token_strings(row["title"] or "", [(p["role"], p["text"]) for p in row["paragraphs"] or ()])
                anywhere: set[tuple[str, int]] = set()
                for role, (folded, _exact) in roles.items():
                    grams: set[tuple[str, int]] = set()
                    for piece in folded.split(PARAGRAPH_BREAK):
                        toks = piece.split()
                        for n in range(1, max_n + 1):
                            for i in range(len(toks) - n + 1):
                                grams.add((" ".join(toks[i:i + n]), n))
                    if role != "use":
                        anywhere |= grams
                    for g, n in grams:
                        cols["ngram"].append(g)
                        cols["n"].append(n)
                        cols["month"].append(row["month"])
                        cols["category"].append(cat)
                        cols["role"].append(role)
                for g, n in anywhere:
                    cols["ngram"].append(g)
                    cols["n"].append(n)
                    cols["month"].append(row["month"])
                    cols["category"].append(cat)
                    cols["role"].append(ANY_ROLE)
            yield pa.RecordBatch.from_pydict(cols, schema=schema)

    return run


def write_batches(output: str, sub: str, storage_options: Mapping[str, Any] | None
                  ) -> Callable[[Iterator[Any]], Iterator[Any]]:
    """The ``mapInArrow`` function that writes a partition's rows to one Parquet file ``OUTPUT/SUB/part-….parquet``
    (named by the task attempt) and returns ``(file, rows)``; an empty partition writes nothing."""
    opts = dict(storage_options or {})

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa
        import pyarrow.parquet as pq
        from pyspark import TaskContext

        ctx = TaskContext.get()
        rel = f"{sub}/part-{ctx.partitionId() if ctx else 0:05d}-{uuid.uuid4().hex[:8]}.parquet"
        fs, root = fsio.filesystem(output, opts)
        f = writer = None
        rows = 0
        try:
            for b in batches:
                if not b.num_rows:
                    continue
                if writer is None:
                    f = fs.open(fsio.join(root, rel), "wb")
                    writer = pq.ParquetWriter(f, b.schema)
                writer.write_batch(b)
                rows += b.num_rows
        finally:
            if writer is not None:
                writer.close()
            if f is not None:
                f.close()
        if rows:
            yield pa.RecordBatch.from_pydict({"file": [rel], "rows": [rows]},
                                             schema=pa.schema([("file", pa.string()), ("rows", pa.int64())]))

    return run


def _write(df: Any, output: str, sub: str, arrow_schema: Any, fs: Any, root: str,
           storage_options: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Write ``df`` under ``OUTPUT/SUB/``; the files written, as the commit lists them."""
    import pyarrow.parquet as pq

    got = df.mapInArrow(write_batches(output, sub, storage_options), "file string, rows long").collect()
    files = sorted(({"path": r["file"], "rows": int(r["rows"])} for r in got), key=lambda d: d["path"])
    if not files:  # no rows at all: one empty file keeps the schema for readers
        rel = f"{sub}/part-empty-{uuid.uuid4().hex[:8]}.parquet"
        with fs.open(fsio.join(root, rel), "wb") as f:
            pq.write_table(arrow_schema.empty_table(), f)
        files = [{"path": rel, "rows": 0}]
    return files


def _prepare(fs: Any, root: str, output: str) -> list[str]:
    """Make ``root`` ready for a run; returns the files of the finished output a new commit will replace.

    Files no commit lists (a crashed run's) are removed now: nothing reads them. The finished output's own files
    stay until the new ``_metadata.json`` is written, so readers see the old counts whole until that moment."""
    if not fs.exists(root):
        return []
    if fs.isfile(root):
        raise UsageError(f"{output} is a file: give a folder for the counts")
    entries = {fsio.basename(str(e)) for e in fs.ls(root, detail=False)}
    if entries - {"ngrams", "totals", META_FILE}:
        raise UsageError(f"{output} holds other things than a counts run: give a new folder")
    listed = _listed(fs, root)
    for e in ("ngrams", "totals"):
        for f in (fs.find(fsio.join(root, e)) if fs.exists(fsio.join(root, e)) else []):
            if fsio.relative(f, root) not in listed:
                fs.rm(f)
    return sorted(listed)


def _listed(fs: Any, root: str) -> set[str]:
    """The data files (relative to ``root``) the committed ``_metadata.json`` lists; none without one."""
    meta = fsio.join(root, META_FILE)
    if not fs.exists(meta):
        return set()
    try:
        files = json.loads(fs.cat(meta)).get("files") or {}
    except ValueError as exc:
        raise UsageError(f"{meta} is not a counts commit ({exc}): give a new folder") from None
    return {str(f["path"]) for group in files.values() for f in group}


def run_counts(input_path: str | Path, output: str | Path, *, max_n: int = 3, min_papers: int = 1,
               master: str | None = None, spark: Any = None, conf: dict[str, str] | None = None,
               storage_options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Count n-grams of the extracted full texts at ``input_path`` into ``output`` (a new folder or URL).

    Without ``spark``, a session on ``master`` with ``conf`` is started once the input and output are checked."""
    import pyarrow as pa
    from pyspark.sql import functions as F

    if not 1 <= max_n <= 5:
        raise UsageError("--max-n must be between 1 and 5")
    if min_papers < 1:
        raise UsageError("--min-papers must be 1 or more")
    opts = dict(storage_options or {})
    fs, root = fsio.filesystem(output, opts, what="--output")
    replaced = _prepare(fs, root, str(output))
    in_fs, in_root = fsio.filesystem(input_path, opts, what="--input")
    files = committed_inputs(input_path, opts)  # a wrong --input is refused before Java starts
    t0 = time.perf_counter()
    spark = spark or session(master, app="uptake counts", conf=conf)
    rows = latest_rows(spark, files, opts)
    usable = rows.where((F.col("status") != "failed") & F.col("month").isNotNull()).select(
        "month", "categories", "title", "paragraphs")
    out_url = fsio.url_of(fs, root)
    grams = usable.mapInArrow(ngram_batches(max_n), NGRAM_SCHEMA)
    cells = grams.groupBy("ngram", "n", "month", "category", "role").agg(F.count(F.lit(1)).alias("papers"))
    ngram_files = _write(cells.where(F.col("papers") >= min_papers), out_url, "ngrams",
                         pa.schema([("ngram", pa.string()), ("n", pa.int32()), ("month", pa.int32()),
                                    ("category", pa.string()), ("role", pa.string()), ("papers", pa.int64())]),
                         fs, root, opts)
    cat = F.when(F.size("categories") > 0, F.element_at("categories", 1)).otherwise(F.lit(NO_CATEGORY))
    totals = usable.groupBy(F.col("month"), cat.alias("category")).agg(F.count(F.lit(1)).alias("papers"))
    total_files = _write(totals, out_url, "totals", pa.schema([("month", pa.int32()), ("category", pa.string()),
                                                               ("papers", pa.int64())]), fs, root, opts)
    last = rows.where(F.col("status") != "failed").agg(F.max("published").alias("d")).collect()[0]["d"]
    meta = {"format": "uptake-counts/1", "last_date": last.isoformat() if last else None, "max_n": max_n,
            "min_papers": min_papers,
            "pruning": f"cells (n-gram, month, category, role) with fewer than {min_papers} papers are left out",
            "roles": "query roles and '*' (any role but use)", "case": "folded", "category": "primary",
            "source": os.path.realpath(in_root) if isinstance(in_fs, fsio.LocalFS) else fsio.url_of(in_fs, in_root)}
    commit = {**meta, "files": {"ngrams": ngram_files, "totals": total_files}}
    fs.pipe(fsio.join(root, META_FILE), (json.dumps(commit, indent=1) + "\n").encode())  # the commit, last
    for rel in replaced:  # the replaced counts' files: nothing lists them any more (best effort)
        try:
            fs.rm(fsio.join(root, rel))
        except Exception:  # noqa: BLE001 - a file left behind is never read
            continue
    return {**meta, "output": str(output), "seconds": round(time.perf_counter() - t0, 3)}
