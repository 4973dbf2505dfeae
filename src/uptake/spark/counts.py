"""``uptake spark counts``: how many papers contain each n-gram (n ≤ ``max_n``), per month × primary category ×
role, over the Parquet ``uptake spark extract`` wrote — the tables a counts corpus answers terms and phrases from.

The n-grams are those uptake's phrase matching sees: each role's folded token string from
:func:`~uptake.index.fulltext.role_token_strings`, cut at its paragraph breaks (formula, citation and reference
markers included), n consecutive tokens within one piece. A paper counts once per (n-gram, month, category,
role). Roles are the query roles (``use`` included) plus ``*``: anywhere but ``use``, what a query without
``in:`` reads. Only case-folded n-grams are counted (``=GRPO`` cannot be answered from them).

Output (written to ``OUTPUT._tmp-…`` and renamed to OUTPUT when complete)::

    OUTPUT/ngrams/part-*.parquet   ngram string, n int, month int, category string, role string, papers long
    OUTPUT/totals/part-*.parquet   month int, category string, papers long   (usable full texts)
    OUTPUT/_metadata.json          max_n, min_papers (cells with fewer papers were dropped), roles, source,
                                   last_date (the newest v1 date of a usable full text)

``uptake import-counts OUTPUT --db FOLDER`` makes it a counts corpus (:mod:`uptake.corpus._counts`).
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ..errors import UsageError
from . import session
from .trend import latest_rows

ANY_ROLE = "*"
NGRAM_SCHEMA = "ngram string, n int, month int, category string, role string"
NO_CATEGORY = "(none)"


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


def run_counts(input_path: str | Path, output: str | Path, *, max_n: int = 3, min_papers: int = 1,
               master: str | None = None, spark: Any = None) -> dict[str, Any]:
    """Count n-grams of the extracted full texts at ``input_path`` into ``output`` (which must not exist)."""
    from pyspark.sql import functions as F

    if not 1 <= max_n <= 5:
        raise UsageError("--max-n must be between 1 and 5")
    if min_papers < 1:
        raise UsageError("--min-papers must be 1 or more")
    out = Path(output)
    if out.exists():
        raise UsageError(f"{out} exists: counts are written to a new folder")
    t0 = time.perf_counter()
    spark = spark or session(master, app="uptake counts")
    rows = latest_rows(spark, input_path)
    usable = rows.where((F.col("status") != "failed") & F.col("month").isNotNull()).select(
        "month", "categories", "title", "paragraphs")
    tmp = out.with_name(out.name + "._tmp-" + uuid.uuid4().hex[:8])
    try:
        grams = usable.mapInArrow(ngram_batches(max_n), NGRAM_SCHEMA)
        cells = grams.groupBy("ngram", "n", "month", "category", "role").agg(F.count(F.lit(1)).alias("papers"))
        cells.where(F.col("papers") >= min_papers).write.parquet(str(tmp / "ngrams"))
        cat = F.when(F.size("categories") > 0, F.element_at("categories", 1)).otherwise(F.lit(NO_CATEGORY))
        usable.groupBy(F.col("month"), cat.alias("category")).agg(F.count(F.lit(1)).alias("papers")) \
            .write.parquet(str(tmp / "totals"))
        last = rows.where(F.col("status") != "failed").agg(F.max("published").alias("d")).collect()[0]["d"]
        meta = {"format": "uptake-counts/1", "last_date": last.isoformat() if last else None, "max_n": max_n,
                "min_papers": min_papers,
                "pruning": f"cells (n-gram, month, category, role) with fewer than {min_papers} papers are left out",
                "roles": "query roles and '*' (any role but use)", "case": "folded", "category": "primary",
                "source": str(Path(input_path).resolve())}
        (tmp / "_metadata.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
        os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return {**meta, "output": str(out), "seconds": round(time.perf_counter() - t0, 3)}
