"""Harvest throughput against a local OAI-PMH server with --delay 0 (records/s), and where the time goes.

    python bench/harvest_throughput.py [N_PAPERS] [PAGE_SIZE]

The server runs in a subprocess (so its XML rendering does not share this process's CPU);
the harvester runs here under cProfile. Pages are arXivRaw, like arXiv's default for uptake.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

SERVER = """
import sys, time
sys.path.insert(0, {tests!r})
from oai_server import GeneratedRepository, OAIServer, generated_papers
repo = GeneratedRepository(generated_papers({n}, seed=5), page_size={page})
cache = {{}}
real = repo.respond
def respond(params):  # pages rendered once, so the server costs next to nothing per request
    key = tuple(sorted(params.items()))
    if key not in cache:
        cache[key] = real(params)
    return cache[key]
repo.respond = respond
with OAIServer(repo) as server:
    print(server.url, flush=True)
    sys.stdin.read()
"""


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    page = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    from uptake.harvest import harvest, make_client
    from uptake.store import Store

    proc = subprocess.Popen([sys.executable, "-c", SERVER.format(tests=str(ROOT / "tests"), n=n, page=page)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    url = proc.stdout.readline().strip()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            # warm the server's page cache with one throwaway harvest
            with Store.open(Path(tmp) / "warm.duckdb", write=True) as store, make_client("bench@example.org") as client:
                harvest(store, client, [None], endpoint=url, delay=0)
            for run in range(4):
                held = run % 2 == 0
                path = Path(tmp) / f"plain{run}.duckdb"
                with make_client("bench@example.org") as client:
                    if held:  # the library with an open Store: one connection for the whole harvest
                        with Store.open(path, write=True) as store:
                            t0 = time.perf_counter()
                            summary = harvest(store, client, [None], endpoint=url, delay=0)
                            elapsed = time.perf_counter() - t0
                    else:  # what `uptake harvest` does: open the store for each page, release it between
                        Store.open(path, write=True).close()
                        t0 = time.perf_counter()
                        summary = harvest(path, client, [None], endpoint=url, delay=0)
                        elapsed = time.perf_counter() - t0
                read = summary.as_dict()["read"]
                mode = "store held open" if held else "store opened per page (the CLI)"
                print(f"{mode}: {read:,} records in {summary.as_dict()['pages']} pages of {page}: {elapsed:.2f} s, "
                      f"{read / elapsed:,.0f} records/s (no profiler)")
            prof = cProfile.Profile()
            with Store.open(Path(tmp) / "bench.duckdb", write=True) as store, make_client("bench@example.org") as client:
                t0 = time.perf_counter()
                prof.enable()
                summary = harvest(store, client, [None], endpoint=url, delay=0)
                prof.disable()
                elapsed = time.perf_counter() - t0
            read = summary.as_dict()["read"]
            print(f"{read:,} records in {summary.as_dict()['pages']} pages of {page}: {elapsed:.2f} s, "
                  f"{read / elapsed:,.0f} records/s (under cProfile)")
            out = io.StringIO()
            stats = pstats.Stats(prof, stream=out)
            stats.sort_stats("cumulative").print_stats(25)
            print(out.getvalue())
    finally:
        proc.stdin.close()
        proc.wait()


if __name__ == "__main__":
    main()
