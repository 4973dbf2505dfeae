"""``uptake serve`` under load while a harvest runs every few seconds: failures, latency, visibility.

    python bench/serve_harvest.py [--clients 4] [--minutes 2] [--every 5] [--base 20000] [--per-round 300] [--page 100]

Builds a store of ``--base`` papers by harvesting the local OAI-PMH test server, starts
``python -m uptake serve`` on it, then lets ``--clients`` threads ask trend, stats and papers
questions back to back while, every ``--every`` seconds, a harvest brings ``--per-round`` new
papers in pages of ``--page``. Every answer is checked against the brute-force state after
each committed page (tests/serve_load.py). Prints one JSON line: requests, failures, latency
percentiles, and the visibility delay (from the OAI server handing out a page to the first
answer, started after that, that includes it). Run it with ``nice -n 10`` and note ``uptime``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--minutes", type=float, default=2.0)
    ap.add_argument("--every", type=float, default=5.0)
    ap.add_argument("--base", type=int, default=20000)
    ap.add_argument("--per-round", type=int, default=300)
    ap.add_argument("--page", type=int, default=100)
    args = ap.parse_args()

    import serve_load as sl
    from oai_server import OAIServer

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "live.duckdb"
        oai = OAIServer(sl.base_repository(args.base, 1000)).__enter__()
        t0 = time.monotonic()
        base = sl.build(db, oai)
        built = time.monotonic() - t0
        rounds = max(1, int(args.minutes * 60 / args.every))
        started = time.monotonic()

        def pause(r: int) -> None:  # harvest r starts (r - 1) * every seconds after the first
            time.sleep(max(0.0, started + (r - 1) * args.every - time.monotonic()))

        with sl.Serve(db) as server:
            result = sl.run(db, server.url, oai, base=base, rounds=rounds, per_round=args.per_round,
                            page_size=args.page, clients=args.clients, between_pages=0, pause=pause)
        out = sl.summary(result)
        out.update(clients=args.clients, every_s=args.every, base_papers=args.base, per_round=args.per_round,
                   page=args.page, seconds=round(time.monotonic() - started, 1), build_s=round(built, 1),
                   load_average=[round(x, 1) for x in os.getloadavg()])
        import uptake

        out["uptake"] = str(Path(uptake.__file__).parent)
        oai.__exit__()
        print(json.dumps(out))


if __name__ == "__main__":
    main()
