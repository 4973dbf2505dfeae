"""Adoption analytics against ground truth planted by construction (uptake.synthetic) and hand-computed values.

Tolerances (stated once): with ~3,500 papers a month, a planted logistic curve is recovered with K within
10%, r within 25% and t0 within 1.5 months; a planted Bass curve with p within 25%, q within 15% and m within
10% of the planted market; and the 95% profile intervals cover the planted values. A planted burst's start
is found within one month.
"""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest

from uptake.analytics import adoption as A
from uptake.periods import month_label, parse_month
from uptake.synthetic import FULL_SIZE, PlantedTerm, SyntheticCorpus
from uptake.analytics.trends import CorpusInfo, Point, TrendSeries, build_trend

N = 300_000
PLANTED = (
    PlantedTerm("zeta", ("ZETA",), "logistic", K=0.02, r=0.25, t0="2023-06", onset="2021-01"),
    PlantedTerm("bassy", ("BASSY",), "bass", p=0.01, q=0.35, m=28_000, onset="2022-01", volume_reference=30_000),
    PlantedTerm("bursty", ("BURSTY",), "constant", K=0.01, onset="2020-01", burst=("2024-05", "2024-07", 2.5)),
)
BASS_M = 28_000 * N / FULL_SIZE  # the market as planted for this corpus size, at 30,000 * N / FULL_SIZE papers a month


def planted_m(synth: SyntheticCorpus, window: tuple[str, str]) -> float:
    """The planted market restated at the fit's reference volume (the window's mean papers a month)."""
    months = range(parse_month(window[0]), parse_month(window[1]) + 1)
    return BASS_M * float(np.mean([synth.monthly[m] for m in months])) / (30_000 * N / FULL_SIZE)


@pytest.fixture(scope="module")
def synth() -> SyntheticCorpus:
    s = SyntheticCorpus(n_papers=N, start="2019-01", end="2026-06", seed=5, planted=PLANTED,
                        vocabulary_size=5_000, sentence_pool=1_000)
    for _ in s.papers():
        pass
    return s


def series_of(synth: SyntheticCorpus, name: str, end: str = "2026-05") -> TrendSeries:
    lo, hi = parse_month("2019-01"), parse_month(end)
    trend = build_trend(query=name, labels=[name], counts=[synth.truth[name]], totals=[synth.monthly],
                        start_month=lo, end_month=hi, corpus=CorpusInfo(N, None, None), corpus_last_date=None)
    return trend.series[0]


def test_logistic_recovers_planted_k_r_t0(synth: SyntheticCorpus) -> None:
    a = A.analyze_series(series_of(synth, "zeta"))
    fit = a.logistic
    assert fit is not None and fit.identifiable
    assert fit.K.value == pytest.approx(0.02, rel=0.10)
    assert fit.r.value == pytest.approx(0.25, rel=0.25)
    assert abs(fit.t0.value - parse_month("2023-06")) <= 1.5
    assert fit.K.low <= 0.02 <= fit.K.high
    assert fit.r.low <= 0.25 <= fit.r.high
    assert fit.t0.low <= parse_month("2023-06") <= fit.t0.high
    assert fit.t0_label() == "2023-06"
    assert fit.lack_of_fit is not None and not fit.lack_of_fit.fails and fit.reasons == ()


def test_bass_recovers_planted_p_q_m(synth: SyntheticCorpus) -> None:
    a = A.analyze_series(series_of(synth, "bassy"))
    fit = a.bass
    assert fit is not None and fit.identifiable
    assert fit.p.value == pytest.approx(0.01, rel=0.25)
    assert fit.q.value == pytest.approx(0.35, rel=0.15)
    m_true = planted_m(synth, fit.window)
    assert fit.m.value == pytest.approx(m_true, rel=0.10)
    assert fit.p.low <= 0.01 <= fit.p.high
    assert fit.m.low <= m_true <= fit.m.high
    assert fit.lack_of_fit is not None and not fit.lack_of_fit.fails
    # the planted peak: ln(q/p)/(p+q) = 9.9 months after onset, i.e. in month 10 (2022-10)
    assert abs(parse_month(fit.peak) - parse_month("2022-10")) <= 1


