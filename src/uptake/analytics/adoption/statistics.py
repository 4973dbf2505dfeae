"""Descriptive statistics of one monthly series: onset, milestones, share growth, Mann-Kendall, Kleinberg bursts."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from ...errors import UsageError
from ...periods import month_label
from ..trends import Z95, wilson_interval
from .models import Burst, Estimate, GrowthFit, Milestones, MonthlySeries, TrendTest
from .rules import KLEINBERG_MAX_SHARE, MK_MONTHS, ONSET_MIN_SUM, ONSET_RUN, TAKEOFF_MIN_MONTHS


# ----------------------------------------------------------------------------- onset and milestones
def sustained_onset(counts: npt.ArrayLike, *, run: int = ONSET_RUN, min_sum: int = ONSET_MIN_SUM) -> int | None:
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


def _complete_centred_mean(share: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """3-month centred mean of the share over complete months only (NaN where fewer than 2 of the 3 are
    complete): an incomplete month never enters, not even as its neighbour's smoothing."""
    v = np.where(ok, np.nan_to_num(share), 0.0)
    k = ok.astype(np.float64)
    num = np.convolve(v, np.ones(3), mode="same")
    den = np.convolve(k, np.ones(3), mode="same")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((den >= 2) & ok, num / np.maximum(den, 1), np.nan)


def growth(ms: MonthlySeries, intro: int, *, end: int | None = None,
           months: np.ndarray | None = None) -> GrowthFit | None:
    """Share growth over the take-off window starting at index ``intro`` (see module rules).

    Only complete months with papers enter (and, when ``months`` is given, only those of its indices: the
    covered span). None when fewer than :data:`TAKEOFF_MIN_MONTHS` such months are in the window, also at
    the end of the data.
    """
    ok = ms.complete & (ms.totals > 0)
    if months is not None:
        inside = np.zeros(len(ok), dtype=bool)
        inside[months] = True
        ok = ok & inside
    idx = np.arange(len(ms.months))
    if end is None:
        usable = idx[(idx >= intro) & ok]
        if len(usable) < TAKEOFF_MIN_MONTHS:
            return None
        sm = _complete_centred_mean(ms.share(), ok)
        cand = usable[np.isfinite(sm[usable])]
        if len(cand) == 0:
            return None
        peak = float(np.max(sm[cand]))
        if peak <= 0:
            return None
        reach = cand[sm[cand] >= 0.5 * peak]
        end = int(reach[0]) if len(reach) else int(usable[-1])
        end = max(end, int(usable[TAKEOFF_MIN_MONTHS - 1]))  # at least TAKEOFF_MIN_MONTHS usable months
    sel = (idx >= intro) & (idx <= end) & ok
    if sel.sum() < TAKEOFF_MIN_MONTHS or ms.counts[sel].sum() < 5:
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
def mann_kendall(values: npt.ArrayLike, *, alpha: float = 0.05) -> tuple[int, float, float, float, str]:
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


# ----------------------------------------------------------------------------- Kleinberg bursts
def kleinberg_states(
    counts: npt.ArrayLike, totals: npt.ArrayLike, *, s: float = 2.0, gamma: float = 1.0,
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
    counts: npt.ArrayLike, totals: npt.ArrayLike, *, s: float = 2.0, gamma: float = 1.0,
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


def bursts(ms: MonthlySeries, intro: int, *, s: float = 2.0, gamma: float = 1.0,
           months: np.ndarray | None = None) -> tuple[tuple[Burst, ...], str | None]:
    """Kleinberg bursts over complete months from ``intro`` on (within ``months`` when given), and why none
    were computed (None when they were): the burst state's rate ``s`` times the base share must be a
    probability, so a share above ``1/s`` (:data:`KLEINBERG_MAX_SHARE`) gets no bursts, said so."""
    keep = (np.arange(len(ms.months)) >= intro) & ms.complete
    if months is not None:
        inside = np.zeros(len(keep), dtype=bool)
        inside[months] = True
        keep &= inside
    sel = np.flatnonzero(keep)
    if len(sel) < 3:
        return (), "fewer than 3 complete months"
    d = ms.totals[sel].sum()
    base = float(ms.counts[sel].sum() / d) if d > 0 else 0.0
    if base > KLEINBERG_MAX_SHARE:
        return (), (f"not computed: the share is {base:.1%} on average, above {KLEINBERG_MAX_SHARE:.0%}, where a "
                    f"burst state of {s:g}x the base share is not a probability (changes near 100% are not bursts)")
    found = kleinberg_bursts(ms.counts[sel], ms.totals[sel], s=s, gamma=gamma)
    return tuple(
        Burst(start=month_label(int(ms.months[sel[a]])), end=month_label(int(ms.months[sel[b]])), weight=w,
              months=b - a + 1)
        for a, b, w in found
    ), None
