"""The benchmark's phases, each run in its own process: ``python -m bench.phases NAME --db PATH --papers N``.

Prints one JSON list of result rows on its last line.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PHASES = ("build", "index", "query", "cli", "baselines", "incremental")

QUERIES = {
    "term": ("single term", "GRPO"),
    "phrase": ("3-word phrase", '"proximal policy optimization"'),
    "series10": ("10 series", 'GRPO, DPO, PPO, LoRA, =LoRa, DAPO, "mixture of agents", '
                 '"direct preference optimization", network, "low rank adaptation"'),
    "common": ("very common word", "the"),
    "common2": ("common word", "model"),
    "boolean": ("boolean", "(GRPO | DAPO) AND NOT PPO, LoRA cat:cs.CL -cat:cs.LG"),
    "casesens": ("case-sensitive term", "=LoRa"),
}
REGEX = {  # what a user would write for the same question (whole word, case-insensitive)
    "term": r"\bGRPO\b",
    "phrase": r"\bproximal\W+policy\W+optimization\b",
    "common": r"\bthe\b",
}


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn, repeat: int) -> tuple[float, float, object]:  # type: ignore[no-untyped-def]
    out = fn()  # warm-up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    return statistics.median(times), p95, out


def phase_build(a: argparse.Namespace) -> list[dict]:
    from uptake.ingest import upsert
    from uptake.store import Store
    from uptake.synthetic import SyntheticCorpus

    if a.db.exists():
        with Store.open(a.db) as st:
            if st.paper_count() >= a.papers:
                return [{"op": "corpus build (store, reused)", "median": None, "note": "existing store reused"}]
        os.remove(a.db)
    os.environ["UPTAKE_NO_INDEX"] = "1"
    synth = SyntheticCorpus(n_papers=a.papers, seed=7)
    t0 = time.perf_counter()
    with Store.open(a.db, write=True) as st:
        batch = []
        for p in synth.papers():
            batch.append(p)
            if len(batch) >= 5000:
                st.begin(); upsert(st, batch); st.commit(); batch = []
        if batch:
            st.begin(); upsert(st, batch); st.commit()
    took = time.perf_counter() - t0
    return [{"op": "corpus build: generate + tokenise + store", "median": took, "rss_mb": rss_mb(),
             "note": f"{a.papers / took:,.0f} papers/s, one process"}]


def phase_index(a: argparse.Namespace) -> list[dict]:
    from uptake import index as ix
    from uptake.store import Store

    with Store.open(a.db, write=True) as st:
        t0 = time.perf_counter()
        info = ix.rebuild(st)
        took = time.perf_counter() - t0
        raw = st._rows("SELECT sum(strlen(title) + strlen(abstract)) FROM papers WHERE NOT deleted")[0][0]
    return [
        {"op": "index build (uptake index --rebuild)", "median": took, "rss_mb": rss_mb(),
         "note": f"{info.papers / took:,.0f} papers/s"},
        {"op": "index size / raw title+abstract text", "median": None,
         "note": f"{info.size_bytes / 1e9:.2f} GB / {raw / 1e9:.2f} GB = {info.size_bytes / raw:.2f}×"},
    ]


def phase_query(a: argparse.Namespace) -> list[dict]:
    import uptake

    corpus = uptake.open(a.db)
    rows = []
    for kind, (label, q) in QUERIES.items():
        med, p95, t = timed(lambda q=q: corpus.trend(q), a.repeat)
        n = sum(s.total_count for s in t.series)  # type: ignore[attr-defined]
        rows.append({"op": f"trend, {label}: {q if len(q) < 40 else q[:37] + '...'}", "kind": kind, "engine": "index",
                     "median": med, "p95": p95, "rss_mb": rss_mb(), "note": f"{n:,} matches"})
    med, p95, pl = timed(lambda: corpus.papers("GRPO", limit=20), a.repeat)
    rows.append({"op": "papers GRPO (newest 20)", "engine": "index", "median": med, "p95": p95, "rss_mb": rss_mb(),
                 "note": f"{pl.total:,} total"})  # type: ignore[attr-defined]
    os.environ["UPTAKE_NO_INDEX"] = "1"
    reps = 2 if a.papers > 1_000_000 else 5
    for kind in ("term", "common"):
        label, q = QUERIES[kind]
        med, p95, _ = timed(lambda q=q: corpus.trend(q), reps)
        rows.append({"op": f"trend {label} without the index (uptake's SQL token scan)", "kind": kind,
                     "engine": "scan", "median": med, "p95": p95, "rss_mb": rss_mb()})
    return rows


def phase_cli(a: argparse.Namespace) -> list[dict]:
    exe = Path(sys.executable).with_name("uptake")
    cmd = [str(exe), "trend", "GRPO", "--db", str(a.db), "--format", "csv"]

    def run() -> None:
        subprocess.run(cmd, check=True, capture_output=True)

    med, p95, _ = timed(run, 7)
    return [{"op": "`uptake trend GRPO` whole process", "median": med, "p95": p95, "note": "interpreter start included"}]


def phase_baselines(a: argparse.Namespace) -> list[dict]:
    from uptake.store import Store

    rows = []
    reps = 1 if a.papers > 1_000_000 else 3
    with Store.open(a.db) as st:
        for kind, rx in REGEX.items():
            sql = ("SELECT month, count(*) FROM papers WHERE NOT deleted AND "
                   "regexp_matches(title || ' ' || abstract, ?, 'i') GROUP BY month")
            med, p95, _ = timed(lambda rx=rx: st._rows(sql, [rx]), reps)  # noqa: B023 (timed calls it now)
            rows.append({"op": f"baseline DuckDB regexp_matches, {QUERIES[kind][0]}", "kind": kind, "engine": "duckdb",
                         "median": med, "p95": p95, "rss_mb": rss_mb()})
        n_rows = min(a.papers, a.pandas_rows)
        t0 = time.perf_counter()
        df = st._con.execute(
            "SELECT month, title || ' ' || abstract AS text FROM papers WHERE NOT deleted LIMIT ?", [n_rows]
        ).fetchdf()
        load = time.perf_counter() - t0
    scale = a.papers / len(df)
    for kind, rx in REGEX.items():
        med, p95, _ = timed(lambda rx=rx: df[df["text"].str.contains(rx, case=False, regex=True)].groupby("month").size(),
                            1 if len(df) > 200_000 else 2)
        note = f"measured on {len(df):,} rows × {scale:.2f}" if scale != 1 else ""
        rows.append({"op": f"baseline pandas str.contains, {QUERIES[kind][0]}", "kind": kind, "engine": "pandas",
                     "median": med * scale, "p95": p95 * scale, "rss_mb": rss_mb(), "note": note})
    rows.append({"op": "baseline pandas: load text from the store", "median": load * scale, "rss_mb": rss_mb(),
                 "note": f"{len(df):,} rows" + (f" × {scale:.2f}" if scale != 1 else "")})
    return rows


def phase_incremental(a: argparse.Namespace) -> list[dict]:
    import uptake
    from uptake import index as ix
    from uptake.store import Store
    from uptake.synthetic import SyntheticCorpus, write_jsonl

    from uptake.periods import month_label, month_of

    with Store.open(a.db) as st:  # new papers: the three months after the store's last one
        last = st.span()[1]
    first_new = month_of(last) + 1
    synth = SyntheticCorpus(n_papers=20_000, start=month_label(first_new), end=month_label(first_new + 2),
                            seed=first_new)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "new.jsonl.gz"
        write_jsonl(synth, str(src))
        sync_time = {}
        orig = ix.sync

        def timed_sync(store, **kw):  # type: ignore[no-untyped-def]
            t0 = time.perf_counter()
            info = orig(store, **kw)
            sync_time["s"] = time.perf_counter() - t0
            sync_time["action"] = info.action if info else None
            return info

        ix.sync = timed_sync  # type: ignore[assignment]
        t0 = time.perf_counter()
        summary = uptake.open(a.db).import_files([src])
        took = time.perf_counter() - t0
    with Store.open(a.db) as st:
        fresh = ix.open_fresh(st) is not None
    return [
        {"op": "incremental import of 20,000 new papers (store + index)", "median": took, "rss_mb": rss_mb(),
         "note": f"inserted {summary.inserted:,}; index {sync_time.get('action')} in {sync_time.get('s', 0):.1f} s; "
                 f"fresh afterwards: {fresh}"},
    ]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("phase", choices=PHASES)
    p.add_argument("--db", type=Path, required=True)
    p.add_argument("--papers", type=int, required=True)
    p.add_argument("--repeat", type=int, default=20)
    p.add_argument("--pandas-rows", type=int, default=500_000)
    a = p.parse_args()
    rows = globals()[f"phase_{a.phase}"](a)
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
