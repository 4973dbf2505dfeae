"""Write the golden outputs that tests/test_golden.py compares against.

    PYTHONPATH=src python tests/golden/make_golden.py            # both corpora
    PYTHONPATH=src python tests/golden/make_golden.py --demo     # the synthetic demo corpus only (seconds)
    PYTHONPATH=src python tests/golden/make_golden.py --real     # the shared real corpus only (about 2 minutes)

Each run builds fresh stores in a temporary folder, runs every command of tests/golden/cases.py and
overwrites tests/golden/demo/ and tests/golden/real/. Regenerate only when a change of output is intended,
and say in the commit why the numbers changed. ``--check`` compares instead of writing (exit 1 on a
difference); ``--subprocess`` runs ``python -m uptake`` per command instead of ``uptake.cli.main`` in process.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, so that `golden.cases` imports

from golden.cases import CASES, GOLDEN, IMPORT_GOLDEN, build_demo, build_real, run_case


def generate(corpus: str, tmp: Path, *, in_process: bool) -> dict[Path, str]:
    """{absolute golden path: normalised text} for every case of ``corpus``, on a fresh store."""
    db = tmp / f"{corpus}.duckdb"
    started = time.perf_counter()
    outputs: dict[Path, str] = {}
    if corpus == "demo":
        outputs[GOLDEN / "demo" / IMPORT_GOLDEN] = build_demo(db)
    else:
        build_real(db)
    print(f"{corpus}: store built in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    for case in CASES[corpus]:
        t = time.perf_counter()
        work = tmp / "work" / corpus
        work.mkdir(parents=True, exist_ok=True)
        for rel, text in run_case(case, db, work, in_process=in_process).items():
            outputs[GOLDEN / corpus / rel] = text
        print(f"  {case.name}: {time.perf_counter() - t:.1f} s", file=sys.stderr)
    return outputs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--demo", action="store_true", help="the demo corpus (default: both)")
    ap.add_argument("--real", action="store_true", help="the shared real corpus (default: both)")
    ap.add_argument("--check", action="store_true", help="compare with the golden files instead of writing them")
    ap.add_argument("--subprocess", action="store_true", help="run `python -m uptake` for each command")
    args = ap.parse_args(argv)
    corpora = [c for c, on in (("demo", args.demo), ("real", args.real)) if on] or ["demo", "real"]
    os.environ.setdefault("MPLBACKEND", "Agg")
    differ = []
    with tempfile.TemporaryDirectory(prefix="uptake-golden-") as tmp:
        for corpus in corpora:
            outputs = generate(corpus, Path(tmp), in_process=not args.subprocess)
            if not args.check:  # golden files no case writes any more must not linger
                for old in sorted((GOLDEN / corpus).rglob("*")):
                    if old.is_file() and old not in outputs:
                        old.unlink()
            for path, text in outputs.items():
                if args.check:
                    if not path.exists() or path.read_bytes() != text.encode("utf-8"):
                        differ.append(path)
                    continue
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(text.encode("utf-8"))
            total = sum(len(t.encode("utf-8")) for t in outputs.values())
            print(f"{corpus}: {len(outputs)} files, {total:,} bytes", file=sys.stderr)
    for path in differ:
        print(f"differs: {path.relative_to(GOLDEN)}", file=sys.stderr)
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