@pytest.mark.parametrize("cut", ["2022-12", "2023-03"])
def test_logistic_cut_before_inflection_is_a_lower_bound(synth: SyntheticCorpus, cut: str) -> None:
    a = A.analyze_series(series_of(synth, "zeta", end=cut))
    fit = a.logistic
    assert fit is not None
    assert not fit.identifiable
    assert fit.K.value is None and fit.K.lower_bound
    assert fit.K.low is not None and fit.K.low <= 0.02  # a true lower bound
    assert fit.K.text().startswith("≥ ")
    assert fit.t0.value is None
    assert "not identifiable" in fit.note


def test_bass_cut_before_peak_is_a_lower_bound(synth: SyntheticCorpus) -> None:
    a = A.analyze_series(series_of(synth, "bassy", end="2022-06"))
    fit = a.bass
    assert fit is not None and not fit.identifiable
    assert fit.m.value is None and fit.m.lower_bound
    assert fit.m.low <= planted_m(synth, fit.window)
    assert fit.peak is None


def test_planted_burst_start_within_one_month(synth: SyntheticCorpus) -> None:
    a = A.analyze_series(series_of(synth, "bursty"))
    assert len(a.bursts) >= 1
    strongest = max(a.bursts, key=lambda b: b.weight)
    assert abs(parse_month(strongest.start) - parse_month("2024-05")) <= 1
    assert abs(parse_month(strongest.end) - parse_month("2024-07")) <= 1
    assert all(b.weight <= strongest.weight / 4 for b in a.bursts if b is not strongest)


# -- Kleinberg: exactness against brute force, and arXiv-scale batches ------------------------------------
def brute_force_states(r: list[int], d: list[int], s: float = 2.0, gamma: float = 1.0) -> tuple[int, ...]:
    """Enumerate every state sequence; cost uses the full binomial pmf (fine for small batches)."""
    n = len(r)
    p0 = sum(r) / sum(d)
    p1 = min(s * p0, 0.5 * (1 + p0))
    tau = gamma * math.log(n)

    def nll(k: int, m: int, p: float) -> float:
        return -math.log(math.comb(m, k) * p**k * (1 - p) ** (m - k))

    best, best_seq = math.inf, None
    for seq in itertools.product((0, 1), repeat=n):
        cost, prev = 0.0, 0
        for i, st in enumerate(seq):
            if st > prev:
                cost += tau
            cost += nll(r[i], d[i], p1 if st else p0)
            prev = st
        if cost < best - 1e-12:
            best, best_seq = cost, seq
    assert best_seq is not None
    return best_seq


@pytest.mark.parametrize("seed", range(6))
def test_kleinberg_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 9
    d = rng.integers(40, 120, size=n).tolist()
    rate = np.full(n, 0.05)
    a = int(rng.integers(1, 5))
    rate[a : a + 3] = 0.15
    r = [int(rng.binomial(dd, pp)) for dd, pp in zip(d, rate)]
    states, _, _ = A.kleinberg_states(r, d)
    assert tuple(int(x) for x in states) == brute_force_states(r, d)


