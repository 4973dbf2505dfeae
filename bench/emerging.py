"""``python -m bench.emerging STORE [--src OLD/src] [--baseline-python PY] [--runs 3] [--md]``: `uptake emerging`
as a whole process.

Each run is a cold process: ``python -m uptake emerging --db STORE --format json`` with the default windows,
timed from outside (wall time, and the peak RSS from ``/usr/bin/time``), with the report's own stages
(screen, recount). One untimed run per tree comes first: it reads the store into the operating system's page
cache and writes the tree's bytecode caches, which an installed package already has (the runs ignore
``PYTHONDONTWRITEBYTECODE``, or every run would compile uptake's modules again). With ``--src`` pointing at
another uptake ``src/`` (an older commit's), the two trees run alternately in the same session, so the ratio
between them is measured under the same load; their reports are compared with the timings left out, and the
script says whether they are identical. ``--baseline-python`` runs the baseline with another interpreter (another
environment's ``python``); without ``--src`` the baseline is then this tree too, so the two differ only in their
environment (for example a plain ``pip install .`` without pandas, against a development environment with it).

Prints a JSON object on the last line; ``--md`` also prints a Markdown table. Read the load average it
records: the machine may be shared.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent.parent / "src"


def run_once(src: Path, store: Path, extra: list[str], python: str = sys.executable) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out, timing = Path(tmp) / "report.json", Path(tmp) / "time.txt"
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {"PYTHONPATH": str(src)}
        cmd = ["/usr/bin/time", "-f", "%e %M", "-o", str(timing), python, "-m", "uptake", "emerging",
               "--db", str(store), "--format", "json", *extra]
        with out.open("w") as f:
            subprocess.run(cmd, env=env, stdout=f, check=True)
        wall, rss_kb = timing.read_text().split()[-2:]
        report = json.loads(out.read_text())
    return {"wall_s": float(wall), "rss_mb": int(rss_kb) // 1024, "seconds": report.pop("seconds"),
            "stages": report.pop("stages"), "report": report}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("store", type=Path)
    ap.add_argument("--src", type=Path, default=None, help="another uptake src/ to run alternately (the baseline)")
    ap.add_argument("--baseline-python", default=None,
                    help="the interpreter the baseline runs with (default: this one); the baseline is this tree unless --src")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--md", action="store_true")
    ap.add_argument("extra", nargs="*", help="more `uptake emerging` options, after --")
    args = ap.parse_args()
    baseline = args.src.resolve() if args.src else HERE if args.baseline_python else None
    trees = {"this": HERE} | ({"baseline": baseline} if baseline is not None else {})
    python = {"this": sys.executable, "baseline": args.baseline_python or sys.executable}
    load_before = os.getloadavg()
    runs: dict[str, list[dict[str, Any]]] = {k: [] for k in trees}
    for name, src in trees.items():  # not timed: writes the trees' bytecode caches, as an installed package has
        run_once(src, args.store, args.extra, python[name])  # them, and reads the store into the page cache
    for _ in range(args.runs):
        for name, src in trees.items():
            runs[name].append(run_once(src, args.store, args.extra, python[name]))
    load_after = os.getloadavg()
    result: dict[str, Any] = {"store": str(args.store), "load_before": load_before, "load_after": load_after}
    for name, rs in runs.items():
        result[name] = {
            "wall_s": [r["wall_s"] for r in rs], "median_wall_s": statistics.median(r["wall_s"] for r in rs),
            "internal_s": [round(r["seconds"], 2) for r in rs],
            "screen_s": [round(r["stages"].get("screen", 0.0), 2) for r in rs],
            "recount_s": [round(r["stages"].get("recount", 0.0), 2) for r in rs],
            "peak_rss_mb": max(r["rss_mb"] for r in rs), "terms": len(rs[0]["report"]["terms"]),
        }
    if "baseline" in runs:
        result["identical"] = all(r["report"] == runs["baseline"][0]["report"] for rs in runs.values() for r in rs)
        result["ratio"] = result["baseline"]["median_wall_s"] / result["this"]["median_wall_s"]
    if args.md:
        print("| tree | wall time per run (cold process) | inside: total / screen / recount | peak RSS |")
        print("|---|---|---|---|")
        for name in runs:
            r = result[name]
            inside = ", ".join(f"{t} / {s} / {c}" for t, s, c in zip(r["internal_s"], r["screen_s"], r["recount_s"]))
            print(f"| {name} | {', '.join(f'{w:.2f}' for w in r['wall_s'])} s | {inside} s | {r['peak_rss_mb']} MB |")
        print(f"\nload average {load_before[0]:.1f} before, {load_after[0]:.1f} after"
              + (f"; reports identical: {result['identical']}; baseline / this: {result['ratio']:.2f} x"
                 if "baseline" in runs else ""))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
