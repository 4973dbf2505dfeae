"""Adoption analytics: from a monthly trend to the numbers people argue about.

Everything here is pure computation on :class:`~uptake.trends.Trend` values (monthly
counts of matching papers and monthly totals), except :func:`adoption`, which asks a
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
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import UsageError
from .periods import month_label, parse_month
from .trends import Z95, Trend, TrendSeries, wilson_interval

if TYPE_CHECKING:
    from .corpus import Corpus

ONSET_RUN = 3
ONSET_MIN_SUM = 5
TAKEOFF_MIN_MONTHS = 6
MK_MONTHS = 12
BASS_M_SPREAD = 4.0
CHI2_95 = 3.841458820694124  # chi-square(1) 95% quantile: the profile-likelihood threshold

RULES = {
    "introduction": f"--introduced / --origin when given, else the first month starting {ONSET_RUN} consecutive "
    f"months each with >= 1 matching paper and >= {ONSET_MIN_SUM} together",
    "milestones": "months after the introduction month (0 = the introduction month itself); papers counted from it",
    "growth": "share growth: Poisson log-linear fit of counts with log(total) offset, from the introduction to the "
    f"first month whose 3-month mean share reaches half the peak share (at least {TAKEOFF_MIN_MONTHS} months); "
    "95% interval with quasi-Poisson dispersion",
    "trend_test": f"Mann-Kendall on the share of the last {MK_MONTHS} complete months, two-sided, alpha 0.05",
    "fits": "maximum likelihood (logistic: binomial on share; Bass: Poisson on counts) from the introduction on; "
    "95% profile-likelihood intervals scaled by the Pearson dispersion; K or m is a lower bound when the "
    "inflection is not behind the last complete month with 95% confidence (Bass: the fitted peak is not behind it, "
    f"or m's interval is unbounded or reaches beyond {BASS_M_SPREAD:g}x m)",
    "bursts": "Kleinberg two-state automaton (s=2, gamma=1) on monthly (count, total) from the introduction on",
}


# ----------------------------------------------------------------------------- values
@dataclass(frozen=True)
class Estimate:
    """A point estimate with a 95% interval. ``lower_bound`` means only ``low`` is meaningful."""

    value: float | None
    low: float | None
    high: float | None
    lower_bound: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"value": self.value, "ci95": [self.low, self.high], "lower_bound": self.lower_bound}

    def text(self, fmt: str = "{:.3g}") -> str:
        def f(v: float | None) -> str:
            if v is None:
                return "–"
            return "∞" if math.isinf(v) else fmt.format(v)

        if self.lower_bound:
            return f"≥ {f(self.low)}" if self.low is not None else "not identifiable"
        if self.value is None:
            return "–"
        return f"{f(self.value)} [{f(self.low)}, {f(self.high)}]"


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
class TrendTest:
    months: tuple[str, str]
    n: int
    s: int
    z: float
    p_value: float
    sen_slope: float  # share per month
    direction: str  # rising | flat | falling

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"months": list(self.months)}


@dataclass(frozen=True)
class LogisticFit:
    K: Estimate
    r: Estimate
    t0: Estimate  # month index (year * 12 + month - 1, fractional); t0_month / t0_ci95_months give labels
    identifiable: bool
    note: str
    dispersion: float
    window: tuple[str, str]

    def t0_label(self) -> str:
        if self.t0.value is None:
            return f"after {month_label(int(math.floor(self.t0.low)))}" if self.t0.low is not None else "–"
        return month_label(int(round(self.t0.value)))

    def as_dict(self) -> dict[str, Any]:
        return {
            "K": self.K.as_dict(), "r": self.r.as_dict(), "t0": self.t0.as_dict(), "t0_month": self.t0_label(),
            "t0_ci95_months": [None if v is None else month_label(int(round(v))) for v in (self.t0.low, self.t0.high)],
            "identifiable": self.identifiable, "note": self.note, "dispersion": self.dispersion,
            "window": list(self.window),
        }


@dataclass(frozen=True)
class BassFit:
    p: Estimate
    q: Estimate
    m: Estimate
    peak: str | None  # month of the fitted peak of adoptions
    identifiable: bool
    note: str
    dispersion: float
    window: tuple[str, str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "p": self.p.as_dict(), "q": self.q.as_dict(), "m": self.m.as_dict(), "peak_month": self.peak,
            "identifiable": self.identifiable, "note": self.note, "dispersion": self.dispersion,
            "window": list(self.window),
        }


@dataclass(frozen=True)
class Burst:
    start: str
    end: str
    weight: float
    months: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Milestones:
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

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["latest_share_ci95"] = list(self.latest_share_ci95) if self.latest_share_ci95 else None
        return d


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

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "introduction": self.introduction,
            "introduction_rule": self.introduction_rule,
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
            "senses": self.senses,
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class RankRow:
    rank: int
    label: str
    introduction: str | None
    months_to_100: int | None
    doubling_months: float | None
    doubling_ci95: tuple[float | None, float | None] | None

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["doubling_ci95"] = list(self.doubling_ci95) if self.doubling_ci95 else None
        return d


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


# ----------------------------------------------------------------------------- onset and milestones
def sustained_onset(counts: Sequence[float], *, run: int = ONSET_RUN, min_sum: int = ONSET_MIN_SUM) -> int | None:
    """Index of the first month that starts ``run`` consecutive months each with >= 1 match and >= ``min_sum`` together."""
    c = np.asarray(counts, dtype=np.float64)
    for i in range(len(c) - run + 1):
        window = c[i : i + run]
        if (window >= 1).all() and window.sum() >= min_sum:
            return i
    return None


def milestones(ms: MonthlySeries, intro: int) -> Milestones:
    """Milestones counted from index ``intro`` (the introduction month)."""
    c = ms.counts[intro:]
    cum = np.cumsum(c)
    share = ms.share()[intro:]
    done = ms.complete[intro:]

    def first_at(mask: np.ndarray) -> int | None:
        idx = np.flatnonzero(mask)
        return int(idx[0]) if len(idx) else None

    sh_ok = np.nan_to_num(share, nan=-1.0)
    complete_idx = np.flatnonzero(done & (ms.totals[intro:] > 0))
    peak_share = peak_month = latest_month = latest_share = None
    latest_ci = None
    if len(complete_idx):
        k = complete_idx[int(np.argmax(sh_ok[complete_idx]))]
        peak_share, peak_month = float(share[k]), month_label(int(ms.months[intro + k]))
        j = complete_idx[-1]
        latest_month, latest_share = month_label(int(ms.months[intro + j])), float(share[j])
        latest_ci = wilson_interval(int(c[j]), int(ms.totals[intro + j]))
    return Milestones(
        months_to_10=first_at(cum >= 10),
        months_to_100=first_at(cum >= 100),
        months_to_1000=first_at(cum >= 1000),
        months_to_share_0_1pct=first_at(done & (sh_ok >= 0.001)),
        months_to_share_1pct=first_at(done & (sh_ok >= 0.01)),
        peak_share=peak_share,
        peak_month=peak_month,
        latest_month=latest_month,
        latest_share=latest_share,
        latest_share_ci95=latest_ci,
        papers_since_introduction=int(cum[-1]) if len(cum) else 0,
    )


# ----------------------------------------------------------------------------- growth
def _poisson_loglinear(t: np.ndarray, y: np.ndarray, offset: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """IRLS for log E[y] = offset + a + b t. Returns (coef, covariance, Pearson dispersion)."""
    X = np.column_stack([np.ones_like(t), t])
    rate = max(y.sum(), 0.5) / np.exp(offset).sum()
    beta = np.array([math.log(rate), 0.0])
    for _ in range(100):
        eta = np.clip(offset + X @ beta, -700, 700)
        mu = np.exp(eta)
        z = eta - offset + (y - mu) / mu
        W = mu
        XtW = X.T * W
        new = np.linalg.solve(XtW @ X, XtW @ z)
        if np.max(np.abs(new - beta)) < 1e-10:
            beta = new
            break
        beta = new
    mu = np.exp(np.clip(offset + X @ beta, -700, 700))
    cov = np.linalg.inv((X.T * mu) @ X)
    dof = max(len(y) - 2, 1)
    phi = float(np.sum((y - mu) ** 2 / mu) / dof)
    return beta, cov, phi


def growth(ms: MonthlySeries, intro: int, *, end: int | None = None) -> GrowthFit | None:
    """Share growth over the take-off window starting at index ``intro`` (see module rules)."""
    ok = ms.complete & (ms.totals > 0)
    idx = np.arange(len(ms.months))
    if end is None:
        share = ms.share()
        usable = idx[(idx >= intro) & ok]
        if len(usable) < 3:
            return None
        sm = np.convolve(np.nan_to_num(share), np.ones(3) / 3, mode="same")
        peak = np.nanmax(sm[usable])
        if peak <= 0:
            return None
        reach = usable[sm[usable] >= 0.5 * peak]
        end = int(reach[0]) if len(reach) else int(usable[-1])
        end = max(end, intro + TAKEOFF_MIN_MONTHS - 1)
        end = min(end, int(usable[-1]))
    sel = (idx >= intro) & (idx <= end) & ok
    if sel.sum() < 3 or ms.counts[sel].sum() < 5:
        return None
    t = (ms.months[sel] - ms.months[intro]).astype(np.float64)
    y = ms.counts[sel]
    beta, cov, phi = _poisson_loglinear(t, y, np.log(ms.totals[sel]))
    scale = math.sqrt(max(phi, 1.0))
    se = math.sqrt(cov[1, 1]) * scale
    b, lo, hi = float(beta[1]), float(beta[1] - Z95 * se), float(beta[1] + Z95 * se)

    def dbl(v: float) -> float:
        return math.log(2) / v if v > 0 else math.inf

    doubling = Estimate(
        dbl(b) if b > 0 else None,
        dbl(hi) if hi > 0 else None,
        dbl(lo) if lo > 0 else math.inf if hi > 0 else None,
    )
    return GrowthFit(
        window=(month_label(int(ms.months[sel][0])), month_label(int(ms.months[sel][-1]))),
        months=int(sel.sum()),
        rate=Estimate(b, lo, hi),
        monthly_growth=Estimate(math.expm1(b), math.expm1(lo), math.expm1(hi)),
        doubling_months=doubling,
        dispersion=phi,
    )


# ----------------------------------------------------------------------------- Mann-Kendall
def mann_kendall(values: Sequence[float], *, alpha: float = 0.05) -> tuple[int, float, float, float, str]:
    """Mann-Kendall trend test: (S, Z, two-sided p, Sen's slope, direction). Ties corrected; continuity corrected."""
    from scipy.stats import norm

    x = np.asarray(values, dtype=np.float64)
    n = len(x)
    if n < 3:
        raise UsageError("the Mann-Kendall test needs at least 3 values")
    diff = x[None, :] - x[:, None]
    iu = np.triu_indices(n, 1)
    s = int(np.sign(diff[iu]).sum())
    _, tie_counts = np.unique(x, return_counts=True)
    var = (n * (n - 1) * (2 * n + 5) - np.sum(tie_counts * (tie_counts - 1) * (2 * tie_counts + 5))) / 18.0
    if var <= 0:
        z = 0.0
    elif s > 0:
        z = (s - 1) / math.sqrt(var)
    elif s < 0:
        z = (s + 1) / math.sqrt(var)
    else:
        z = 0.0
    p = float(2 * norm.sf(abs(z)))
    gaps = (iu[1] - iu[0]).astype(np.float64)
    slope = float(np.median(diff[iu] / gaps))
    direction = "flat" if p >= alpha else ("rising" if s > 0 else "falling")
    return s, float(z), p, slope, direction


def trend_test(ms: MonthlySeries, *, months: int = MK_MONTHS) -> TrendTest | None:
    ok = np.flatnonzero(ms.complete & (ms.totals > 0))[-months:]
    if len(ok) < 4:
        return None
    s, z, p, slope, direction = mann_kendall(ms.share()[ok])
    return TrendTest(
        months=(month_label(int(ms.months[ok[0]])), month_label(int(ms.months[ok[-1]]))),
        n=len(ok), s=s, z=z, p_value=p, sen_slope=slope, direction=direction,
    )


# ----------------------------------------------------------------------------- profile likelihood machinery
def _minimize(fun, x0: np.ndarray) -> tuple[np.ndarray, float]:  # type: ignore[no-untyped-def]
    from scipy.optimize import minimize

    best = minimize(fun, x0, method="Nelder-Mead",
                    options={"xatol": 1e-7, "fatol": 1e-9, "maxiter": 4000, "maxfev": 8000, "adaptive": True})
    # A second start from the first optimum polishes Nelder-Mead's occasional early stop.
    again = minimize(fun, best.x, method="Nelder-Mead",
                     options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 4000, "maxfev": 8000, "adaptive": True})
    res = again if again.fun <= best.fun else best
    return np.asarray(res.x), float(res.fun)


