"""``uptake spark trend``: a query's full-text trend over the Parquet ``uptake spark extract`` wrote.

The driver parses and compiles the query with uptake's one compiler
(:func:`~uptake.corpus.prepare_fulltext_query` → :func:`~uptake.query.plan.plan_query`) and broadcasts the plans.
Each task, in ``mapInArrow``, builds every paper's role token strings with
:func:`~uptake.index.fulltext.role_token_strings` and evaluates each series' universe and match with
:func:`~uptake.corpus._fulltext.matches` — the embedded exact scan's own code — and emits partial counts per
(month, series); Spark adds them up. The driver then builds the :class:`~uptake.analytics.trends.Trend` with
:func:`~uptake.corpus.assemble_fulltext_trend`, as ``Corpus.trend(text="full")`` does on a store holding the
same full texts (and no metadata), so CSV and JSON are byte-identical.

Which rows count, as in the store: one row per paper id (when a paper was extracted in several runs, the
newest run's row, as importing the runs oldest first would leave it), status ok or partial, a known month.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..analytics.trends import Measure, Trend
from ..corpus import assemble_fulltext_trend, check_categories, prepare_fulltext_query
from ..corpus._fulltext import check_plan
from ..errors import NoCorpusError, SourceNotFoundError
from ..query import Query, parse_query
from ..scope import Scope
from ..sources.fulltext_parquet import REJECTED
from . import session

#: Series numbers of the extra counts: papers with a usable full text in the categories asked, and in all.
WITH_TEXT = -1
ALL_TEXTS = -2

COUNT_SCHEMA = "month int, series int, total long, found long"


def count_batches(plans_bc: Any, categories: tuple[str, ...]) -> Callable[[Iterator[Any]], Iterator[Any]]:
    """The ``mapInArrow`` function: papers → partial counts per (month, series)."""

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa

        from ..corpus._fulltext import matches
        from ..index.fulltext import role_token_strings
        from ..plans import AnyOf, InCategory

        plans = plans_bc.value
        in_scope = AnyOf(tuple(InCategory(c) for c in categories)) if categories else None
        acc: dict[tuple[int, int], list[int]] = {}

        def add(month: int, series: int, total: int, found: int) -> None:
            cell = acc.setdefault((month, series), [0, 0])
            cell[0] += total
            cell[1] += found

        for batch in batches:
            for row in batch.to_pylist():
                month = row["month"]
                cat_str = " " + " ".join(row["categories"] or ()) + " "
                add(month, ALL_TEXTS, 1, 0)
                if in_scope is not None and not matches(in_scope, {}, cat_str):
                    continue
                add(month, WITH_TEXT, 1, 0)
                roles = role_token_strings(row["title"] or "", [(p["role"], p["text"]) for p in row["paragraphs"] or ()])
                for i, plan in enumerate(plans):
                    if matches(plan.universe, roles, cat_str):
                        add(month, i, 1, 1 if matches(plan.match, roles, cat_str) else 0)
        if acc:
            keys = sorted(acc)
            yield pa.RecordBatch.from_pydict(
                {"month": [k[0] for k in keys], "series": [k[1] for k in keys],
                 "total": [acc[k][0] for k in keys], "found": [acc[k][1] for k in keys]},
                schema=pa.schema([("month", pa.int32()), ("series", pa.int32()), ("total", pa.int64()),
                                  ("found", pa.int64())]))

    return run


#: The columns trend and counts read, and their Spark schema (plus the run and the file of each row).
READ_COLUMNS = ("id", "status", "month", "published", "categories", "title", "paragraphs")
READ_SCHEMA = ("id string, status string, month int, published date, categories array<string>, title string, "
               "paragraphs array<struct<role:string,section:string,text:string,cites:array<string>>>, "
               "run string, _file string")


def read_batches(storage_options: Mapping[str, Any] | None) -> Callable[[Iterator[Any]], Iterator[Any]]:
    """The ``mapInArrow`` function: batches of (file URL, run) → the file's rows (pyarrow through fsspec)."""
    opts = dict(storage_options or {})

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa
        import pyarrow.parquet as pq

        from ..sources import fsio
        from ..sources.fulltext_parquet import SCHEMA

        target = pa.schema([SCHEMA.field(c) for c in READ_COLUMNS])
        for batch in batches:
            for url, run_name in zip(batch.column("file").to_pylist(), batch.column("run").to_pylist(), strict=True):
                fs, path = fsio.filesystem(url, opts)
                with fs.open(path, "rb") as f:
                    for b in pq.ParquetFile(f).iter_batches(batch_size=64, columns=list(READ_COLUMNS)):
                        t = pa.Table.from_batches([b]).select(list(READ_COLUMNS)).cast(target)
                        t = t.append_column("run", pa.array([run_name] * t.num_rows, pa.string()))
                        t = t.append_column("_file", pa.array([url] * t.num_rows, pa.string()))
                        yield from t.to_batches()

    return run


