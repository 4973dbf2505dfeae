"""Figures drawn from result values. Computing happens elsewhere; this only draws."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..periods import Granularity

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..analytics.trends import Trend

# Colour-blind-safe palette (Okabe & Ito), then matplotlib's defaults.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]


def _period_date(label: str, by: Granularity) -> date:
    """The middle of a period, so points sit at the centre of their month/quarter/year."""
    if by == "month":
        y, m = label.split("-")
        return date(int(y), int(m), 15)
    if by == "quarter":
        y, q = label.split("-Q")
        return date(int(y), (int(q) - 1) * 3 + 2, 15)
    return date(int(label), 7, 1)


def _use_agg() -> None:
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "svg", "pdf", "module://matplotlib_inline.backend_inline"):
        try:
            matplotlib.use("Agg")
        except Exception:  # a backend already in use by an interactive session
            pass


def plot_trend(trend: Trend, ax: Axes | None = None, *, title: str | None = None, bands: bool = True) -> Axes:
    """Draw ``trend`` on ``ax`` (a new 12x6 in figure when None) and return the Axes."""
    _use_agg()
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    own_figure = ax is None
    if ax is None:
        fig, ax = plt.subplots(figsize=(12, 6), dpi=100)
        fig.subplots_adjust(left=0.075, right=0.98, top=0.9, bottom=0.16)
    share = trend.measure == "share"
    scale = 100.0 if share else 1.0
    any_incomplete = False
    main_ax, ratio_ax, lowest = ax, None, 0.0
    for i, s in enumerate(trend.series):
        colour = PALETTE[i % len(PALETTE)]
        # A derived ratio (GRPO / PPO) is not a share: it gets its own axis on the right, unscaled.
        ratio = (getattr(s, "unit", None) or "").startswith("ratio")
        if ratio and ratio_ax is None:
            ratio_ax = main_ax.twinx()
            ratio_ax.set_ylabel("Ratio of paper counts", fontsize=12)
            ratio_ax.spines["top"].set_visible(False)
            # The legend sits on the main axes: draw them above the twin, with a see-through background.
            main_ax.set_zorder(ratio_ax.get_zorder() + 1)
            main_ax.patch.set_visible(False)
            if own_figure:  # room for the right axis's ticks and title inside the figure
                main_ax.figure.subplots_adjust(right=0.93)
        ax = ratio_ax if ratio and ratio_ax is not None else main_ax
        # Dates: matplotlib converts them through its units registry (its type stubs accept only numbers).
        xs: list[Any] = [_period_date(p.period, trend.by) for p in s.points]
        ys = [trend.value(p) for p in s.points]
        ys = [None if y is None else y * (1.0 if ratio else scale) for y in ys]
        if not ratio:
            lowest = min([lowest, *(y for y in ys if y is not None)])
        done = [k for k, p in enumerate(s.points) if p.complete]
        partial = [k for k, p in enumerate(s.points) if not p.complete]
        label = s.label + (f"  ({s.total_count:,} papers)" if s.total_count else "  (no papers)")
        if getattr(s, "unit", None):
            label = s.label + ("  (ratio, right axis)" if ratio else "  (operands added/subtracted)")
        complete_x = [xs[k] for k in done]
        y_nan = [float("nan") if y is None else y for y in ys]  # NaN: a gap in the line
        complete_y = [y_nan[k] for k in done]
        ax.plot(complete_x, complete_y, color=colour, linewidth=2.2, label=label,
                marker="o" if len(done) <= 40 else None, markersize=3.5)
        if bands and share and trend.smooth == 1:
            lows = [p.share_low * scale if p.share_low is not None else float("nan") for p in s.points]
            highs = [p.share_high * scale if p.share_high is not None else float("nan") for p in s.points]
            ax.fill_between([xs[k] for k in done], [lows[k] for k in done], [highs[k] for k in done],
                            color=colour, alpha=0.13, linewidth=0)
        if partial:
            any_incomplete = True
            # Join the last complete point to the partial ones with a dashed line and hollow markers.
            joint = ([done[-1]] if done and done[-1] < partial[0] else []) + partial
            ax.plot([xs[k] for k in joint], [y_nan[k] for k in joint],
                    color=colour, linewidth=1.6, linestyle=(0, (3, 2)))
            ax.plot([xs[k] for k in partial], [y_nan[k] for k in partial],
                    linestyle="none", marker="o", markersize=7, markerfacecolor="white",
                    markeredgecolor=colour, markeredgewidth=1.6)
    ax = main_ax
    unit = "Share of papers" if share else "Papers"
    if trend.smooth > 1:
        unit += f" ({trend.smooth}-{trend.by} centred moving average)"
    ax.set_ylabel(unit + (" (%)" if share else ""), fontsize=12)
    ax.set_xlabel(f"{'Month' if trend.by == 'month' else trend.by.capitalize()} of first version (v1)", fontsize=12)
    if share:
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.2g}%" if v < 1 else f"{v:.3g}%"))
    else:
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_ylim(bottom=min(0.0, lowest * 1.05))  # a difference (GRPO - PPO) can go below zero
    if ratio_ax is not None:
        ratio_ax.set_ylim(bottom=0)
        if own_figure:  # room on the right for the ratio axis's ticks and label (0.98 cut the label off)
            ax.figure.subplots_adjust(right=0.92)
    if trend.by == "month":
        locator = mdates.AutoDateLocator(minticks=4, maxticks=12)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    else:
        _period_ticks(ax, trend)
    ax.grid(True, axis="y", color="#dddddd", linewidth=0.8)
    ax.grid(True, axis="x", color="#f0f0f0", linewidth=0.6)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=11)
    if title is None:
        cats = trend.filters.get("category") or []
        scope = f"{', '.join(cats)} papers" if cats else "all papers"
        what = f"share of {scope}" if share else f"papers per {trend.by}" + (f" ({', '.join(cats)})" if cats else "")
        title = f"arXiv papers mentioning {_title_terms(trend)}: {what}"
    ax.set_title(title, fontsize=15, loc="left", pad=14, fontweight="bold")
    handles, labels = ax.get_legend_handles_labels()
    if ratio_ax is not None:
        more = ratio_ax.get_legend_handles_labels()
        handles, labels = handles + more[0], labels + more[1]
    if any_incomplete:
        from matplotlib.lines import Line2D

        handles.append(Line2D([], [], color="#555555", linestyle=(0, (3, 2)), marker="o",
                              markerfacecolor="white", markeredgecolor="#555555"))
        labels.append("incomplete period (corpus ends mid-period)")
    if share and trend.smooth == 1 and bands:
        from matplotlib.patches import Patch

        handles.append(Patch(color="#999999", alpha=0.25))
        labels.append("95% Wilson interval")
    legend = ax.legend(handles, labels, frameon=True, fontsize=11, loc="upper left", framealpha=0.92)
    legend.get_frame().set_edgecolor("none")
    if own_figure:
        caption = "\n".join(caption_lines(ax.figure, _caption(trend), fontsize=8.5))
        ax.figure.text(0.01, 0.01, caption, fontsize=8.5, color="#666666", ha="left", va="bottom")
    return ax


def caption_lines(fig: Any, text: str, *, fontsize: float, left: float = 0.01, right: float = 0.01) -> list[str]:
    """``text`` broken at spaces into lines that fit between ``left`` and ``right`` margins (fractions of the
    figure's width) at ``fontsize``, measured in the font the figure draws with (a count of characters does
    not fit: a line of capitals and wide letters is much wider than one of narrow ones)."""
    from matplotlib.font_manager import FontProperties

    renderer = fig.canvas.get_renderer()
    prop = FontProperties(size=fontsize)
    room = fig.get_figwidth() * fig.dpi * (1.0 - left - right)

    def width(line: str) -> float:
        return float(renderer.get_text_width_height_descent(line, prop, ismath=False)[0])

    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if current and width(candidate) > room:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


def _period_ticks(ax: Axes, trend: Trend) -> None:
    """Quarters and years are labelled as such (``2025-Q2``, ``2025``), one tick per period, thinned to 12."""
    import matplotlib.dates as mdates
    from matplotlib.ticker import FixedFormatter, FixedLocator

    labels = list(trend.periods)
    step = max(1, -(-len(labels) // 12))
    shown = labels[::step]
    ax.xaxis.set_major_locator(FixedLocator([mdates.date2num(_period_date(p, trend.by)) for p in shown]))
    ax.xaxis.set_major_formatter(FixedFormatter(shown))


def _case_note(trend: Trend) -> str:
    """How case was compared, per term: ``=LoRA`` is case-sensitive even in a case-insensitive query."""
    if trend.filters.get("case_sensitive"):
        return "case-sensitive"
    try:
        from ..query import parse_query
        from ..query.ast import Term, walk

        exact = [n.text for s in parse_query(trend.query).series for n in walk(s.expr)
                 if isinstance(n, Term) and n.case_sensitive]
        every = [n for s in parse_query(trend.query).series for n in walk(s.expr) if isinstance(n, Term)]
    except Exception:  # noqa: BLE001 - a caption must never stop a figure
        return "case-insensitive"
    if exact and len(exact) == len(every):
        return "case-sensitive (=" + ", =".join(dict.fromkeys(exact)) + ")"
    if exact:
        return "case-sensitive for =" + ", =".join(dict.fromkeys(exact)) + "; other terms case-insensitive"
    return "case-insensitive"


def _title_terms(trend: Trend) -> str:
    labels = [s.label for s in trend.series]
    text = ", ".join(labels[:-1]) + (" and " if len(labels) > 1 else "") + labels[-1] if labels else ""
    return text if len(text) <= 70 else text[:67] + "..."


def _caption(trend: Trend) -> str:
    f = trend.filters
    bits = [
        f"uptake · {trend.corpus.papers:,} papers ({trend.corpus.first} to {trend.corpus.last})",
        "dated by first version",
        "whole-word match in title+abstract" if f.get("field", "any") == "any" else f"whole-word match in {f.get('field')}",
        _case_note(trend),
    ]
    if f.get("category"):
        bits.append("categories: " + ", ".join(f["category"]))
    if trend.measure == "share":
        bits.append("share = matching papers / all papers in the period under the same filters")
    return " · ".join(bits)


def save_figure(ax: Axes, path: str | Path) -> Path:
    """Write the figure that holds ``ax`` as PNG or SVG (by suffix) and close it."""
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    out = Path(path)
    suffix = out.suffix.lower()
    if suffix not in (".png", ".svg"):
        from ..errors import UsageError

        raise UsageError(f"{out}: figures are written as .png or .svg; change the file name's suffix")
    out.parent.mkdir(parents=True, exist_ok=True)
    kwargs: dict[str, Any] = {"dpi": 100} if suffix == ".png" else {}
    if suffix == ".svg":
        kwargs["metadata"] = {"Date": None}  # keep SVGs byte-stable (with the fixed id salt below)
    import matplotlib

    with matplotlib.rc_context({"svg.hashsalt": "uptake"} if suffix == ".svg" else {}):
        fig = ax.figure
        assert isinstance(fig, Figure)  # the plots draw on top-level figures
        fig.savefig(out, **kwargs)
    plt.close(fig)
    return out
