"""Emerging's overdispersion (quasi-binomial, estimated across months), against references.

Expected results, stated before the code was written:

- the dispersion factor equals the beta-binomial moment estimate around a binomial GLM with intercept, linear and
  quadratic trend and a recent-window step, fitted here independently with scipy's optimiser;
- with a constant month size n and share noise of variance v, the factor's mean is 1 + (n − 1) v / (p (1 − p))
  (the closed form for a beta-binomial month), within 10% over many simulated terms;
- with overdispersed month-to-month noise (month sizes swinging tenfold) and no rise, the binomial test rejects
  far more often than its level (over 20% at 0.05) while the corrected test stays near the level (≤ 7%); without
  noise it stays at or below the level; a real threefold rise in the same noise is still found (≥ 80%);
- a factor of 1 gives exactly the binomial test;
- planted corpus: a term with a constant share but strong month-to-month noise is not listed by ``emerging``;
  the rising terms planted next to it are; its estimated factor is above 2, a plain constant term's below 2.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binom

from conftest import store_with
from uptake.analytics.emerging import dispersion, rise_statistics
from uptake.periods import parse_month
from uptake.synthetic import PlantedTerm, SyntheticCorpus

MONTHS = 18
RECENT = np.array([False] * 12 + [True] * 6)


def _reference_dispersion(y: np.ndarray, n: np.ndarray, recent: np.ndarray) -> float:
    """The beta-binomial variance factor of summed counts around a binomial GLM (intercept, linear and quadratic
    time, recent-window step) fitted by maximising the likelihood with scipy's general-purpose optimiser:
    independent of uptake's IRLS."""
    from scipy.optimize import minimize
    from scipy.special import expit, log_expit

    has = n > 0
    y, n, w = y[has], n[has], recent[has].astype(float)
    t = np.arange(len(has), dtype=float)[has]
    ts = (t - t.mean()) / max(t.std(), 1.0)
    x = np.column_stack([np.ones(len(n)), ts, ts**2, w])

    def nll(beta: np.ndarray) -> float:
        eta = x @ beta
        return float(-np.sum(y * log_expit(eta) + (n - y) * log_expit(-eta)))

    share = y.sum() / n.sum()
    fit = minimize(nll, np.array([np.log(share / (1 - share)), 0.0, 0.0, 0.0]), method="BFGS",
                   options={"gtol": 1e-10, "maxiter": 10_000})
    mu = n * expit(x @ fit.x)
    # beta-binomial moments: E (y - mu)^2 = n p (1 - p) (1 + (n - 1) rho), residuals scaled by k / (k - 4)
    b = mu * (1 - mu / n)
    rho = max(0.0, (np.sum((y - mu) ** 2) * len(n) / (len(n) - 4) - b.sum()) / np.sum(b * (n - 1)))
    return max(1.0, float(np.sum(b * (1 + (n - 1) * rho)) / b.sum()))


def test_dispersion_is_the_beta_binomial_moment_estimate_around_the_glm() -> None:
    rng = np.random.default_rng(1)
    for _ in range(30):
        n = rng.integers(0, 400, size=MONTHS).astype(float)
        n[rng.integers(0, MONTHS)] = 0.0  # an empty month is skipped
        share = rng.uniform(0.01, 0.2) * rng.gamma(2.0, 0.5, size=MONTHS)
        y = rng.binomial(n.astype(int), np.minimum(share, 1.0)).astype(float)
        got = dispersion(y[None, :], n, RECENT, pool=False)[0]
        assert got == pytest.approx(_reference_dispersion(y, n, RECENT), rel=1e-4)
    assert dispersion(np.zeros((1, MONTHS)), np.full(MONTHS, 100.0), RECENT)[0] == 1.0
    assert dispersion(np.ones((1, 4)), np.full(4, 100.0), RECENT[-4:])[0] == 1.0  # too few months


def _beta_shares(rng: np.random.Generator, p: float, v: float, size: tuple[int, ...]) -> np.ndarray:
    """Shares with mean p and variance v (beta distribution)."""
    k = p * (1 - p) / v - 1
    return rng.beta(p * k, (1 - p) * k, size=size)


