"""Openness and reproducibility commands: openness, report, reproduce, export."""

from __future__ import annotations

import argparse
from typing import Any

from .common import console, console_err, corpus_for, scope_for, db_parent, format_parent, query_parent, range_parent, write_json, write_text


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    db = db_parent()
    q = query_parent()
    rng = range_parent()

    p = sub.add_parser(
        "openness", parents=[db, q, rng, format_parent("table", "csv", "json")],
        help="how many papers link their own code, weights, data or demo page",
        description="Per period, the share of papers matching each series of QUERY that link their own code, "
        "model weights, data or demo page (and, separately, promise them), next to the same shares for all papers "
        "under the same filters. With --text full: on the papers that have a full text, the shares from their "
        "abstracts (and comments) next to the shares from their full texts (availability sections, footnotes, "
        "the first page, the body), and the papers where the two differ with the section that gave the flag. "
        "Example: uptake openness 'GRPO, DPO' --category cs --from 2025-01",
    )
    p.add_argument("query", metavar="QUERY", nargs="?", help="series to compare (default: all papers only)")
    p.add_argument("--refresh", action="store_true",
                   help="add the openness columns to a store made before they existed and fill them (and read "
                   "openness in its full texts again), then exit")
    p.add_argument("--differences", type=int, default=20, metavar="N",
                   help="with --text full: list the first N papers where abstract and full text differ (default 20; "
                   "all of them are in --format json)")
    p.set_defaults(handler=cmd_openness)

    p = sub.add_parser(
        "links", parents=[db, q, format_parent("table", "json", "csv")],
        help="the papers behind a point with the code/weights/data links found in them",
        description="List papers matching QUERY with their openness flags and every link found in their abstract "
        "and comments (cited-... marks links judged to be someone else's, promised-... links the words call a "
        "promise). --format csv writes one row per link. With --text full: the papers' full texts and every "
        "link found in them, with the place it stands (abstract, first page, availability section, footnote, "
        "body) and its section. "
        "Example: uptake links GRPO --month 2025-05 --has weights",
    )
    p.add_argument("query", metavar="QUERY")
    p.add_argument("--month", "--period", dest="period", metavar="PERIOD", help="one period (YYYY-MM; YYYY-Qn or YYYY with --by)")
    p.add_argument("--by", choices=["month", "quarter", "year"], default="month")
    p.add_argument("--from", dest="start", metavar="YYYY-MM")
    p.add_argument("--to", dest="end", metavar="YYYY-MM")
    p.add_argument("--has", action="append", default=[],
                   choices=["code", "weights", "data", "demo", "code-released", "promise"],
                   help="only papers with this flag; repeatable")
    p.add_argument("--limit", type=int, default=20, metavar="N")
    p.add_argument("--offset", type=int, default=0, metavar="N")
    p.set_defaults(handler=cmd_links)

    p = sub.add_parser(
        "report", parents=[db, q, rng],
        help="a reproducible figure package: figure, data, README, manifest",
        description="Write figure.png/.svg, data.csv/.json, adoption.json (when available), README.md and "
        "manifest.json (versions, exact query and options, corpus fingerprint, SHA-256 of every file) into --out. "
        "Example: uptake report 'GRPO, DPO, PPO' --from 2025-01 --out reports/grpo/",
    )
    p.add_argument("query", metavar="QUERY")
    p.add_argument("--out", "-o", required=True, metavar="DIR", help="folder to write the package into")
    p.add_argument("--measure", choices=["share", "count"], default="share")
    p.add_argument("--smooth", type=int, default=1, metavar="N")
    p.add_argument("--title", help="figure title (default: made from the query)")
    p.add_argument("--json", action="store_true", help="print the manifest as JSON")
    p.add_argument("--force", action="store_true", help="replace the report files in a folder that is not empty")
    p.set_defaults(handler=cmd_report)

    p = sub.add_parser(
        "reproduce", parents=[db],
        help="re-run a report's manifest and compare the numbers",
        description="Re-run MANIFEST (a report's manifest.json) against the store and compare series by series. "
        "Exit 0: identical; 1: the numbers differ (listed); 2: the store's corpus is not the report's "
        "(said first, then the comparison). Without --db, the store recorded in the manifest is used if it exists.",
    )
    p.add_argument("manifest", metavar="MANIFEST")
    p.add_argument("--json", action="store_true", help="print the comparison as JSON")
    p.set_defaults(handler=cmd_reproduce)

    p = sub.add_parser(
        "export", parents=[db],
        help="the corpus as Parquet plus checksums, re-importable",
        description="Write every paper as Parquet (one file per year of first version, split above 100,000 rows), "
        "SHA256SUMS and export.json (fingerprint). `uptake import DIR/*.parquet` rebuilds a store with the same "
        "fingerprint. Example: uptake export --out snapshot/",
    )
    p.add_argument("--out", "-o", metavar="DIR", help="empty folder to write into")
    p.add_argument("--verify", metavar="DIR", help="instead of exporting, check an export's checksums")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_export)


