"""The suite's fuzzers (tests/fuzzing.py) run longer, with fresh random cases: counts for docs/reliability.md.

    python bench/fuzz.py [--import-lines 20000] [--import-files 50] [--queries 20000] [--api 300] [--seed N]

Prints one JSON line: per fuzzer, cases tried and failures (the first failing input, shrunk, if any),
and how many inputs are kept as regressions in the suite. Run it with ``nice -n 10``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def fuzz(name: str, strategy: Any, check: Any, examples: int, seed: int) -> dict[str, Any]:
    """Run ``check`` on ``examples`` cases of ``strategy``; count them and report the first failure."""
    from hypothesis import HealthCheck, given, seed as with_seed, settings

    tried = [0]

    @with_seed(seed)
    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(strategy)
    def run(case: Any) -> None:
        tried[0] += 1
        check(case)

    t0 = time.monotonic()
    failure = None
    try:
        run()
    except Exception as exc:  # noqa: BLE001 - reported, not raised: the count is the point
        failure = f"{type(exc).__name__}: {str(exc)[:500]}"
    out = {"fuzzer": name, "cases": tried[0], "failures": 0 if failure is None else 1, "first_failure": failure,
           "seconds": round(time.monotonic() - t0, 1)}
    print(json.dumps(out), file=sys.stderr, flush=True)  # as it arrives: a long run stopped keeps what it did
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--import-lines", type=int, default=20000)
    ap.add_argument("--import-files", type=int, default=50)
    ap.add_argument("--queries", type=int, default=20000)
    ap.add_argument("--api", type=int, default=300, help="cases per API operation")
    ap.add_argument("--seed", type=int, default=int(time.time()))
    args = ap.parse_args()

    from hypothesis import strategies as st

    import fuzzing
    from test_harden_query import NOISE, QUERIES
    from uptake.errors import QueryError
    from uptake.query import parse_query

    def lines(case: list[bytes]) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            fuzzing.check_lines(case, Path(tmp))

    def files(case: list[bytes]) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            fuzzing.check_lines(case, Path(tmp), store=True)

    def query(text: str) -> None:
        try:
            parse_query(text)
        except QueryError as exc:
            assert 0 <= exc.position <= len(exc.query)

    runs = [
        ("import lines (one per case)", fuzzing.IMPORT_LINES.map(lambda x: [x]), lines, args.import_lines),
        ("import files (20-60 lines, imported into a store)",
         st.lists(fuzzing.IMPORT_LINES, min_size=20, max_size=60), files, args.import_files),
        ("queries", st.one_of(QUERIES, NOISE, st.text(max_size=80), st.tuples(QUERIES, NOISE).map("".join)),
         query, args.queries),
    ]
    results = [fuzz(name, strategy, check, n, args.seed) for name, strategy, check, n in runs if n > 0]
    if args.api > 0:
        results += api(args.api, args.seed)
    print(json.dumps({"seed": args.seed, "results": results,
                      "kept_as_regressions": {"import lines": len(fuzzing.IMPORT_REGRESSIONS)},
                      "load_average": [round(x, 1) for x in os.getloadavg()]}))


def api(per_operation: int, seed: int) -> list[dict[str, Any]]:
    """Schemathesis over every operation of the API, valid and invalid requests, every check but one (see the test)."""
    try:
        import schemathesis
    except ImportError:
        return [{"fuzzer": "api", "skipped": "schemathesis is not installed (pip install -e '.[test]')"}]
    import warnings

    warnings.simplefilter("ignore")
    import test_fuzz

    out = []
    for result in test_fuzz.API.get_all_operations():
        operation = result.ok()

        def call(case: Any) -> None:
            case.call_and_validate(excluded_checks=[schemathesis.checks.positive_data_acceptance])

        modes = [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]
        strategy = st_one_of([operation.as_strategy(generation_mode=m) for m in modes])
        out.append(fuzz(f"api {operation.method.upper()} {operation.path}", strategy, call, per_operation, seed))
    return out


def st_one_of(strategies: list[Any]) -> Any:
    from hypothesis import strategies as st

    return st.one_of(*strategies)


if __name__ == "__main__":
    main()
