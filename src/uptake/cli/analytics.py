"""The analytics commands: adoption, emerging, senses. They parse options, call the library, and format."""

from __future__ import annotations

import argparse
import math
from typing import Any

from .common import add_sense_option, console, console_err, corpus_for, db_parent, format_parent, pct, query_of
from .common import query_parent, scope_for, write_json, write_text


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    db = db_parent()
    q = query_parent()

    p = sub.add_parser(
        "adoption", parents=[db, q, format_parent("table", "json", "csv")],
        help="how fast each series was taken up: first mention, milestones, growth, fits, bursts",
        description="Adoption numbers for each series of QUERY: first mention, introduction (given or the sustained "
        "onset), milestones, share growth and doubling time, Mann-Kendall trend, logistic and Bass fits with 95% "
        "intervals (a lower bound when the ceiling is not identifiable), Kleinberg bursts, a speed ranking and "
        "substitution shares. Example: uptake adoption 'GRPO, DPO, PPO' --plot aligned.png --substitution sub.png",
    )
    p.add_argument("query", metavar="QUERY")
    p.add_argument("--from", dest="start", metavar="YYYY-MM", help="first month considered (default: the corpus's first)")
    p.add_argument("--to", dest="end", metavar="YYYY-MM", help="last month considered (default: the corpus's last)")
    p.add_argument("--introduced", metavar="YYYY-MM", help="anchor every series' introduction at this month")
    p.add_argument("--origin", metavar="ARXIV_ID", help="anchor the introduction at this paper's v1 month (e.g. 2402.03300)")
    p.add_argument("--plot", metavar="FILE", help="draw the curves aligned on months since introduction (.png/.svg)")
    p.add_argument("--substitution", nargs="?", const="-", default=None, metavar="FILE",
                   help="each series' share of the family over time: printed (alone) and drawn (with FILE); "
                   "with --format csv, the substitution table is printed instead of the summary")
    p.add_argument("--no-senses", action="store_true", help="skip the acronym sense split (faster)")
    p.add_argument("--by", dest="count_by", choices=["mention", "use"], default="mention",
                   help="count papers that mention each idea (default), or that use it: matched in their method, "
                   "experiments, appendix or captions outside sentences citing another work (implies --text full)")
    add_sense_option(p)
    p.set_defaults(handler=cmd_adoption)

    p = sub.add_parser(
        "emerging", parents=[db, format_parent("table", "csv", "json")],
        help="terms whose share of papers is rising",
        description="Rank tokens, case-kept acronyms and 2-3 word phrases by how much their share of papers rose "
        "from the baseline window to the recent one, with a test that allows for month-to-month overdispersion "
        "(beta-binomial), Benjamini-Hochberg q-values, minimum support and persistence; rises explained by the "
        "corpus' category mix are left out. Example: uptake emerging --recent 2026-01:2026-06 --baseline 2025-01:2025-12 "
        "--category cs --top 30",
    )
    p.add_argument("--recent", metavar="FIRST:LAST", help="recent window (default: the last 6 complete months)")
    p.add_argument("--baseline", metavar="FIRST:LAST", help="baseline window (default: the 12 months before recent)")
    p.add_argument("--category", "-c", action="append", default=[], metavar="CAT",
                   help="only papers listed in CAT ('cs' means every cs.*); repeatable")
    p.add_argument("--top", type=int, default=30, metavar="N", help="how many terms to list (default 30)")
    p.add_argument("--min-support", type=int, default=10, metavar="N",
                   help="at least N papers in the recent window (default 10)")
    p.add_argument("--alpha", type=float, default=0.05, help="false discovery rate for the q-values (default 0.05)")
    p.add_argument("--include-coverage-shifts", action="store_true",
                   help="keep terms whose rise comes from categories entering the corpus or from its category mix "
                   "(left out by default, and named in the notes)")
    p.add_argument("--sample", type=int, default=30_000, metavar="N",
                   help="screen on at most N papers per window before the exact recount (default 30000)")
    p.set_defaults(handler=cmd_emerging)

    p = sub.add_parser(
        "senses", parents=[db, format_parent("table", "json")],
        help="which meanings an acronym has: case variants, categories, expansion",
        description="Split the papers matching TERM (case-insensitively) by case variant (LoRA / LoRa / LORA), "
        "list each variant's top categories and how often the spelled-out expansion appears with it. "
        "Example: uptake senses LoRA",
    )
    p.add_argument("term", metavar="TERM")
    p.add_argument("--expansion", metavar="PHRASE", help="the spelled-out form to check (default: detected)")
    p.add_argument("--category", "-c", action="append", default=[], metavar="CAT")
    p.add_argument("--from", dest="start", metavar="YYYY-MM")
    p.add_argument("--to", dest="end", metavar="YYYY-MM")
    p.set_defaults(handler=cmd_senses)


