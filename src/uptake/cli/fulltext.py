"""``uptake fulltext``: import, extract and inspect full texts."""

from __future__ import annotations

import argparse
import os
from typing import Any

from ..periods import month_label
from .common import (
    console,
    console_err,
    corpus_for,
    db_parent,
    format_parent,
    write_json,
)


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
    q.add_argument("--storage-option", action="append", default=[], metavar="KEY=VALUE",
                   help="an fsspec storage option for s3:// or gs:// URLs (e.g. requester_pays=true); repeatable")
    q.add_argument("--quiet", "-q", action="store_true", help="no progress display")
    q.add_argument("--json", action="store_true", help="print the summary as JSON")
    q.set_defaults(handler=cmd_import, kind="structured")

    q = fsub.add_parser("extract", parents=[db], allow_abbrev=False,
                        help="extract full texts from arXiv e-prints (LaTeX sources, PDFs, bulk tarballs)",
                        description="Extract arXiv e-prints as arXiv serves them (ID.gz, ID.tar.gz, ID.pdf), folders "
                        "of them, or bulk arXiv_src_YYMM_NNN.tar tarballs (streamed, never unpacked to disk). Each "
                        "paper ends ok, partial or failed with its reason; exit status 1 when any failed.")
    q.add_argument("paths", nargs="+", metavar="PATH")
    q.add_argument("--batch", type=int, default=None, metavar="N",
                   help="full texts committed per transaction (default 200); a crash loses at most one batch")
    q.add_argument("--quiet", "-q", action="store_true", help="no progress display")
    q.add_argument("--json", action="store_true", help="print the summary as JSON")
    q.set_defaults(handler=cmd_import, kind="eprints")

    from ..fetch import DEFAULT_BASE_URL
    from ..harvest import DEFAULT_DELAY, DEFAULT_MAX_RETRIES

    q = fsub.add_parser("fetch", parents=[db], allow_abbrev=False,
                        help="download and extract the e-prints of stored papers matching a query",
                        description="Fetch the arXiv e-prints (LaTeX sources) of papers already in the store whose "
                        "title or abstract matches QUERY, extract and store their full texts. Politely: one request "
                        "every --delay seconds (3, arXiv's rule), Retry-After honoured, back-off on errors. Papers "
                        "with a stored full text are skipped, so an interrupted fetch resumes when you run the same "
                        "command again. With --source, read arXiv's bulk arXiv_src_*.tar tarballs from a folder or a "
                        "file:// s3:// gs:// URL instead of downloading. Exit status 1 when a paper failed. "
                        "Example: uptake fulltext fetch GRPO --from 2025-01 --category cs.LG --contact you@example.org")
    q.add_argument("query", metavar="QUERY", help="which stored papers, as for `uptake papers` (e.g. GRPO, \"policy optimization\")")
    q.add_argument("--from", dest="start", metavar="YYYY-MM", help="papers from this month on")
    q.add_argument("--to", dest="end", metavar="YYYY-MM", help="papers up to this month")
    q.add_argument("--category", "-c", action="append", default=[], metavar="CAT",
                   help="only papers listed in CAT ('cs' means every cs.*); repeatable")
    q.add_argument("--limit", type=int, default=None, metavar="N", help="at most the N newest matching papers")
    q.add_argument("--base-url", default=os.environ.get("UPTAKE_EPRINT_URL", DEFAULT_BASE_URL), metavar="URL",
                   help=f"where e-prints are downloaded from, URL/ID (default {DEFAULT_BASE_URL})")
    q.add_argument("--source", metavar="DIR_OR_URL",
                   help="read arXiv_src_*.tar bulk tarballs from this folder or URL instead of downloading")
    q.add_argument("--delay", type=float, default=DEFAULT_DELAY, metavar="SECONDS",
                   help=f"at least this long between requests (default {DEFAULT_DELAY:g}, arXiv's rule)")
    q.add_argument("--max-retries", type=int, default=DEFAULT_MAX_RETRIES, metavar="N",
                   help=f"retries of a paper failing with 5xx or connection errors (default {DEFAULT_MAX_RETRIES})")
    q.add_argument("--contact", default=os.environ.get("UPTAKE_CONTACT"), metavar="EMAIL",
                   help="your e-mail, sent in the User-Agent so arXiv can reach you (default $UPTAKE_CONTACT)")
    q.add_argument("--retry-failed", action="store_true",
                   help="fetch again the papers whose stored full text failed (default: they are skipped)")
    q.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    q.add_argument("--json", action="store_true", help="print the summary as JSON")
    q.set_defaults(handler=cmd_fetch)

    q = fsub.add_parser("status", parents=[db, format_parent("table", "json")], allow_abbrev=False,
                        help="how many papers have full text, per month and category; failures by reason")
    q.add_argument("--failures", type=int, default=20, metavar="N", help="list N failed or partial papers (default 20)")
    q.set_defaults(handler=cmd_status)
    p.set_defaults(handler=lambda args: (p.print_help(), 2)[1])


