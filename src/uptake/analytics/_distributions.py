"""The few distribution functions `uptake emerging` and the coverage estimate need, from ``scipy.special``.

Importing ``scipy.stats`` takes about half a second (it loads every distribution), a sixth of what
`uptake emerging` may take in all. Each function here is the ``scipy.special`` function that the named
``scipy.stats`` method evaluates for these arguments, so the values are the same to the last bit
(``tests/test_distributions.py`` compares them with ``scipy.stats`` itself).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def binom_sf(k: npt.ArrayLike, n: npt.ArrayLike, p: float) -> np.ndarray:
    """``scipy.stats.binom.sf(k, n, p)`` for integer ``k`` and ``n >= 0``: P(X > k), which is 1 where ``k < 0``."""
    try:  # the ufunc binom.sf evaluates; private, so the public method answers if a SciPy release moves it
        from scipy.special._ufuncs import _binom_sf
    except ImportError:  # pragma: no cover - depends on the SciPy release
        from scipy.stats import binom

        return np.asarray(binom.sf(k, n, p), dtype=np.float64)
    k_arr = np.floor(np.asarray(k, dtype=np.float64))
    n_arr = np.asarray(n, dtype=np.float64)
    out = np.ones(np.broadcast(k_arr, n_arr).shape)
    inside = np.broadcast_to((k_arr >= 0) & (k_arr < n_arr), out.shape)
    k_in, n_in = np.broadcast_to(k_arr, out.shape)[inside], np.broadcast_to(n_arr, out.shape)[inside]
    out[inside] = _binom_sf(k_in, n_in, p)
    out[np.broadcast_to(k_arr >= n_arr, out.shape)] = 0.0
    return out


def poisson_cdf(k: npt.ArrayLike, mu: float) -> np.ndarray:
    """``scipy.stats.poisson.cdf(k, mu)`` for counts ``k >= 0`` and ``mu > 0``: the regularised upper incomplete
    gamma function at ``floor(k) + 1`` (``scipy.special.pdtr``)."""
    from scipy.special import pdtr

    return np.asarray(pdtr(np.floor(np.asarray(k, dtype=np.float64)), mu), dtype=np.float64)


def chi2_ppf(q: float, df: float) -> float:
    """``scipy.stats.chi2.ppf(q, df)`` for ``0 < q < 1`` and ``df > 0``: twice the inverse regularised lower
    incomplete gamma function at ``df / 2``."""
    from scipy.special import gammaincinv

    return float(2 * gammaincinv(df / 2, q))


def bh_adjust(p_values: npt.ArrayLike) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (``scipy.stats.false_discovery_control(p, method="bh")``): each
    p-value times the number of tests over its rank, then the smallest such value at its rank or above."""
    p = np.asarray(p_values, dtype=np.float64)
    m = len(p)
    if m == 0:
        return p.copy()
    order = np.argsort(p, kind="stable")
    scaled = p[order] * (m / np.arange(1, m + 1, dtype=np.float64))
    scaled = np.minimum.accumulate(scaled[::-1])[::-1]
    out = np.empty(m)
    out[order] = scaled
    return np.clip(out, 0.0, 1.0)
