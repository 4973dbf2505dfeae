"""``python -m bench --papers N``: build a synthetic corpus and its term index, time every query kind
against two baselines a user would otherwise write, and print one table.

Each phase runs in its own process so its peak RSS is its own. Results go to
``--out`` (JSON) as they arrive, so a long run that is stopped keeps what it measured.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from .phases import PHASES


def run_phase(name: str, args: argparse.Namespace) -> dict:
    cmd = [sys.executable, "-m", "bench.phases", name, "--db", str(args.db), "--papers", str(args.papers),
           "--repeat", str(args.repeat), "--pandas-rows", str(args.pandas_rows)]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        raise SystemExit(f"bench phase {name} failed")
    rows = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"[{name}] done in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    return rows


def fmt_s(v: float | None) -> str:
    if v is None:
        return "–"
    if v < 1e-3:
        return f"{v * 1e6:.0f} µs"
    if v < 1:
        return f"{v * 1e3:.1f} ms"
    return f"{v:.2f} s"


def table(rows: list[dict], n: int) -> str:
    head = "| operation | N | median | p95 | peak RSS | vs DuckDB regexp | vs pandas str.contains | note |"
    lines = [head, "|" + "---|" * 8]
    for r in rows:
        ratio = lambda k: f"{r[k]:,.0f}×" if r.get(k) else "–"  # noqa: E731, B023 (used within the iteration)
        rss = f"{r['rss_mb']:,.0f} MB" if r.get("rss_mb") else "–"
        lines.append(f"| {r['op'].replace('|', chr(92) + '|')} | {n:,} | {fmt_s(r.get('median'))} | {fmt_s(r.get('p95'))} | {rss} | "
                     f"{ratio('x_duckdb')} | {ratio('x_pandas')} | {r.get('note', '')} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--papers", type=int, default=100_000, help="corpus size (10k .. 2.8M)")
    p.add_argument("--db", type=Path, default=None, help="store path (default /tmp/uptake-bench/N.duckdb)")
    p.add_argument("--repeat", type=int, default=20, help="timed runs per indexed query")
    p.add_argument("--pandas-rows", type=int, default=500_000,
                   help="load at most this many papers into pandas; its time is scaled linearly to N")
    p.add_argument("--phases", default=",".join(PHASES), help="comma-separated subset of " + ",".join(PHASES))
    p.add_argument("--out", type=Path, default=None, help="JSON file for the results")
    args = p.parse_args(argv)
    if args.db is None:
        args.db = Path(f"/tmp/uptake-bench/{args.papers}.duckdb")
    args.db.parent.mkdir(parents=True, exist_ok=True)
    out = args.out or args.db.with_suffix(".results.json")
    results: list[dict] = []
    for name in args.phases.split(","):
        results.extend(run_phase(name, args))
        out.write_text(json.dumps({"papers": args.papers, "rows": results}, indent=1))
    # Ratios: each indexed query against the baselines for the same query kind.
    base = {(r["kind"], r["engine"]): r["median"] for r in results if r.get("engine") in ("duckdb", "pandas")}
    for r in results:
        if r.get("engine") == "index" and r.get("kind"):
            for eng in ("duckdb", "pandas"):
                b = base.get((r["kind"], eng))
                if b and r.get("median"):
                    r[f"x_{eng}"] = b / r["median"]
    out.write_text(json.dumps({"papers": args.papers, "rows": results}, indent=1))
    print(table(results, args.papers))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
