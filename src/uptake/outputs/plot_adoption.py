"""Adoption figures: curves aligned on months since introduction, and substitution within a family.

Only draws; the numbers come from :mod:`uptake.analytics.adoption`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..periods import month_label, parse_month
from .plot import PALETTE, _period_date, _use_agg, caption_lines

if TYPE_CHECKING:
    from pathlib import Path

    from matplotlib.axes import Axes
    from matplotlib.ticker import FuncFormatter

    from ..analytics.adoption import AdoptionReport


def _style(ax: Axes) -> None:
    ax.grid(True, axis="y", color="#dddddd", linewidth=0.8)
    ax.grid(True, axis="x", color="#f0f0f0", linewidth=0.6)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=11)


def _pct_formatter() -> FuncFormatter:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _: f"{v:.2g}%" if abs(v) < 1 else f"{v:.3g}%")


def _percent(v: float | None) -> float:
    """A share in percent; a missing share is NaN, a gap in the line."""
    return v * 100 if v is not None else float("nan")


def _caption(report: AdoptionReport, extra: str) -> str:
    c = report.corpus
    f = report.filters
    bits = [f"uptake · {c['papers']:,} papers ({c['first']} to {c['last']})", "dated by first version (v1)",
            "case-sensitive" if f.get("case_sensitive") else "case-insensitive whole-word match in title+abstract"]
    if f.get("category"):
        bits.append("categories: " + ", ".join(f["category"]))
    bits.append(extra)
    return " · ".join(bits)


def _coverage_words(report: AdoptionReport, *, limit: int = 700) -> str:
    """The coverage caveats a reader of the figure needs: left-censored introductions, results resting on a
    coverage change (each series' first two), cut to ``limit`` characters."""
    import re

    def first(c: str) -> int:  # take-off and fits first, then the months of milestones
        return 0 if "take-off" in c else 1 if " fit " in c else 2

    bits = []
    for a in report.series:
        if a.left_censored:
            bits.append(f"{a.label}: introduction left-censored (at the start of what the corpus covers)")
        for c in sorted(a.coverage_caveats, key=first)[:2]:  # without the trailing "(month: what changed ...)"
            bits.append(f"{a.label}: " + re.sub(r" \((?:[^()]|\([^()]*\))*\)$", "", c))
    if not bits:
        return ""
    text = "; coverage: " + "; ".join(bits)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def plot_aligned(report: AdoptionReport, ax: Axes | None = None, *, title: str | None = None,
                 months_after: int | None = None, log: bool = False) -> Axes:
    """Share of papers against months since each series' introduction, with Wilson 95% bands."""
    _use_agg()
    import matplotlib.pyplot as plt

    own = ax is None
    if ax is None:
        fig, ax = plt.subplots(figsize=(12, 6.5), dpi=100)
        fig.subplots_adjust(left=0.08, right=0.98, top=0.9, bottom=0.17)
    scale = 100.0
    drawn = 0
    any_partial = False
    longest = 0
    top = 0.0
    for i, (s, a) in enumerate(zip(report.trend.series, report.series, strict=True)):
        if a.introduction is None:
            continue
        colour = PALETTE[i % len(PALETTE)]
        intro = parse_month(a.introduction)
        pts = [(parse_month(p.period) - intro, p) for p in s.points if parse_month(p.period) >= intro]
        if months_after is not None:
            pts = [(k, p) for k, p in pts if k <= months_after]
        if not pts:
            continue
        done = [(k, p) for k, p in pts if p.complete and p.total > 0]
        part = [(k, p) for k, p in pts if not p.complete and p.total > 0]
        longest = max(longest, pts[-1][0])
        ms = a.milestones
        bits = [f"from {a.introduction}" + (", left-censored" if a.left_censored else "")]
        if a.growth and a.growth.doubling_months.value is not None:
            bits.append(f"doubling {a.growth.doubling_months.value:.1f} mo")
        if ms and ms.months_to_100 is not None:
            bits.append(f"100 papers at +{ms.months_to_100} mo")
        label = f"{s.label}  ({', '.join(bits)})"
        xs = [k for k, _ in done]
        ys = [p.share * scale if p.share is not None else float("nan") for _, p in done]
        ax.plot(xs, ys, color=colour, linewidth=2.2, label=label, marker="o" if len(xs) <= 40 else None,
                markersize=3.5)
        ax.fill_between(xs, [p.share_low * scale if p.share_low is not None else float("nan") for _, p in done],
                        [p.share_high * scale if p.share_high is not None else float("nan") for _, p in done],
                        color=colour, alpha=0.15, linewidth=0)
        if part:
            any_partial = True
            joint = (done[-1:] if done else []) + part
            ax.plot([k for k, _ in joint], [p.share * scale if p.share is not None else float("nan") for _, p in joint], color=colour, linewidth=1.5,
                    linestyle=(0, (3, 2)))
            ax.plot([k for k, _ in part], [p.share * scale if p.share is not None else float("nan") for _, p in part], linestyle="none", marker="o",
                    markersize=7, markerfacecolor="white", markeredgecolor=colour, markeredgewidth=1.6)
        top = max([top] + [p.share_high * scale for _, p in done if p.share_high is not None]
                  + [p.share * scale for _, p in part if p.share is not None])
        drawn += 1
    if drawn == 0:
        ax.text(0.5, 0.5, "no series has a sustained onset to align on", transform=ax.transAxes, ha="center",
                fontsize=13, color="#666666")
    ax.axvline(0, color="#888888", linewidth=1, linestyle=":")
    ax.set_xlabel("Months since introduction (0 = introduction month)", fontsize=12)
    ax.set_ylabel("Share of papers (%)", fontsize=12)
    ax.yaxis.set_major_formatter(_pct_formatter())
    if log:
        ax.set_yscale("log")
    else:
        # Headroom for the legend, which sits in the upper left.
        ax.set_ylim(0, top * (1.12 + 0.065 * (drawn + 2)) if top > 0 else 1)
    ax.set_xlim(-0.5, max(longest, 1) + 0.5)
    _style(ax)
    if title is None:
        names = ", ".join(s.label for s in report.trend.series)
        title = f"How fast was it taken up? {names if len(names) <= 60 else names[:57] + '...'}"
    ax.set_title(title, fontsize=15, loc="left", pad=14, fontweight="bold")
    handles, labels = ax.get_legend_handles_labels()
    from matplotlib.patches import Patch

    handles.append(Patch(color="#999999", alpha=0.3))
    labels.append("95% Wilson interval")
    if any_partial:
        from matplotlib.lines import Line2D

        handles.append(Line2D([], [], color="#555555", linestyle=(0, (3, 2)), marker="o", markerfacecolor="white",
                              markeredgecolor="#555555"))
        labels.append("incomplete month (corpus ends mid-month)")
    leg = ax.legend(handles, labels, frameon=True, fontsize=10.5, loc="upper left", framealpha=0.92)
    leg.get_frame().set_edgecolor("none")
    if own:
        rule = ("introduction = first month of 3 consecutive months with >= 1 matching paper and >= 5 together"
                if report.filters.get("introduced") is None and report.filters.get("origin") is None
                else "introduction given by the user")
        cap = _caption(report, rule + "; share = matching papers / all papers that month under the same filters"
                       + _coverage_words(report))
        lines = caption_lines(ax.figure, cap, fontsize=8.5)
        if len(lines) > 3:
            ax.figure.subplots_adjust(bottom=0.17 + 0.022 * (len(lines) - 3))
        ax.figure.text(0.01, 0.01, "\n".join(lines), fontsize=8.5, color="#666666", ha="left", va="bottom")
    return ax


def plot_substitution(report: AdoptionReport, *, title: str | None = None, min_family: int = 5) -> Axes:
    """Each series' share of the family over time (Wilson bands), with the family's monthly papers below."""
    _use_agg()
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    sub = report.substitution
    if sub is None:
        from ..errors import UsageError

        raise UsageError("--substitution needs two or more series, e.g. 'GRPO, DPO, PPO'")
    pts = list(sub.points)
    first = next((i for i, p in enumerate(pts) if p.family_total >= min_family), None)
    fig, (ax, axn) = plt.subplots(2, 1, figsize=(12, 7.5), dpi=100, sharex=True,
                                  gridspec_kw={"height_ratios": [3.2, 1], "hspace": 0.08})
    fig.subplots_adjust(left=0.08, right=0.98, top=0.91, bottom=0.14)
    if first is None:
        ax.text(0.5, 0.5, f"no month has {min_family} or more papers in the family", transform=ax.transAxes,
                ha="center", fontsize=13, color="#666666")
        pts = []
    else:
        pts = pts[first:]
    xs_all = [_period_date(p.period, "month") for p in pts]
    for i, lab in enumerate(sub.labels):
        colour = PALETTE[i % len(PALETTE)]
        nan = float("nan")
        ok = [p.family_total >= min_family and p.complete for p in pts]  # gaps stay gaps (NaN breaks the line)
        ys = [_percent(p.shares[i]) if good else nan for p, good in zip(pts, ok)]
        ax.plot(xs_all, ys, color=colour, linewidth=2.2, label=lab, marker="o" if len(pts) <= 40 else None,
                markersize=3.5)
        ax.fill_between(xs_all, [_percent(p.lows[i]) if good else nan for p, good in zip(pts, ok)],
                        [_percent(p.highs[i]) if good else nan for p, good in zip(pts, ok)],
                        color=colour, alpha=0.15, linewidth=0)
        part = [k for k, p in enumerate(pts) if p.family_total >= min_family and not p.complete]
        if part:
            ax.plot([xs_all[k] for k in part], [_percent(pts[k].shares[i]) for k in part], linestyle="none", marker="o",
                    markersize=7, markerfacecolor="white", markeredgecolor=colour, markeredgewidth=1.6)
    ax.set_ylim(0, 100)
    ax.set_ylabel("Share of the family's mentions (%)", fontsize=12)
    ax.yaxis.set_major_formatter(_pct_formatter())
    _style(ax)
    from matplotlib.patches import Patch

    handles, labels = ax.get_legend_handles_labels()
    handles.append(Patch(color="#999999", alpha=0.3))
    labels.append("95% Wilson interval")
    leg = ax.legend(handles, labels, frameon=True, fontsize=11, loc="upper left", framealpha=0.92, ncol=2)
    leg.get_frame().set_edgecolor("none")
    axn.bar(xs_all, [p.family_total for p in pts], width=20, color="#999999")
    axn.set_ylabel("Family\nmentions", fontsize=10.5)
    axn.yaxis.set_major_formatter(__import__("matplotlib.ticker", fromlist=["FuncFormatter"]).FuncFormatter(
        lambda v, _: f"{v:,.0f}"))
    _style(axn)
    locator = mdates.AutoDateLocator(minticks=4, maxticks=12)
    axn.xaxis.set_major_locator(locator)
    axn.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    axn.set_xlabel("Month of first version (v1)", fontsize=12)
    if title is None:
        title = "Substitution: each term's share of " + " + ".join(sub.labels)
    ax.set_title(title if len(title) <= 90 else title[:87] + "...", fontsize=15, loc="left", pad=14,
                 fontweight="bold")
    since = month_label(parse_month(pts[0].period)) if pts else "–"
    cap = _caption(report, f"share = series mentions / sum of the series' mentions that month (a paper naming two "
                   f"counts for both); months with fewer than {min_family} family mentions are not drawn; from {since}; "
                   f"hollow markers: incomplete month" + _coverage_words(report))
    lines = caption_lines(fig, cap, fontsize=8.5)
    # room for the month labels, the axis title and every caption line (8.5 pt lines are ~0.019 of 7.5 inches)
    fig.subplots_adjust(bottom=max(0.14, 0.095 + 0.019 * len(lines)))
    fig.text(0.01, 0.01, "\n".join(lines), fontsize=8.5, color="#666666", ha="left", va="bottom")
    return ax


def save(ax: Axes, path: str) -> Path:
    from .plot import save_figure

    return save_figure(ax, path)
