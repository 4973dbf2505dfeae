"""Web viewer numbers: time to first chart in headless chromium, and /api/trend latency over HTTP.

    python bench/web_latency.py --db /tmp/real.duckdb [--requests 200] [--loads 10]

Starts uvicorn on 127.0.0.1 (a free port) in this process, exactly as ``uptake serve`` builds
the app, drives Debian's chromium through Playwright for page loads, and an httpx client for
the API. Only loopback traffic; every loop is bounded.
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import threading
import time
from pathlib import Path

LAUNCH_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

QUERIES = [
    "GRPO, DPO, PPO",
    "GRPO",
    'DPO | "direct preference optimization"',
    "LoRA, QLoRA",
    "diffusion, transformer, mamba",
    '"large language model", LLM',
    "reinforcement learning AND reasoning",
    "title:agent, abstract:agent",
    "RAG | \"retrieval augmented generation\", fine-tuning",
    "chain of thought, CoT",
]


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    k = max(0, min(len(s) - 1, round(q * (len(s) - 1))))
    return s[k]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--loads", type=int, default=10)
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    args = ap.parse_args()

    import httpx
    import uvicorn

    from uptake.corpus import Corpus
    from uptake.web import Limits, create_app

    stats = Corpus(args.db).stats(top_categories=1)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(args.db, limits=Limits())
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    base = f"http://127.0.0.1:{port}"
    print(f"corpus: {stats.papers:,} papers ({args.db}); {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, load average at start {os.getloadavg()[0]:.1f}")

    # -- the same work without HTTP, for comparison ------------------------------------------------
    corpus = Corpus(args.db)
    direct: list[float] = []
    for i in range(min(30, args.requests)):
        t = time.perf_counter()
        corpus.trend(QUERIES[i % len(QUERIES)], start="2023-01")
        direct.append((time.perf_counter() - t) * 1000)
    print(f"library Corpus.trend, 10 different queries, {len(direct)} calls (no HTTP): "
          f"median {statistics.median(direct):.1f} ms, p95 {pct(direct, 0.95):.1f} ms")

    # -- /api/trend latency ------------------------------------------------------------------------
    with httpx.Client(base_url=base, timeout=60) as client:
        for label, queries in (("same query (GRPO, DPO, PPO from 2023-01)", QUERIES[:1]), ("10 different queries", QUERIES)):
            lat: list[float] = []
            for i in range(args.requests):
                params = {"q": queries[i % len(queries)], "from": "2023-01"}
                t = time.perf_counter()
                r = client.get("/api/trend", params=params)
                lat.append((time.perf_counter() - t) * 1000)
                assert r.status_code == 200, r.text
            print(f"/api/trend, {label}, {len(lat)} sequential requests: median {statistics.median(lat):.1f} ms, "
                  f"p95 {pct(lat, 0.95):.1f} ms, max {max(lat):.1f} ms")
        lat = []
        for _ in range(min(50, args.requests)):
            t = time.perf_counter()
            r = client.get("/api/papers", params={"q": "GRPO", "period": "2025-05", "limit": 50})
            lat.append((time.perf_counter() - t) * 1000)
        print(f"/api/papers (GRPO, 2025-05, 50 papers with snippets), {len(lat)} requests: "
              f"median {statistics.median(lat):.1f} ms, p95 {pct(lat, 0.95):.1f} ms")
    # -- time to first chart ---------------------------------------------------------------------
    firsts: list[float] = []
    if Path(args.chromium).exists():
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=args.chromium, args=LAUNCH_ARGS)
            for _ in range(args.loads):
                ctx = browser.new_context(viewport={"width": 1280, "height": 800})
                page = ctx.new_page()
                page.goto(base + "/")
                page.wait_for_function("() => document.body.dataset.firstChartMs !== undefined", timeout=60_000)
                firsts.append(float(page.evaluate("() => Number(document.body.dataset.firstChartMs)")))
                # Let the page's adoption/emerging requests finish (memoised after the first load),
                # so the next load is measured on an idle server.
                page.wait_for_load_state("networkidle", timeout=300_000)
                ctx.close()
            browser.close()
        print(f"time to first chart (navigation start -> default chart drawn, {len(firsts)} fresh page loads): "
              f"first {firsts[0]:.0f} ms, median {statistics.median(firsts):.0f} ms, max {max(firsts):.0f} ms")
    else:
        print("chromium not found: time to first chart not measured")

    print(f"load average at end {os.getloadavg()[0]:.1f}")
    server.should_exit = True
    thread.join(timeout=10)


if __name__ == "__main__":
    main()
