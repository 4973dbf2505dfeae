"""The distribution functions emerging and the coverage estimate use without importing ``scipy.stats``
(``uptake.analytics._distributions``) give exactly ``scipy.stats``'s values: the reports do not change."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from uptake.analytics._distributions import bh_adjust, binom_sf, chi2_ppf, poisson_cdf

COUNTS = st.integers(0, 5000)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(COUNTS, COUNTS), min_size=1, max_size=20), st.floats(0.01, 0.99))
def test_binom_sf_is_scipys(rb: list[tuple[int, int]], pi: float) -> None:
    r = np.array([x for x, _ in rb], dtype=np.float64)
    b = np.array([y for _, y in rb], dtype=np.float64)
    ours, theirs = binom_sf(r - 1, r + b, pi), stats.binom.sf(r - 1, r + b, pi)
    assert np.array_equal(ours, theirs)  # bit for bit, the r = 0 (k = -1) and b = 0 (k = n - 1) edges included


def test_binom_sf_edges() -> None:
    k = np.array([-1.0, 0.0, 3.0, 4.0, 5.0, -1.0, 0.0])
    n = np.array([4.0, 4.0, 4.0, 4.0, 4.0, 0.0, 0.0])
    assert np.array_equal(binom_sf(k, n, 0.3), stats.binom.sf(k, n, 0.3))
    assert binom_sf(k, n, 0.3).tolist()[:1] == [1.0] and binom_sf(k, n, 0.3)[3] == 0.0


@settings(max_examples=300, deadline=None)
@given(st.lists(COUNTS, min_size=1, max_size=30), st.floats(0.0, 3000.0))
def test_poisson_cdf_is_scipys(k: list[int], mu: float) -> None:
    ks = np.array(k, dtype=np.float64)
    assert np.array_equal(poisson_cdf(ks, mu), stats.poisson.cdf(ks, mu))


@settings(max_examples=300, deadline=None)
@given(st.floats(1e-4, 1 - 1e-4), st.floats(1e-3, 1e5))
def test_chi2_ppf_is_scipys(q: float, df: float) -> None:
    assert chi2_ppf(q, df) == float(stats.chi2.ppf(q, df))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.floats(0.0, 1.0), st.sampled_from([0.0, 1.0, 0.05, 0.01])), max_size=60))
def test_bh_adjust_is_scipys(p: list[float]) -> None:
    ours = bh_adjust(p)
    if p:
        assert np.array_equal(ours, stats.false_discovery_control(p, method="bh"))
    else:
        assert len(ours) == 0


def test_bh_adjust_by_hand() -> None:
    # ranks 1..4 of 4: 0.01*4/1, 0.02*4/2, 0.03*4/3, 0.5*4/4, then the running minimum from the top
    assert np.allclose(bh_adjust([0.03, 0.5, 0.01, 0.02]), [0.04, 0.5, 0.04, 0.04])
