"""What the corpus covers: for every primary category and month, how much of arXiv the store holds.

A store is whatever was imported or harvested — a sample, a crawl, one archive from one date — so a jump
in a category's papers can be a collection change, not research. This module estimates coverage from the
counts alone (or from arXiv's own monthly totals when the user supplies them), so analyses can say what
their numbers rest on.

Rules (from counts alone):

- a category's **level** is the median of its monthly counts over the months where it has at least a
  quarter of its busiest month (so long empty stretches don't drag the level to zero);
- a month is **thin** for a category when it holds less than :data:`THIN` (20%) of that level *and* so few
  papers would be a surprise for a Poisson count at that level (probability below :data:`SURPRISE`), so
  small categories' ordinary month-to-month noise is not read as a coverage gap;
- coverage **starts** at the first month of the first run of :data:`RUN` (3) months that are not thin, and
  **ends** at the last month of the last such run; months outside are *outside coverage*;
- with official totals (``category, month, papers`` from arXiv's statistics), coverage is simply the ratio,
  and a month is thin below :data:`THIN` of the official count.

A result that starts at a category's coverage start is *left-censored*: what happened before is unknown.

>>> m = estimate({("cs.CL", 24300 + i): n for i, n in enumerate([1, 0, 2, 50, 60, 55, 58])})
>>> m.spans["cs.CL"].start_label, m.spans["cs.CL"].end_label
('2025-04', '2025-07')
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..periods import month_label

#: A month below this fraction of the category's level (or of arXiv's own count) is thin.
THIN = 0.2
#: Consecutive months that must not be thin to open (or close) a covered span.
RUN = 3
#: A low month is thin only when a Poisson count at the category's level would fall that low less often than this.
SURPRISE = 0.001


@dataclass(frozen=True)
class CategorySpan:
    category: str
    start: int | None  # first covered month, None when never covered
    end: int | None
    level: float  # typical papers per covered month (or 1.0 with official totals: the ratio)
    thin: tuple[int, ...]  # thin months inside [start, end]

    @property
    def start_label(self) -> str | None:
        return month_label(self.start) if self.start is not None else None

    @property
    def end_label(self) -> str | None:
        return month_label(self.end) if self.end is not None else None

    def covers(self, month: int) -> bool:
        return self.start is not None and self.end is not None and self.start <= month <= self.end \
            and month not in self.thin


@dataclass(frozen=True)
class Coverage:
    """Coverage of every primary category, and the per-cell ratio (count / level or count / official)."""

    spans: dict[str, CategorySpan]
    ratio: dict[tuple[str, int], float] = field(repr=False)
    months: tuple[int, ...]
    source: str  # "counts" | "official totals"

    def start_of(self, categories: Iterable[str]) -> int | None:
        """The latest coverage start among ``categories`` (archives like ``cs`` mean every ``cs.*``)."""
        starts = [s.start for s in self._match(categories) if s.start is not None]
        return max(starts) if starts else None

    def _match(self, categories: Iterable[str]) -> list[CategorySpan]:
        cats = list(categories)
        if not cats:
            return list(self.spans.values())
        return [s for c, s in self.spans.items() if any(c == x or c.startswith(x + ".") for x in cats)]

    def caveats(self, categories: Sequence[str], lo: int, hi: int, *, top: int = 8) -> list[str]:
        """Plain-words warnings for an analysis over ``categories`` (all when empty) and months lo..hi:
        categories whose coverage starts or ends inside the range, ranked by size."""
        out = []
        spans = sorted(self._match(categories), key=lambda s: -s.level)
        for s in spans:
            if s.start is None:
                continue
            if lo < s.start <= hi:
                out.append(f"{s.category} enters the corpus in {s.start_label} (~{s.level:,.0f} papers/month "
                           f"after): changes then may be coverage, not research")
            if s.end is not None and lo <= s.end < hi - 1:  # not the last month or two (often partial)
                out.append(f"{s.category} coverage ends in {s.end_label}")
            if len(out) >= top:
                break
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source, "thin_below": THIN, "run": RUN,
            "categories": [{"category": s.category, "start": s.start_label, "end": s.end_label,
                            "level": s.level, "thin_months": [month_label(m) for m in s.thin]}
                           for s in sorted(self.spans.values(), key=lambda s: (-s.level, s.category))],
        }


def estimate(counts: Mapping[tuple[str, int], int], *,
             official: Mapping[tuple[str, int], int] | None = None) -> Coverage:
    """Coverage from papers per (primary category, month), or against ``official`` totals when given."""
    by_cat: dict[str, dict[int, int]] = {}
    for (cat, month), n in counts.items():
        by_cat.setdefault(cat, {})[month] = by_cat.get(cat, {}).get(month, 0) + int(n)
    months = sorted({m for _, m in counts})
    all_months = tuple(range(months[0], months[-1] + 1)) if months else ()
    spans: dict[str, CategorySpan] = {}
    ratio: dict[tuple[str, int], float] = {}
    for cat, series in by_cat.items():
        if official is not None:
            level = 1.0
            cells = {m: (series.get(m, 0) / official[(cat, m)]) if official.get((cat, m)) else 0.0
                     for m in all_months}
        else:
            peak = max(series.values())
            busy = [n for n in series.values() if n >= peak / 4]
            level = float(statistics.median(busy)) if busy else 0.0
            cells = {m: (series.get(m, 0) / level) if level else 0.0 for m in all_months}
        if official is None:
            import numpy as np

            from ._distributions import poisson_cdf

            # One vectorised call per category (a scalar call per month took seconds over arXiv's ~150 categories).
            surprise = poisson_cdf(np.array([series.get(m, 0) for m in all_months], dtype=np.float64), level)
            ok = [cells[m] >= THIN or bool(p >= SURPRISE) for m, p in zip(all_months, surprise, strict=True)]
        else:
            ok = [cells[m] >= THIN for m in all_months]
        start = end = None
        for i in range(len(all_months) - RUN + 1):
            if all(ok[i:i + RUN]):
                start = all_months[i]
                break
        for i in range(len(all_months) - RUN, -1, -1):
            if all(ok[i:i + RUN]):
                end = all_months[i + RUN - 1]
                break
        thin = tuple(m for m, good in zip(all_months, ok, strict=True)
                     if start is not None and end is not None and start <= m <= end and not good)
        spans[cat] = CategorySpan(cat, start, end, level, thin)
        for m, r in cells.items():
            ratio[(cat, m)] = r
    return Coverage(spans=spans, ratio=ratio, months=all_months,
                    source="official totals" if official is not None else "counts")


def read_official_totals(rows: Iterable[Sequence[str]]) -> dict[tuple[str, int], int]:
    """``category,month,papers`` rows (a header line is skipped) as ``{(category, month index): papers}``."""
    from ..errors import InputError, PeriodError
    from ..periods import parse_month

    out: dict[tuple[str, int], int] = {}
    for i, row in enumerate(rows, start=1):
        if not row or (i == 1 and row[0].strip().lower() == "category"):
            continue
        try:
            cat, month, n = row[0].strip(), parse_month(row[1], what="month"), int(row[2])
        except (IndexError, ValueError, PeriodError) as exc:
            raise InputError(f"line {i} of the totals file is not category,YYYY-MM,papers ({exc})") from None
        out[(cat, month)] = n
    return out
