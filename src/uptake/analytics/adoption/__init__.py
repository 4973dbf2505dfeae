"""Adoption analytics: from a monthly trend to the numbers people argue about.

Everything here is pure computation on :class:`~uptake.analytics.trends.Trend` values (monthly
counts of matching papers and monthly totals); :mod:`uptake.corpus._adoption` asks a
:class:`~uptake.corpus.Corpus` for the trend and for the earliest matching papers.

Rules used (stated here once, repeated in the JSON under ``rules``):

- **Introduction** is ``--introduced YYYY-MM`` or the month of ``--origin ARXIV_ID`` when given;
  otherwise the *sustained onset*: the first month that starts a run of ``ONSET_RUN`` (3)
  consecutive months each with at least one matching paper and together at least
  ``ONSET_MIN_SUM`` (5). Matches before it are counted and listed, not hidden: they are
  usually other meanings of the same letters, or the idea's prehistory.
- **Milestones** count papers from the introduction month on and are given in months
  after it (0 = reached in the introduction month).
- **Growth** is the growth of the *share* (so the growth of arXiv itself is removed): a
  Poisson log-linear fit of counts with log(total) offset over the take-off window, from
  the introduction to the first month whose 3-month mean share reaches half the peak share
  (at least 6 months). The 95% interval uses the quasi-Poisson dispersion.
- **Mann-Kendall** runs on the share of the last 12 complete months.
- **Logistic** fits the share ``K / (1 + exp(-r (t - t0)))`` by binomial maximum likelihood from
  the introduction on; **Bass** fits the counts ``m (F(t) - F(t-1))`` by Poisson maximum likelihood.
  Intervals are profile-likelihood 95% intervals, widened by the Pearson dispersion when the data
  are over-dispersed. The ceiling is not identifiable, and ``K`` (``m``) is reported as a lower
  bound only, when: (logistic) ``t0``'s 95% upper bound is not behind the last complete month, or
  an interval is unbounded, or the share is still rising (Mann-Kendall) above the fitted K;
  (Bass) the fitted peak is not behind the last complete month, or m's interval is unbounded or
  reaches beyond ``BASS_M_SPREAD`` (4) times m.
- **Bursts** are Kleinberg's two-state automaton over monthly (count, total) batches, from the
  introduction on, computed with log-probabilities only (no binomial coefficients), so batches of
  any size are safe.

Layout: :mod:`.rules` (thresholds and RULES), :mod:`.models` (result values and their JSON),
:mod:`.statistics` (onset, milestones, growth, Mann-Kendall, bursts), :mod:`.fits` (logistic and
Bass fits); this module runs them per series and re-exports every public name.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ...errors import UsageError
from ...periods import month_label
from ..trends import Trend, TrendSeries, wilson_interval
from .fits import bass_cdf, bass_expected, fit_bass, fit_logistic, logistic_share
from .models import (
    AdoptionReport,
    BassFit,
    Burst,
    Estimate,
    GrowthFit,
    LogisticFit,
    Milestones,
    MonthlySeries,
    RankRow,
    SeriesAdoption,
    Substitution,
    SubstitutionPoint,
    TrendTest,
)
from .rules import (
    BASS_M_SPREAD,
    CHI2_95,
    MK_MONTHS,
    ONSET_MIN_SUM,
    ONSET_RUN,
    RULES,
    TAKEOFF_MIN_MONTHS,
)
from .statistics import (
    bursts,
    growth,
    kleinberg_bursts,
    kleinberg_states,
    mann_kendall,
    milestones,
    sustained_onset,
    trend_test,
)

__all__ = [
    "BASS_M_SPREAD", "CHI2_95", "MK_MONTHS", "ONSET_MIN_SUM", "ONSET_RUN", "RULES", "TAKEOFF_MIN_MONTHS",
    "AdoptionReport", "BassFit", "Burst", "Estimate", "GrowthFit", "LogisticFit", "Milestones", "MonthlySeries",
    "RankRow", "SeriesAdoption", "Substitution", "SubstitutionPoint", "TrendTest",
    "analyze_series", "analyze_trend", "bass_cdf", "bass_expected", "bursts", "fit_bass", "fit_logistic", "growth",
    "kleinberg_bursts", "kleinberg_states", "logistic_share", "mann_kendall", "milestones", "rank_by_speed",
    "substitution", "sustained_onset", "trend_test",
]


# ----------------------------------------------------------------------------- per-series and family analyses
def analyze_series(
    series: TrendSeries, *, introduced: int | None = None, introduction_rule: str | None = None,
    fits: bool = True,
) -> SeriesAdoption:
    """All adoption numbers for one monthly series. ``introduced`` is a month index, or None for the onset rule."""
    ms = MonthlySeries.from_trend_series(series)
    total = int(ms.counts.sum())
    notes: list[str] = []
    if introduced is not None:
        if len(ms.months) == 0 or introduced > ms.months[-1]:
            raise UsageError(f"--introduced {month_label(introduced)} is after the last month of the range")
        intro = int(np.searchsorted(ms.months, introduced))
        if introduced < ms.months[0]:
            notes.append(f"introduction {month_label(introduced)} is before the first month of the range; "
                         f"counting from {month_label(int(ms.months[0]))}")
        rule = introduction_rule or "given"
    else:
        found = sustained_onset(ms.counts)
        if found is None:
            return SeriesAdoption(
                label=series.label, introduction=None, introduction_rule="none", matches_before_introduction=total,
                total_matches=total, milestones=None, growth=None, trend_test=trend_test(ms), logistic=None, bass=None,
                bursts=(), notes=(f"no sustained use: no {ONSET_RUN} consecutive months with >= 1 match each and "
                                  f">= {ONSET_MIN_SUM} together",),
            )
        intro, rule = found, "sustained onset"
    before = int(ms.counts[:intro].sum())
    logistic = bass = None
    if fits:
        logistic = fit_logistic(ms, intro)
        bass = fit_bass(ms, intro)
        if logistic is None:
            notes.append("too few months or papers since the introduction for a logistic fit (needs 6 complete "
                         "months and 10 papers)")
    tt = trend_test(ms)
    if logistic is not None and logistic.identifiable and tt is not None and tt.direction == "rising":
        logistic = _still_rising(ms, logistic)
    return SeriesAdoption(
        label=series.label,
        introduction=month_label(int(ms.months[intro])) if introduced is None or introduced >= ms.months[0]
        else month_label(introduced),
        introduction_rule=rule,
        matches_before_introduction=before,
        total_matches=total,
        milestones=milestones(ms, intro),
        growth=growth(ms, intro),
        trend_test=tt,
        logistic=logistic,
        bass=bass,
        bursts=bursts(ms, intro),
        notes=tuple(notes),
    )


def _still_rising(ms: MonthlySeries, fit: LogisticFit) -> LogisticFit:
    """A fitted ceiling the share already exceeds while still rising is not a ceiling: report a lower bound."""
    from dataclasses import replace

    ok = np.flatnonzero(ms.complete & (ms.totals > 0))[-3:]
    level = float(ms.counts[ok].sum() / ms.totals[ok].sum()) if len(ok) else 0.0
    if fit.K.value is None or level <= fit.K.value:
        return fit
    return replace(
        fit, identifiable=False, K=Estimate(None, level, None, lower_bound=True),
        t0=Estimate(None, fit.t0.value, None, lower_bound=True),
        note="the share is still rising (Mann-Kendall, last 12 months) and its last 3 months are above the fitted "
        "ceiling: one logistic does not describe this curve (a second wave?); K is reported as a "
        "lower bound, the last 3 months' share",
    )


def rank_by_speed(results: Sequence[SeriesAdoption]) -> tuple[RankRow, ...]:
    """Fastest first: fewer months to 100 papers, then shorter doubling time; missing values last."""

    def key(a: SeriesAdoption) -> tuple[float, float, str]:
        m100 = a.milestones.months_to_100 if a.milestones and a.milestones.months_to_100 is not None else math.inf
        d = a.growth.doubling_months.value if a.growth and a.growth.doubling_months.value is not None else math.inf
        return (m100, d, a.label)

    rows = []
    for i, a in enumerate(sorted(results, key=key), start=1):
        g = a.growth.doubling_months if a.growth else None
        rows.append(RankRow(
            rank=i, label=a.label, introduction=a.introduction,
            months_to_100=a.milestones.months_to_100 if a.milestones else None,
            doubling_months=g.value if g else None,
            doubling_ci95=(g.low, g.high) if g else None,
        ))
    return tuple(rows)


def substitution(trend: Trend) -> Substitution:
    """Each series' share of the family (sum of the series' counts) per period, with Wilson 95% intervals."""
    labels = tuple(s.label for s in trend.series)
    pts = []
    for i, period in enumerate(trend.periods):
        cs = [s.points[i].count for s in trend.series]
        fam = sum(cs)
        shares, lows, highs = [], [], []
        for c in cs:
            ci = wilson_interval(c, fam)
            shares.append(c / fam if fam else None)
            lows.append(ci[0] if ci else None)
            highs.append(ci[1] if ci else None)
        pts.append(SubstitutionPoint(period=period, family_total=fam, shares=tuple(shares), lows=tuple(lows),
                                     highs=tuple(highs), complete=all(s.points[i].complete for s in trend.series)))
    return Substitution(labels=labels, points=tuple(pts))


def analyze_trend(trend: Trend, *, introduced: int | None = None, fits: bool = True) -> tuple[SeriesAdoption, ...]:
    """:func:`analyze_series` for every series of a monthly ``trend``."""
    if trend.by != "month":
        raise UsageError("adoption analytics need monthly periods: drop --by or use --by month")
    return tuple(analyze_series(s, introduced=introduced, fits=fits) for s in trend.series)
