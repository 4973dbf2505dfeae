"""Logistic and Bass diffusion fits by maximum likelihood, with profile-likelihood 95% intervals."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ...periods import month_label
from .models import UNBOUNDED, BassFit, Estimate, LackOfFit, LogisticFit, MonthlySeries
from .rules import BASS_M_SPREAD, CHI2_95, LOF_ALPHA, LOF_MIN_EXPECTED, MIDPOINT_MARGIN, MK_MONTHS


# ----------------------------------------------------------------------------- profile likelihood machinery
class _NotConverged(Exception):
    """An inner fit of a profile that did not settle: no interval limit may rest on it."""


def _minimize(fun: Callable[[np.ndarray], float], x0: np.ndarray) -> tuple[np.ndarray, float, bool]:
    """Nelder-Mead from ``x0``, polished by a second start from the first optimum: (x, value, converged)."""
    from scipy.optimize import minimize

    opts = {"xatol": 1e-7, "fatol": 1e-9, "maxiter": 4000, "maxfev": 8000, "adaptive": True}
    best = minimize(fun, x0, method="Nelder-Mead", options=opts)
    again = minimize(fun, best.x, method="Nelder-Mead", options=opts | {"xatol": 1e-8, "fatol": 1e-10})
    res = again if again.fun <= best.fun else best
    ok = bool(res.success) and math.isfinite(float(res.fun))
    return np.asarray(res.x), float(res.fun), ok


Profile = Callable[[float, np.ndarray], tuple[np.ndarray, float, bool]]


class _AtEdge(Exception):
    """The inner fit ran into the edge of the parameter box (a market or rate at its cap): beyond it the profile
    is the box's, not the data's, so no limit may rest on it either."""


def _profile_interval(
    fixed: Profile,
    start_for: Callable[[float], np.ndarray],
    theta_hat: float,
    nll_min: float,
    threshold: float,
    lo_limit: float,
    hi_limit: float,
    *,
    at_edge: Callable[[np.ndarray], bool] = lambda z: False,
) -> tuple[tuple[float | None, str], tuple[float | None, str]]:
    """Where the profile deviance crosses ``threshold`` on each side of ``theta_hat``, with how each side ended.

    ``fixed(theta, z0)`` minimises the negative log-likelihood with the parameter fixed at ``theta`` from the
    start ``z0`` of the other parameters: ``(optimum, value, converged)``. The walk outward warm-starts each
    inner fit from the previous step's optimum (continuation) and also tries ``start_for(theta)``, keeping the
    better converged one. Each side is ``(limit, "bounded")``; ``(None, "unbounded")`` when the profile stays
    under the threshold up to the search limit, or until the other parameters reach the edge of their box
    (``at_edge(optimum)``: the data leave the parameter free that way, only the box stops it); or
    ``(None, "not computed")`` when no inner fit converged before a crossing: a limit is never read off an
    optimiser that failed or a box edge.
    """
    from scipy.optimize import brentq

    from .models import BOUNDED, NOT_COMPUTED, UNBOUNDED

    def evaluate(th: float, warm: np.ndarray | None) -> tuple[float, np.ndarray]:
        best: tuple[float, np.ndarray] | None = None
        edge = False
        for z0 in ([warm] if warm is not None else []) + [start_for(th)]:
            z, f, ok = fixed(th, z0)
            if ok and at_edge(z):
                edge = True
            elif ok and (best is None or f < best[0]):
                best = (f, z)
        if best is None:
            raise _AtEdge if edge else _NotConverged
        return best

    out: list[tuple[float | None, str]] = []
    for limit in (lo_limit, hi_limit):
        step = max(abs(limit - theta_hat) / 64.0, 1e-6)
        prev, warm = theta_hat, None
        side: tuple[float | None, str] = (None, UNBOUNDED)
        while True:
            nxt = theta_hat + math.copysign(step, limit - theta_hat)
            if (limit - nxt) * (limit - theta_hat) <= 0:
                nxt = limit
            try:
                f, z = evaluate(nxt, warm)
            except _AtEdge:
                break  # unbounded: the profile has not crossed where the box begins to decide
            except _NotConverged:
                side = (None, NOT_COMPUTED)
                break
            if 2.0 * (f - nll_min) - threshold > 0:
                start: np.ndarray | None = warm

                def g(th: float, start: np.ndarray | None = start) -> float:
                    return 2.0 * (evaluate(th, start)[0] - nll_min) - threshold

                try:
                    side = (float(brentq(g, prev, nxt, xtol=1e-6 * max(1.0, abs(nxt)))), BOUNDED)
                except ValueError:  # g(prev) was not below the threshold after all: the crossing is at nxt
                    side = (nxt, BOUNDED)
                except (_NotConverged, _AtEdge):
                    side = (None, NOT_COMPUTED)
                break
            if nxt == limit:
                break
            prev, warm = nxt, z
            step *= 2.0
        out.append(side)
    return out[0], out[1]


# ----------------------------------------------------------------------------- lack of fit
def lack_of_fit(y: np.ndarray, mu: np.ndarray, var: np.ndarray, *, recent: int = MK_MONTHS,
                n_params: int = 3) -> LackOfFit:
    """Two tests that a fitted curve follows the data, on Pearson residuals ``(y - mu) / sqrt(var)`` in time order.

    - **runs**: Wald-Wolfowitz runs test on the residuals' signs; a curve that misses the shape leaves long
      runs of months above, then below it (too few runs; one-sided normal approximation);
    - **recent end**: a one-sample t-test that the last ``recent`` residuals average zero (their own
      month-to-month scatter as the scale, so over-dispersion alone does not fail it); a curve the latest
      months run away from fails (two-sided).

    Only months whose expected count is at least :data:`LOF_MIN_EXPECTED` enter (a month expected to hold
    almost nothing has a residual its expectation fixes: a run of them is not a misfit). The fit fails when
    either p-value is below :data:`LOF_ALPHA`. Also reported, not tested: the Pearson
    chi-square p-value against the binomial or Poisson noise (low on real, over-dispersed counts: the
    intervals are widened by the dispersion for that).
    """
    from scipy.stats import chi2, norm

    keep = mu >= LOF_MIN_EXPECTED  # a month expected to hold ~0 papers has a residual fixed by its expectation
    y, mu, var = y[keep], mu[keep], var[keep]
    e = (y - mu) / np.sqrt(np.maximum(var, 1e-12))
    sign = np.sign(e[e != 0])
    n1, n2 = int((sign > 0).sum()), int((sign < 0).sum())
    n = n1 + n2
    runs = int(1 + np.count_nonzero(np.diff(sign))) if n else 0
    if n1 and n2 and n > 2:
        expected = 2.0 * n1 * n2 / n + 1.0
        var_r = 2.0 * n1 * n2 * (2.0 * n1 * n2 - n) / (n * n * (n - 1.0))
        z_runs = (runs - expected) / math.sqrt(var_r) if var_r > 0 else 0.0
        p_runs = float(norm.cdf(z_runs))
    else:  # every residual on one side: as few runs as possible
        expected, z_runs, p_runs = float(n), -math.inf, 0.0 if n >= 6 else 1.0
    k = min(recent, len(e))
    tail = e[-k:]
    sd = float(np.std(tail, ddof=1)) if k > 1 else 0.0
    if k > 1 and sd > 0:
        from scipy.stats import t as student

        t_end = float(np.mean(tail) / (sd / math.sqrt(k)))
        p_end = float(2.0 * student.sf(abs(t_end), k - 1))
    else:
        t_end, p_end = 0.0, 1.0
    pearson = float(np.sum(e**2))
    p_pearson = float(chi2.sf(pearson, max(len(e) - n_params, 1)))
    fails = p_runs < LOF_ALPHA or p_end < LOF_ALPHA
    return LackOfFit(runs=runs, runs_expected=expected, runs_z=z_runs, runs_p_value=p_runs, recent_months=k,
                     recent_mean_residual=float(np.mean(tail)) if k else 0.0, recent_t=t_end,
                     recent_p_value=p_end, fails=fails, pearson_chi2=pearson, pearson_p_value=p_pearson)


# ----------------------------------------------------------------------------- logistic fit of share
def _expit(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def logistic_share(t: np.ndarray, K: float, r: float, t0: float) -> np.ndarray:
    return K * _expit(r * (t - t0))


def _est(v: float | None, lo: tuple[float | None, str], hi: tuple[float | None, str],
         f: Callable[[float], float] = lambda x: x) -> Estimate:
    """An estimate from a profile's two sides (on the fitting scale; ``f`` maps back to the reported scale)."""
    return Estimate(v, f(lo[0]) if lo[0] is not None else None, f(hi[0]) if hi[0] is not None else None,
                    low_unbounded=lo[1] == UNBOUNDED, high_unbounded=hi[1] == UNBOUNDED)


