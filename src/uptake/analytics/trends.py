"""From monthly counts and totals to a trend: periods, shares, smoothing, intervals.

Pure computation: data in, values out. No database, no drawing.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Literal

from ..periods import (
    Granularity,
    month_start,
    period_first_month,
    period_label,
    period_last_month,
    period_of,
)

Measure = Literal["share", "count"]
MEASURES: tuple[Measure, ...] = ("share", "count")
CSV_HEADER = ("period", "series", "count", "total", "share")
#: Appended after every other column (the contract is only ever extended at the end): true/false.
CSV_COMPLETE = "complete"


#: The standard normal quantile for two-sided 95% intervals, used by every interval uptake reports.
Z95 = 1.959963984540054


def wilson_interval(count: int, total: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval for a binomial proportion (95% by default); None when total is 0."""
    if total <= 0:
        return None
    p = count / total
    denom = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denom
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denom
    low = 0.0 if count == 0 else max(0.0, centre - half)  # exact bounds where rounding would leave 1e-17
    high = 1.0 if count == total else min(1.0, centre + half)
    return low, high


@dataclass(frozen=True)
class Point:
    period: str
    count: int
    total: int
    share: float | None
    complete: bool = True
    share_low: float | None = None
    share_high: float | None = None
    smoothed: float | None = None  # the measure's centred moving average, when smoothing was asked for


@dataclass(frozen=True)
class TrendSeries:
    label: str
    points: tuple[Point, ...]
    unit: str | None = None  # set for derived series (arithmetic), whose values are not the trend's measure

    @property
    def total_count(self) -> int:
        return sum(p.count for p in self.points)


@dataclass(frozen=True)
class CorpusInfo:
    papers: int
    first: str | None
    last: str | None


@dataclass(frozen=True)
class Trend:
    """The result of a trend query: one series per query series, every period present."""

    query: str
    series: tuple[TrendSeries, ...]
    corpus: CorpusInfo
    by: Granularity = "month"
    measure: Measure = "share"
    smooth: int = 1
    filters: Mapping[str, Any] = field(default_factory=dict)

    @property
    def periods(self) -> list[str]:
        return [p.period for p in self.series[0].points] if self.series else []

    def value(self, point: Point) -> float | None:
        """The plotted value of ``point``: the smoothed measure, else share or count."""
        if self.smooth > 1:
            return point.smoothed
        return point.share if self.measure == "share" else float(point.count)

    def unit(self) -> str:
        base = "share of papers (fraction)" if self.measure == "share" else "papers"
        return base + (f", centred {self.smooth}-period moving average" if self.smooth > 1 else "")

    # -- outputs -------------------------------------------------------------
    def to_rows(self) -> list[dict[str, Any]]:
        """One row per period and series, in period order then series order."""
        rows = []
        for i in range(len(self.periods)):
            for s in self.series:
                p = s.points[i]
                row: dict[str, Any] = {
                    "period": p.period,
                    "series": s.label,
                    "count": p.count,
                    "total": p.total,
                    "share": p.share,
                }
                if self.smooth > 1:
                    row["smoothed"] = p.smoothed
                row[CSV_COMPLETE] = p.complete
                rows.append(row)
        return rows

    def to_csv(self) -> str:
        """CSV with header ``period,series,count,total,share`` (plus ``smoothed`` with smoothing), then
        ``complete`` (``true``/``false``: false when the corpus or --from/--to cuts the period short)."""
        buf = io.StringIO()
        header = list(CSV_HEADER) + (["smoothed"] if self.smooth > 1 else []) + [CSV_COMPLETE]
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(header)
        for row in self.to_rows():
            writer.writerow(["" if row[h] is None else ("true" if row[h] else "false") if h == CSV_COMPLETE
                             else _fmt_number(row[h]) for h in header])
        return buf.getvalue()

    def to_json_dict(self) -> dict[str, Any]:
        series = []
        for s in self.series:
            points = []
            for p in s.points:
                d: dict[str, Any] = {
                    "period": p.period,
                    "count": p.count,
                    "total": p.total,
                    "share": p.share,
                    "complete": p.complete,
                    "share_ci95": [p.share_low, p.share_high] if p.share_low is not None else None,
                }
                if self.smooth > 1:
                    d["smoothed"] = p.smoothed
                points.append(d)
            series.append({"label": s.label, "points": points, **({"unit": s.unit} if s.unit else {})})
        return {
            "query": self.query,
            "filters": dict(self.filters),
            "unit": self.unit(),
            "series": series,
            "corpus": asdict(self.corpus),
        }

    def to_pandas(self) -> Any:
        """A long table: period, series, count, total, share, complete, share_low, share_high.

        Needs pandas (``pip install 'uptake[pandas]'`` or ``pip install pandas``); without it
        :class:`~uptake.errors.MissingDependencyError` says so.
        """
        try:
            import pandas as pd
        except ImportError as exc:
            from ..errors import MissingDependencyError

            raise MissingDependencyError(
                "Trend.to_pandas() needs pandas, which uptake does not install by default: "
                "pip install pandas (or pip install 'uptake[pandas]')"
            ) from exc

        return pd.DataFrame(
            [
                {"period": p.period, "series": s.label, "count": p.count, "total": p.total, "share": p.share,
                 "complete": p.complete, "share_low": p.share_low, "share_high": p.share_high,
                 **({"smoothed": p.smoothed} if self.smooth > 1 else {})}
                for s in self.series
                for p in s.points
            ]
        )


