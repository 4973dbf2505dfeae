"""`emerging` against terms planted to rise (uptake.synthetic), with exact counts checked by brute force."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import make_paper, store_with
from uptake.analytics.emerging import (
    benjamini_hochberg,
    keep_candidate,
    parse_window,
    sparkline,
)
from uptake.errors import PeriodError, UsageError
from uptake.periods import month_of, parse_month
from uptake.synthetic import PlantedTerm, SyntheticCorpus
from uptake.text import contains_phrase, tokens

RISING = (
    PlantedTerm("QXRT", ("QXRT",), "logistic", K=0.012, r=0.6, t0="2025-11", onset="2025-05",
                companion="quantum xeno resonance tuning", companion_rate=0.6),
    PlantedTerm("glorpification", ("glorpification",), "logistic", K=0.01, r=0.5, t0="2025-12", onset="2025-05"),
    PlantedTerm("sparse lattice gossip", ("sparse lattice gossip",), "logistic", K=0.008, r=0.5, t0="2026-01",
                onset="2025-06"),
)
FLAT = (
    PlantedTerm("steadyterm", ("steadyterm",), "constant", K=0.01, onset="2024-01"),
    PlantedTerm("fadingterm", ("fadingterm",), "logistic", K=0.02, r=-0.5, t0="2025-08", onset="2024-01"),
)
RECENT, BASELINE = "2026-01:2026-05", "2025-01:2025-12"


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    synth = SyntheticCorpus(n_papers=30_000, start="2024-07", end="2026-06", seed=21, planted=RISING + FLAT,
                            vocabulary_size=20_000, sentence_pool=5_000)
    papers = list(synth.papers())
    corpus = store_with(tmp_path_factory.mktemp("emerging") / "e.duckdb", papers)
    return corpus, synth, papers


@pytest.fixture(scope="module")
def report(planted):  # type: ignore[no-untyped-def]
    corpus, _, _ = planted
    return corpus.emerging(recent=RECENT, baseline=BASELINE, top=10)


def names(rep) -> set[str]:  # type: ignore[no-untyped-def]
    return {t.term for t in rep.terms} | {a for t in rep.terms for a in t.aliases}


def test_planted_rising_terms_are_in_the_top_ten(report) -> None:  # type: ignore[no-untyped-def]
    top = [t.term for t in report.terms]
    assert len(top) <= 10
    assert "QXRT" in top  # an acronym, case kept
    assert "glorpification" in top
    assert "sparse lattice gossip" in top


def test_flat_falling_and_frequent_words_are_absent(planted, report) -> None:  # type: ignore[no-untyped-def]
    _, _, papers = planted
    found = {n.casefold() for n in names(report)}
    assert "steadyterm" not in found and "fadingterm" not in found
    df: Counter[str] = Counter()
    for p in papers[:5000]:
        df.update(set(tokens(p.title)) | set(tokens(p.abstract)))
    frequent = [w for w, _ in df.most_common(100)]
    assert not found & set(frequent), found & set(frequent)


def test_spelled_out_form_is_merged_into_the_acronym(report) -> None:  # type: ignore[no-untyped-def]
    qxrt = next(t for t in report.terms if t.term == "QXRT")
    assert any(a in qxrt.aliases for a in ("quantum xeno resonance", "xeno resonance tuning")), qxrt.aliases
    listed = [t.term for t in report.terms]
    assert "quantum xeno resonance" not in listed and "xeno resonance tuning" not in listed


def test_counts_are_exact(planted, report) -> None:  # type: ignore[no-untyped-def]
    _, _, papers = planted
    r_lo, r_hi = parse_window(RECENT, what="r")
    b_lo, b_hi = parse_window(BASELINE, what="b")
    for t in report.terms:
        cs = t.kind == "acronym"
        needle = tokens(t.term, case_sensitive=cs)
        rec = base = 0
        for p in papers:
            m = month_of(p.published)
            hit = contains_phrase(tokens(p.title, case_sensitive=cs), needle) or \
                contains_phrase(tokens(p.abstract, case_sensitive=cs), needle)
            rec += hit and r_lo <= m <= r_hi
            base += hit and b_lo <= m <= b_hi
        assert (t.recent, t.baseline) == (rec, base), t.term
        assert t.q_value <= 0.05 and t.ratio > 1
        assert len(t.sparkline) == r_hi - b_lo + 1
    lows = [t.log_ratio_low for t in report.terms]
    assert lows == sorted(lows, reverse=True)
    assert report.recent_papers == sum(1 for p in papers if r_lo <= month_of(p.published) <= r_hi)


def test_a_small_sample_still_finds_them(planted) -> None:  # type: ignore[no-untyped-def]
    corpus, _, _ = planted
    rep = corpus.emerging(recent=RECENT, baseline=BASELINE, top=10, sample_docs=3000)
    assert rep.sample_rate_baseline < 0.5
    assert {"QXRT", "glorpification", "sparse lattice gossip"} <= {t.term for t in rep.terms}


def test_overlapping_and_adjacent_candidates_count_exactly(make_store) -> None:  # type: ignore[no-untyped-def]
    # "alpha beta" and "beta gamma" overlap; "alpha beta alpha beta" has adjacent repeats. The recount must see
    # every paper that contains each, like the query engine does.
    base = [make_paper(f"2501.{i:05d}", "Plain words here", "Nothing to see in this abstract at all.",
                       published="2025-03-10") for i in range(60)]
    recent = []
    for i in range(40):
        text = ["alpha beta gamma", "alpha beta alpha beta", "beta gamma only", "gamma alpha beta"][i % 4]
        recent.append(make_paper(f"2602.{i:05d}", f"Title {text}", f"We discuss {text} here.", published="2026-02-10"))
    for i in range(40):
        recent.append(make_paper(f"2603.{i:05d}", "Other", "alpha beta again.", published="2026-03-10"))
    corpus = make_store(base + recent)
    # The baseline holds one month of papers, so every rise here is also a coverage shift: keep them, this
    # test is about exact recounting.
    rep = corpus.emerging(recent="2026-02:2026-03", baseline="2025-01:2025-12", top=50, min_support=5,
                          include_coverage_shifts=True)
    listed = {t.term for t in rep.terms}
    assert {"alpha beta", "beta gamma"} <= listed | {a for t in rep.terms for a in t.aliases}
    assert len(rep.terms) >= 2
    for t in rep.terms:
        needle = t.term.split()
        want = sum(1 for p in base + recent if p.published.year == 2026 and (
            contains_phrase(tokens(p.title), needle) or contains_phrase(tokens(p.abstract), needle)))
        assert t.recent == want, t.term


def test_pure_helpers() -> None:
    # Benjamini-Hochberg, hand computed: p = .01 .04 .03 .2 of m = 4 -> q = .04 .0533 .0533 .2
    q = benjamini_hochberg([0.01, 0.04, 0.03, 0.2])
    assert np.allclose(q, [0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.2])
    q = benjamini_hochberg([0.01], m=10)  # untested hypotheses count as p = 1
    assert q[0] == pytest.approx(0.1)
    assert sparkline([0, 1, 2, None, 4]) == "▁▃▅ █"
    assert keep_candidate("GRPO") and keep_candidate("mixture of agents")
    for bad in ("the model", "in this paper", "2025", "of agents", "x", "results", "gpt 4"):
        assert not keep_candidate(bad), bad
    assert parse_window("2026-01:2026-06", what="--recent") == (parse_month("2026-01"), parse_month("2026-06"))
    with pytest.raises(PeriodError):
        parse_window("2026-06:2026-01", what="--recent")
    with pytest.raises(PeriodError):
        parse_window("2026-01", what="--recent")


def test_errors_are_usage_errors(planted) -> None:  # type: ignore[no-untyped-def]
    corpus, _, _ = planted
    with pytest.raises(PeriodError):
        corpus.emerging(recent="2025-01:2025-06", baseline="2025-03:2025-12")  # baseline must end first
    with pytest.raises(PeriodError):
        corpus.emerging(recent="2030-01:2030-06", baseline="2029-01:2029-12")
    with pytest.raises(UsageError):
        corpus.emerging(recent=RECENT, baseline=BASELINE, top=0)


def test_cli_emerging(planted, capsys) -> None:  # type: ignore[no-untyped-def]
    from uptake.cli import main

    corpus, _, _ = planted
    db = str(corpus.path)
    assert main(["emerging", "--db", db, "--recent", RECENT, "--baseline", BASELINE, "--top", "5",
                 "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["terms"]) <= 5 and data["terms"][0]["monthly"][0]["period"] == "2025-01"
    assert main(["emerging", "--db", db, "--recent", RECENT, "--baseline", BASELINE, "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("rank,term,kind,aliases,recent,baseline")
    assert main(["emerging", "--db", db, "--recent", RECENT, "--baseline", BASELINE]) == 0
    assert "QXRT" in capsys.readouterr().out
    assert main(["emerging", "--db", db, "--recent", "2026-13:2026-14"]) == 2
    assert "YYYY-MM" in capsys.readouterr().err
    assert main(["emerging", "--db", db]) == 0  # default windows: the last 6 complete months vs the 12 before
    assert "Rising" in capsys.readouterr().out


def _bh_by_hand(p_values: list[float], m: int | None = None) -> np.ndarray:
    """The step-up Benjamini-Hochberg q-values written out, as emerging computed them before using scipy."""
    p = np.asarray(p_values, dtype=np.float64)
    n = len(p)
    m = n if m is None else max(m, n)
    if n == 0:
        return p
    order = np.argsort(p, kind="stable")
    ranked = p[order] * m / np.arange(1, n + 1)
    q_sorted = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.empty(n)
    q[order] = np.minimum(q_sorted, 1.0)
    return q


@settings(derandomize=True, max_examples=400, deadline=None)
@given(
    p=st.lists(st.one_of(st.floats(0.0, 1.0), st.sampled_from([0.0, 1e-300, 0.01, 0.05, 0.5, 1.0])), max_size=60),
    extra=st.integers(0, 500),
)
def test_benjamini_hochberg_matches_the_step_up_rule(p: list[float], extra: int) -> None:
    # emerging passes m = the number of terms screened (>= the number tested): the untested count as p = 1.
    for m in (None, len(p) + extra, max(len(p) - 3, 0)):
        got = benjamini_hochberg(p, m)
        want = _bh_by_hand(p, m)
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
