"""Which months of one series the corpus covers, and where that coverage changes.

A series' numbers (onset, milestones, take-off, fits) mean something only over months where the corpus holds
the categories its papers live in. From the coverage model (:mod:`uptake.analytics.coverage`), the series'
matches per primary category and the scope's papers per (category, month):

- the series' **weight** in a category is its share of the series' matches (categories under 1% are left out);
- a month is **covered** for the series when covered categories hold at least :data:`COVERED_WEIGHT` (half) of
  its weight; the **covered span** runs from the first run of :data:`~uptake.analytics.coverage.RUN` (3)
  covered months to the last such run;
- a **coverage change** is a month inside the span where the covered weight moves by at least
  :data:`CHANGE_WEIGHT` (10%), or where categories holding at least :data:`CHANGE_WEIGHT` of the scope's
  papers enter or leave the corpus (the share's denominator changes), or where the scope's papers jump or drop
  by a factor of :data:`VOLUME_JUMP` (2) against both the month before and the median of the three months
  before (so the month after a step is not one too).

>>> from uptake.analytics.coverage import estimate
>>> counts = {("cs.CL", 24300 + i): n for i, n in enumerate([0, 0, 0, 50, 60, 55, 58, 52])}
>>> counts |= {("cs.AI", 24300 + i): n for i, n in enumerate([40, 45, 42, 44, 41, 43, 40, 46])}
>>> sc = series_coverage(estimate(counts), {"cs.CL": 80, "cs.AI": 20}, counts, range(24300, 24308))
>>> month_label(sc.start), [month_label(m) for m, _ in sc.changes]
('2025-04', [])
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ...periods import month_label
from ..coverage import RUN, Coverage
from .rules import COVERED_WEIGHT

#: A change of this much covered weight (of the series) or of the scope's papers is a coverage change.
CHANGE_WEIGHT = 0.1
#: The scope's papers rising or falling by this factor against the three months before is a coverage change.
VOLUME_JUMP = 2.0
#: Categories holding less than this fraction of a series' matches are not used to weigh its coverage.
MIN_WEIGHT = 0.01


@dataclass(frozen=True)
class SeriesCoverage:
    """Covered months of one series and the coverage changes inside them."""

    categories: tuple[tuple[str, float], ...]  # (primary category, fraction of the series' matches), largest first
    months: tuple[int, ...]
    covered: tuple[bool, ...]  # per month of ``months``
    weight: tuple[float, ...]  # per month: the fraction of the series' weight in covered categories
    start: int | None  # first month of the covered span (month index), None when never covered
    end: int | None
    changes: tuple[tuple[int, str], ...]  # (month, what changed), inside the span

    def change_in(self, lo: int, hi: int) -> list[tuple[int, str]]:
        """Coverage changes in months lo..hi."""
        return [(m, why) for m, why in self.changes if lo <= m <= hi]

    def as_dict(self) -> dict[str, Any]:
        return {
            "categories": [{"category": c, "fraction": w} for c, w in self.categories],
            "span": [month_label(self.start) if self.start is not None else None,
                     month_label(self.end) if self.end is not None else None],
            "uncovered_months_in_span": [month_label(m) for m, ok in zip(self.months, self.covered, strict=True)
                                         if not ok and self.start is not None and self.end is not None
                                         and self.start <= m <= self.end],
            "changes": [{"month": month_label(m), "what": why} for m, why in self.changes],
        }


def _matches(cat: str, wanted: Sequence[str]) -> bool:
    return not wanted or any(cat == w or cat.startswith(w + ".") for w in wanted)


def series_coverage(
    coverage: Coverage,
    matches_by_category: Mapping[str, int],
    scope_counts: Mapping[tuple[str, int], int],
    months: Iterable[int],
    *,
    scope_categories: Sequence[str] = (),
    last_complete: int | None = None,
) -> SeriesCoverage:
    """The covered months of a series whose matches fall in ``matches_by_category`` (see the module rules).

    ``scope_counts`` are papers per (primary category, month) in the corpus; only categories within
    ``scope_categories`` (all when empty) count as the share's denominator. Months after ``last_complete``
    (an incomplete month) are never a coverage change: their fewer papers are the calendar, not the corpus.
    """
    ms = tuple(months)
    total = sum(matches_by_category.values())
    weights = sorted(((c, n / total) for c, n in matches_by_category.items() if total and n / total >= MIN_WEIGHT),
                     key=lambda cw: (-cw[1], cw[0]))
    kept = sum(w for _, w in weights)
    cats = tuple((c, w / kept) for c, w in weights) if kept else ()

    def frac(m: int) -> float:
        return sum(w for c, w in cats if c in coverage.spans and coverage.spans[c].covers(m))

    f = [frac(m) for m in ms]
    covered = tuple(x >= COVERED_WEIGHT - 1e-12 for x in f)
    start = end = None
    for i in range(len(ms) - RUN + 1):
        if all(covered[i:i + RUN]):
            start = ms[i]
            break
    for i in range(len(ms) - RUN, -1, -1):
        if all(covered[i:i + RUN]):
            end = ms[i + RUN - 1]
            break
    if start is None and len(ms) and all(covered):  # a range shorter than RUN months, all covered
        start, end = ms[0], ms[-1]
    changes: dict[int, list[str]] = {}
    if start is not None and end is not None:
        # (1) the series' own categories entering or leaving coverage
        for i in range(1, len(ms)):
            m = ms[i]
            if not start < m <= end:
                continue
            moved = [(c, w) for c, w in cats if w >= MIN_WEIGHT * 5 and c in coverage.spans
                     and coverage.spans[c].covers(m) != coverage.spans[c].covers(ms[i - 1])]
            if abs(f[i] - f[i - 1]) >= CHANGE_WEIGHT and moved:
                changes.setdefault(m, []).append(", ".join(
                    f"{c} {'enters' if coverage.spans[c].covers(m) else 'leaves'} ({w:.0%} of the series' papers)"
                    for c, w in moved))
        # (2) the denominator: the scope's papers, by category
        vol: dict[int, int] = {}
        by_cat: dict[str, dict[int, int]] = {}
        for (c, m), n in scope_counts.items():
            if _matches(c, scope_categories):
                vol[m] = vol.get(m, 0) + n
                by_cat.setdefault(c, {})[m] = n
        for i in range(1, len(ms)):
            m = ms[i]
            if not start < m <= end or (last_complete is not None and m > last_complete):
                continue
            here, before = vol.get(m, 0), vol.get(ms[i - 1], 0)
            moved_s = []
            for c, series in by_cat.items():
                span = coverage.spans.get(c)
                if span is None or span.start is None:
                    continue
                if span.start == m and here and series.get(m, 0) >= CHANGE_WEIGHT * here:
                    moved_s.append(f"{c} enters the corpus ({series.get(m, 0) / here:.0%} of that month's papers)")
                if span.end == ms[i - 1] and before and series.get(ms[i - 1], 0) >= CHANGE_WEIGHT * before:
                    moved_s.append(f"{c} leaves the corpus ({series.get(ms[i - 1], 0) / before:.0%} of the "
                                   f"month before's papers)")
            if moved_s:
                changes.setdefault(m, []).append("; ".join(moved_s))
            prior = [vol.get(x, 0) for x in ms[max(0, i - 3):i]]
            med = statistics.median(prior) if prior else 0
            up = here >= VOLUME_JUMP * med and here >= VOLUME_JUMP * before  # a step, not the month after one
            down = here * VOLUME_JUMP <= med and here * VOLUME_JUMP <= before
            if med > 0 and here > 0 and before > 0 and (up or down):
                changes.setdefault(m, []).append(
                    f"the corpus' papers {'jump' if here > med else 'drop'} x{here / med:.1f} against the 3 months "
                    f"before ({med:,.0f} -> {here:,})")
    return SeriesCoverage(
        categories=cats, months=ms, covered=covered, weight=tuple(f), start=start, end=end,
        changes=tuple((m, "; ".join(v)) for m, v in sorted(changes.items())),
    )
