"""The values adoption analytics return, and their JSON form."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...periods import month_label, parse_month
from ...serialise import AsDict
from ..trends import Trend, TrendSeries
from .rules import RULES


#: How one side of a 95% interval ended (JSON ``ci95_status``): a number, no limit, or not computed.
BOUNDED, UNBOUNDED, NOT_COMPUTED = "bounded", "unbounded", "not computed"


@dataclass(frozen=True)
class Estimate:
    """A point estimate with a 95% interval. ``lower_bound`` means only ``low`` is meaningful.

    A side of the interval is a number, *unbounded* (the profile never crosses the 95% threshold: the data
    allow any value that way; ``low_unbounded`` / ``high_unbounded``, or an infinite value), or *not
    computed* (``None`` without the flag: not asked for, or the optimiser could not settle there). The JSON
    keeps ``ci95`` as two numbers or nulls and says which in ``ci95_status``.
    """

    value: float | None
    low: float | None
    high: float | None
    lower_bound: bool = False
    low_unbounded: bool = False
    high_unbounded: bool = False

    def status(self) -> tuple[str, str]:
        def one(v: float | None, unbounded: bool) -> str:
            if unbounded or (v is not None and math.isinf(v)):
                return UNBOUNDED
            return NOT_COMPUTED if v is None else BOUNDED

        return one(self.low, self.low_unbounded), one(self.high, self.high_unbounded)

    def as_dict(self) -> dict[str, Any]:
        return {"value": self.value, "ci95": [self.low, self.high], "lower_bound": self.lower_bound,
                "ci95_status": list(self.status())}

    def text(self, fmt: str = "{:.3g}") -> str:
        lo_s, hi_s = self.status()
        if lo_s == UNBOUNDED:
            low = "-∞" if self.low is not None else "unbounded"
        else:
            low = "–" if self.low is None else fmt.format(self.low)
        high = "∞" if hi_s == UNBOUNDED else "–" if self.high is None else fmt.format(self.high)
        if self.lower_bound:
            return f"≥ {low}" if self.low is not None else "not identifiable"
        if self.value is None:
            return "–"
        return f"{fmt.format(self.value)} [{low}, {high}]"


@dataclass(frozen=True)
class MonthlySeries:
    """One series as arrays: month indices, counts, totals, completeness."""

    label: str
    months: np.ndarray
    counts: np.ndarray
    totals: np.ndarray
    complete: np.ndarray

    @classmethod
    def from_trend_series(cls, s: TrendSeries) -> MonthlySeries:
        return cls(
            label=s.label,
            months=np.array([parse_month(p.period) for p in s.points], dtype=np.int64),
            counts=np.array([p.count for p in s.points], dtype=np.float64),
            totals=np.array([p.total for p in s.points], dtype=np.float64),
            complete=np.array([p.complete for p in s.points], dtype=bool),
        )

    def share(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.totals > 0, self.counts / np.maximum(self.totals, 1), np.nan)


@dataclass(frozen=True)
class GrowthFit:
    window: tuple[str, str]
    months: int
    rate: Estimate  # continuous monthly growth rate of the share (log scale)
    monthly_growth: Estimate  # exp(rate) - 1
    doubling_months: Estimate
    dispersion: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "window": list(self.window), "months": self.months, "rate_per_month": self.rate.as_dict(),
            "monthly_growth": self.monthly_growth.as_dict(), "doubling_months": self.doubling_months.as_dict(),
            "dispersion": self.dispersion,
        }


@dataclass(frozen=True)
class TrendTest(AsDict):
    months: tuple[str, str]
    n: int
    s: int
    z: float
    p_value: float
    sen_slope: float  # share per month
    direction: str  # rising | flat | falling


@dataclass(frozen=True)
class LackOfFit(AsDict):
    """Does the fitted curve follow the data? (see :func:`uptake.analytics.adoption.fits.lack_of_fit`)"""

    runs: int  # runs of residual signs
    runs_expected: float
    runs_z: float
    runs_p_value: float  # one-sided: too few runs
    recent_months: int
    recent_mean_residual: float  # Pearson residuals, mean over the last recent_months
    recent_t: float  # one-sample t statistic of those residuals against zero
    recent_p_value: float  # two-sided
    fails: bool
    pearson_chi2: float  # reported, not tested: the noise is over-dispersed on real data
    pearson_p_value: float

    def text(self) -> str:
        verdict = "fails" if self.fails else "passes"
        return (f"{verdict} (runs of residual signs p={self.runs_p_value:.2g}; last {self.recent_months} months "
                f"{'above' if self.recent_t > 0 else 'below'} the curve p={self.recent_p_value:.2g})")


@dataclass(frozen=True)
class LogisticFit:
    K: Estimate
    r: Estimate
    t0: Estimate  # month index (year * 12 + month - 1, fractional); t0_month / t0_ci95_months give labels
    identifiable: bool
    note: str
    dispersion: float
    window: tuple[str, str]
    lack_of_fit: LackOfFit | None = None
    reasons: tuple[str, ...] = ()  # why it is not identified ("lack of fit", "midpoint outside the data", ...)

    def t0_label(self) -> str:
        if self.t0.value is None:
            if self.t0.low is not None and self.t0.lower_bound:
                return f"after {month_label(int(math.floor(self.t0.low)))}"
            return "not identified"
        return month_label(int(round(self.t0.value)))

    def as_dict(self) -> dict[str, Any]:
        return {
            "K": self.K.as_dict(), "r": self.r.as_dict(), "t0": self.t0.as_dict(), "t0_month": self.t0_label(),
            "t0_ci95_months": [None if v is None else month_label(int(round(v))) for v in (self.t0.low, self.t0.high)],
            "identifiable": self.identifiable, "note": self.note, "dispersion": self.dispersion,
            "window": list(self.window),
            "lack_of_fit": self.lack_of_fit.as_dict() if self.lack_of_fit else None,
            "not_identified_because": list(self.reasons),
        }


@dataclass(frozen=True)
class BassFit:
    p: Estimate
    q: Estimate
    m: Estimate
    peak: str | None  # month of the fitted peak of adoptions (at constant corpus volume)
    identifiable: bool
    note: str
    dispersion: float
    window: tuple[str, str]
    lack_of_fit: LackOfFit | None = None
    reasons: tuple[str, ...] = ()
    reference_volume: float | None = None  # papers per month that m is stated at (the window's mean total)

    def as_dict(self) -> dict[str, Any]:
        return {
            "p": self.p.as_dict(), "q": self.q.as_dict(), "m": self.m.as_dict(), "peak_month": self.peak,
            "identifiable": self.identifiable, "note": self.note, "dispersion": self.dispersion,
            "window": list(self.window),
            "lack_of_fit": self.lack_of_fit.as_dict() if self.lack_of_fit else None,
            "not_identified_because": list(self.reasons),
            "exposure": "corpus volume: expected adoptions in a month scale with that month's papers / "
            "reference_volume, so m is the market at a constant reference_volume papers a month",
            "reference_volume": self.reference_volume,
        }


@dataclass(frozen=True)
class Burst(AsDict):
    start: str
    end: str
    weight: float
    months: int


@dataclass(frozen=True)
class Milestones(AsDict):
    months_to_10: int | None
    months_to_100: int | None
    months_to_1000: int | None
    months_to_share_0_1pct: int | None
    months_to_share_1pct: int | None
    peak_share: float | None
    peak_month: str | None
    latest_month: str | None
    latest_share: float | None
    latest_share_ci95: tuple[float, float] | None
    papers_since_introduction: int
    left_censored: bool = False  # months_to_* are None: the introduction is not inside the covered span


@dataclass(frozen=True)
class SeriesAdoption:
    label: str
    introduction: str | None
    introduction_rule: str  # "given", "origin", "sustained onset" or "none"
    matches_before_introduction: int
    total_matches: int
    milestones: Milestones | None
    growth: GrowthFit | None
    trend_test: TrendTest | None
    logistic: LogisticFit | None
    bass: BassFit | None
    bursts: tuple[Burst, ...]
    first_mention: dict[str, Any] | None = None
    early_papers: tuple[dict[str, Any], ...] = ()
    senses: dict[str, Any] | None = None
    notes: tuple[str, ...] = ()
    left_censored: bool = False  # the introduction is at (or before) the start of the covered span
    coverage: dict[str, Any] | None = None  # the covered span, its changes (SeriesCoverage.as_dict)
    coverage_caveats: tuple[str, ...] = ()  # results that depend on a coverage change, in words
    bursts_note: str | None = None  # why no bursts were computed

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "introduction": self.introduction,
            "introduction_rule": self.introduction_rule,
            "introduction_left_censored": self.left_censored,
            "coverage": self.coverage,
            "coverage_caveats": list(self.coverage_caveats),
            "total_matches": self.total_matches,
            "matches_before_introduction": self.matches_before_introduction,
            "first_mention": self.first_mention,
            "papers_before_introduction": list(self.early_papers),
            "milestones": self.milestones.as_dict() if self.milestones else None,
            "growth": self.growth.as_dict() if self.growth else None,
            "trend_test": self.trend_test.as_dict() if self.trend_test else None,
            "logistic": self.logistic.as_dict() if self.logistic else None,
            "bass": self.bass.as_dict() if self.bass else None,
            "bursts": [b.as_dict() for b in self.bursts],
            "bursts_note": self.bursts_note,
            "senses": self.senses,
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class RankRow(AsDict):
    rank: int | None  # None: not ranked, the speed is not identified (see caveat)
    label: str
    introduction: str | None
    months_to_100: int | None
    doubling_months: float | None
    doubling_ci95: tuple[float | None, float | None] | None
    covered_span: tuple[str | None, str | None] | None = None
    caveat: str | None = None  # why it is not ranked, or what its speed depends on


@dataclass(frozen=True)
class SubstitutionPoint:
    period: str
    family_total: int
    shares: tuple[float | None, ...]
    lows: tuple[float | None, ...]
    highs: tuple[float | None, ...]
    complete: bool


@dataclass(frozen=True)
class Substitution:
    """Each series' share of the family: count_i / sum of the series' counts, per month."""

    labels: tuple[str, ...]
    points: tuple[SubstitutionPoint, ...]

    def to_rows(self) -> list[dict[str, Any]]:
        rows = []
        for p in self.points:
            for i, lab in enumerate(self.labels):
                rows.append({
                    "period": p.period, "series": lab, "family_total": p.family_total,
                    "family_share": p.shares[i], "ci95_low": p.lows[i], "ci95_high": p.highs[i], "complete": p.complete,
                })
        return rows

    def as_dict(self) -> dict[str, Any]:
        return {
            "definition": "series mentions / sum of all series' mentions in the month (a paper naming two series "
            "counts for both)",
            "labels": list(self.labels),
            "points": [
                {"period": p.period, "family_total": p.family_total, "complete": p.complete,
                 "shares": {lab: {"share": p.shares[i], "ci95": [p.lows[i], p.highs[i]]}
                            for i, lab in enumerate(self.labels)}}
                for p in self.points
            ],
        }


@dataclass(frozen=True)
class AdoptionReport:
    query: str
    filters: dict[str, Any]
    corpus: dict[str, Any]
    series: tuple[SeriesAdoption, ...]
    ranking: tuple[RankRow, ...]
    substitution: Substitution | None
    trend: Trend = field(repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "filters": self.filters,
            "corpus": self.corpus,
            "rules": RULES,
            "series": [s.as_dict() for s in self.series],
            "ranking": [r.as_dict() for r in self.ranking],
            "substitution": self.substitution.as_dict() if self.substitution else None,
            "trend": self.trend.to_json_dict()["series"],
        }