def test_dispersion_matches_the_beta_binomial_closed_form() -> None:
    rng = np.random.default_rng(2)
    n, p, want = 4000, 0.01, 5.0
    v = (want - 1) * p * (1 - p) / (n - 1)
    shares = _beta_shares(rng, p, v, (3000, MONTHS))
    y = rng.binomial(n, shares)
    phi = dispersion(y, np.full(MONTHS, float(n)), RECENT, pool=False)
    assert np.mean(phi) == pytest.approx(want, rel=0.10)
    pooled = dispersion(y, np.full(MONTHS, float(n)), RECENT)
    assert np.median(pooled) == pytest.approx(np.median(phi), rel=0.10) and np.std(pooled) < np.std(phi)


def _rates(noise_cv: float, rise: float, terms: int = 4000, seed: int = 3) -> tuple[float, float]:
    """(binomial, quasi-binomial) rejection rates at 0.05 for ``terms`` simulated terms."""
    rng = np.random.default_rng(seed)
    n = rng.integers(3000, 30000, size=MONTHS).astype(float)  # month sizes swing tenfold
    p = 0.003 * np.where(RECENT, rise, 1.0)
    mult = rng.gamma(1 / noise_cv**2, noise_cv**2, size=(terms, MONTHS)) if noise_cv > 0 else np.ones((terms, MONTHS))
    y = rng.binomial(n.astype(np.int64), np.minimum(p * mult, 1.0)).astype(float)
    r, b = y[:, RECENT].sum(axis=1), y[:, ~RECENT].sum(axis=1)
    nr, nb = n[RECENT].sum(), n[~RECENT].sum()
    _, _, p_bin = rise_statistics(r, b, nr, nb)
    _, _, p_quasi = rise_statistics(r, b, nr, nb, dispersion=dispersion(y, n, RECENT))
    return float(np.mean(p_bin < 0.05)), float(np.mean(p_quasi < 0.05))


def test_false_positive_rate_with_planted_overdispersion() -> None:
    binomial, quasi = _rates(noise_cv=0.5, rise=1.0)
    assert binomial > 0.20  # the exchangeable-papers test is fooled by noisy months
    assert quasi <= 0.07


def test_no_overdispersion_keeps_the_level_and_a_real_rise_is_found() -> None:
    _, quasi = _rates(noise_cv=0.0, rise=1.0)
    assert quasi <= 0.055
    _, power = _rates(noise_cv=0.5, rise=3.0, terms=1000)
    assert power >= 0.8


def test_factor_one_is_the_exact_binomial_test() -> None:
    r, b = np.array([0.0, 3, 17, 40]), np.array([5.0, 2, 9, 80])
    _, _, p = rise_statistics(r, b, 1000, 3000, dispersion=np.ones(4))
    assert np.allclose(p, binom.sf(r - 1, r + b, 0.25), rtol=1e-10, atol=1e-15)


# -- planted corpus ----------------------------------------------------------------------------------
PLANTED = (
    PlantedTerm("QXRT", ("QXRT",), "logistic", K=0.012, r=0.6, t0="2025-11", onset="2025-05"),
    PlantedTerm("glorpification", ("glorpification",), "logistic", K=0.01, r=0.5, t0="2025-12", onset="2025-05"),
    PlantedTerm("wobbleterm", ("wobbleterm",), "constant", K=0.01, onset="2024-01", dispersion=0.6),
    PlantedTerm("steadyterm", ("steadyterm",), "constant", K=0.01, onset="2024-01"),
)


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    synth = SyntheticCorpus(n_papers=30_000, start="2024-07", end="2026-06", seed=21, planted=PLANTED,
                            vocabulary_size=20_000, sentence_pool=5_000)
    corpus = store_with(tmp_path_factory.mktemp("overdispersed") / "o.duckdb", synth.papers())
    return corpus, synth


def test_noisy_constant_term_is_not_listed(planted) -> None:  # type: ignore[no-untyped-def]
    corpus, synth = planted
    rep = corpus.emerging(recent="2026-01:2026-05", baseline="2025-01:2025-12", top=20)
    listed = {t.term for t in rep.terms}
    assert {"QXRT", "glorpification"} <= listed
    assert "wobbleterm" not in listed and "steadyterm" not in listed
    months = list(range(parse_month("2025-01"), parse_month("2026-05") + 1))
    recent = np.array([m >= parse_month("2026-01") for m in months])
    n = np.array([synth.monthly[m] for m in months], dtype=float)
    phi = {name: dispersion(np.array([[synth.truth[name].get(m, 0) for m in months]], dtype=float), n, recent)[0]
           for name in ("wobbleterm", "steadyterm")}
    assert phi["wobbleterm"] > 2 > phi["steadyterm"]
    assert all(t.dispersion >= 1 for t in rep.terms)