# -- adoption --------------------------------------------------------------------
def cmd_adoption(args: argparse.Namespace) -> int:
    from ..query import parse_query

    query = query_of(args)
    if args.substitution is not None and len((parse_query(query) if isinstance(query, str) else query).series) < 2:
        from ..errors import UsageError

        raise UsageError("--substitution needs two or more series, e.g. 'GRPO, DPO, PPO'")
    report = corpus_for(args).adoption(query, scope=scope_for(args), introduced=args.introduced,
                                       origin=args.origin, with_senses=not args.no_senses, by=args.count_by)
    if args.plot:
        from ..outputs.plot_adoption import plot_aligned, save

        path = save(plot_aligned(report), args.plot)
        console_err().print(f"wrote {path}")
    sub_file = args.substitution if args.substitution not in (None, "-") else None
    if args.substitution is not None and report.substitution is None:
        from ..errors import UsageError

        raise UsageError("--substitution needs two or more series, e.g. 'GRPO, DPO, PPO'")
    if sub_file:
        from ..outputs.plot_adoption import plot_substitution, save

        path = save(plot_substitution(report), sub_file)
        console_err().print(f"wrote {path}")
    if args.output_format == "json":
        write_json(report.as_dict())
    elif args.output_format == "csv":
        write_text(_substitution_csv(report) if args.substitution is not None else _adoption_csv(report))
    else:
        _print_adoption(report, substitution=args.substitution == "-")
    return 0


def _est(e: Any, fmt: str = "{:.3g}") -> str:
    return "–" if e is None else e.text(fmt)


def _months(v: int | None) -> str:
    return "–" if v is None else f"{v}"


