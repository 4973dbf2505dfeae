"""The coverage heat map: primary categories × months, shaded by how much of each the corpus holds."""

from __future__ import annotations

from pathlib import Path

from ..analytics.coverage import Coverage
from ..periods import month_label
from .plot import _use_agg, save_figure


def plot_coverage(cov: Coverage, path: str | Path, *, top: int = 30) -> Path:
    """Draw the ``top`` largest categories' coverage by month to ``path`` (.png or .svg)."""
    _use_agg()
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.colors import ListedColormap

    spans = sorted(cov.spans.values(), key=lambda s: (-s.level, s.category))[:top]
    starts = [s.start for s in spans if s.start is not None]
    first = max(cov.months[0], min(starts) - 6) if starts and cov.months else (cov.months[0] if cov.months else 0)
    months = [m for m in cov.months if m >= first]  # from just before the earliest covered span shown
    grid = np.array([[min(cov.ratio.get((s.category, m), 0.0), 1.5) for m in months] for s in spans])
    fig, ax = plt.subplots(figsize=(12, max(3.0, 0.28 * len(spans) + 1.6)), dpi=100)
    cmap = ListedColormap(plt.get_cmap("viridis")(np.linspace(0.05, 0.95, 256)))
    img = ax.imshow(grid, aspect="auto", interpolation="nearest", cmap=cmap, vmin=0, vmax=1.5)
    for row, s in enumerate(spans):  # the covered span of each category, outlined
        if s.start is not None and s.end is not None:
            a, b = months.index(s.start), months.index(s.end)
            ax.plot([a - 0.5, b + 0.5], [row + 0.42, row + 0.42], color="#d55e00", lw=1.2)
    ax.set_yticks(range(len(spans)), [f"{s.category} (~{s.level:,.0f}/mo)" for s in spans], fontsize=8)
    step = max(1, len(months) // 16)
    ax.set_xticks(range(0, len(months), step), [month_label(m) for m in months[::step]], rotation=45, ha="right",
                  fontsize=8)
    what = "of arXiv's own monthly totals" if cov.source == "official totals" else "of the category's typical month"
    ax.set_title(f"Coverage: papers per month as a share {what}", loc="left", fontsize=11)
    bar = fig.colorbar(img, ax=ax, fraction=0.025, pad=0.01)
    bar.set_label("share (capped at 1.5)", fontsize=8)
    fig.text(0.01, 0.005, "orange line: the covered span (3+ months at ≥ 20% of the level); before it, analyses "
             "are left-censored", fontsize=8, color="#444444")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return save_figure(ax, path)  # closes the figure
