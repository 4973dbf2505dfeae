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
from dataclasses import replace

import numpy as np

from ...errors import UsageError
from ...periods import month_label, parse_month
from ..trends import Trend, TrendSeries, wilson_interval
from .fits import bass_cdf, bass_expected, fit_bass, fit_logistic, lack_of_fit, logistic_share
from .models import (
    AdoptionReport,
    BassFit,
    Burst,
    Estimate,
    GrowthFit,
    LackOfFit,
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
    CENSOR_MARGIN,
    CHI2_95,
    KLEINBERG_MAX_SHARE,
    LOF_ALPHA,
    MIDPOINT_MARGIN,
    MK_MONTHS,
    ABSENT_FACTOR,
    ABSENT_MONTHS,
    ONSET_MIN_SUM,
    ONSET_RUN,
    PARTIAL_WEIGHT,
    RULES,
    TAKEOFF_MIN_MONTHS,
)
from .spans import SeriesCoverage, series_coverage
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
    "BASS_M_SPREAD", "CENSOR_MARGIN", "CHI2_95", "KLEINBERG_MAX_SHARE", "LOF_ALPHA", "MIDPOINT_MARGIN", "MK_MONTHS",
    "ONSET_MIN_SUM", "ONSET_RUN", "RULES", "TAKEOFF_MIN_MONTHS",
    "AdoptionReport", "BassFit", "Burst", "Estimate", "GrowthFit", "LackOfFit", "LogisticFit", "Milestones",
    "MonthlySeries", "RankRow", "SeriesAdoption", "SeriesCoverage", "Substitution", "SubstitutionPoint", "TrendTest",
    "analyze_series", "analyze_trend", "bass_cdf", "bass_expected", "bursts", "fit_bass", "fit_logistic", "growth",
    "lack_of_fit", "series_coverage",
    "kleinberg_bursts", "kleinberg_states", "logistic_share", "mann_kendall", "milestones", "rank_by_speed",
    "substitution", "sustained_onset", "trend_test",
]