def _print_adoption(report: Any, *, substitution: bool) -> None:
    from rich.table import Table

    out = console()
    c = report.corpus
    out.print(f"[bold]Adoption[/] of {report.query}   [dim]({c['papers']:,} papers, {c['first']} to {c['last']}; "
              f"dated by first version)[/]")
    t = Table(box=None, title_justify="left", show_header=True, header_style="bold")
    t.add_column("", no_wrap=True)
    for a in report.series:
        t.add_column(a.label, justify="right", overflow="fold", max_width=34)

    def row(name: str, fn: Any) -> None:
        from rich.markup import escape

        t.add_row(name, *[escape(fn(a)) for a in report.series])

    row("papers (all months)", lambda a: f"{a.total_matches:,}")
    row("first mention", lambda a: (f"{a.first_mention['date'] or '(undated)'} {a.first_mention['id']}"
                                    + (" (left-censored)" if a.first_mention.get("left_censored") else ""))
        if a.first_mention else "–")
    row("introduction", lambda a: f"{a.introduction or '–'} ({a.introduction_rule}"
        + ("; left-censored)" if a.left_censored else ")"))
    row("covered span", lambda a: "..".join(x or "–" for x in a.coverage["span"]) if a.coverage else "whole range")
    row("matches before it", lambda a: f"{a.matches_before_introduction:,}")
    row("months to 10 / 100 / 1000", lambda a: " / ".join(_months(getattr(a.milestones, k, None))
                                                          for k in ("months_to_10", "months_to_100", "months_to_1000"))
        if a.milestones else "–")
    row("months to 0.1% / 1% share", lambda a: f"{_months(a.milestones.months_to_share_0_1pct)} / "
        f"{_months(a.milestones.months_to_share_1pct)}" if a.milestones else "–")
    row("peak share (month)", lambda a: f"{pct(a.milestones.peak_share)} ({a.milestones.peak_month})"
        if a.milestones and a.milestones.peak_month else "–")
    row("latest complete month", lambda a: f"{pct(a.milestones.latest_share)} ({a.milestones.latest_month})"
        if a.milestones and a.milestones.latest_month else "–")
    row("share growth / month", lambda a: _est(a.growth.monthly_growth, "{:+.0%}") if a.growth else "–")
    row("doubling time (months)", lambda a: _est(a.growth.doubling_months, "{:.2g}") if a.growth else "–")
    row("take-off window", lambda a: f"{a.growth.window[0]}..{a.growth.window[1]}" if a.growth else "–")
    row("last 12 months (M-K)", lambda a: f"{a.trend_test.direction} (p={a.trend_test.p_value:.2g})"
        if a.trend_test else "–")
    row("logistic K (ceiling share)", lambda a: _est(a.logistic.K, "{:.3%}") if a.logistic else "–")
    row("logistic r (/month)", lambda a: _est(a.logistic.r, "{:.2f}") if a.logistic else "–")
    row("logistic midpoint t0", lambda a: a.logistic.t0_label() if a.logistic else "–")
    row("lack of fit (logistic / Bass)", lambda a: " / ".join(
        ("–" if f is None or f.lack_of_fit is None else "fails" if f.lack_of_fit.fails else "passes")
        for f in (a.logistic, a.bass)))
    row("Bass p / q", lambda a: f"{_est(a.bass.p, '{:.3f}')} / {_est(a.bass.q, '{:.2f}')}" if a.bass else "–")
    row("Bass m (papers)", lambda a: _est(a.bass.m, "{:,.0f}") if a.bass else "–")
    row("bursts", lambda a: ", ".join(f"{b.start}..{b.end}" for b in a.bursts[:3]) + (" …" if len(a.bursts) > 3 else "")
        if a.bursts else ("not computed" if a.bursts_note else "none"))
    row("case variants", lambda a: ", ".join(f"{v['form']} {v['papers']:,}" for v in a.senses["variants"][:3])
        if a.senses else "–")
    row("senses by expansion", lambda a: f"{len(a.senses['senses'])}: " + "; ".join(
        x["expansion"] for x in a.senses["senses"][:2]) + (" …" if len(a.senses["senses"]) > 2 else "")
        if a.senses and a.senses.get("senses") else "–")
    out.print(t)
    for a in report.series:
        for fit in (a.logistic, a.bass):
            if fit is not None and not fit.identifiable:
                out.print(f"[yellow]{a.label}[/]: {fit.note}")
        if a.early_papers:
            firsts = _sense_firsts(a.senses)
            out.print(f"[dim]{a.label}: {a.matches_before_introduction} match(es) before the introduction, earliest first: "
                      + "; ".join(f"{p['date']} {p['id']} {p['title'][:60]}{firsts.get(p['id'], '')}"
                                  for p in a.early_papers[:3]) + "[/]", highlight=False)
        for n in a.notes:
            out.print(f"[dim]{a.label}: {n}[/]")
        if a.bursts_note and a.bursts_note.startswith("not computed"):
            out.print(f"[dim]{a.label}: bursts {a.bursts_note}[/]", highlight=False)
        asked = (report.filters.get("senses") or {})
        if a.senses and len(a.senses.get("senses") or ()) > 1:
            _print_senses(out, a.label.split(" sense:")[0], a.senses["senses"], a.senses.get("undetermined", 0),
                          limit=5)
        for key, info in asked.items():
            if key.split(" sense:")[0] == a.label.split(" sense:")[0]:
                fm = info.get("first_mention") or {}
                out.print(f"[dim]{a.label}: counts the sense “{info['expansion']}”: {info['defining']:,} papers "
                          f"define it, {info['inferred']:,} inherit it; first defined {fm.get('date')} "
                          f"{fm.get('id')}[/]", highlight=False)
    if len(report.ranking) > 1:
        r = Table(title="Speed of uptake (fastest first: months to 100 papers, then doubling time)",
                  title_justify="left", box=None, header_style="bold")
        for col in ("rank", "series", "introduced", "covered", "months to 100", "doubling (months)"):
            r.add_column(col, justify="right" if col != "series" else "left")
        for x in report.ranking:
            d = "–" if x.doubling_months is None else f"{x.doubling_months:.2g}"
            if x.doubling_ci95:
                lo, hi = x.doubling_ci95
                d += f" [{'–' if lo is None else f'{lo:.2g}'}, {'∞' if hi is None or math.isinf(hi) else f'{hi:.2g}'}]"
            span = "..".join(v or "–" for v in x.covered_span) if x.covered_span else "–"
            r.add_row("–" if x.rank is None else str(x.rank), x.label, x.introduction or "–", span,
                      _months(x.months_to_100), d)
        out.print(r)
        for x in report.ranking:
            if x.caveat:
                out.print(f"[yellow]{x.label}[/]: {x.caveat}", highlight=False)
    if substitution and report.substitution:
        s = Table(title="Substitution: share of the family's mentions", title_justify="left", box=None,
                  header_style="bold")
        s.add_column("month")
        for lab in report.substitution.labels:
            s.add_column(lab, justify="right")
        s.add_column("family", justify="right", style="dim")
        for pnt in report.substitution.points:
            if pnt.family_total == 0:
                continue
            s.add_row(pnt.period + ("" if pnt.complete else " *"), *[pct(v, 3) for v in pnt.shares],
                      f"{pnt.family_total:,}")
        out.print(s)
    for note in report.filters.get("coverage") or ():
        out.print(f"[yellow]coverage:[/] {note}", highlight=False)
    out.print("[dim]intervals are 95%; `--format json` has every number, the rules used, Wilson intervals per "
              "month and the papers before each introduction[/]")


