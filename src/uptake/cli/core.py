"""The core commands: import, stats, trend, plot, papers, demo."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .common import (
    add_sense_option,
    query_of,
    scope_for,
    console,
    console_err,
    corpus_for,
    db_parent,
    format_parent,
    pct,
    query_parent,
    range_parent,
    write_json,
    write_text,
)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    db = db_parent()
    q = query_parent()
    rng = range_parent()

    p = sub.add_parser("import", parents=[db], help="import arXiv records (Kaggle snapshot, JSON Lines, Parquet, CSV)",
                       description="Import record files into the store. Formats are recognised by content; "
                       "importing the same file again changes nothing.")
    p.add_argument("files", nargs="+", metavar="FILE", help="files to import (plain or .gz)")
    p.add_argument("--format", dest="source_format", choices=["kaggle", "jsonl", "parquet", "csv", "atom", "oai"],
                   help="skip detection and read every file as this format")
    p.add_argument("--strict", action="store_true", help="abort at the first bad line, writing nothing")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="processes that parse and tokenise while one reads and writes (default: 2 for imports over 32 MB, "
                        "else 1)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(handler=cmd_import)

    p = sub.add_parser("stats", parents=[db, format_parent("table", "json")], help="what the store holds",
                       description="Papers, date span, per-month totals and categories.")
    p.add_argument("--months", type=int, default=24, metavar="N", help="show the last N months in the table (default 24; 0 = all)")
    p.add_argument("--coverage", action="store_true",
                   help="how much of arXiv the corpus holds per primary category and month (spans, thin months)")
    p.add_argument("--official", metavar="CSV", help="with --coverage: arXiv's own monthly totals "
                   "(category,YYYY-MM,papers) to measure coverage against")
    p.add_argument("--plot", metavar="FILE", help="with --coverage: draw the categories x months heat map (.png/.svg)")
    p.set_defaults(handler=cmd_stats)

    p = sub.add_parser("trend", parents=[db, q, rng, format_parent("table", "csv", "json")],
                       help="papers per period that mention each series, and their share",
                       description="Count papers per period matching each series of QUERY. Series are separated "
                       "by commas; | joins alternatives; \"quotes\" make a phrase. Example: "
                       "uptake trend 'GRPO, DPO | \"direct preference optimization\"' --from 2025-01")
    p.add_argument("query", metavar="QUERY")
    p.add_argument("--measure", choices=["share", "count"], default="share", help="share (default) or count")
    p.add_argument("--smooth", type=int, default=1, metavar="N", help="centred moving average over N periods")
    p.add_argument("--expand", type=int, default=10, metavar="N",
                   help="a wildcard (GR*O, \"* policy optimization\") becomes its N most frequent completions (default 10)")
    p.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of standard output")
    add_sense_option(p)
    p.set_defaults(handler=cmd_trend)

    p = sub.add_parser("plot", parents=[db, q, rng], help="draw a trend as PNG or SVG",
                       description="Draw the trend of QUERY. Example: uptake plot 'GRPO, PPO, DPO' --from 2025-01 -o grpo.png")
    p.add_argument("query", metavar="QUERY")
    p.add_argument("--output", "-o", default="uptake.png", metavar="FILE", help="file to write, .png or .svg (default uptake.png)")
    p.add_argument("--measure", choices=["share", "count"], default="share")
    p.add_argument("--smooth", type=int, default=1, metavar="N")
    p.add_argument("--expand", type=int, default=10, metavar="N", help="completions per wildcard (default 10)")
    p.add_argument("--title", help="figure title (default: made from the query)")
    add_sense_option(p)
    p.set_defaults(handler=cmd_plot)

    p = sub.add_parser("papers", parents=[db, q, format_parent("table", "csv", "json")],
                       help="the papers behind a point, newest first",
                       description="List papers matching QUERY (any of its series). Example: uptake papers GRPO --month 2025-05")
    p.add_argument("query", metavar="QUERY")
    p.add_argument("--month", "--period", dest="period", metavar="PERIOD", help="one period: YYYY-MM (or YYYY-Qn, YYYY with --by)")
    p.add_argument("--by", choices=["month", "quarter", "year"], default="month")
    p.add_argument("--from", dest="start", metavar="YYYY-MM")
    p.add_argument("--to", dest="end", metavar="YYYY-MM")
    p.add_argument("--limit", type=int, default=20, metavar="N", help="at most N papers (default 20)")
    p.add_argument("--offset", type=int, default=0, metavar="N")
    p.add_argument("--has", action="append", default=[],
                   choices=["code", "weights", "data", "demo", "code-released", "promise"],
                   help="only papers linking their own code / weights / data / demo page (or promising them); repeatable")
    p.set_defaults(handler=cmd_papers)

    p = sub.add_parser("demo", help="build a small synthetic demo corpus and draw the GRPO figure",
                       description="Build a deterministic synthetic corpus (clearly labelled synthetic) in its own "
                       "demo store, never your real one, and write grpo.png and grpo.csv.")
    p.add_argument("--db", metavar="PATH", help="where to keep the demo store (default: demo.duckdb in your data directory)")
    p.add_argument("--out", default=".", metavar="DIR", help="folder for grpo.png and grpo.csv (default: here)")
    p.add_argument("--papers", type=int, default=6000, metavar="N", help="size of the demo corpus (default 6000)")
    p.set_defaults(handler=cmd_demo)


# -- import ----------------------------------------------------------------------
def cmd_import(args: argparse.Namespace) -> int:
    corpus = corpus_for(args)
    show = not args.quiet and console_err().is_terminal
    if show:
        summary = _import_with_progress(corpus, args)
    else:
        summary = corpus.import_files(args.files, fmt=args.source_format, strict=args.strict, workers=args.workers)
    if args.json:
        write_json(summary.as_dict())
        return 0
    out = console()
    out.print(
        f"[bold]Imported into[/] {corpus.path}\n"
        f"  read {summary.read:,} · inserted {summary.inserted:,} · updated {summary.updated:,} · "
        f"unchanged {summary.unchanged:,} · rejected {summary.rejected:,}"
    )
    if summary.uncategorised:
        out.print(f"[yellow]{summary.uncategorised:,} paper(s) have no category[/]: they count in every total but "
                  f"in no category (cat: filters, per-category coverage)")
    if summary.rejected:
        out.print(f"[yellow]{summary.rejected:,} line(s) rejected[/]" +
                  (f" (the first {len(summary.rejections)} listed)" if summary.rejected > len(summary.rejections) else "") + ":")
        for r in summary.rejections:
            out.print(f"  {r}", markup=False)
    return 0


def _import_with_progress(corpus: Any, args: argparse.Namespace) -> Any:
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(), TextColumn("{task.fields[records]:,} records"),
        TimeRemainingColumn(), console=console_err(), transient=False,
    ) as progress:
        tasks: dict[str, Any] = {}

        def update(name: str, done: int, total: int, records: int) -> None:
            if name not in tasks:
                tasks[name] = progress.add_task(Path(name).name, total=total, records=0)
            progress.update(tasks[name], completed=done, records=records)

        return corpus.import_files(args.files, fmt=args.source_format, strict=args.strict, progress=update,
                                   workers=args.workers)


# -- stats -----------------------------------------------------------------------
def cmd_stats(args: argparse.Namespace) -> int:
    if args.coverage or args.official or args.plot:
        return _coverage(args)
    stats = corpus_for(args).stats()
    if args.output_format == "json":
        write_json(stats.as_dict())
        return 0
    from rich.table import Table

    out = console()
    out.print(f"[bold]{stats.path}[/]")
    out.print(f"  {stats.papers:,} papers, first versions from {stats.first} to {stats.last}")
    months = stats.months if args.months == 0 else stats.months[-args.months:]
    peak = max((n for _, n in stats.months), default=1)
    t = Table(title=f"Papers per month{'' if args.months == 0 else f' (last {len(months)} of {len(stats.months)})'}",
              title_justify="left", box=None)
    t.add_column("month")
    t.add_column("papers", justify="right")
    t.add_column("")
    from ..periods import parse_month
    from ..analytics.trends import period_end

    cut_short = stats.last is not None and period_end(parse_month(stats.months[-1][0]), "month") > stats.last
    for k, (m, n) in enumerate(months):
        mark = " *" if cut_short and k == len(months) - 1 else ""
        t.add_row(m + mark, f"{n:,}", "█" * max(1, round(30 * n / peak)))
    out.print(t)
    if cut_short:
        out.print(f"[dim]* incomplete: the corpus ends on {stats.last}[/]")
    c = Table(title="Categories (papers listing each, primary or cross-list)", title_justify="left", box=None)
    c.add_column("category")
    c.add_column("papers", justify="right")
    c.add_column("as primary", justify="right")
    prim = dict(stats.primary_categories)
    for cat, n in stats.categories:
        c.add_row(cat, f"{n:,}", f"{prim.get(cat, 0):,}")
    out.print(c)
    if stats.harvest:
        h = Table(title="OAI-PMH harvests (per set; `uptake harvest` continues from the last datestamp)",
                  title_justify="left", box=None)
        for col in ("set", "format", "complete through", "records", "deleted", "rejected", "state"):
            h.add_column(col, justify="right" if col in ("records", "deleted", "rejected") else "left")
        for row in stats.harvest:
            h.add_row(row["set"], row["metadata_prefix"], row["last_datestamp"] or "–", f"{row['records']:,}",
                      f"{row['deleted']:,}", f"{row['rejected']:,}",
                      "interrupted: rerun to resume" if row["in_progress"] else "idle")
        out.print(h)
    return 0


def _coverage(args: argparse.Namespace) -> int:
    import csv

    from ..analytics.coverage import read_official_totals
    from ..errors import SourceNotFoundError

    official = None
    if args.official:
        try:
            with open(args.official, encoding="utf-8", newline="") as fh:
                official = read_official_totals(csv.reader(fh))
        except FileNotFoundError:
            raise SourceNotFoundError(f"{args.official} does not exist: give a CSV of category,YYYY-MM,papers") from None
    cov = corpus_for(args).coverage(official=official)
    if args.plot:
        from ..outputs.coverage_plot import plot_coverage  # deferred: matplotlib is slow to import

        console_err().print(f"wrote {plot_coverage(cov, args.plot)}")
    if args.output_format == "json":
        write_json(cov.as_dict())
        return 0
    from rich.table import Table

    t = Table(title=f"Coverage per primary category (from {cov.source}; a month below 20% of the level is thin)",
              title_justify="left", box=None)
    for col in ("category", "covered from", "to", "papers/month", "thin months inside"):
        t.add_column(col, justify="right" if col in ("papers/month", "thin months inside") else "left")
    for s in sorted(cov.spans.values(), key=lambda s: (-s.level, s.category))[: args.months or None]:
        t.add_row(s.category, s.start_label or "never", s.end_label or "–", f"{s.level:,.0f}", f"{len(s.thin)}")
    console().print(t)
    console().print("[dim]An analysis starting at a category's first covered month is left-censored: "
                    "what happened before is not in the corpus.[/]")
    return 0


# -- trend -----------------------------------------------------------------------
def _trend(args: argparse.Namespace) -> Any:
    return corpus_for(args).trend(query_of(args), scope=scope_for(args), measure=args.measure, smooth=args.smooth,
                                  expand=getattr(args, "expand", 10))


def cmd_trend(args: argparse.Namespace) -> int:
    return show_trend(_trend(args), args)


def show_trend(trend: Any, args: argparse.Namespace) -> int:
    """Print or write ``trend`` as ``args`` ask (--format table|csv|json, --output)."""
    if args.output_format == "csv":
        text = trend.to_csv()
    elif args.output_format == "json":
        import orjson

        text = orjson.dumps(trend.to_json_dict(), option=orjson.OPT_INDENT_2).decode() + "\n"
    else:
        _print_trend_table(trend)
        return 0
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        console_err().print(f"wrote {args.output}")
    else:
        write_text(text)
    return 0


def _fits(out: Any, table: Any) -> bool:
    """Whether ``table`` fits the console's width without squeezing cells into ellipses."""
    from rich.measure import Measurement

    return Measurement.get(out, out.options.update_width(1_000_000), table).maximum <= out.width


