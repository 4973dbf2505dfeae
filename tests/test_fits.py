"""Fits that say when they don't fit, computed only inside covered spans (issue 11). Planted corpora and
series; the expected results, written before the code:

- **a category entering mid-way** (synthetic, cs.CV's primary papers enter in 2025-03; cross-lists to it were
  there before): a term living only in cs.CV since 2020 is introduced "2025-03", left-censored, with no months to 100 papers, no take-off, no Bass and no speed
  rank; a term born in cs.CL in 2024-06 is introduced within a month of 2024-06, is ranked, and its
  fits that span 2025-03 say that cs.CV enters the corpus then;
- **a harvest starting in a given month** (the synthetic corpus starts in 2022-01): a term used since 2018 is
  left-censored at 2022-01; and `--from` after a term's onset censors it the same way;
- **a term born before the corpus begins**: as above: never an introduction, never ranked;
- **a partial last month**: growth, its window and every fit are the same with or without it; a growth fit
  needs 6 complete months, also at the end of the data;
- **a logistic that doesn't fit** (a share that rises and falls): the lack-of-fit check fails, K and t0
  are not identified (no value, no bound); a midpoint more than 3 months before the data is not identified;
- **a profile that never crosses** (Bass on pure early growth; a logistic whose ceiling is free): the side is
  "unbounded" in the text and in JSON's ``ci95_status``, never a number from a failed optimiser;
- **Bass with corpus volume as exposure**: a planted diffusion in a corpus whose volume jumps fivefold mid-way
  is recovered (p, q within 25%, peak within a month); fitted to raw counts it would follow the jump;
- **Kleinberg near 100%**: a share going from 98.7% to 99.4% gives no burst, and says why.

Reference checks: the runs test against a permutation Monte Carlo of the same signs, the recent-end test
against ``scipy.stats.ttest_1samp``, a logistic profile interval against a brute-force profile on a grid.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from uptake.analytics import adoption as A
from uptake.analytics.adoption.fits import lack_of_fit
from uptake.analytics.trends import Point, TrendSeries
from uptake.periods import month_label, parse_month
from uptake.synthetic import PlantedTerm, SyntheticCorpus

from conftest import store_with


def _series(counts: list[float] | np.ndarray, totals: list[float] | np.ndarray, start: str = "2022-01",
            complete: list[bool] | None = None, label: str = "x") -> TrendSeries:
    m0 = parse_month(start)
    pts = []
    for i, (c, t) in enumerate(zip(counts, totals, strict=True)):
        pts.append(Point(period=month_label(m0 + i), count=int(c), total=int(t), share=c / t if t else None,
                         complete=True if complete is None else complete[i]))
    return TrendSeries(label=label, points=tuple(pts))


# -- a planted corpus: cs.CV enters in 2025-03, the harvest starts in 2022-01, the last month is partial -----
PLANTED = (
    PlantedTerm("visiontok", ("VISIONTOK",), "constant", K=0.05, onset="2020-01", categories=("cs.CV",)),
    PlantedTerm("realtok", ("REALTOK",), "logistic", K=0.1, r=0.5, t0="2024-09", onset="2024-06",
                categories=("cs.CL",)),
    PlantedTerm("oldtok", ("OLDTOK",), "constant", K=0.01, onset="2018-01", categories=("cs",)),
)


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    synth = SyntheticCorpus(n_papers=60_000, start="2022-01", end="2026-06", end_day=14, seed=11, planted=PLANTED,
                            vocabulary_size=3_000, sentence_pool=500, category_start={"cs.CV": "2025-03"})
    corpus = store_with(tmp_path_factory.mktemp("fits") / "planted.duckdb", synth.papers())
    return corpus, synth


@pytest.fixture(scope="module")
def report(planted):  # type: ignore[no-untyped-def]
    corpus, _ = planted
    return corpus.adoption("visiontok, realtok, oldtok", with_senses=False)


def test_the_generator_plants_a_category_entering(planted) -> None:  # type: ignore[no-untyped-def]
    corpus, synth = planted
    cov = corpus.coverage()
    assert cov.spans["cs.CV"].start == parse_month("2025-03")
    before, after = (synth.truth["visiontok"].get(parse_month(m), 0) for m in ("2025-02", "2025-03"))
    assert before < after / 2  # before cs.CV enters, only papers cross-listed in it can hold the term
    jump = synth.monthly[parse_month("2025-03")] / synth.monthly[parse_month("2025-02")]
    assert jump > 1.1  # the month holds the entering category's papers too


def test_a_term_inside_an_entering_category_is_left_censored(report) -> None:  # type: ignore[no-untyped-def]
    vision = report.series[0]
    assert vision.introduction == "2025-03" and vision.left_censored
    assert vision.coverage["span"][0] == "2025-03"
    m = vision.milestones
    assert m.left_censored and m.months_to_100 is None and m.months_to_share_1pct is None
    assert vision.growth is None and vision.bass is None
    row = next(r for r in report.ranking if r.label == "visiontok")
    assert row.rank is None and row.caveat.startswith("not ranked")
    assert any(n.startswith("visiontok: the introduction 2025-03") and "left-censored" in n
               for n in report.filters["coverage"])


def test_a_term_born_inside_the_corpus_is_ranked_and_its_coverage_changes_named(report) -> None:  # type: ignore[no-untyped-def]
    real = report.series[1]
    assert not real.left_censored
    assert abs(parse_month(real.introduction) - parse_month("2024-06")) <= 1
    ranked = [r for r in report.ranking if r.rank is not None]
    assert [r.label for r in ranked] == ["realtok"] and ranked[0].rank == 1
    # cs.CV enters in 2025-03 with a tenth or more of the month's papers: the share's denominator changes
    assert any(c["month"] == "2025-03" and "cs.CV enters the corpus" in c["what"] for c in real.coverage["changes"])
    assert any("spans a coverage change" in c and "2025-03" in c for c in real.coverage_caveats)
    d = report.as_dict()
    assert d["series"][1]["coverage_caveats"] == list(real.coverage_caveats)
    json.dumps(d)


def test_a_term_older_than_the_harvest_is_left_censored(report) -> None:  # type: ignore[no-untyped-def]
    old = report.series[2]
    assert old.introduction == "2022-01" and old.left_censored
    assert old.milestones.months_to_10 is None
    assert next(r for r in report.ranking if r.label == "oldtok").rank is None


def test_from_after_the_onset_censors_too(planted) -> None:  # type: ignore[no-untyped-def]
    corpus, _ = planted
    rep = corpus.adoption("realtok", start="2025-09", with_senses=False, fits=False)
    a = rep.series[0]
    assert a.introduction == "2025-09" and a.left_censored and a.milestones.months_to_100 is None


def test_the_partial_last_month_enters_nothing(planted, report) -> None:  # type: ignore[no-untyped-def]
    corpus, _ = planted
    cut = corpus.adoption("visiontok, realtok, oldtok", end="2026-05", with_senses=False)
    for a, b in zip(report.series, cut.series, strict=True):
        assert (a.growth is None) == (b.growth is None)
        if a.growth is not None:
            assert a.growth.window == b.growth.window
            assert a.growth.doubling_months.value == pytest.approx(b.growth.doubling_months.value, rel=1e-9)
        for fa, fb in ((a.logistic, b.logistic), (a.bass, b.bass)):
            assert (fa is None) == (fb is None)
            if fa is not None:
                assert fa.window == fb.window and fa.window[1] == "2026-05"


# -- pure series -----------------------------------------------------------------------------------------------
def test_growth_ignores_an_incomplete_month_even_as_a_neighbour() -> None:
    rng = np.random.default_rng(2)
    months = 20
    totals = np.full(months, 5_000)
    share = 0.002 * np.exp(0.15 * np.arange(months))
    counts = np.append(np.zeros(6), rng.poisson(totals * np.minimum(share, 0.03))).astype(float)
    totals = np.append(np.full(6, 5_000), totals)  # six empty months first: the onset is not the range's start
    partial = np.append(counts, 40), np.append(totals, 300)  # a 300-paper partial month at 13% share
    with_partial = A.analyze_series(_series(*partial, complete=[True] * (months + 6) + [False]), fits=False)
    without = A.analyze_series(_series(counts, totals), fits=False)
    assert with_partial.growth is not None and without.growth is not None
    assert with_partial.growth.window == without.growth.window
    assert with_partial.growth.doubling_months.value == without.growth.doubling_months.value


def test_growth_needs_six_complete_months_also_at_the_end() -> None:
    counts = [0, 0, 0, 0, 0, 0, 0, 0, 3, 6, 12, 25, 50]
    totals = [1000] * 13
    a = A.analyze_series(_series(counts, totals, complete=[True] * 12 + [False]), fits=False)
    assert a.introduction == "2022-09"  # 3, 6, 12
    assert a.growth is None  # 4 complete months since: 2022-09..2022-12
    assert any("no take-off window" in n and "6 needed" in n for n in a.notes)
    assert A.growth(A.MonthlySeries.from_trend_series(_series(counts, totals)), 8) is None  # 5 < 6


def test_a_logistic_that_does_not_fit_is_not_identified() -> None:
    rng = np.random.default_rng(4)
    t = np.arange(48)
    totals = np.full(48, 20_000)
    share = 0.002 + 0.02 * np.exp(-(((t - 24) / 8.0) ** 2))  # rises and falls: no logistic does that
    counts = rng.binomial(totals, share)
    a = A.analyze_series(_series(counts, totals))
    fit = a.logistic
    assert fit is not None and not fit.identifiable
    assert fit.lack_of_fit is not None and fit.lack_of_fit.fails
    assert "lack of fit" in fit.reasons
    assert fit.K.value is None and fit.K.low is None and not fit.K.lower_bound
    assert fit.t0_label() == "not identified"
    d = fit.as_dict()
    assert d["lack_of_fit"]["fails"] is True and "lack of fit" in d["not_identified_because"]


def test_a_midpoint_before_the_data_is_not_identified() -> None:
    rng = np.random.default_rng(6)
    t = np.arange(30)
    totals = np.full(30, 20_000)
    share = 0.02 / (1 + np.exp(-0.25 * (t + 9)))  # midpoint 9 months before the first month
    counts = rng.binomial(totals, share)
    fit = A.fit_logistic(A.MonthlySeries.from_trend_series(_series(counts, totals)), 0)
    assert fit is not None and not fit.identifiable
    assert fit.t0.value is None
    assert fit.t0_label() in ("not identified",) or fit.t0_label().startswith("after ")
    if fit.t0.lower_bound:  # a bound is the profile's limit, never the point estimate dressed as one
        assert fit.t0.low is not None


def test_a_profile_that_never_crosses_is_unbounded() -> None:
    # Pure early exponential growth: Bass' p can go to zero (and m up) without the fit getting worse.
    rng = np.random.default_rng(8)
    t = np.arange(14)
    totals = np.full(14, 10_000)
    counts = rng.poisson(4 * 1.3 ** t)
    fit = A.fit_bass(A.MonthlySeries.from_trend_series(_series(counts, totals)), 0)
    assert fit is not None and not fit.identifiable and fit.m.lower_bound
    assert fit.p.status()[0] == "unbounded" and fit.p.low is None
    assert "unbounded" in fit.p.text()
    d = fit.as_dict()
    assert d["p"]["ci95"][0] is None and d["p"]["ci95_status"][0] == "unbounded"
    assert d["m"]["ci95_status"][1] in ("unbounded", "not computed")


def test_json_tells_unbounded_from_not_computed() -> None:
    e = A.Estimate(2.0, 1.0, math.inf)
    assert e.as_dict()["ci95_status"] == ["bounded", "unbounded"]
    assert A.Estimate(2.0, None, None).as_dict()["ci95_status"] == ["not computed", "not computed"]
    assert A.Estimate(2.0, None, 3.0, low_unbounded=True).as_dict()["ci95_status"] == ["unbounded", "bounded"]
    assert A.Estimate(2.0, None, 3.0, low_unbounded=True).text() == "2 [unbounded, 3]"


def test_bass_with_volume_as_exposure_does_not_follow_the_corpus_volume() -> None:
    rng = np.random.default_rng(10)
    months = 40
    t = np.arange(1, months + 1)
    totals = np.where(t <= 15, 2_000, 10_000)  # the corpus' volume jumps fivefold in month 16
    p, q, m = 0.01, 0.3, 3_000.0
    w = totals / totals.mean()
    counts = rng.poisson(A.bass_expected(t.astype(float), p, q, m) * w)
    fit = A.fit_bass(A.MonthlySeries.from_trend_series(_series(counts, totals)), 0)
    assert fit is not None and fit.identifiable
    assert fit.p.value == pytest.approx(p, rel=0.25) and fit.q.value == pytest.approx(q, rel=0.25)
    assert fit.m.value == pytest.approx(m, rel=0.15)
    planted_peak = math.ceil(math.log(q / p) / (p + q)) - 1  # month index of the planted peak
    assert abs(parse_month(fit.peak) - (parse_month("2022-01") + planted_peak)) <= 1
    assert fit.reference_volume == pytest.approx(float(totals.mean()))


def test_kleinberg_is_not_run_on_a_share_near_one() -> None:
    n = 30
    totals = np.full(n, 50_000)
    share = np.where(np.arange(n) < 10, 0.987, 0.994)
    counts = np.round(totals * share)
    a = A.analyze_series(_series(counts, totals), fits=False)
    assert a.bursts == ()
    assert a.bursts_note is not None and a.bursts_note.startswith("not computed") and "50%" in a.bursts_note
    assert a.as_dict()["bursts_note"] == a.bursts_note


# -- reference checks ---------------------------------------------------------------------------------------------
def test_runs_test_moments_match_a_permutation_monte_carlo() -> None:
    rng = np.random.default_rng(12)
    e = rng.normal(size=40) + np.where(np.arange(40) < 20, 0.8, -0.8)  # two long runs
    res = lack_of_fit(e + 100.0, np.full(40, 100.0), np.ones(40))
    signs = np.sign(e)
    sims = []
    for _ in range(20_000):
        s = rng.permutation(signs)
        sims.append(1 + np.count_nonzero(np.diff(s)))
    assert res.runs == 1 + np.count_nonzero(np.diff(signs))
    assert res.runs_expected == pytest.approx(np.mean(sims), rel=0.01)
    # the z statistic uses the exact permutation variance
    var = ((res.runs - res.runs_expected) / res.runs_z) ** 2
    assert var == pytest.approx(np.var(sims), rel=0.05)
    assert res.fails and res.runs_p_value < 0.01


def test_recent_end_test_is_scipy_ttest() -> None:
    from scipy.stats import ttest_1samp

    rng = np.random.default_rng(13)
    e = rng.normal(size=30)
    e[-12:] += 0.9
    res = lack_of_fit(e + 100.0, np.full(30, 100.0), np.ones(30))
    ref = ttest_1samp(e[-12:], 0.0)
    assert res.recent_t == pytest.approx(float(ref.statistic), rel=1e-12)
    assert res.recent_p_value == pytest.approx(float(ref.pvalue), rel=1e-9)


def test_logistic_k_interval_matches_a_brute_force_profile() -> None:
    from scipy.optimize import minimize

    rng = np.random.default_rng(14)
    t = np.arange(36)
    totals = np.full(36, 8_000)
    counts = rng.binomial(totals, 0.015 / (1 + np.exp(-0.3 * (t - 15))))
    ms = A.MonthlySeries.from_trend_series(_series(counts, totals))
    fit = A.fit_logistic(ms, 0)
    assert fit is not None and fit.identifiable

    def nll(K: float, r: float, t0: float) -> float:
        pr = np.clip(A.logistic_share(t.astype(float), K, r, t0), 1e-300, 1 - 1e-12)
        return float(-(counts * np.log(pr) + (totals - counts) * np.log1p(-pr)).sum())

    best = min(minimize(lambda z: nll(z[0], math.exp(z[1]), z[2]), [0.015, math.log(r0), 15.0],
                        method="Nelder-Mead", options={"xatol": 1e-9, "fatol": 1e-10, "maxiter": 20_000}).fun
               for r0 in (0.2, 0.4))
    thr = A.CHI2_95 * fit.dispersion

    def profile(K: float) -> float:
        return min(minimize(lambda z: nll(K, math.exp(z[0]), z[1]), [math.log(r0), t1], method="Nelder-Mead",
                            options={"xatol": 1e-9, "fatol": 1e-10, "maxiter": 20_000}).fun
                   for r0 in (0.2, 0.4) for t1 in (12.0, 18.0))

    grid = np.linspace(fit.K.value * 0.85, fit.K.value * 1.15, 61)
    inside = [K for K in grid if 2 * (profile(K) - best) <= thr]
    step = grid[1] - grid[0]
    assert abs(min(inside) - fit.K.low) <= step and abs(max(inside) - fit.K.high) <= step


def test_module_doctests() -> None:
    import doctest

    from uptake.analytics.adoption import spans

    result = doctest.testmod(spans)
    assert result.failed == 0 and result.attempted > 0
