"""Coverage: a planted corpus where one category enters mid-way, a term that lives only in it, and a term that
really rises inside a category the corpus always held. Expected results written before the code:

- the coverage model dates cs.IT's entry to 2026-01 and cs.CL's coverage to the whole span;
- ``emerging`` keeps "agentic memory" (its share rises inside cs.CL) and leaves out "LDPC" (all its recent
  papers are in cs.IT, which the baseline does not hold), naming it in the notes and in ``coverage_shifts``;
- ``--include-coverage-shifts`` keeps LDPC, marked as a coverage shift;
- a recent window made only of an incomplete month is refused.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from uptake.analytics.coverage import THIN, estimate, read_official_totals
from uptake.errors import InputError, PeriodError
from uptake.periods import parse_month

from conftest import make_paper, store_with


def _planted(tmp_path: Path):  # type: ignore[no-untyped-def]
    rng = random.Random(3)
    papers = []
    n = 0
    for m in range(18):  # 2025-01 .. 2026-06
        year, month = 2025 + m // 12, m % 12 + 1
        recent = m >= 12
        for i in range(120):  # cs.CL, always covered; "agentic memory" rises inside it: 1% -> 12%
            n += 1
            words = "agentic memory for assistants" if rng.random() < (0.12 if recent else 0.01) else "parsing"
            papers.append(make_paper(f"{year % 100:02d}{month:02d}.{n:05d}", title=f"On {words} {i}",
                                     categories=("cs.CL",), published=f"{year}-{month:02d}-{1 + i % 27:02d}"))
        if recent:  # cs.IT enters the corpus in 2026-01, with its own vocabulary
            for i in range(100):
                n += 1
                words = "LDPC decoding" if rng.random() < 0.3 else "channel capacity"
                papers.append(make_paper(f"{year % 100:02d}{month:02d}.{n:05d}", title=f"{words} {i}",
                                         categories=("cs.IT",), published=f"{year}-{month:02d}-{1 + i % 27:02d}"))
    return store_with(tmp_path / "planted.duckdb", papers)


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return _planted(tmp_path_factory.mktemp("cov"))


def test_the_model_dates_a_category_entering_the_corpus(planted) -> None:  # type: ignore[no-untyped-def]
    cov = planted.coverage()
    assert cov.spans["cs.IT"].start == parse_month("2026-01")
    assert cov.spans["cs.CL"].start == parse_month("2025-01") and cov.spans["cs.CL"].end == parse_month("2026-06")
    caveats = cov.caveats([], parse_month("2025-01"), parse_month("2026-06"))
    assert any(c.startswith("cs.IT enters the corpus in 2026-01") for c in caveats)
    assert cov.start_of(["cs"]) == parse_month("2026-01")  # the latest start among cs.* categories


def test_emerging_leaves_out_a_rise_that_is_a_category_entering(planted) -> None:  # type: ignore[no-untyped-def]
    rep = planted.emerging(recent="2026-01:2026-06", baseline="2025-01:2025-12", min_support=5)
    terms = {t.term for t in rep.terms}
    assert any("agentic" in t or "memory" in t for t in terms), terms
    assert not any("LDPC" in t or "ldpc" in t for t in terms)
    assert any(s.lower().startswith("ldpc") for s in rep.coverage_shifts)
    assert any("coverage shifts" in n for n in rep.notes) and any("cs.IT enters" in n for n in rep.notes)
    kept = planted.emerging(recent="2026-01:2026-06", baseline="2025-01:2025-12", min_support=5,
                            include_coverage_shifts=True)
    ldpc = [t for t in kept.terms if t.term.lower().startswith("ldpc")]
    assert ldpc and ldpc[0].coverage_shift and ldpc[0].new_category_share == 1.0
    agentic = [t for t in kept.terms if "agentic" in t.term or "memory" in t.term]
    assert agentic and not agentic[0].coverage_shift and agentic[0].standardised_ratio > 3


def test_a_window_of_incomplete_months_only_is_refused(tmp_path: Path) -> None:
    papers = [make_paper(f"2501.{i:05d}", title="GRPO", published="2025-01-10") for i in range(3)]
    papers += [make_paper(f"2502.{i:05d}", title="GRPO", published="2025-02-10") for i in range(3)]
    corpus = store_with(tmp_path / "s.duckdb", papers)  # ends on 2025-02-10: February is incomplete
    with pytest.raises(PeriodError, match="last complete month is 2025-01"):
        corpus.emerging(recent="2025-02:2025-02", baseline="2024-01:2024-12")


def test_official_totals_and_noise() -> None:
    counts = {("hep-th", 24300 + i): n for i, n in enumerate([5, 3, 6, 4, 7, 2, 5, 0, 1, 4])}
    assert estimate(counts).spans["hep-th"].thin == ()  # a small category's noise is not a coverage gap
    official = {("hep-th", 24300 + i): 50 for i in range(10)}
    span = estimate(counts, official=official).spans["hep-th"]
    assert span.start is None  # 5 of 50 is below THIN everywhere: never covered
    assert THIN == 0.2
    rows = [["category", "month", "papers"], ["cs.CL", "2025-01", "4000"]]
    assert read_official_totals(rows) == {("cs.CL", parse_month("2025-01")): 4000}
    with pytest.raises(InputError, match="line 2"):
        read_official_totals([["category", "month", "papers"], ["cs.CL", "January", "x"]])


def test_cli_stats_coverage_and_heat_map(planted, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    from uptake.cli import main

    png = tmp_path / "cov.png"
    assert main(["stats", "--coverage", "--db", str(planted.path), "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    assert "cs.IT" in out and "2026-01" in out and png.stat().st_size > 10_000
    assert main(["stats", "--coverage", "--db", str(planted.path), "-f", "json"]) == 0
    assert '"category": "cs.IT"' in capsys.readouterr().out


def test_adoption_calls_a_first_mention_at_coverage_start_left_censored(planted) -> None:  # type: ignore[no-untyped-def]
    rep = planted.adoption("LDPC, agentic memory", with_senses=False, fits=False)
    ldpc, agentic = rep.series
    assert ldpc.first_mention["left_censored"] is True  # cs.IT starts in 2026-01: LDPC may be older
    assert agentic.first_mention["left_censored"] is False  # cs.CL is covered long before its first mention
    notes = rep.filters["coverage"]
    assert any(n.startswith("LDPC: first mention") and "left-censored" in n for n in notes)
    assert any(n.startswith("cs.IT enters the corpus in 2026-01") for n in notes)
    assert rep.as_dict()["filters"]["coverage"] == notes