# -- openness --------------------------------------------------------------------------
def cmd_openness(args: argparse.Namespace) -> int:
    if args.refresh:
        from ..ingest import refresh_openness
        from ..store import Store

        corpus = corpus_for(args)
        from ..fulltext import refresh_fulltext_openness

        with Store.open(corpus.path, write=True) as store:  # adds the columns if missing
            refresh_openness(store)
            n = store.paper_count()
            done = refresh_fulltext_openness(store) if store.has_fulltext() else 0
            texts = sum(store.fulltext_month_totals().values()) if store.has_fulltext() else 0
        console().print(f"{corpus.path}: openness columns present and filled for {n:,} papers"
                        + (f"; openness read in {texts:,} full texts ({done:,} read now)" if texts else ""))
        if not args.query:
            return 0
    from ..records import HAS_KINDS

    scope = scope_for(args)
    if scope.text == "full":
        return _openness_full(args, corpus_for(args).openness_compare(args.query, scope=scope))
    table = corpus_for(args).openness(args.query, scope=scope)
    if args.output_format == "csv":
        write_text(table.to_csv())
        return 0
    if args.output_format == "json":
        write_json(table.to_json_dict())
        return 0
    from rich.table import Table

    t = Table(title=f"Papers linking their own artifacts, per {args.by}" + (f": {table.query}" if table.query else ""),
              title_justify="left", box=None)
    for name in (args.by, "series", "papers", *HAS_KINDS):
        t.add_column(name, justify="left" if name in (args.by, "series") else "right")
    for period in table.periods:
        for i, label in enumerate(table.labels):
            c = table.cell(period, label)
            style = "dim" if label == table.labels[-1] and len(table.labels) > 1 else None
            mark = " *" if period in table.incomplete else ""
            t.add_row(period + mark if i == 0 else "", label, f"{c.papers:,}", *[_pct(c.share(k)) for k in HAS_KINDS],
                      style=style, end_section=i == len(table.labels) - 1)
    out = console()
    out.print(t)
    totals = {label: sum(table.cell(p, label).papers for p in table.periods) for label in table.labels}
    for label in table.labels:
        n = totals[label]
        if not n:
            continue
        parts = [f"{k} {_pct(sum(table.cell(p, label).counts[k] for p in table.periods) / n)}" for k in HAS_KINDS]
        out.print(f"[dim]{label}: {n:,} papers over the range; " + ", ".join(parts) + "[/]")
    if table.incomplete:
        out.print("* incomplete period: the corpus ends before it does (or --from/--to cuts it)")
    out.print("[dim]own links in abstract or comments; code counts code promised at a link, code-released does "
              "not; promise: any release promise, with or without a link. Method and measured precision: "
              "docs/openness.md[/]")
    return 0