def cmd_import(args: argparse.Namespace) -> int:
    from ..sources.fsio import parse_storage_options

    corpus = corpus_for(args)
    paths = args.files if args.kind == "structured" else args.paths
    opts = {"storage_options": parse_storage_options(args.storage_option)} if args.kind == "structured" else {}
    err = console_err()
    if not args.quiet and err.is_terminal:
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        with Progress(SpinnerColumn(), TextColumn("[bold]full texts[/] {task.completed:,} read"), TimeElapsedColumn(),
                      console=err) as progress:
            task = progress.add_task("read", total=None)
            summary = corpus.import_fulltexts(paths, kind=args.kind, batch=getattr(args, "batch", None),
                                              progress=lambda n: progress.update(task, completed=n), **opts)
    else:
        summary = corpus.import_fulltexts(paths, kind=args.kind, batch=getattr(args, "batch", None), **opts)
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


def cmd_fetch(args: argparse.Namespace) -> int:
    from ..errors import FetchError
    from ..fetch import fetch_fulltexts, select_ids
    from ..store import Store, default_path

    path = default_path() if args.db is None else args.db
    ids = select_ids(path, args.query, start=args.start, end=args.end, category=args.category, limit=args.limit)
    err = console_err()
    if args.source is None and not args.contact and "arxiv.org" in args.base_url:
        err.print("[yellow]note:[/] no --contact given; arXiv asks robots to identify themselves "
                  "(--contact you@example.org or $UPTAKE_CONTACT)")
    # With a polite delay the store is opened for each paper only, so other commands can read it meanwhile;
    # from tarballs or a local mirror (--delay under 1 s) it is held: faster.
    opened = Store.open(path, write=True)  # fail now, not after the first download, if it cannot be written
    store: Any = opened
    if args.source is None and args.delay >= 1:
        opened.close()
        store = path
    kwargs: dict[str, Any] = {"base_url": args.base_url, "source": args.source, "contact": args.contact,
                              "delay": args.delay, "max_retries": args.max_retries,
                              "retry_failed": args.retry_failed}
    try:
        try:
            if not args.quiet and err.is_terminal:
                summary = _fetch_with_progress(store, ids, kwargs)
            else:
                summary = fetch_fulltexts(store, ids, **kwargs)
        finally:
            if store is opened:
                opened.close()
    except FetchError as exc:
        partial = getattr(exc, "summary", None)
        if partial is not None and not args.json:
            _print_fetch(partial, str(path), stopped=True)
        raise
    if args.json:
        write_json(summary.as_dict())
    else:
        _print_fetch(summary, str(path))
    return 1 if summary.failed or summary.gave_up else 0


def _fetch_with_progress(store: Any, ids: list[str], kwargs: dict[str, Any]) -> Any:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from ..fetch import FetchProgress, fetch_fulltexts

    with Progress(TextColumn("[bold]e-prints"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("ok {task.fields[ok]} · partial {task.fields[partial]} · failed {task.fields[failed]}"),
                  TimeRemainingColumn(), TextColumn("[dim]{task.fields[note]}"),
                  console=console_err(), transient=False) as bar:
        task = bar.add_task("fetch", total=None, ok=0, partial=0, failed=0, note="")

        def update(ev: FetchProgress) -> None:
            fields: dict[str, Any] = {k: ev.statuses.get(k, 0) for k in ("ok", "partial", "failed")}
            if ev.note:
                fields["note"] = ev.note
            else:
                fields["note"] = ev.paper or ""
                fields["completed"] = ev.done
            bar.update(task, total=ev.total, **fields)

        return fetch_fulltexts(store, ids, progress=update, **kwargs)


def _print_fetch(summary: Any, path: str, *, stopped: bool = False) -> None:
    out = console()
    st = summary.statuses
    out.print(f"[bold]{'Stopped fetching' if stopped else 'Fetched'}[/] e-prints from {summary.source} into {path}",
              markup=True, highlight=False)
    out.print(f"  {summary.selected:,} papers match · {summary.already:,} already had a full text · "
              f"{summary.stored:,} stored now: ok {st.get('ok', 0):,} · partial {st.get('partial', 0):,} · "
              f"failed {st.get('failed', 0):,}", markup=False)
    if summary.requests:
        out.print(f"  {summary.requests:,} requests · {summary.retries:,} retries · {summary.elapsed:.1f} s "
                  f"({summary.waited:.1f} s waiting politely or to retry)", markup=False)
    if summary.problems:
        out.print(f"[yellow]{len(summary.problems):,} paper(s) not ok[/]"
                  + (" (the first 20)" if len(summary.problems) > 20 else "") + ":")
        for pid, status, reason in summary.problems[:20]:
            out.print(f"  {pid}: {status}: {reason}", markup=False)
    if summary.gave_up:
        out.print(f"[yellow]{len(summary.gave_up):,} paper(s) not stored (the server kept failing); "
                  f"the same command tries them again[/]:")
        for pid, reason in summary.gave_up[:20]:
            out.print(f"  {pid}: {reason}", markup=False)
    if summary.missing:
        shown = ", ".join(summary.missing[:10]) + (" …" if len(summary.missing) > 10 else "")
        out.print(f"[yellow]{len(summary.missing):,} paper(s) in none of the tarballs[/] (not stored; add the "
                  f"tarballs holding them, or fetch them without --source): {shown}")
    for problem in summary.source_problems[:20]:
        out.print(f"  [yellow]tarball problem:[/] {problem}")
    if stopped or summary.gave_up:
        out.print("  run the same command again to fetch the rest; papers already stored are skipped", markup=False)