def _long_trend_table(trend: Any) -> Any:
    """One row per period and series: what a terminal too narrow for one column per series gets."""
    from rich.table import Table

    share = trend.measure == "share"
    t = Table(title=f"{'Share of papers' if share else 'Papers'} per {trend.by}: {trend.query}",
              title_justify="left", box=None)
    for name in (trend.by, "series", "value", "n", "of"):
        t.add_column(name, justify="left" if name in (trend.by, "series") else "right", overflow="fold")
    for i, period in enumerate(trend.periods):
        for j, s in enumerate(trend.series):
            p = s.points[i]
            v = trend.value(p)
            ratio = (getattr(s, "unit", None) or "").startswith("ratio")
            text = ("–" if v is None else f"{v:.3g}") if ratio or not share else pct(v)
            if not share and v is not None:
                text = f"{v:,.1f}" if trend.smooth > 1 else f"{int(v):,}"
            t.add_row((period + ("" if p.complete else " *")) if j == 0 else "", s.label, text, f"{p.count:,}",
                      f"{p.total:,}", end_section=j == len(trend.series) - 1)
    return t


def _print_trend_table(trend: Any) -> None:
    from rich.table import Table

    share = trend.measure == "share"
    smooth = f", {trend.smooth}-{trend.by} centred moving average" if trend.smooth > 1 else ""
    t = Table(title=f"{'Share of papers' if share else 'Papers'} per {trend.by}{smooth}: {trend.query}",
              title_justify="left", box=None, caption=None)
    # Series with their own cat: filters have their own totals; show one totals column only when all agree.
    shared_total = all(
        s.points[i].total == trend.series[0].points[i].total for s in trend.series for i in range(len(trend.periods))
    )
    t.add_column(trend.by)
    for s in trend.series:
        t.add_column(s.label, justify="right")
        if share:
            t.add_column("n", justify="right", style="dim")
        if not shared_total:
            t.add_column("of", justify="right", style="dim")
    if shared_total:
        t.add_column("all papers", justify="right", style="dim")
    incomplete = False
    for i, period in enumerate(trend.periods):
        cells = []
        complete = True
        for s in trend.series:
            p = s.points[i]
            complete = complete and p.complete
            v = trend.value(p)
            if share:
                ratio = (getattr(s, "unit", None) or "").startswith("ratio")  # GRPO / PPO: a ratio, not a share
                cells += [("–" if v is None else f"{v:.3g}") if ratio else pct(v), f"{p.count:,}"]
            else:
                cells.append("–" if v is None else (f"{v:,.1f}" if trend.smooth > 1 else f"{int(v):,}"))
            if not shared_total:
                cells.append(f"{p.total:,}")
        if shared_total:
            cells.append(f"{trend.series[0].points[i].total if trend.series else 0:,}")
        mark = "" if complete else " *"
        incomplete = incomplete or not complete
        t.add_row(period + mark, *cells)
    out = console()
    out.print(t if _fits(out, t) else _long_trend_table(trend))
    notes = [f"corpus: {trend.corpus.papers:,} papers, {trend.corpus.first} to {trend.corpus.last}; dated by first version"]
    if incomplete:
        notes.append("* incomplete period: the corpus ends before it does")
    for label, completions in trend.filters.get("expanded", {}).items():
        notes.append(f"{label} expanded to the {len(completions)} most frequent completions: {', '.join(completions)}")
    for label, x in trend.filters.get("senses", {}).items():
        fm = x.get("first_mention") or {}
        notes.append(f"{label}: the sense “{x['expansion']}”: {x['defining']:,} papers spell it out, {x['inferred']:,} "
                     f"inherit it (inferred from their year and category); first spelled out {fm.get('date')} "
                     f"{fm.get('id')}; {x['other_senses']} other sense(s): uptake senses {label.split(' sense:')[0]}")
    notes += [f"{s.label}: {s.unit}" for s in trend.series if getattr(s, "unit", None)]
    for n in notes:
        out.print(f"[dim]{n}[/]")