def _profile_interval(
    nll_fixed,  # type: ignore[no-untyped-def]
    theta_hat: float,
    nll_min: float,
    threshold: float,
    lo_limit: float,
    hi_limit: float,
) -> tuple[float | None, float | None]:
    """Where the profile deviance crosses ``threshold`` on each side of ``theta_hat`` (None = not within the limit).

    ``nll_fixed(theta)`` returns the minimised negative log-likelihood with the parameter fixed at ``theta``.
    Works on whatever scale theta is given in (the caller passes log-scale values for positive parameters).
    """
    from scipy.optimize import brentq

    def g(th: float) -> float:
        return 2.0 * (nll_fixed(th) - nll_min) - threshold

    out: list[float | None] = []
    for limit in (lo_limit, hi_limit):
        # Walk out geometrically until the deviance crosses the threshold or the limit is reached.
        step = max(abs(limit - theta_hat) / 64.0, 1e-6)
        prev = theta_hat
        found = None
        while True:
            nxt = theta_hat + math.copysign(step, limit - theta_hat)
            if (limit - nxt) * (limit - theta_hat) <= 0:
                nxt = limit
            val = g(nxt)
            if val > 0:
                try:
                    found = brentq(g, prev, nxt, xtol=1e-6 * max(1.0, abs(nxt)))
                except ValueError:
                    found = nxt
                break
            if nxt == limit:
                break
            prev = nxt
            step *= 2.0
        out.append(found)
    return out[0], out[1]


