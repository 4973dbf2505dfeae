"""How long ``uptake serve`` takes to answer its first chart, and what it does afterwards.

    python -m bench.serve_start --db STORE [--runs 7] [--src OTHER/src ...] [--importtime] [--idle 5] [--md]

Each run starts ``python -m uptake serve --db STORE`` on a free 127.0.0.1 port and does what a browser does when
the page is opened: it asks for ``/`` until the server answers, reads the page's configuration from
``<body data-config>`` (the default query and first month), then asks for the chart: ``/api/trend`` with the
page's default parameters, while ``/api/stats`` (the header's corpus facts) is asked for at the same time, as the
page does. Measured from the moment the process is started:

* ``page``: wall seconds until ``/`` answered;
* ``chart``: wall seconds until ``/api/trend`` answered (the number the issue's ≤ 1 s target is about);
* ``cpu``: the server process's CPU seconds (user + system, all threads) at that moment;
* ``idle``: CPU seconds the server spent in the ``--idle`` seconds after the chart (0 when nothing runs in the
  background), sampled from ``/proc``.

Several ``--src`` folders are measured in alternation (run 1 of each, then run 2 of each, …), so each ratio is
taken side by side under the same load. Each tree is byte-compiled first, as an installed package is. ``--importtime`` adds one ``python -X importtime`` run per tree: the
modules imported by the time the chart answered, the slowest first.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime (fields 14 and 15 of stat)


def get(url: str, timeout: float = 30.0) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return bytes(r.read())
    except (urllib.error.URLError, ConnectionError, OSError):
        return None


def one_run(src: Path, db: Path, idle: float, importtime: Path | None = None) -> dict:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(src)}
    cmd = [sys.executable, *(["-X", "importtime"] if importtime else []), "-m", "uptake", "serve", "--db", str(db),
           "--port", str(port)]
    err = open(importtime, "w") if importtime else subprocess.DEVNULL  # noqa: SIM115 (closed below)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err)
    base = f"http://127.0.0.1:{port}"
    try:
        page = None
        while page is None:
            if proc.poll() is not None:
                raise SystemExit(f"uptake serve ({src}) exited with {proc.returncode}")
            page = get(base + "/", timeout=30)
            if page is None:
                time.sleep(0.005)
        t_page = time.perf_counter() - t0
        m = re.search(rb'data-config="([^"]*)"', page)
        cfg = json.loads(html.unescape(m.group(1).decode())) if m else {}
        params = {"q": cfg.get("default_query", "GRPO, DPO, PPO"), "by": "month", "measure": "share", "smooth": "1"}
        if cfg.get("default_from"):
            params["from"] = cfg["default_from"]
        stats = threading.Thread(target=get, args=(base + "/api/stats", 60))  # the page asks for both at once
        stats.start()
        body = get(base + "/api/trend?" + urllib.parse.urlencode(params), timeout=60)
        t_chart = time.perf_counter() - t0
        stats.join()
        cpu = cpu_seconds(proc.pid)
        if body is None or b'"series"' not in body:
            raise SystemExit(f"/api/trend did not answer a trend: {body!r:.200}")
        time.sleep(idle)
        idle_cpu = cpu_seconds(proc.pid) - cpu
        rss_kb = int(re.search(r"VmHWM:\s+(\d+)", Path(f"/proc/{proc.pid}/status").read_text()).group(1))  # type: ignore[union-attr]
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if importtime:
            err.close()  # type: ignore[union-attr]
    return {"page": t_page, "chart": t_chart, "cpu": cpu, "idle": idle_cpu, "rss_mb": rss_kb / 1024}


def slowest_imports(log: Path, n: int = 25) -> list[tuple[int, int, str]]:
    """(self µs, cumulative µs, module) of the slowest imports in a ``-X importtime`` log (indented as nested),
    after a first row holding the sum of every import's self time."""
    rows = []
    for line in log.read_text().splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)", line)
        if m:
            rows.append((int(m.group(1)), int(m.group(2)), len(m.group(3)) // 2, m.group(4)))
    total = sum(r[0] for r in rows)
    top = sorted(rows, key=lambda r: -r[1])[:n]
    return [(total, total, "(all imports: self times summed)")] + [(s, c, "  " * d + name) for s, c, d, name in top]


def main(argv: list[str] | None = None) -> int:
    here = Path(__file__).resolve().parents[1] / "src"
    ap = argparse.ArgumentParser(prog="python -m bench.serve_start", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", type=Path, required=True, help="the store to serve (the real corpus, with its index)")
    ap.add_argument("--src", type=Path, action="append", help="uptake src/ folder(s) to compare (default: this tree's)")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--idle", type=float, default=3.0, help="seconds to watch the server's CPU after the chart")
    ap.add_argument("--importtime", type=Path, default=None, metavar="DIR", help="also write -X importtime logs here")
    ap.add_argument("--md", action="store_true", help="print a markdown table")
    a = ap.parse_args(argv)
    srcs = [s.resolve() for s in (a.src or [here])]
    runs: dict[Path, list[dict]] = {s: [] for s in srcs}
    for s in srcs:  # bytecode, as an installed package has it (pip compiles at install time)
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(s)], check=True,
                       env={k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"})
    load = [os.getloadavg()]
    for s in srcs:  # one untimed run each: page cache
        one_run(s, a.db, 0)
    for _ in range(a.runs):
        for s in srcs:
            runs[s].append(one_run(s, a.db, a.idle))
    load.append(os.getloadavg())
    out = {"db": str(a.db), "runs": a.runs, "load_before": load[0], "load_after": load[1], "trees": {}}
    for s in srcs:
        r = runs[s]
        out["trees"][str(s)] = {k: {"median": statistics.median(x[k] for x in r), "min": min(x[k] for x in r),
                                    "max": max(x[k] for x in r)} for k in r[0]}
    if a.importtime:
        a.importtime.mkdir(parents=True, exist_ok=True)
        for i, s in enumerate(srcs):
            log = a.importtime / f"importtime-{i}.log"
            one_run(s, a.db, 0, importtime=log)
            out["trees"][str(s)]["imports"] = slowest_imports(log)
    if a.md:
        print(f"load average {load[0][0]:.1f} before, {load[1][0]:.1f} after; median (min–max) of {a.runs} runs\n")
        print("| tree | page answered | first chart answered | server CPU at the chart | CPU in the "
              f"{a.idle:g} s after | peak RSS |")
        print("|---|---|---|---|---|---|")
        for s, t in out["trees"].items():
            f = lambda k, t=t: f"{t[k]['median']:.2f} s ({t[k]['min']:.2f}–{t[k]['max']:.2f})"  # noqa: E731
            print(f"| {s} | {f('page')} | {f('chart')} | {f('cpu')} | {f('idle')} | {t['rss_mb']['median']:.0f} MB |")
        for s, t in out["trees"].items():
            if "imports" in t:
                print(f"\nslowest imports of {s} (cumulative ms, self ms):\n")
                for self_us, cum_us, name in t["imports"]:
                    print(f"    {cum_us / 1000:8.1f} {self_us / 1000:8.1f}  {name}")
    else:
        print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