def _exp(x: float) -> float:
    return math.exp(x)


def fit_logistic(ms: MonthlySeries, intro: int, *, k_cap: float = 1.0) -> LogisticFit | None:
    """Binomial ML fit of share = K / (1 + exp(-r (t - t0))) from ``intro`` on, with profile intervals.

    Only complete months with papers enter. Identified when the inflection is behind the last month with 95%
    confidence, every interval closes, the midpoint is not before the first fitted month by more than
    :data:`MIDPOINT_MARGIN`, and the curve passes its lack-of-fit check (:func:`lack_of_fit`).
    """
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
            x, f, _ = _minimize(nll, np.array([logit_k(K0), math.log(r0), t_half]))
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
    lof = lack_of_fit(y, mu, var)

    def prof_K(logK: float, z0: np.ndarray) -> tuple[np.ndarray, float, bool]:
        K = min(math.exp(logK), k_cap * (1 - 1e-9))
        return _minimize(lambda z: nll_params(K, math.exp(min(z[0], 5.0)), z[1]), z0)

    def start_K(logK: float) -> np.ndarray:
        return np.array([math.log(r_hat), t0_hat + math.log(max(math.exp(logK), 1e-300) / K_hat) / r_hat])

    def prof_r(logr: float, z0: np.ndarray) -> tuple[np.ndarray, float, bool]:
        r = math.exp(logr)
        return _minimize(lambda z: nll_params(k_cap * float(_expit(np.array(z[0]))), r, z[1]), z0)

    def start_r(_: float) -> np.ndarray:
        return np.array([logit_k(K_hat), t0_hat])

    def prof_t0(t0: float, z0: np.ndarray) -> tuple[np.ndarray, float, bool]:
        return _minimize(lambda z: nll_params(k_cap * float(_expit(np.array(z[0]))), math.exp(min(z[1], 5.0)), t0),
                         z0)

    def start_t0(t0: float) -> np.ndarray:
        return np.array([logit_k(min(K_hat * max(1.0, math.exp(min(r_hat * (t0 - t0_hat), 50.0))), k_cap * 0.999)),
                         math.log(r_hat)])

    logK_hat = math.log(K_hat)
    k_lo, k_hi = _profile_interval(prof_K, start_K, logK_hat, best_f, thr, logK_hat - 12,
                                   math.log(k_cap * (1 - 1e-9)), at_edge=lambda z: z[0] >= 5.0 - 1e-3)
    r_lo, r_hi = _profile_interval(prof_r, start_r, math.log(r_hat), best_f, thr, math.log(r_hat) - 8,
                                   math.log(r_hat) + 4)
    t_lo, t_hi = _profile_interval(prof_t0, start_t0, t0_hat, best_f, thr, t0_hat - 240, t0_hat + 240,
                                   at_edge=lambda z: z[1] >= 5.0 - 1e-3)
    first = float(t[0])
    reasons: list[str] = []
    if t_hi[0] is None or t_hi[0] > T:
        reasons.append("inflection not passed with 95% confidence")
    if any(side[0] is None for side in (k_lo, k_hi, r_lo, r_hi, t_lo)):
        reasons.append("an interval does not close")
    if t0_hat < first - MIDPOINT_MARGIN:
        reasons.append(f"midpoint more than {MIDPOINT_MARGIN} months before the first fitted month")
    if lof.fails:
        reasons.append("lack of fit")
    past = not reasons
    r_est = _est(r_hat, r_lo, r_hi, _exp)
    if past:
        K_est = _est(K_hat, k_lo, k_hi, _exp)
        t0_est = _est(base + t0_hat, t_lo, t_hi, lambda v: base + v)
        note = "inflection passed and the curve fits: K, r and t0 identified"
    elif lof.fails or t0_hat < first - MIDPOINT_MARGIN:
        # A curve that does not describe the data bounds nothing: no K, no midpoint.
        K_est = Estimate(None, None, None)
        t0_est = Estimate(None, None, None)
        note = (f"K and t0 are not identified: {'; '.join(reasons)} (lack-of-fit check {lof.text()})")
    else:
        K_est = Estimate(None, math.exp(k_lo[0]) if k_lo[0] is not None else smax, None, lower_bound=True)
        t0_est = (Estimate(None, base + t_lo[0], None, lower_bound=True) if t_lo[0] is not None
                  else Estimate(None, None, None))
        note = ("the curve has not passed its inflection with 95% confidence (" + "; ".join(reasons) +
                "): the ceiling K is not identifiable; K and t0 are reported as lower bounds")
    return LogisticFit(
        K=K_est, r=r_est, t0=t0_est, identifiable=past, note=note, dispersion=phi,
        window=(month_label(int(ms.months[sel][0])), month_label(int(ms.months[sel][-1]))),
        lack_of_fit=lof, reasons=tuple(reasons),
    )