def _fmt_number(value: Any) -> str:
    if isinstance(value, float):
        return repr(value)
    return str(value)


def period_end(period: int, by: Granularity) -> date:
    """The last day of ``period``."""
    last = period_last_month(period, by)
    if last + 1 >= 10000 * 12:  # December 9999: the day after does not exist
        return date.max
    nxt = month_start(last + 1)
    return date.fromordinal(nxt.toordinal() - 1)


def build_trend(
    *,
    query: str,
    labels: Sequence[str],
    counts: Sequence[Mapping[int, int]],
    totals: Sequence[Mapping[int, int]],
    start_month: int,
    end_month: int,
    corpus: CorpusInfo,
    corpus_last_date: date | None,
    by: Granularity = "month",
    measure: Measure = "share",
    smooth: int = 1,
    filters: Mapping[str, Any] | None = None,
) -> Trend:
    """Bin monthly ``counts`` and ``totals`` (one mapping month -> n per series) into a Trend.

    Every period from ``start_month``'s to ``end_month``'s is present; a period
    that ends after ``corpus_last_date`` is marked incomplete.
    """
    first_p, last_p = period_of(start_month, by), period_of(end_month, by)
    periods = list(range(first_p, last_p + 1))
    out = []
    for label, c_map, t_map in zip(labels, counts, totals, strict=True):
        binned_c = dict.fromkeys(periods, 0)
        binned_t = dict.fromkeys(periods, 0)
        for month, n in c_map.items():
            if start_month <= month <= end_month:
                binned_c[period_of(month, by)] += n
        for month, n in t_map.items():
            if start_month <= month <= end_month:
                binned_t[period_of(month, by)] += n
        values = []
        raw_points = []
        for p in periods:
            c, t = binned_c[p], binned_t[p]
            share = c / t if t else None
            ci = wilson_interval(c, t)
            complete = corpus_last_date is None or period_end(p, by) <= corpus_last_date
            # A period cut by --from/--to is also partial.
            if period_first_month(p, by) < start_month or period_last_month(p, by) > end_month:
                complete = False
            raw_points.append((period_label(p, by), c, t, share, complete, ci))
            values.append(share if measure == "share" else float(c))
        smoothed = centred_moving_average(values, smooth) if smooth > 1 else [None] * len(values)
        points = tuple(
            Point(
                period=lab, count=c, total=t, share=share, complete=complete,
                share_low=ci[0] if ci else None, share_high=ci[1] if ci else None, smoothed=sm,
            )
            for (lab, c, t, share, complete, ci), sm in zip(raw_points, smoothed, strict=True)
        )
        out.append(TrendSeries(label=label, points=points))
    return Trend(
        query=query, series=tuple(out), corpus=corpus, by=by, measure=measure, smooth=smooth,
        filters=dict(filters or {}),
    )


def centred_moving_average(values: Sequence[float | None], window: int) -> list[float | None]:
    """Mean over a centred window of ``window`` periods, shrunk at the edges; gaps (None) are skipped."""
    if window <= 1:
        return list(values)
    before = (window - 1) // 2
    after = window - 1 - before
    out: list[float | None] = []
    for i in range(len(values)):
        seen = [v for v in values[max(0, i - before) : i + after + 1] if v is not None]
        out.append(sum(seen) / len(seen) if seen else None)
    return out