# ----------------------------------------------------------------------------- per-series and family analyses
def analyze_series(
    series: TrendSeries, *, introduced: int | None = None, introduction_rule: str | None = None,
    fits: bool = True, coverage: SeriesCoverage | None = None,
) -> SeriesAdoption:
    """All adoption numbers for one monthly series. ``introduced`` is a month index, or None for the onset rule.

    With ``coverage`` (:func:`series_coverage`), everything is computed inside the series' covered span, over
    its covered months; without it, the whole range is taken as covered. Either way the start of what is
    covered censors: an onset within :data:`CENSOR_MARGIN` months of it (or a given introduction before it)
    is left-censored, and then months-to-N, the take-off and Bass (which need the true start) are not given.
    """
    ms_all = MonthlySeries.from_trend_series(series)
    total = int(ms_all.counts.sum())
    notes: list[str] = []
    n = len(ms_all.months)
    idx = np.arange(n)
    if coverage is not None and coverage.start is not None and coverage.end is not None:
        cov_of = dict(zip(coverage.months, coverage.covered, strict=True))
        span_lo = int(np.searchsorted(ms_all.months, coverage.start))
        span_hi = int(np.searchsorted(ms_all.months, coverage.end, side="right")) - 1
        covered = np.array([cov_of.get(int(m), False) for m in ms_all.months], dtype=bool)
    elif coverage is not None:
        span_lo, span_hi, covered = 0, -1, np.zeros(n, dtype=bool)
    else:
        span_lo, span_hi, covered = 0, n - 1, np.ones(n, dtype=bool)
    in_span = (idx >= span_lo) & (idx <= span_hi) & covered
    # Every later step reads only complete, covered months of the span.
    ms = MonthlySeries(label=ms_all.label, months=ms_all.months, counts=ms_all.counts, totals=ms_all.totals,
                       complete=ms_all.complete & in_span)
    cov_d = coverage.as_dict() if coverage is not None else None
    tt = trend_test(ms)
    if span_hi < span_lo:
        return SeriesAdoption(
            label=series.label, introduction=None, introduction_rule="none", matches_before_introduction=total,
            total_matches=total, milestones=None, growth=None, trend_test=None, logistic=None, bass=None,
            bursts=(), notes=("no month of the range is covered for the categories this series' papers are in: "
                              "nothing to measure",), coverage=cov_d,
        )
    censored = False
    if introduced is not None:
        if n == 0 or introduced > ms.months[-1]:
            raise UsageError(f"--introduced {month_label(introduced)} is after the last month of the range")
        intro = int(np.searchsorted(ms.months, introduced))
        if introduced < ms.months[0]:
            notes.append(f"introduction {month_label(introduced)} is before the first month of the range; "
                         f"counting from {month_label(int(ms.months[0]))}")
        if introduced < ms.months[span_lo]:
            censored = True
            notes.append(f"the given introduction {month_label(introduced)} is before the covered span "
                         f"(from {month_label(int(ms.months[span_lo]))}): papers before it may be missing, so "
                         "months to N papers, the take-off and Bass are not given")
        rule = introduction_rule or "given"
    else:
        found = sustained_onset(ms_all.counts[span_lo:span_hi + 1])
        if found is None:
            return SeriesAdoption(
                label=series.label, introduction=None, introduction_rule="none", matches_before_introduction=total,
                total_matches=total, milestones=None, growth=None, trend_test=tt, logistic=None, bass=None,
                bursts=(), notes=(f"no sustained use: no {ONSET_RUN} consecutive months with >= 1 match each and "
                                  f">= {ONSET_MIN_SUM} together",), coverage=cov_d,
            )
        intro, rule = span_lo + found, "sustained onset"
        absent = _absent_before(ms_all, coverage, span_lo, intro) if found <= CENSOR_MARGIN else None
        if absent is not None:
            notes.append(absent)
        elif found <= CENSOR_MARGIN:
            censored = True
            notes.append(f"the sustained onset {month_label(int(ms.months[intro]))} is within {CENSOR_MARGIN} months "
                         f"of the start of what is covered ({month_label(int(ms.months[span_lo]))}): it may be "
                         "the corpus starting, not the idea (left-censored); months to N papers, the take-off and "
                         "Bass are not given")
    before = int(ms_all.counts[:intro].sum())
    logistic = bass = None
    if fits:
        logistic = fit_logistic(ms, intro)
        bass = fit_bass(ms, intro) if not censored else None
        if logistic is None:
            notes.append("too few months or papers since the introduction for a logistic fit (needs 6 complete "
                         "covered months and 10 papers)")
    if logistic is not None and logistic.identifiable and tt is not None and tt.direction == "rising":
        logistic = _still_rising(ms, logistic)
    mst = milestones(ms, intro)
    if censored:
        mst = replace(mst, months_to_10=None, months_to_100=None, months_to_1000=None,
                      months_to_share_0_1pct=None, months_to_share_1pct=None, left_censored=True)
    g = None if censored else growth(ms, intro)
    if g is None and not censored:
        usable = int((ms.complete & (ms.totals > 0) & (idx >= intro)).sum())
        if usable < TAKEOFF_MIN_MONTHS:
            notes.append(f"no take-off window: {usable} complete covered month(s) since the introduction, "
                         f"{TAKEOFF_MIN_MONTHS} needed")
    found_bursts, bursts_note = bursts(ms, intro)
    result = SeriesAdoption(
        label=series.label,
        introduction=month_label(int(ms.months[intro])) if introduced is None or introduced >= ms.months[0]
        else month_label(introduced),
        introduction_rule=rule,
        matches_before_introduction=before,
        total_matches=total,
        milestones=mst,
        growth=g,
        trend_test=tt,
        logistic=logistic,
        bass=bass,
        bursts=found_bursts,
        notes=tuple(notes),
        left_censored=censored,
        coverage=cov_d,
        bursts_note=bursts_note,
    )
    return replace(result, coverage_caveats=tuple(_depends_on_coverage(result, coverage)))


def _absent_before(ms: MonthlySeries, coverage: SeriesCoverage | None, span_lo: int, intro: int) -> str | None:
    """Why an onset at the start of the covered span is still an introduction (None when it is not shown):
    the months before the span where the series' categories are partly covered show it absent: no sustained
    use there, and a share under ABSENT_FACTOR times its share in the span's first months."""
    if coverage is None:
        return None
    w = dict(zip(coverage.months, coverage.weight, strict=True))
    idx = np.arange(len(ms.months))
    seen = np.array([w.get(int(m), 0.0) >= PARTIAL_WEIGHT for m in ms.months]) & ms.complete & (ms.totals > 0)
    pre = idx[seen & (idx < span_lo)][-MK_MONTHS:]
    first = idx[(idx >= intro) & ms.complete & (ms.totals > 0)][:ONSET_RUN]
    if len(pre) < ABSENT_MONTHS or len(first) == 0 or sustained_onset(ms.counts[pre]) is not None:
        return None  # too little seen before, or in sustained use already
    before = float(ms.counts[pre].sum() / ms.totals[pre].sum())
    after = float(ms.counts[first].sum() / ms.totals[first].sum())
    if after <= 0 or before >= ABSENT_FACTOR * after:
        return None
    return (f"the onset {month_label(int(ms.months[intro]))} is at the start of the covered span, but in the "
            f"{len(pre)} months before it, where categories holding >= {PARTIAL_WEIGHT:.0%} of its papers are "
            f"covered, its share was {before:.3%} against {after:.3%} after: absent before, so taken as its "
            "introduction")