def cmd_plot(args: argparse.Namespace) -> int:
    from ..outputs.plot import plot_trend, save_figure  # deferred: matplotlib is slow to import

    trend = _trend(args)
    ax = plot_trend(trend, title=args.title)
    path = save_figure(ax, args.output)
    console_err().print(f"wrote {path}")
    return 0


# -- papers ----------------------------------------------------------------------
def cmd_papers(args: argparse.Namespace) -> int:
    result = corpus_for(args).papers(query_of(args), scope=scope_for(args), period=args.period, limit=args.limit,
                                     offset=args.offset, has=args.has)
    rows = [p.as_dict() for p in result.papers]
    if args.output_format == "json":
        write_json({"query": result.query, "period": result.period, "total": result.total, "papers": rows})
        return 0
    if args.output_format == "csv":
        import csv
        import io

        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        full = any("match" in r for r in rows)  # --text full: where it matched, appended as extra columns
        w.writerow(["id", "date", "primary_category", "title"] + (["role", "section", "sentence"] if full else []))
        for r in rows:
            m = r.get("match") or {}
            w.writerow([r["id"], r["date"] or "", r["primary_category"] or "", r["title"]]
                       + ([m.get("role", ""), m.get("section", ""), m.get("sentence", "")] if full else []))
        write_text(buf.getvalue())
        return 0
    from rich.markup import escape
    from rich.table import Table

    where = f" in {result.period}" if result.period else ""
    t = Table(title=f"{result.total:,} papers match {result.query}{where} (newest first)", title_justify="left", box=None)
    t.add_column("id", no_wrap=True)
    t.add_column("date", no_wrap=True)
    t.add_column("category", no_wrap=True)
    t.add_column("title")
    for r in rows:
        m = r.get("match")
        title = escape(r["title"]) + (f"\n  [dim]{escape(m['role'])} · {escape(m['section'])}:[/] "
                                      f"{escape(m['sentence'])}" if m else "")
        t.add_row(r["id"], r["date"] or "(undated)", r["primary_category"] or "", title)
    console().print(t)
    if result.total > len(rows) + args.offset:
        console().print(f"[dim]showing {len(rows)} from {args.offset + 1}; more with --offset {args.offset + len(rows)}[/]")
    return 0


# -- demo ------------------------------------------------------------------------
def cmd_demo(args: argparse.Namespace) -> int:
    from ..demo import run_demo

    result = run_demo(db=args.db, out_dir=args.out, papers=args.papers)
    out = console()
    out.print(f"[bold]Demo corpus[/] (SYNTHETIC, {result.papers:,} papers) in {result.db}")
    out.print(f"wrote {result.png} and {result.csv} (SYNTHETIC numbers; see {result.csv.with_name('grpo.README.txt')})")
    out.print("Real data next: `uptake import arxiv-metadata-oai-snapshot.json` then `uptake plot 'GRPO, PPO, DPO' -o grpo.png`")
    return 0
