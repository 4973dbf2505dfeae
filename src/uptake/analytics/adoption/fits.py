"""Logistic and Bass diffusion fits by maximum likelihood, with profile-likelihood 95% intervals."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ...periods import month_label
from .models import BassFit, Estimate, LogisticFit, MonthlySeries
from .rules import BASS_M_SPREAD, CHI2_95


# ----------------------------------------------------------------------------- profile likelihood machinery
def _minimize(fun: Callable[[np.ndarray], float], x0: np.ndarray) -> tuple[np.ndarray, float]:
    from scipy.optimize import minimize

    best = minimize(fun, x0, method="Nelder-Mead",
                    options={"xatol": 1e-7, "fatol": 1e-9, "maxiter": 4000, "maxfev": 8000, "adaptive": True})
    # A second start from the first optimum polishes Nelder-Mead's occasional early stop.
    again = minimize(fun, best.x, method="Nelder-Mead",
                     options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 4000, "maxfev": 8000, "adaptive": True})
    res = again if again.fun <= best.fun else best
    return np.asarray(res.x), float(res.fun)


def _profile_interval(
    nll_fixed: Callable[[float], float],
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
              if past and t_hi is not None
              else Estimate(None, base + t_lo if t_lo is not None else None, None, lower_bound=True))
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
    adoptions: np.ndarray = m * (bass_cdf(t, p, q) - bass_cdf(t - 1, p, q))
    return adoptions


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

    def prof(i: int) -> Callable[[float], float]:
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
             if past and m_hi is not None
             else Estimate(None, math.exp(m_lo) if m_lo is not None else cum, None, lower_bound=True))
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

