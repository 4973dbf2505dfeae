"""``uptake fulltext``: import, extract and inspect full texts."""

from __future__ import annotations

import argparse
from typing import Any

from ..periods import month_label
from .common import console, console_err, corpus_for, db_parent, format_parent, write_json


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    db = db_parent()
    p = sub.add_parser("fulltext", help="full texts: import, extract, status",
                       description="Papers' full texts, with section roles, so queries can ask where a paper "
                       "mentions an idea (--text full, in:method).", allow_abbrev=False)
    fsub = p.add_subparsers(dest="fulltext_command", metavar="ACTION")

    q = fsub.add_parser("import", parents=[db], allow_abbrev=False,
                        help="import structured full texts (unarXive / S2ORC JSON Lines, plain or .gz; or the "
                        "Parquet `uptake spark extract` writes)",
                        description="Import unarXive 2022 / UnarXive-2024 files (one JSON object per paper, with "
                        "sections, paragraphs and resolved citations), or the Parquet files or output folder of "
                        "`uptake spark extract` (recognised by content). Importing the same file again changes "
                        "nothing.")
    q.add_argument("files", nargs="+", metavar="FILE")
    q.add_argument("--quiet", "-q", action="store_true", help="no progress display")
    q.add_argument("--json", action="store_true", help="print the summary as JSON")
    q.set_defaults(handler=cmd_import, kind="structured")

    q = fsub.add_parser("extract", parents=[db], allow_abbrev=False,
                        help="extract full texts from arXiv e-prints (LaTeX sources, PDFs, bulk tarballs)",
                        description="Extract arXiv e-prints as arXiv serves them (ID.gz, ID.tar.gz, ID.pdf), folders "
                        "of them, or bulk arXiv_src_YYMM_NNN.tar tarballs (streamed, never unpacked to disk). Each "
                        "paper ends ok, partial or failed with its reason; exit status 1 when any failed.")
    q.add_argument("paths", nargs="+", metavar="PATH")
    q.add_argument("--quiet", "-q", action="store_true", help="no progress display")
    q.add_argument("--json", action="store_true", help="print the summary as JSON")
    q.set_defaults(handler=cmd_import, kind="eprints")

    q = fsub.add_parser("status", parents=[db, format_parent("table", "json")], allow_abbrev=False,
                        help="how many papers have full text, per month and category; failures by reason")
    q.add_argument("--failures", type=int, default=20, metavar="N", help="list N failed or partial papers (default 20)")
    q.set_defaults(handler=cmd_status)
    p.set_defaults(handler=lambda args: (p.print_help(), 2)[1])


def cmd_import(args: argparse.Namespace) -> int:
    corpus = corpus_for(args)
    paths = args.files if args.kind == "structured" else args.paths
    err = console_err()
    if not args.quiet and err.is_terminal:
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        with Progress(SpinnerColumn(), TextColumn("[bold]full texts[/] {task.completed:,} read"), TimeElapsedColumn(),
                      console=err) as progress:
            task = progress.add_task("read", total=None)
            summary = corpus.import_fulltexts(paths, kind=args.kind,
                                              progress=lambda n: progress.update(task, completed=n))
    else:
        summary = corpus.import_fulltexts(paths, kind=args.kind)
    if args.json:
        write_json(summary.as_dict())
    else:
        out = console()
        st = summary.statuses
        out.print(f"[bold]Full texts into[/] {corpus.path}\n"
                  f"  read {summary.read:,} · inserted {summary.inserted:,} · replaced {summary.replaced:,} · "
                  f"unchanged {summary.unchanged:,}\n"
                  f"  ok {st.get('ok', 0):,} · partial {st.get('partial', 0):,} · failed {st.get('failed', 0):,} · "
                  f"rejected lines {len(summary.rejected):,}")
        shown = summary.as_dict()["problems"][:20]
        if shown:
            out.print(f"[yellow]{len(summary.problems) + len(summary.rejected):,} paper(s) not ok[/]"
                      + (" (the first 20)" if len(summary.problems) + len(summary.rejected) > 20 else "") + ":")
            for prob in shown:
                out.print(f"  {prob['paper']}: {prob['status']}: {prob['reason']}", markup=False)
    return 1 if summary.failed else 0


def cmd_status(args: argparse.Namespace) -> int:
    status = corpus_for(args).fulltext_status()
    if args.output_format == "json":
        write_json(status.as_dict())
        return 0
    out = console()
    totals = status.totals()
    usable = totals.get("ok", 0) + totals.get("partial", 0)
    out.print(f"[bold]Full texts[/]: {sum(totals.values()):,} stored — ok {totals.get('ok', 0):,}, "
              f"partial {totals.get('partial', 0):,}, failed {totals.get('failed', 0):,}; "
              f"{usable:,} usable for papers of {status.papers:,} with metadata")
    if not status.rows:
        out.print("none yet: `uptake fulltext import FILE.jsonl.gz` or `uptake fulltext extract E-PRINTS`")
        return 0
    from rich.table import Table

    by_month: dict[Any, dict[str, int]] = {}
    by_cat: dict[str, int] = {}
    for month, cat, st, _kind, n in status.rows:
        by_month.setdefault(month, {}).setdefault(st, 0)
        by_month[month][st] += int(n)
        if st != "failed":
            by_cat[cat] = by_cat.get(cat, 0) + int(n)
    t = Table(title="Per month", title_justify="left", box=None)
    for col in ("month", "ok", "partial", "failed"):
        t.add_column(col, justify="left" if col == "month" else "right")
    for month in sorted(by_month, key=lambda m: (m is None, m)):
        row = by_month[month]
        t.add_row(month_label(month) if month is not None else "(undated)",
                  *[f"{row.get(k, 0):,}" for k in ("ok", "partial", "failed")])
    out.print(t)
    c = Table(title="Usable full texts per category (first listed)", title_justify="left", box=None)
    c.add_column("category")
    c.add_column("papers", justify="right")
    for cat, n in sorted(by_cat.items(), key=lambda kv: (-kv[1], kv[0]))[:25]:
        c.add_row(cat, f"{n:,}")
    out.print(c)
    if status.failures and args.failures:
        out.print(f"[yellow]Not ok[/] ({len(status.failures):,}; the first {min(args.failures, len(status.failures))}):")
        for ident, st, problems in status.failures[: args.failures]:
            out.print(f"  {ident}: {st}: {'; '.join(problems) or '(no reason given)'}", markup=False)
    return 0