def _openness_full(args: argparse.Namespace, cmp: Any) -> int:
    """``uptake openness --text full``: abstracts against full texts, per period, then the papers that differ."""
    from ..records import HAS_KINDS

    if args.output_format == "csv":
        write_text(cmp.to_csv())
        return 0
    if args.output_format == "json":
        write_json(cmp.to_json_dict())
        return 0
    from rich.table import Table

    query = cmp.filters.get("query")
    t = Table(title=f"Papers with a full text linking their own artifacts, per {args.by}: abstract → full text"
              + (f" (full texts matching {query})" if query else ""), title_justify="left", box=None)
    for name in (args.by, "papers", *HAS_KINDS):
        t.add_column(name, justify="left" if name == args.by else "right")
    for c in cmp.cells:
        if not c.papers:
            continue
        mark = " *" if c.period in cmp.incomplete else ""
        t.add_row(c.period + mark, f"{c.papers:,}",
                  *[f"{_pct(c.share('abstract', k))} → {_pct(c.share('fulltext', k))}" for k in HAS_KINDS])
    out = console()
    out.print(t)
    papers = sum(c.papers for c in cmp.cells)
    meta = sum(c.with_metadata for c in cmp.cells)
    if not papers:
        out.print("no full texts in this range")
        return 0
    totals = [f"{k} {sum(c.abstract[k] for c in cmp.cells):,} → {sum(c.fulltext[k] for c in cmp.cells):,}"
              for k in HAS_KINDS]
    out.print(f"[dim]{papers:,} papers with a full text over the range; papers flagged, abstract → full text: "
              + ", ".join(totals) + "[/]")
    out.print(f"[dim]abstract side: abstract and comments for {meta:,} papers with metadata in the store, the "
              f"full text's abstract paragraph for the other {papers - meta:,}[/]")
    if cmp.incomplete:
        out.print("* incomplete period: the corpus ends before it does (or --from/--to cuts it)")
    grouped: dict[tuple[str, str, tuple[str, ...]], list[str]] = {}  # one line per paper, side and places
    for d in cmp.differences:
        grouped.setdefault((d.id, d.side, d.places), []).append(d.kind)
    differing = list(dict.fromkeys(pid for pid, _, _ in grouped))
    if differing and args.differences:
        shown = set(differing[: args.differences])
        out.print(f"[bold]{len(differing):,} papers differ[/] (kinds: which side, where the full text says it)"
                  + (f"; the first {args.differences}" if len(differing) > args.differences else "") + ":")
        for (pid, side, places), kinds in grouped.items():
            if pid in shown:
                where = f" — {'; '.join(places)}" if places else ""
                out.print(f"  {pid} {', '.join(kinds)}: {side}{where}", markup=False, highlight=False,
                          soft_wrap=True)
    out.print("[dim]full text: the same rules as abstracts, read paragraph by paragraph (not the references); in "
              "the body a link is the paper's own only when its sentence says so. Places and rules: "
              "docs/openness.md, 'From the full text'[/]")
    return 0


def _pct(value: float | None) -> str:
    if value is None:
        return "–"
    v = value * 100
    return f"{v:.0f}%" if v >= 10 or v == 0 else f"{v:.1f}%"


def cmd_links(args: argparse.Namespace) -> int:
    total, rows = corpus_for(args).links(args.query, scope=scope_for(args), period=args.period, has=args.has,
                                         limit=args.limit, offset=args.offset)
    if args.output_format == "json":
        write_json({"query": args.query, "period": args.period, "total": total, "papers": [r.as_dict() for r in rows]})
        return 0
    if args.output_format == "csv":
        write_text(_links_csv(rows))
        return 0
    out = console()
    where = f" in {args.period}" if args.period else ""
    out.print(f"[bold]{total:,} papers match {args.query}{where}[/] (newest first)")
    for r in rows:
        flags = " ".join(k for k, v in r.flags.items() if v) or "no artifact links"
        out.print(f"{r.id} {r.published} {r.title}", markup=False, highlight=False, style="bold")
        if r.fulltext_flags is None:
            out.print(f"  [dim]{flags}[/]")
        else:
            ft_flags = " ".join(k for k, v in r.fulltext_flags.items() if v) or "no artifact links"
            out.print(f"  [dim]abstract: {flags} · full text: {ft_flags}[/]")
        for link in r.links:
            out.print(f"    {link}", markup=False, highlight=False, soft_wrap=True)
        for occ in r.fulltext_links:
            out.print(f"    {occ['label']}  [{occ['where']}]", markup=False, highlight=False, soft_wrap=True)
    if total > len(rows) + args.offset:
        out.print(f"[dim]showing {len(rows)} from {args.offset + 1}; more with --offset {args.offset + len(rows)}[/]")
    return 0


def _links_csv(rows: list[Any]) -> str:
    """One row per stored link (a paper without links gets one row with empty link columns)."""
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    flag_names = list(rows[0].flags) if rows else []
    w.writerow(["id", "date", "title", *flag_names, "link_kinds", "link_own", "link_promised", "link_url"])
    for r in rows:
        flags = ["true" if r.flags[k] else "false" for k in flag_names]
        if not r.links:
            w.writerow([r.id, r.published, r.title, *flags, "", "", "", ""])
        for label in r.links:
            kinds, url = label.split(":", 1)
            own = not kinds.startswith("cited-")
            promised = kinds.startswith("promised-")
            kinds = kinds.removeprefix("cited-").removeprefix("promised-")
            w.writerow([r.id, r.published, r.title, *flags, kinds, str(own).lower(), str(promised).lower(), url])
    return buf.getvalue()