# ----------------------------------------------------------------------------- Bass fit of counts
def bass_cdf(t: np.ndarray, p: float, q: float) -> np.ndarray:
    t = np.maximum(np.asarray(t, dtype=np.float64), 0.0)
    e = np.exp(-(p + q) * t)
    return (1 - e) / (1 + (q / p) * e)


def bass_expected(t: np.ndarray, p: float, q: float, m: float) -> np.ndarray:
    """Adoptions in month t (1 = the introduction month): m (F(t) - F(t-1))."""
    adoptions: np.ndarray = m * (bass_cdf(t, p, q) - bass_cdf(t - 1, p, q))
    return adoptions


def fit_bass(ms: MonthlySeries, intro: int, *, m_cap_factor: float = 1000.0) -> BassFit | None:
    """Poisson ML fit of monthly counts to Bass diffusion from ``intro`` on, with corpus volume as exposure.

    Expected papers in month t are ``m (F(t) - F(t-1)) * n_t / n_ref``, with ``n_t`` the month's papers and
    ``n_ref`` their mean over the window: so a month with twice the papers is expected to hold twice the
    adoptions, and "adoptions have peaked" means the volume-adjusted adoptions did, not the corpus volume.
    ``m`` is the market at a constant ``n_ref`` papers a month. Only complete months with papers enter.
    """
    idx = np.arange(len(ms.months))
    sel = (idx >= intro) & ms.complete & (ms.totals > 0)
    if sel.sum() < 6 or ms.counts[sel].sum() < 10:
        return None
    base = int(ms.months[intro])
    t = (ms.months[sel] - base + 1).astype(np.float64)
    y = ms.counts[sel]
    n_ref = float(ms.totals[sel].mean())
    w = ms.totals[sel] / n_ref
    T = float(t[-1])
    cum = float(y.sum())
    m_cap = max(cum * m_cap_factor, 1000.0)

    def nll_params(p: float, q: float, m: float) -> float:
        mu = np.maximum(bass_expected(t, p, q, m) * w, 1e-300)
        return float((mu - y * np.log(mu)).sum())

    def unpack(x: np.ndarray) -> tuple[float, float, float]:
        return math.exp(min(x[0], 3.0)), math.exp(min(x[1], 3.0)), math.exp(min(x[2], math.log(m_cap)))

    def nll(x: np.ndarray) -> float:
        return nll_params(*unpack(x))

    best_x, best_f = None, math.inf
    for p0 in (0.003, 0.03):
        for q0 in (0.2, 0.6):
            for mf in (1.5, 10.0):
                x, f, _ = _minimize(nll, np.array([math.log(p0), math.log(q0), math.log(cum * mf)]))
                if f < best_f:
                    best_x, best_f = x, f
    assert best_x is not None
    p_hat, q_hat, m_hat = unpack(best_x)
    mu = bass_expected(t, p_hat, q_hat, m_hat) * w
    phi = max(1.0, float(np.sum((y - mu) ** 2 / np.maximum(mu, 1e-12)) / max(len(y) - 3, 1)))
    thr = CHI2_95 * phi
    lof = lack_of_fit(y, mu, mu)
    bx = best_x

    def prof(i: int) -> Profile:
        def f(v: float, z0: np.ndarray) -> tuple[np.ndarray, float, bool]:
            def inner(z: np.ndarray) -> float:
                x = list(z)
                x.insert(i, v)
                return nll(np.array(x))

            return _minimize(inner, z0)

        return f

    def start(i: int) -> Callable[[float], np.ndarray]:
        def f(v: float) -> np.ndarray:
            s = list(bx)
            if i == 2:  # keep early adoption the same when m moves: p scales inversely
                s[0] = bx[0] - (v - bx[2])
            del s[i]
            return np.array(s)

        return f

    caps = (3.0 - 1e-3, 3.0 - 1e-3, math.log(m_cap) - 1e-3)

    def edge(i: int) -> Callable[[np.ndarray], bool]:
        others = [k for k in range(3) if k != i]
        return lambda z: any(z[j] >= caps[k] for j, k in enumerate(others))

    lm_hat = float(bx[2])
    m_lo, m_hi = _profile_interval(prof(2), start(2), lm_hat, best_f, thr, math.log(max(cum, 1.0)) - 0.5,
                                   math.log(m_cap), at_edge=edge(2))
    p_lo, p_hi = _profile_interval(prof(0), start(0), float(bx[0]), best_f, thr, float(bx[0]) - 8,
                                   min(3.0, bx[0] + 6), at_edge=edge(0))
    q_lo, q_hi = _profile_interval(prof(1), start(1), float(bx[1]), best_f, thr, float(bx[1]) - 8,
                                   min(3.0, bx[1] + 6), at_edge=edge(1))
    peak_t = math.log(q_hat / p_hat) / (p_hat + q_hat) if q_hat > p_hat else 0.0
    # Peak month index: adoptions in month t cover (t-1, t]; the peak instant falls in month ceil(peak_t).
    # Identified: the fitted peak is behind the last month, m's 95% interval is bounded and not wider than
    # BASS_M_SPREAD times the estimate (a flat-topped profile means the data cannot tell the market size yet),
    # and the curve passes its lack-of-fit check.
    reasons: list[str] = []
    if peak_t + 1 > T:
        reasons.append("peak not passed")
    if m_hi[0] is None or math.exp(m_hi[0]) > BASS_M_SPREAD * m_hat:
        reasons.append(f"m's interval is unbounded or wider than {BASS_M_SPREAD:g}x m")
    if lof.fails:
        reasons.append("lack of fit")
    past = not reasons
    if past:
        m_est = _est(m_hat, m_lo, m_hi, _exp)
        note = "adoptions (at constant corpus volume) have peaked and the curve fits: p, q and m identified"
    elif lof.fails:
        m_est = Estimate(None, None, None)
        note = f"m is not identified: {'; '.join(reasons)} (lack-of-fit check {lof.text()})"
    else:
        m_est = Estimate(None, math.exp(m_lo[0]) if m_lo[0] is not None else cum, None, lower_bound=True)
        note = (f"m is not identifiable ({'; '.join(reasons)}; adoptions counted at constant corpus volume) "
                "and is reported as a lower bound")
    return BassFit(
        p=_est(p_hat, p_lo, p_hi, _exp), q=_est(q_hat, q_lo, q_hi, _exp), m=m_est,
        peak=month_label(base + max(0, math.ceil(peak_t) - 1)) if past else None,
        identifiable=past, note=note, dispersion=phi,
        window=(month_label(int(ms.months[sel][0])), month_label(int(ms.months[sel][-1]))),
        lack_of_fit=lof, reasons=tuple(reasons), reference_volume=n_ref,
    )
