"""uptake on Spark (local mode): papers per second per core at 1 and 2 cores, start-up separated.

    python bench/spark.py [--papers N] [--eprints DIR] [--cores 1 2] [--repeat R]

For each core count a fresh process starts Spark (``local[C]``) and measures, each the median of R runs:

* **start-up**: JVM + SparkSession creation, and one trivial job (the per-job floor: scheduling, Python workers);
* **extract**: ``uptake spark extract`` of the e-prints in DIR (default: the shared real samples; one task per
  file), written to Parquet and committed;
* **trend**: ``uptake spark trend`` of a three-series query over N synthetic full texts (default 20,000) written
  as Parquet beforehand; the exact per-paper work is uptake's tokenizer and matcher.
* **counts**: ``uptake spark counts --max-n 3`` over the same full texts (n-grams per paper, then Spark's
  shuffle and aggregation into (n-gram, month, category, role) cells, written as Parquet).

The same work in one plain Python process (no Spark) is measured too, so Spark's overhead is visible. Rates are
per core: papers / (seconds − trivial-job floor) / cores. Prints a Markdown table and the JSON it came from.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
SHARED = ROOT.parent / "shared" / "data" / "fulltext"
QUERY = 'GRPO, "policy optimization" in:method, reward AND NOT PPO'


def write_synthetic(out: Path, n: int) -> None:
    import random
    from datetime import date

    import pyarrow as pa
    import pyarrow.parquet as pq

    from uptake.records import ROLES, FullText, Paragraph
    from uptake.sources.fulltext_parquet import to_batch, to_row

    words = ["GRPO", "PPO", "policy", "optimization", "reward", "model", "the", "we", "train", "data", "[cite:k1]",
             "[formula]", "loss", "gradient", "network", "sample"]
    rng = random.Random(7)
    run = out / "run=bench"
    run.mkdir(parents=True)
    rows = []
    for i in range(n):
        paras = tuple(Paragraph(r := rng.choice(ROLES), r, " ".join(rng.choice(words) for _ in range(rng.randint(40, 120))) + ".")
                      for _ in range(rng.randint(8, 30)))
        m = rng.randint(0, 23)
        rows.append(to_row(FullText(id=f"25{m:02d}.{i:05d}", title="A title", abstract="", paragraphs=paras,
                                    bibliography=(), source_kind="unarxive", extractor="bench/1", status="ok",
                                    categories=(rng.choice(["cs.LG", "cs.CL", "math.PR"]),),
                                    published=date(2024 + m // 12, 1 + m % 12, 1)), "bench"))
        if len(rows) == 1000:
            pq.write_table(pa.Table.from_batches([to_batch(rows)]), run / f"part-{i:06d}.parquet")
            rows = []
    if rows:
        pq.write_table(pa.Table.from_batches([to_batch(rows)]), run / "part-last.parquet")


def worker(cores: int, eprints: Path, parquet: Path, repeat: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    from uptake.scope import Scope
    from uptake.spark import session
    from uptake.spark.counts import run_counts
    from uptake.spark.extract import run_extract
    from uptake.spark.trend import spark_trend

    spark = session(f"local[{cores}]", app="uptake bench", conf={
        "spark.ui.enabled": "false", "spark.sql.shuffle.partitions": str(2 * cores),
        # small input files split into several tasks, so every core has work (Spark's default packs 128 MB per task)
        "spark.sql.files.maxPartitionBytes": str(4 * 1024 * 1024)})
    startup = time.perf_counter() - t0
    floors, extracts, trends, counts = [], [], [], []
    papers = 0
    for _ in range(repeat):
        t = time.perf_counter()
        spark.sparkContext.parallelize(range(cores), cores).map(lambda x: x).count()
        floors.append(time.perf_counter() - t)
        out = Path(tempfile.mkdtemp(prefix="uptake-bench-"))
        t = time.perf_counter()
        rep = run_extract([str(eprints)], out / "x", spark=spark)
        extracts.append(time.perf_counter() - t)
        papers = sum(rep.statuses.values())
        shutil.rmtree(out, ignore_errors=True)
        t = time.perf_counter()
        trend = spark_trend(QUERY, parquet, scope=Scope.build(text="full"), spark=spark)
        trends.append(time.perf_counter() - t)
        out = Path(tempfile.mkdtemp(prefix="uptake-bench-"))
        t = time.perf_counter()
        run_counts(parquet, out / "counts", max_n=3, spark=spark)
        counts.append(time.perf_counter() - t)
        shutil.rmtree(out, ignore_errors=True)
    spark.stop()
    return {"cores": cores, "startup_s": startup, "job_floor_s": statistics.median(floors),
            "extract_s": statistics.median(extracts), "extract_papers": papers,
            "trend_s": statistics.median(trends), "trend_papers": trend.corpus.papers,
            "counts_s": statistics.median(counts)}


def plain(eprints: Path, parquet: Path) -> dict[str, Any]:
    """The same work in this process, without Spark (one core)."""
    import pyarrow.dataset as ds

    from uptake.corpus import prepare_fulltext_query
    from uptake.corpus._fulltext import matches
    from uptake.index.fulltext import role_token_strings
    from uptake.query import parse_query
    from uptake.scope import Scope
    from uptake.sources.eprint import iter_eprints
    from uptake.sources.fulltext_parquet import to_row

    t = time.perf_counter()
    n = 0
    for f in sorted(eprints.iterdir()):
        for ft in iter_eprints(f) if f.name != "MANIFEST.tsv" else ():
            to_row(ft, str(f))
            n += 1
    extract = time.perf_counter() - t
    plans = prepare_fulltext_query(parse_query(QUERY), Scope.build(text="full")).plans
    t = time.perf_counter()
    m = 0
    for batch in ds.dataset(parquet, format="parquet").to_batches(columns=["categories", "title", "paragraphs"]):
        for row in batch.to_pylist():
            roles = role_token_strings(row["title"], [(p["role"], p["text"]) for p in row["paragraphs"]])
            cat = " " + " ".join(row["categories"]) + " "
            for p in plans:
                if matches(p.universe, roles, cat):
                    matches(p.match, roles, cat)
            m += 1
    trend = time.perf_counter() - t
    # counts without Spark: the same per-paper n-gram work (uptake's own function), summed in a dict
    from collections import Counter

    from uptake.spark.counts import ngram_batches

    t = time.perf_counter()
    cells: Counter[tuple[object, ...]] = Counter()
    batches = ds.dataset(parquet, format="parquet").to_batches(columns=["month", "categories", "title", "paragraphs"])
    for out in ngram_batches(3)(iter(batches)):
        cells.update(zip(*(out.column(i).to_pylist() for i in range(out.num_columns)), strict=True))
    return {"extract_s": extract, "extract_papers": n, "trend_s": trend, "trend_papers": m,
            "counts_s": time.perf_counter() - t}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--papers", type=int, default=20_000)
    ap.add_argument("--eprints", type=Path, default=SHARED / "arxiv-src")
    ap.add_argument("--cores", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--worker", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--parquet", type=Path, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker is not None:
        print(json.dumps(worker(args.worker, args.eprints, args.parquet, args.repeat)))
        return
    with tempfile.TemporaryDirectory(prefix="uptake-bench-") as tmp:
        parquet = Path(tmp) / "synthetic"
        write_synthetic(parquet, args.papers)
        results = [{"cores": "plain Python", **plain(args.eprints, parquet)}]
        for c in args.cores:
            out = subprocess.run([sys.executable, __file__, "--worker", str(c), "--eprints", str(args.eprints),
                                  "--parquet", str(parquet), "--repeat", str(args.repeat)],
                                 capture_output=True, text=True, check=True)
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print("| run | start-up s | job floor s | extract s | e-prints/s/core | trend s | full texts/s/core "
          "| counts s | full texts/s/core |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        cores = r["cores"] if isinstance(r["cores"], int) else 1
        floor = r.get("job_floor_s", 0.0)
        ex = r["extract_papers"] / max(r["extract_s"] - floor, 1e-9) / cores
        tr = r["trend_papers"] / max(r["trend_s"] - floor, 1e-9) / cores
        co = r["trend_papers"] / max(r["counts_s"] - floor, 1e-9) / cores
        print(f"| {r['cores']} | {r.get('startup_s', 0):.1f} | {floor:.2f} | {r['extract_s']:.1f} | {ex:.2f} | "
              f"{r['trend_s']:.1f} | {tr:.0f} | {r['counts_s']:.1f} | {co:.0f} |")
    print()
    print("```json\n" + json.dumps(results, indent=1) + "\n```")


if __name__ == "__main__":
    main()
