"""`uptake check`: verify a store and its indexes end to end, and say what to do about what is wrong."""

from __future__ import annotations

import argparse

from .common import console, db_parent, write_json


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "check", parents=[db_parent()], help="verify the store and its indexes (exit 1 if anything is wrong)",
        description="Reads every table of the store back (DuckDB checks each block), re-hashes every file of the "
        "term index and the full-text index against what was recorded when they were written, and compares "
        "their per-month paper counts with the store's. Prints what is wrong and what to do; exits 0 when "
        "everything is whole, 1 otherwise. Reads only: it never changes the store or an index.",
    )
    p.add_argument("--json", action="store_true", help="print the findings as JSON")
    p.set_defaults(handler=cmd_check)


def cmd_check(args: argparse.Namespace) -> int:
    from ..corpus import check

    report = check(args.db)
    if args.json:
        write_json(report.as_dict())
        return 0 if report.ok else 1
    out = console()
    for part in report.parts:
        mark = "ok" if part.ok else ("skipped" if part.skipped else "PROBLEM")
        out.print(f"{part.name}: {mark}" + (f" — {part.summary}" if part.summary else ""), markup=False)
        for problem in part.problems:
            out.print(f"  - {problem}", markup=False)
        if part.advice and not part.ok:
            out.print(f"  what to do: {part.advice}", markup=False)
    out.print("everything checked is whole" if report.ok else "problems found (see above)", markup=False)
    return 0 if report.ok else 1