def _depends_on_coverage(a: SeriesAdoption, coverage: SeriesCoverage | None) -> list[str]:
    """Plain-words caveats for the results of ``a`` that fall on, or span, a coverage change."""
    if coverage is None or not coverage.changes:
        return []
    out = []

    def at(label: str | None) -> list[tuple[int, str]]:
        return coverage.change_in(parse_month(label), parse_month(label)) if label else []

    def across(window: tuple[str, str]) -> list[tuple[int, str]]:
        return coverage.change_in(parse_month(window[0]) + 1, parse_month(window[1]))

    def words(found: list[tuple[int, str]]) -> str:
        return "; ".join(f"{month_label(m)}: {why}" for m, why in found[:3]) + (" …" if len(found) > 3 else "")

    if a.introduction and not a.left_censored and (hit := at(a.introduction)):
        out.append(f"the introduction {a.introduction} is a month the coverage changes ({words(hit)})")
    m = a.milestones
    if m is not None and m.peak_month and (hit := at(m.peak_month)):
        out.append(f"the peak share ({m.peak_month}) is in a month the coverage changes ({words(hit)})")
    if m is not None and a.introduction:
        base = parse_month(a.introduction)
        for name, k in (("0.1% share", m.months_to_share_0_1pct), ("1% share", m.months_to_share_1pct)):
            if k is not None and (hit := at(month_label(base + k))):
                out.append(f"the {name} milestone ({month_label(base + k)}) is in a month the coverage changes "
                           f"({words(hit)})")
    if a.growth is not None and (hit := across(a.growth.window)):
        out.append(f"the take-off window {a.growth.window[0]}..{a.growth.window[1]} spans a coverage change "
                   f"({words(hit)})")
    for name, fit in (("logistic", a.logistic), ("Bass", a.bass)):
        if fit is not None and (hit := across(fit.window)):
            out.append(f"the {name} fit ({fit.window[0]}..{fit.window[1]}) spans a coverage change ({words(hit)})")
    return out


def _still_rising(ms: MonthlySeries, fit: LogisticFit) -> LogisticFit:
    """A fitted ceiling the share already exceeds while still rising is not a ceiling: report a lower bound."""
    ok = np.flatnonzero(ms.complete & (ms.totals > 0))[-3:]
    level = float(ms.counts[ok].sum() / ms.totals[ok].sum()) if len(ok) else 0.0
    if fit.K.value is None or level <= fit.K.value:
        return fit
    return replace(
        fit, identifiable=False, K=Estimate(None, level, None, lower_bound=True),
        t0=Estimate(None, None, None), reasons=(*fit.reasons, "still rising above the fitted ceiling"),
        note="the share is still rising (Mann-Kendall, last 12 months) and its last 3 months are above the fitted "
        "ceiling: one logistic does not describe this curve (a second wave?); K is reported as a "
        "lower bound, the last 3 months' share; the midpoint is not identified",
    )


def rank_by_speed(results: Sequence[SeriesAdoption]) -> tuple[RankRow, ...]:
    """Fastest first: fewer months to 100 papers, then shorter doubling time; missing values last.

    A left-censored series (introduction at or before the start of what is covered) has no speed: it is
    listed after the ranked ones, unranked, with the reason. A speed that rests on a coverage change says so.
    """

    def key(a: SeriesAdoption) -> tuple[float, float, str]:
        m100 = a.milestones.months_to_100 if a.milestones and a.milestones.months_to_100 is not None else math.inf
        d = a.growth.doubling_months.value if a.growth and a.growth.doubling_months.value is not None else math.inf
        return (m100, d, a.label)

    ranked = sorted((a for a in results if not a.left_censored and a.introduction is not None), key=key)
    unranked = [a for a in results if a.left_censored or a.introduction is None]
    rows = []
    for i, a in enumerate([*ranked, *unranked], start=1):
        g = a.growth.doubling_months if a.growth else None
        span = (a.coverage["span"][0], a.coverage["span"][1]) if a.coverage else None
        caveat: str | None
        if a.left_censored:
            caveat = (f"not ranked: introduction {a.introduction} is at or before the start of what the corpus "
                      f"covers for it (from {span[0] if span else '?'}); its speed is unknown")
        elif a.introduction is None:
            caveat = "not ranked: no sustained use"
        else:
            deps = [c for c in a.coverage_caveats if "take-off" in c or "introduction" in c]
            caveat = "; ".join(deps) if deps else None
        rows.append(RankRow(
            rank=i if i <= len(ranked) else None, label=a.label, introduction=a.introduction,
            months_to_100=a.milestones.months_to_100 if a.milestones else None,
            doubling_months=g.value if g else None,
            doubling_ci95=(g.low, g.high) if g else None,
            covered_span=span,
            caveat=caveat,
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