@pytest.mark.parametrize("batch", [150_000, 10_000_000])
def test_kleinberg_is_safe_with_huge_batches(batch: int) -> None:
    # A naive implementation computes binomial(d, r) p^r (1-p)^(d-r): at these sizes that overflows or underflows.
    with pytest.raises(OverflowError):
        float(math.comb(batch, batch // 100))
    rng = np.random.default_rng(1)
    n = 60
    d = np.full(n, batch)
    rate = np.full(n, 0.01)
    rate[20:25] = 0.03
    r = rng.binomial(d, rate)
    states, c0, c1 = A.kleinberg_states(r, d)
    assert np.all(np.isfinite(c0)) and np.all(np.isfinite(c1))
    found = A.kleinberg_bursts(r, d)
    assert [(a, b) for a, b, _ in found] == [(20, 24)]
    assert math.isfinite(found[0][2]) and found[0][2] > 0


def test_kleinberg_rejects_bad_input() -> None:
    from uptake.errors import UsageError

    with pytest.raises(UsageError):
        A.kleinberg_states([5, 1], [3, 4])
    with pytest.raises(UsageError):
        A.kleinberg_states([1], [3, 4])
    states, _, _ = A.kleinberg_states([0, 0, 0], [10, 10, 10])
    assert states.tolist() == [0, 0, 0]


# -- Mann-Kendall, onset, milestones, growth --------------------------------------------------------------
def test_mann_kendall_hand_values() -> None:
    s, z, p, slope, direction = A.mann_kendall([1, 2, 3, 4, 5])
    # S = 10, Var = 5*4*15/18, Z = (10 - 1)/sqrt(Var)
    assert s == 10
    assert z == pytest.approx(9 / math.sqrt(50 / 3))
    assert p == pytest.approx(0.02745, abs=2e-4)
    assert slope == 1.0 and direction == "rising"
    s, z, p, slope, direction = A.mann_kendall([1, 1, 2])
    # one tie group of 2: Var = (3*2*11 - 2*1*9)/18 = 8/3
    assert s == 2 and z == pytest.approx(1 / math.sqrt(8 / 3))
    assert direction == "flat"
    s, *_rest, direction = A.mann_kendall([5, 4, 3, 2, 1, 0, -1, -2])
    assert s == -28 and direction == "falling"


def test_sustained_onset_rule() -> None:
    assert A.sustained_onset([1, 0, 0, 1, 1, 0, 2, 2, 1, 5]) == 6  # 2+2+1 = 5 in three months each >= 1
    assert A.sustained_onset([1, 1, 1, 0, 3, 3, 3]) == 4  # 1+1+1 = 3 is not enough
    assert A.sustained_onset([0, 4, 0, 4, 0]) is None


def _series(counts: list[int], totals: list[int], start: str = "2024-01", complete: list[bool] | None = None
            ) -> TrendSeries:
    m0 = parse_month(start)
    pts = []
    for i, (c, t) in enumerate(zip(counts, totals)):
        pts.append(Point(period=month_label(m0 + i), count=c, total=t, share=c / t if t else None,
                         complete=True if complete is None else complete[i]))
    return TrendSeries(label="x", points=tuple(pts))


def test_milestones_hand_counted() -> None:
    counts = [0, 1, 0, 2, 3, 6, 20, 80, 400, 700, 50]
    totals = [1000] * 10 + [1000]
    a = A.analyze_series(_series(counts, totals, complete=[True] * 10 + [False]), fits=False)
    assert a.introduction == "2024-04"  # 2, 3, 6: three months, each >= 1, 11 together
    assert a.introduction_rule == "sustained onset"
    assert a.matches_before_introduction == 1
    m = a.milestones
    assert m is not None
    # cumulative from 2024-04: 2, 5, 11, 31, 111, 511, 1211
    assert (m.months_to_10, m.months_to_100, m.months_to_1000) == (2, 4, 6)
    assert m.months_to_share_0_1pct == 0 and m.months_to_share_1pct == 3  # 20/1000 = 2% at 2024-07
    assert m.peak_share == 0.7 and m.peak_month == "2024-10"  # the incomplete 2024-11 is not a peak candidate
    assert m.latest_month == "2024-10"
    assert m.latest_share_ci95[0] < 0.7 < m.latest_share_ci95[1]


def test_introduced_overrides_onset_and_counts_matches_before() -> None:
    counts = [3, 0, 0, 2, 3, 6, 20]
    a = A.analyze_series(_series(counts, [1000] * 7), introduced=parse_month("2024-06"), fits=False)
    assert a.introduction == "2024-06" and a.introduction_rule == "given"
    assert a.matches_before_introduction == 3 + 2 + 3
    assert a.milestones.months_to_10 == 1  # 6, then 26


def test_growth_recovers_planted_doubling_time() -> None:
    rng = np.random.default_rng(3)
    months = 14
    totals = (20_000 * 1.02 ** np.arange(months)).astype(int)  # the corpus grows too; share growth must ignore it
    share = 1e-4 * np.exp(0.1 * np.arange(months))
    counts = rng.poisson(totals * share)
    g = A.growth(A.MonthlySeries.from_trend_series(_series(counts.tolist(), totals.tolist())), 0, end=months - 1)
    assert g is not None
    truth = math.log(2) / 0.1
    assert g.doubling_months.value == pytest.approx(truth, rel=0.15)
    assert g.doubling_months.low <= truth <= g.doubling_months.high
    assert g.rate.low <= 0.1 <= g.rate.high


def test_substitution_shares_sum_to_one() -> None:
    lo = parse_month("2025-01")
    trend = build_trend(query="a, b", labels=["a", "b"], counts=[{lo: 3, lo + 1: 0}, {lo: 1, lo + 1: 0}],
                        totals=[{lo: 100, lo + 1: 100}] * 2, start_month=lo, end_month=lo + 1,
                        corpus=CorpusInfo(200, None, None), corpus_last_date=None)
    sub = A.substitution(trend)
    p = sub.points[0]
    assert p.family_total == 4 and p.shares == (0.75, 0.25)
    assert all(lo_ <= s <= hi for lo_, s, hi in zip(p.lows, p.shares, p.highs))
    assert sub.points[1].shares == (None, None)


def test_ranking_orders_by_months_to_100_then_doubling(synth: SyntheticCorpus) -> None:
    res = [A.analyze_series(series_of(synth, n), fits=False) for n in ("zeta", "bassy", "bursty")]
    ranking = A.rank_by_speed(res)
    keys = [(r.months_to_100 if r.months_to_100 is not None else math.inf) for r in ranking]
    assert keys == sorted(keys)
    assert ranking[0].label == "bassy"  # 10% of a 3,000-paper market adopts in the first months


def test_monthly_granularity_required(synth: SyntheticCorpus) -> None:
    from uptake.errors import UsageError

    lo, hi = parse_month("2024-01"), parse_month("2024-12")
    t = build_trend(query="x", labels=["x"], counts=[{}], totals=[synth.monthly], start_month=lo, end_month=hi,
                    corpus=CorpusInfo(1, None, None), corpus_last_date=None, by="quarter")
    with pytest.raises(UsageError):
        A.analyze_trend(t)


# -- through a store and the CLI ----------------------------------------------------------------------------
def test_adoption_on_store_first_mention_is_the_earliest_paper(synthetic_corpus) -> None:  # type: ignore[no-untyped-def]
    from uptake.text import tokens

    corpus, synth = synthetic_corpus
    report = corpus.adoption("GRPO, DPO")
    earliest = None
    n = 0
    for p in synth.papers():
        if "grpo" in tokens(p.title) or "grpo" in tokens(p.abstract):
            n += 1
            if earliest is None or (p.published, p.id) < earliest:
                earliest = (p.published, p.id)
    g = report.series[0]
    assert g.total_matches == n == sum(synth.truth["GRPO"].values())
    assert g.first_mention["id"] == earliest[1] and g.first_mention["date"] == earliest[0].isoformat()
    assert g.senses is not None and g.senses["variants"][0]["form"] == "GRPO"
    assert g.senses["expansion"] == "group relative policy optimization"
    assert report.substitution is not None and [r.label for r in report.ranking] != []
    d = report.as_dict()
    json.dumps(d)  # everything serialisable
    assert d["rules"]["introduction"].startswith("--introduced")
    assert d["trend"][0]["points"][0]["share_ci95"] is not None


def test_cli_adoption_formats_and_figures(synthetic_corpus, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    from uptake.cli import main

    corpus, _ = synthetic_corpus
    db = str(corpus.path)
    assert main(["adoption", "GRPO, DPO, PPO", "--db", db, "--format", "json", "--no-senses",
                 "--plot", str(tmp_path / "a.png"), "--substitution", str(tmp_path / "s.png")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [s["label"] for s in data["series"]] == ["GRPO", "DPO", "PPO"]
    assert (tmp_path / "a.png").stat().st_size > 10_000 and (tmp_path / "s.png").stat().st_size > 10_000
    assert main(["adoption", "GRPO, DPO", "--db", db, "--format", "csv", "--no-senses"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("series,total_matches,introduction") and len(lines) == 3
    assert main(["adoption", "GRPO, DPO", "--db", db, "--format", "csv", "--substitution", "--no-senses"]) == 0
    assert capsys.readouterr().out.startswith("period,series,family_total,family_share")
    assert main(["adoption", "GRPO", "--db", db, "--no-senses", "--introduced", "2024-02"]) == 0
    out = capsys.readouterr().out
    assert "2024-02 (given)" in out
    assert main(["adoption", "GRPO", "--db", db, "--introduced", "2024-13"]) == 2
    assert "YYYY-MM" in capsys.readouterr().err
    assert main(["adoption", "GRPO", "--db", db, "--origin", "9999.99999"]) == 2
    assert "--introduced" in capsys.readouterr().err
    assert main(["adoption", "GRPO", "--db", db, "--substitution"]) == 2
    assert "two or more series" in capsys.readouterr().err