_CSV_COLUMNS = (
    "series", "total_matches", "introduction", "introduction_rule", "matches_before_introduction",
    "first_mention_id", "first_mention_date", "months_to_10", "months_to_100", "months_to_1000",
    "months_to_share_0_1pct", "months_to_share_1pct", "peak_share", "peak_month", "latest_month", "latest_share",
    "latest_share_low", "latest_share_high", "growth_rate", "growth_rate_low", "growth_rate_high", "doubling_months",
    "doubling_low", "doubling_high", "mk_direction", "mk_p_value", "mk_sen_slope",
    "logistic_K", "logistic_K_low", "logistic_K_high", "logistic_K_is_lower_bound", "logistic_r", "logistic_r_low",
    "logistic_r_high", "logistic_t0", "logistic_identifiable", "bass_p", "bass_p_low", "bass_p_high", "bass_q",
    "bass_q_low", "bass_q_high", "bass_m", "bass_m_low", "bass_m_high", "bass_m_is_lower_bound", "bass_peak",
    "bass_identifiable", "bursts", "rank",
    "introduction_left_censored", "covered_from", "covered_to", "logistic_lack_of_fit", "bass_lack_of_fit",
    "coverage_caveats",
)


def _adoption_csv(report: Any) -> str:
    import csv
    import io

    rank = {r.label: r.rank for r in report.ranking}
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(_CSV_COLUMNS)

    def v(x: Any) -> str:
        if x is None:
            return ""
        if isinstance(x, float):
            return "inf" if math.isinf(x) else repr(x)
        return str(x)

    for a in report.series:
        m, g, tt, lf, bf = a.milestones, a.growth, a.trend_test, a.logistic, a.bass
        fm = a.first_mention or {}
        vals = [
            a.label, a.total_matches, a.introduction, a.introduction_rule, a.matches_before_introduction,
            fm.get("id"), fm.get("date"),
            *(getattr(m, k) if m else None for k in ("months_to_10", "months_to_100", "months_to_1000",
                                                      "months_to_share_0_1pct", "months_to_share_1pct", "peak_share",
                                                      "peak_month", "latest_month", "latest_share")),
            m.latest_share_ci95[0] if m and m.latest_share_ci95 else None,
            m.latest_share_ci95[1] if m and m.latest_share_ci95 else None,
            *((g.rate.value, g.rate.low, g.rate.high, g.doubling_months.value, g.doubling_months.low,
               g.doubling_months.high) if g else (None,) * 6),
            *((tt.direction, tt.p_value, tt.sen_slope) if tt else (None,) * 3),
            *((lf.K.value, lf.K.low, lf.K.high, lf.K.lower_bound, lf.r.value, lf.r.low, lf.r.high, lf.t0_label(),
               lf.identifiable) if lf else (None,) * 9),
            *((bf.p.value, bf.p.low, bf.p.high, bf.q.value, bf.q.low, bf.q.high, bf.m.value, bf.m.low, bf.m.high,
               bf.m.lower_bound, bf.peak, bf.identifiable) if bf else (None,) * 12),
            "; ".join(f"{b.start}..{b.end}" for b in a.bursts), rank.get(a.label),
            a.left_censored, *(a.coverage["span"] if a.coverage else (None, None)),
            *(None if f is None or f.lack_of_fit is None else ("fails" if f.lack_of_fit.fails else "passes")
              for f in (lf, bf)),
            "; ".join(a.coverage_caveats),
        ]
        w.writerow([v(x) for x in vals])
    return buf.getvalue()