# ----------------------------------------------------------------------------- logistic fit of share
def _expit(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def logistic_share(t: np.ndarray, K: float, r: float, t0: float) -> np.ndarray:
    return K * _expit(r * (t - t0))


def fit_logistic(ms: MonthlySeries, intro: int, *, k_cap: float = 1.0) -> LogisticFit | None:
    """Binomial ML fit of share = K / (1 + exp(-r (t - t0))) from ``intro`` on, with profile intervals."""
    sel = (np.arange(len(ms.months)) >= intro) & ms.complete & (ms.totals > 0)
    if sel.sum() < 6 or ms.counts[sel].sum() < 10:
        return None
    base = int(ms.months[intro])
    t = (ms.months[sel] - base).astype(np.float64)
    y = ms.counts[sel]
    n = ms.totals[sel]
    T = float(t[-1])
    share = y / n
    eps = 1e-300

    def nll_params(K: float, r: float, t0: float) -> float:
        p = np.clip(logistic_share(t, K, r, t0), eps, 1 - 1e-12)
        return float(-(y * np.log(p) + (n - y) * np.log1p(-p)).sum())

    def nll(x: np.ndarray) -> float:
        K = k_cap * float(_expit(np.array(x[0])))
        return nll_params(K, math.exp(min(x[1], 5.0)), x[2])

    def logit_k(K: float) -> float:
        f = min(max(K / k_cap, 1e-12), 1 - 1e-12)
        return math.log(f / (1 - f))

    smax = float(np.max(np.convolve(share, np.ones(3) / 3, mode="same")))
    best_x, best_f = None, math.inf
    for kf in (1.1, 3.0):
        for r0 in (0.15, 0.5):
            K0 = min(max(smax * kf, 1e-9), k_cap * 0.99)
            # put t0 where the smoothed share is closest to half of K0
            t_half = float(t[np.argmin(np.abs(share - K0 / 2))]) if kf < 1.5 else T + math.log(kf - 1) / r0
            x, f = _minimize(nll, np.array([logit_k(K0), math.log(r0), t_half]))
            if f < best_f:
                best_x, best_f = x, f
    assert best_x is not None
    K_hat = k_cap * float(_expit(np.array(best_x[0])))
    r_hat = math.exp(min(best_x[1], 5.0))
    t0_hat = float(best_x[2])
    mu = n * logistic_share(t, K_hat, r_hat, t0_hat)
    var = np.maximum(mu * (1 - mu / n), 1e-12)
    phi = max(1.0, float(np.sum((y - mu) ** 2 / var) / max(len(y) - 3, 1)))
    thr = CHI2_95 * phi

    def prof_K(logK: float) -> float:
        K = math.exp(logK)
        if K >= k_cap:
            K = k_cap * (1 - 1e-9)
        t0_init = t0_hat + math.log(K / K_hat) / r_hat
        _, f = _minimize(lambda z: nll_params(K, math.exp(min(z[0], 5.0)), z[1]), np.array([math.log(r_hat), t0_init]))
        return f

    def prof_r(logr: float) -> float:
        r = math.exp(logr)
        _, f = _minimize(lambda z: nll_params(k_cap * float(_expit(np.array(z[0]))), r, z[1]),
                         np.array([logit_k(K_hat), t0_hat]))
        return f

    def prof_t0(t0: float) -> float:
        _, f = _minimize(lambda z: nll_params(k_cap * float(_expit(np.array(z[0]))), math.exp(min(z[1], 5.0)), t0),
                         np.array([logit_k(min(K_hat * max(1.0, math.exp(min(r_hat * (t0 - t0_hat), 50.0))), k_cap * 0.999)),
                                   math.log(r_hat)]))
        return f

    logK_hat = math.log(K_hat)
    k_lo, k_hi = _profile_interval(prof_K, logK_hat, best_f, thr, logK_hat - 12, math.log(k_cap * (1 - 1e-9)))
    r_lo, r_hi = _profile_interval(prof_r, math.log(r_hat), best_f, thr, math.log(r_hat) - 8, math.log(r_hat) + 4)
    t_lo, t_hi = _profile_interval(prof_t0, t0_hat, best_f, thr, t0_hat - 240, t0_hat + 240)
    past = (t_hi is not None and t_hi <= T and k_hi is not None and k_lo is not None
            and r_lo is not None and r_hi is not None)
    K_est = (Estimate(K_hat, math.exp(k_lo) if k_lo is not None else None, math.exp(k_hi) if k_hi is not None else None)
             if past else Estimate(None, math.exp(k_lo) if k_lo is not None else smax, None, lower_bound=True))
    t0_est = (Estimate(base + t0_hat, base + t_lo if t_lo is not None else None, base + t_hi)
              if past else Estimate(None, base + t_lo if t_lo is not None else None, None, lower_bound=True))
    note = ("inflection passed: K, r and t0 identified" if past else
            "the curve has not passed its inflection with 95% confidence: the ceiling K is not identifiable; "
            "K and t0 are reported as lower bounds")
    return LogisticFit(
        K=K_est,
        r=Estimate(r_hat, math.exp(r_lo) if r_lo is not None else None, math.exp(r_hi) if r_hi is not None else None),
        t0=t0_est,
        identifiable=past,
        note=note,
        dispersion=phi,
        window=(month_label(int(ms.months[sel][0])), month_label(int(ms.months[sel][-1]))),
    )


# ----------------------------------------------------------------------------- Bass fit of counts
def bass_cdf(t: np.ndarray, p: float, q: float) -> np.ndarray:
    t = np.maximum(np.asarray(t, dtype=np.float64), 0.0)
    e = np.exp(-(p + q) * t)
    return (1 - e) / (1 + (q / p) * e)


def bass_expected(t: np.ndarray, p: float, q: float, m: float) -> np.ndarray:
    """Adoptions in month t (1 = the introduction month): m (F(t) - F(t-1))."""
    return m * (bass_cdf(t, p, q) - bass_cdf(t - 1, p, q))


def fit_bass(ms: MonthlySeries, intro: int, *, m_cap_factor: float = 1000.0) -> BassFit | None:
    """Poisson ML fit of monthly counts to Bass diffusion from ``intro`` on, with profile intervals."""
    idx = np.arange(len(ms.months))
    sel = (idx >= intro) & ms.complete
    if sel.sum() < 6 or ms.counts[sel].sum() < 10:
        return None
    base = int(ms.months[intro])
    t = (ms.months[sel] - base + 1).astype(np.float64)
    y = ms.counts[sel]
    T = float(t[-1])
    cum = float(y.sum())
    m_cap = max(cum * m_cap_factor, 1000.0)

    def nll_params(p: float, q: float, m: float) -> float:
        mu = np.maximum(bass_expected(t, p, q, m), 1e-300)
        return float((mu - y * np.log(mu)).sum())

    def unpack(x: np.ndarray) -> tuple[float, float, float]:
        return math.exp(min(x[0], 3.0)), math.exp(min(x[1], 3.0)), math.exp(min(x[2], math.log(m_cap)))

    def nll(x: np.ndarray) -> float:
        return nll_params(*unpack(x))

    best_x, best_f = None, math.inf
    for p0 in (0.003, 0.03):
        for q0 in (0.2, 0.6):
            for mf in (1.5, 10.0):
                x, f = _minimize(nll, np.array([math.log(p0), math.log(q0), math.log(cum * mf)]))
                if f < best_f:
                    best_x, best_f = x, f
    assert best_x is not None
    p_hat, q_hat, m_hat = unpack(best_x)
    mu = bass_expected(t, p_hat, q_hat, m_hat)
    phi = max(1.0, float(np.sum((y - mu) ** 2 / np.maximum(mu, 1e-12)) / max(len(y) - 3, 1)))
    thr = CHI2_95 * phi

    def prof(i: int):  # type: ignore[no-untyped-def]
        def f(v: float) -> float:
            def inner(z: np.ndarray) -> float:
                x = list(z)
                x.insert(i, v)
                return nll(np.array(x))

            start = list(best_x)
            del start[i]
            if i == 2:  # keep early adoption the same when m moves: p scales inversely
                start[0] = best_x[0] - (v - best_x[2])
            _, val = _minimize(inner, np.array(start))
            return val

        return f

    lm_hat = float(best_x[2])
    m_lo, m_hi = _profile_interval(prof(2), lm_hat, best_f, thr, math.log(max(cum, 1.0)) - 0.5, math.log(m_cap))
    p_lo, p_hi = _profile_interval(prof(0), float(best_x[0]), best_f, thr, float(best_x[0]) - 8, min(3.0, best_x[0] + 6))
    q_lo, q_hi = _profile_interval(prof(1), float(best_x[1]), best_f, thr, float(best_x[1]) - 8, min(3.0, best_x[1] + 6))
    peak_t = math.log(q_hat / p_hat) / (p_hat + q_hat) if q_hat > p_hat else 0.0
    # Peak month index: adoptions in month t cover (t-1, t]; the peak instant falls in month ceil(peak_t).
    # Identified: the fitted peak is behind the last month and m's 95% interval is bounded and not wider than
    # BASS_M_SPREAD times the estimate (a flat-topped profile means the data cannot tell the market size yet).
    past = m_hi is not None and peak_t + 1 <= T and math.exp(m_hi) <= BASS_M_SPREAD * m_hat
    m_est = (Estimate(m_hat, math.exp(m_lo) if m_lo is not None else None, math.exp(m_hi))
             if past else Estimate(None, math.exp(m_lo) if m_lo is not None else cum, None, lower_bound=True))
    note = ("adoptions have peaked: p, q and m identified" if past else
            "adoptions have not yet peaked, or m's 95% interval is unbounded or wider than "
            f"{BASS_M_SPREAD:g}x the estimate: m is not identifiable and is reported as a lower bound")

    def ex(lo: float | None, hi: float | None, v: float) -> Estimate:
        return Estimate(v, math.exp(lo) if lo is not None else None, math.exp(hi) if hi is not None else None)

    return BassFit(
        p=ex(p_lo, p_hi, p_hat), q=ex(q_lo, q_hi, q_hat), m=m_est,
        peak=month_label(base + max(0, math.ceil(peak_t) - 1)) if past else None,
        identifiable=past, note=note, dispersion=phi,
        window=(month_label(int(ms.months[sel][0])), month_label(int(ms.months[sel][-1]))),
    )


# ----------------------------------------------------------------------------- Kleinberg bursts
def kleinberg_states(
    counts: Sequence[float], totals: Sequence[float], *, s: float = 2.0, gamma: float = 1.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Viterbi state sequence of Kleinberg's two-state batched burst automaton.

    Returns (states, cost0, cost1). The costs are negative binomial log-likelihoods
    without the binomial coefficient, which is the same in both states and cancels, so
    nothing grows with the batch size: batches of millions of documents are safe.
    """
    r = np.asarray(counts, dtype=np.float64)
    d = np.asarray(totals, dtype=np.float64)
    if r.shape != d.shape:
        raise UsageError("counts and totals must have the same length")
    if np.any(r < 0) or np.any(r > d):
        raise UsageError("each count must be between 0 and its total")
    n = len(r)
    if n == 0 or d.sum() <= 0:
        return np.zeros(n, dtype=np.int8), np.zeros(n), np.zeros(n)
    p0 = r.sum() / d.sum()
    if p0 <= 0:
        return np.zeros(n, dtype=np.int8), np.zeros(n), np.zeros(n)
    p0 = min(p0, 1 - 1e-12)
    p1 = min(s * p0, 0.5 * (1 + p0))

    def cost(p: float) -> np.ndarray:
        return -(r * math.log(p) + (d - r) * math.log1p(-p))

    c0, c1 = cost(p0), cost(p1)
    tau = gamma * math.log(n) if n > 1 else 0.0
    # Viterbi over two states, starting in the base state; moving up costs tau, moving down is free.
    back = np.zeros((n, 2), dtype=np.int8)
    D0, D1 = float(c0[0]), tau + float(c1[0])
    for i in range(1, n):
        if D0 <= D1:
            n0, back[i, 0] = D0, 0
        else:
            n0, back[i, 0] = D1, 1
        if D0 + tau < D1:
            n1, back[i, 1] = D0 + tau, 0
        else:
            n1, back[i, 1] = D1, 1
        D0, D1 = n0 + float(c0[i]), n1 + float(c1[i])
    best0, best1 = D0, D1
    states = np.zeros(n, dtype=np.int8)
    states[-1] = 0 if best0 <= best1 else 1
    for i in range(n - 1, 0, -1):
        states[i - 1] = back[i, states[i]]
    return states, c0, c1


def kleinberg_bursts(
    counts: Sequence[float], totals: Sequence[float], *, s: float = 2.0, gamma: float = 1.0,
) -> list[tuple[int, int, float]]:
    """Bursts as (first index, last index, weight); weight = sum of cost0 - cost1 over the burst."""
    states, c0, c1 = kleinberg_states(counts, totals, s=s, gamma=gamma)
    out = []
    i = 0
    while i < len(states):
        if states[i] == 1:
            j = i
            while j + 1 < len(states) and states[j + 1] == 1:
                j += 1
            out.append((i, j, float(np.sum(c0[i : j + 1] - c1[i : j + 1]))))
            i = j + 1
        else:
            i += 1
    return out


def bursts(ms: MonthlySeries, intro: int, *, s: float = 2.0, gamma: float = 1.0) -> tuple[Burst, ...]:
    sel = np.flatnonzero((np.arange(len(ms.months)) >= intro) & ms.complete)
    if len(sel) < 3:
        return ()
    found = kleinberg_bursts(ms.counts[sel], ms.totals[sel], s=s, gamma=gamma)
    return tuple(
        Burst(start=month_label(int(ms.months[sel[a]])), end=month_label(int(ms.months[sel[b]])), weight=w,
              months=b - a + 1)
        for a, b, w in found
    )


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


# ----------------------------------------------------------------------------- the corpus-facing entry point
def adoption(
    corpus: Corpus,
    query: str,
    *,
    category: str | Sequence[str] = (),
    case_sensitive: bool = False,
    field: str = "any",
    start: str | None = None,
    end: str | None = None,
    introduced: str | None = None,
    origin: str | None = None,
    with_senses: bool = True,
    fits: bool = True,
) -> AdoptionReport:
    """Adoption numbers for each series of ``query`` in ``corpus`` (see the module rules)."""
    from .query import Query, parse_query

    if introduced and origin:
        raise UsageError("give --introduced or --origin, not both")
    parsed = parse_query(query)
    trend = corpus.trend(parsed, start=start, end=end, category=category, case_sensitive=case_sensitive,
                         field=field, measure="share")  # type: ignore[arg-type]
    intro_month: int | None = None
    rule = None
    if introduced:
        intro_month, rule = parse_month(introduced, what="--introduced"), "given"
    elif origin:
        intro_month, rule = corpus_origin_month(corpus, origin), f"origin {origin.strip()}"
    results = []
    for s_ast, s in zip(_series_as_trended(parsed, trend), trend.series, strict=True):
        a = analyze_series(s, introduced=intro_month, introduction_rule=rule, fits=fits)
        sub = Query(text=s_ast.label, series=(s_ast,))
        first, early = _first_mentions(corpus, sub, a, s, category, case_sensitive, field)
        senses_d = None
        if with_senses:
            from .senses import senses_for_series

            # The term's matches all fall in the months the trend counted them (same semantics unless the
            # query was case-sensitive or field-restricted), so the sense split reads only those months.
            first_pt = next((p for p in s.points if p.count > 0), None)
            same = not case_sensitive and field == "any"
            sres = senses_for_series(
                corpus, s_ast, category=category,
                start=first_pt.period if (same and first_pt) else trend.filters.get("from"),
                end=trend.filters.get("to"),
            ) if first_pt is not None or not same else None
            senses_d = sres.as_dict() if sres is not None else None
        results.append(_replace(a, first_mention=first, early_papers=early, senses=senses_d))
    return AdoptionReport(
        query=parsed.text,
        filters=dict(trend.filters) | {"introduced": introduced, "origin": origin},
        corpus={"papers": trend.corpus.papers, "first": trend.corpus.first, "last": trend.corpus.last},
        series=tuple(results),
        ranking=rank_by_speed(results),
        substitution=substitution(trend) if len(trend.series) > 1 else None,
        trend=trend,
    )


def _replace(a: SeriesAdoption, **kw: Any) -> SeriesAdoption:
    from dataclasses import replace

    return replace(a, **kw)


def _series_as_trended(parsed, trend):  # type: ignore[no-untyped-def]
    """The query series one-to-one with ``trend.series``.

    The corpus expands a wildcard series into one series per completion, so the trend may
    have more series than the query; each completed label is itself a one-series query.
    """
    from .query import parse_query
    from .query.expand import has_wildcards

    if not has_wildcards(parsed):
        return parsed.series
    return tuple(parse_query(s.label).series[0] for s in trend.series)


def corpus_origin_month(corpus: Corpus, arxiv_id: str) -> int:
    """The v1 month of paper ``arxiv_id`` in ``corpus``."""
    from .periods import month_of
    from .store import Store

    key = arxiv_id.strip()
    for prefix in ("arXiv:", "arxiv:", "https://arxiv.org/abs/", "http://arxiv.org/abs/"):
        if key.startswith(prefix):
            key = key[len(prefix):]
    if len(key) > 3 and key[-2] == "v" and key[-1].isdigit():
        key = key[:-2]
    with Store.open(corpus.path) as store:
        rows = store.query("SELECT published FROM papers WHERE id = ? AND NOT deleted", [key])
    if not rows:
        raise UsageError(f"paper {arxiv_id!r} is not in this corpus: check the id (e.g. 2402.03300) "
                         f"or give the month directly with --introduced YYYY-MM")
    return month_of(rows[0][0])


def _first_mentions(corpus: Corpus, sub: Any, a: SeriesAdoption, series: TrendSeries, category: Any,
                    case_sensitive: bool, field: str, show: int = 5,
                    ) -> tuple[dict[str, Any] | None, tuple[dict[str, Any], ...]]:
    """The earliest matching paper and the earliest ``show`` before the introduction.

    The searches are limited to the months the trend says hold them, so the store only reads those months.
    """
    first_pt = next((p for p in series.points if p.count > 0), None)
    if first_pt is None:
        return None, ()
    res = corpus.papers(sub, start=first_pt.period, end=first_pt.period, category=category,
                        case_sensitive=case_sensitive, field=field, limit=1,  # type: ignore[arg-type]
                        offset=first_pt.count - 1)
    first = res.papers[0].as_dict() if res.papers else None
    early: tuple[dict[str, Any], ...] = ()
    if a.matches_before_introduction and a.introduction:
        before_end = month_label(parse_month(a.introduction) - 1)
        n = a.matches_before_introduction
        k = min(show, n)
        lst = corpus.papers(sub, start=first_pt.period, end=before_end, category=category,
                            case_sensitive=case_sensitive, field=field, limit=k,  # type: ignore[arg-type]
                            offset=max(0, n - k))
        early = tuple(reversed([p.as_dict() for p in lst.papers]))
    return first, early