def committed_inputs(path: str | Path, storage_options: Mapping[str, Any] | None = None) -> list[tuple[str, str]]:
    """``(file URL, run)`` of the committed Parquet at ``path`` (a folder or URL ``uptake spark extract`` wrote, or
    one Parquet file); a missing or empty input is refused here, before a Spark session is started for it."""
    from ..sources import fsio
    from ..sources.fulltext_parquet import parquet_files

    fs, root = fsio.filesystem(path, storage_options, what="--input")
    if not fs.exists(root):
        raise SourceNotFoundError(f"{path} does not exist; give the folder `uptake spark extract` wrote")
    files = [(fsio.url_of(f_fs, f), run) for f_fs, f, run in parquet_files([path], storage_options)]
    if not files:
        raise NoCorpusError(f"{path} holds no committed full texts (no run of `uptake spark extract` finished)")
    return files


def latest_rows(spark: Any, files: Sequence[tuple[str, str]], storage_options: Mapping[str, Any] | None = None,
                ) -> Any:
    """One row per paper id (the newest run's), rejected input lines left out, of ``files``
    (:func:`committed_inputs`)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    listing = spark.sparkContext.parallelize(files, numSlices=len(files)).toDF("file string, run string")
    df = listing.mapInArrow(read_batches(storage_options), READ_SCHEMA)
    df = df.where(F.col("status") != REJECTED)
    w = Window.partitionBy("id").orderBy(F.col("run").desc(), F.col("_file").desc())
    return df.withColumn("_rank", F.row_number().over(w)).where(F.col("_rank") == 1).drop("_rank")


def spark_trend(query: str | Query, input_path: str | Path, *, scope: Scope | None = None,
                measure: Measure = "share", smooth: int = 1, master: str | None = None, spark: Any = None,
                conf: dict[str, str] | None = None, storage_options: Mapping[str, Any] | None = None) -> Trend:
    """The full-text trend of ``query`` over extracted Parquet, counted on Spark (without ``spark``, a session on
    ``master`` with ``conf``, started once the query and the input are checked)."""
    from pyspark.sql import functions as F

    sc = (scope or Scope.build(text="full")).with_(text="full")
    parsed = query if isinstance(query, Query) else parse_query(query)
    q = prepare_fulltext_query(parsed, sc)
    files = committed_inputs(input_path, storage_options)
    spark = spark or session(master, app="uptake trend", conf=conf)
    rows = latest_rows(spark, files, storage_options).cache()
    try:
        head = rows.select(
            F.min(F.when(F.col("status") != "failed", F.col("month"))).alias("first"),
            F.max(F.when(F.col("status") != "failed", F.col("month"))).alias("last"),
            F.max(F.when(F.col("status") != "failed", F.col("published"))).alias("last_date"),
            F.count(F.lit(1)).alias("n"),
        ).collect()[0]
        if not head["n"]:
            raise NoCorpusError(f"{input_path} holds no full texts")
        check_categories(lambda: sorted(r[0] for r in rows.select(F.explode("categories")).distinct().collect()
                                        if r[0]), sc.categories, q.parsed)
        for plan in q.plans:  # what the evaluator would refuse, refused here rather than in a task
            check_plan(plan.universe)
            check_plan(plan.match)
        first_m, last_m, last_date = head["first"], head["last"], head["last_date"]
        lo, hi = sc.resolve(first_m, last_m)
        usable = rows.where((F.col("status") != "failed") & F.col("month").isNotNull()).select(
            "month", "categories", "title", "paragraphs")
        plans_bc = spark.sparkContext.broadcast(q.plans)
        parts = usable.mapInArrow(count_batches(plans_bc, tuple(sc.categories)), COUNT_SCHEMA)
        summed = parts.groupBy("month", "series").agg(F.sum("total").alias("total"), F.sum("found").alias("found"))
        cells = summed.collect()
        plans_bc.unpersist()
    finally:
        rows.unpersist()
    counts: list[dict[int, int]] = [{} for _ in q.plans]
    totals: list[dict[int, int]] = [{} for _ in q.plans]
    with_text: dict[int, int] = {}
    n = 0
    for r in cells:
        month, series, total, found = int(r["month"]), int(r["series"]), int(r["total"]), int(r["found"])
        if series == ALL_TEXTS:
            n += total
            continue
        if not lo <= month <= hi:
            continue
        if series == WITH_TEXT:
            with_text[month] = total
            continue
        totals[series][month] = total
        if found:
            counts[series][month] = found
    return assemble_fulltext_trend(q, sc, measure=measure, smooth=smooth, lo=lo, hi=hi, counts=counts,
                                   totals=totals, with_text=with_text, all_papers={}, n=n, first_m=first_m,
                                   last_m=last_m, last_date=last_date, meta_last=None)