def _substitution_csv(report: Any) -> str:
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    cols = ("period", "series", "family_total", "family_share", "ci95_low", "ci95_high", "complete")
    w.writerow(cols)
    for r in report.substitution.to_rows():
        w.writerow(["" if r[c] is None else (repr(r[c]) if isinstance(r[c], float) else str(r[c])) for c in cols])
    return buf.getvalue()


# -- emerging --------------------------------------------------------------------
def cmd_emerging(args: argparse.Namespace) -> int:
    report = corpus_for(args).emerging(
        recent=args.recent, baseline=args.baseline, category=args.category, top=args.top,
        min_support=args.min_support, alpha=args.alpha, sample_docs=args.sample,
        include_coverage_shifts=args.include_coverage_shifts,
    )
    if args.output_format == "json":
        write_json(report.as_dict())
        return 0
    if args.output_format == "csv":
        write_text(report.to_csv())
        return 0
    from rich.table import Table

    out = console()
    cat = f" in {', '.join(report.category)}" if report.category else ""
    t = Table(
        title=f"Rising{cat}: {report.recent[0]}..{report.recent[1]} ({report.recent_papers:,} papers) vs "
        f"{report.baseline[0]}..{report.baseline[1]} ({report.baseline_papers:,} papers)",
        title_justify="left", box=None, header_style="bold",
    )
    wide = out.width >= 110  # narrow terminals get the essential columns only
    cols = [("#", "right"), ("term", "left"), ("recent", "right")] + ([("share", "right")] if wide else []) + \
        [("baseline", "right")] + ([("share", "right")] if wide else []) + [("ratio", "right"), ("q", "right")] + \
        ([("first seen", "left")] if wide else []) + [("monthly share", "left")]
    for col, just in cols:
        t.add_column(col, justify=just, no_wrap=col != "term")  # type: ignore[arg-type]
    for i, x in enumerate(report.terms, start=1):
        name = x.term + (f" [dim](= {x.aliases[0]}{' …' if len(x.aliases) > 1 else ''})[/]" if x.aliases else "")
        cells = [str(i), name, f"{x.recent:,}"] + ([pct(x.recent_share)] if wide else []) + [f"{x.baseline:,}"] + \
            ([pct(x.baseline_share)] if wide else []) + [f"{x.ratio:.1f}×", f"{x.q_value:.1g}"] + \
            ([x.first_seen] if wide else []) + [x.sparkline]
        t.add_row(*cells)
    out.print(t)
    if not report.terms:
        out.print("[yellow]nothing rises significantly[/]: widen the windows, lower --min-support, or drop --category")
    for n in report.notes:
        out.print(f"[yellow]note:[/] {n}")
    out.print(f"[dim]screened {report.candidates_screened:,} candidates on a sample "
              f"({report.sample_rate_recent:.0%} of recent, {report.sample_rate_baseline:.0%} of baseline papers), "
              f"recounted the best {report.recounted} exactly; q = Benjamini-Hochberg over all screened, allowing for "
              f"each term's month-to-month overdispersion (its factor is in --format json/csv); "
              f"ratio = recent share / baseline share; sparkline spans {report.baseline[0]}..{report.recent[1]}; "
              f"{report.seconds:.1f} s[/]")
    return 0