# -- report / reproduce ----------------------------------------------------------------
def cmd_report(args: argparse.Namespace) -> int:
    from ..outputs.report import make_report

    rep = make_report(
        corpus_for(args), args.query, args.out, start=args.start, end=args.end, by=args.by, category=args.category,
        measure=args.measure, smooth=args.smooth, case_sensitive=args.case_sensitive, field=args.field or "any",
        title=args.title, force=args.force,
    )
    if args.json:
        write_json(rep.manifest)
        return 0
    out = console()
    fp = rep.manifest["corpus"]
    out.print(f"[bold]Report[/] {rep.out_dir}")
    for name in rep.files:
        out.print(f"  {name}")
    out.print(f"[dim]corpus: {fp['papers']:,} papers, {fp['first_month']} to {fp['last_month']}, "
              f"hash {fp['content_hash'][:16]}...; adoption {rep.manifest['adoption']}[/]")
    out.print(f"check it later with: uptake reproduce {rep.out_dir / 'manifest.json'}")
    return 0


def cmd_reproduce(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..corpus import Corpus
    from ..outputs.report import load_manifest, reproduce

    db = args.db
    if db is None:
        recorded = load_manifest(args.manifest).get("store")
        if recorded and Path(recorded).exists():
            db = recorded
    corpus = Corpus(db) if db else corpus_for(args)
    result = reproduce(args.manifest, corpus)
    if args.json:
        write_json(result.as_dict())
        return result.exit_code
    out = console()
    _print_reproduction(out, result)
    return result.exit_code


def _print_reproduction(out: Any, r: Any) -> None:
    m = r.manifest
    out.print(f"[bold]Reproducing[/] {m['_path']} ({m.get('command', m['query'])}) against {r.store}")
    if not r.fingerprint_identical:
        out.print("[bold yellow]The corpus differs from the one the report was made from[/] (exit 2):", markup=True)
        for d in r.fingerprint_differences:
            out.print(f"  - {d}", markup=False)
        out.print("  the numbers below are compared anyway, but differences are expected")
    else:
        out.print("corpus fingerprint: identical")
    for s in r.series:
        if s.identical:
            out.print(f"  [green]identical[/]  {s.label}")
        else:
            out.print(f"  [red]differs[/]    {s.label}")
            for d in s.differences[:30]:
                out.print(f"      {d}", markup=False)
            if len(s.differences) > 30:
                out.print(f"      ... and {len(s.differences) - 30} more periods")
    if r.files_changed:
        out.print(f"[dim]report files changed since it was made: {', '.join(r.files_changed)}[/]")
    verdict = {0: "identical", 1: "numbers differ", 2: "corpus differs"}[r.exit_code]
    out.print(f"[bold]{verdict}[/] (exit {r.exit_code})")


# -- export ----------------------------------------------------------------------------
def cmd_export(args: argparse.Namespace) -> int:
    from ..errors import UsageError
    from ..outputs.report import export_corpus
    from ..sources.export import verify_export

    if args.verify:
        bad = verify_export(args.verify)
        if args.json:
            write_json({"folder": args.verify, "bad": bad, "ok": not bad})
        elif bad:
            console_err().print(f"[red]checksum mismatch or missing:[/] {', '.join(bad)}")
        else:
            console().print(f"{args.verify}: every file matches SHA256SUMS")
        return 1 if bad else 0
    if not args.out:
        raise UsageError("give --out DIR (an empty folder to write the Parquet files into), or --verify DIR")
    exp = export_corpus(corpus_for(args), args.out)
    if args.json:
        write_json({"out": str(exp.out_dir), "papers": exp.papers, "files": list(exp.files),
                    "corpus": exp.fingerprint.as_dict()})
        return 0
    out = console()
    out.print(f"[bold]Exported[/] {exp.papers:,} papers to {exp.out_dir} in {len(exp.files)} Parquet files "
              f"(+ SHA256SUMS, export.json)")
    out.print(f"[dim]fingerprint {exp.fingerprint.content_hash[:16]}...; re-import with: "
              f"uptake import {exp.out_dir}/*.parquet --db NEW.duckdb[/]")
    return 0