# -- senses ----------------------------------------------------------------------
#: Senses listed in a table; the JSON has them all.
SENSES_SHOWN = 10


def _sense_firsts(senses: dict[str, Any] | None) -> dict[str, str]:
    """Paper id -> " (first mention of “expansion”)" (the main sense) or " (another sense: “expansion”)"."""
    out: dict[str, str] = {}
    for i, x in enumerate((senses or {}).get("senses") or ()):
        fm = x.get("first_mention") or {}
        if fm.get("id"):
            out[fm["id"]] = (f" (first mention of “{x['expansion']}”)" if i == 0
                             else f" (another sense: “{x['expansion']}”)")
    return out


def _print_senses(out: Any, term: str, senses: Any, undetermined: int, *, limit: int = 0) -> None:
    """The senses table: expansion, defining and inferred papers, first mention."""
    from rich.table import Table

    def get(x: Any, k: str) -> Any:
        return x[k] if isinstance(x, dict) else getattr(x, k)

    t = Table(title=f"{term}: senses by the expansion papers spell out", title_justify="left", box=None,
              header_style="bold")
    for col in ("sense", "papers", "defining", "inferred", "first mention", "top categories"):
        t.add_column(col, justify="left" if col in ("sense", "first mention", "top categories") else "right",
                     overflow="fold")
    shown = limit or SENSES_SHOWN
    for x in list(senses)[:shown]:
        fm = get(x, "first_mention") or {}
        cats = get(x, "top_categories")
        cats_text = ", ".join(f"{c['category']} {c['papers']:,}" if isinstance(c, dict) else f"{c[0]} {c[1]:,}"
                              for c in list(cats)[:3])
        t.add_row(get(x, "expansion"), f"{get(x, 'defining') + get(x, 'inferred'):,}", f"{get(x, 'defining'):,}",
                  f"{get(x, 'inferred'):,}", f"{fm.get('date', '–')} {fm.get('id', '')} {fm.get('title', '')[:50]}",
                  cats_text)
    out.print(t)
    more = len(senses) - shown
    out.print("[dim]defining: the paper spells the expansion out; inferred: it does not, and takes the sense most "
              "papers define in its year and primary category (among senses defined by then)"
              + (f"; {undetermined:,} paper(s) predate every definition (undetermined)" if undetermined else "")
              + (f"; {more} more sense(s) in --format json" if more > 0 else "")
              + f"; count one sense with {term} sense:\"EXPANSION\" or --sense[/]", highlight=False)


def cmd_senses(args: argparse.Namespace) -> int:
    rep = corpus_for(args).senses(args.term, expansion=args.expansion, category=args.category, start=args.start,
                 end=args.end)
    if args.output_format == "json":
        write_json(rep.as_dict())
        return 0
    from rich.table import Table

    out = console()
    exp = f"expansion: “{rep.expansion}” ({rep.expansion_source})" if rep.expansion else "no expansion found"
    t = Table(title=f"{rep.term}: {rep.papers:,} papers match case-insensitively; {exp}", title_justify="left",
              box=None, header_style="bold")
    for col in ("variant", "papers", "of all", "with expansion", "top categories"):
        t.add_column(col, justify="left" if col in ("variant", "top categories") else "right")
    for v in rep.variants:
        t.add_row(v.form, f"{v.papers:,}", pct(v.fraction), f"{v.with_expansion:,} ({pct(v.with_expansion / v.papers if v.papers else None)})",
                  ", ".join(f"{c} {n:,}" for c, n in v.top_categories))
    out.print(t)
    if rep.senses:
        _print_senses(out, rep.term, rep.senses, rep.undetermined)
    for n in rep.notes:
        out.print(f"[dim]{n}[/]")
    if len(rep.variants) > 1:
        out.print(f"[dim]to count one variant only: uptake trend '={rep.variants[0].form}' (or --case-sensitive); "
                  f"to restrict by field: --category CAT[/]")
    return 0
