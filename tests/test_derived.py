"""Series arithmetic (uptake.analytics.derived): ``GRPO / PPO``, ``(DPO + IPO + KTO)``, ``GRPO - PPO``.

The operands' monthly counts are given by hand; ``build_trend`` bins them as the Corpus would, and
``apply_formulas`` folds them back into the derived series. Expected values are computed by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import pytest
from conftest import make_paper
from hypothesis import given, settings
from hypothesis import strategies as st

from uptake.analytics.derived import apply_formulas, split_formulas, to_json_extra
from uptake.analytics.trends import CorpusInfo, Trend, build_trend
from uptake.errors import QueryError, UsageError
from uptake.periods import parse_month
from uptake.query import parse_query

JAN, FEB, MAR, APR = (parse_month(f"2025-0{m}") for m in (1, 2, 3, 4))
TOTALS = {JAN: 10, FEB: 20, MAR: 0, APR: 40}  # March: no papers at all
COUNTS = {
    "GRPO": {JAN: 2, FEB: 6, APR: 10},
    "PPO": {JAN: 4, FEB: 0, APR: 5},
    "DPO": {JAN: 1, FEB: 2, APR: 4},
    "IPO": {JAN: 1, APR: 2},
    "KTO": {FEB: 1, APR: 1},
    "LoRA": {JAN: 3, FEB: 3, APR: 3},
}


def derive(text: str, counts: Mapping[str, Mapping[int, int]] = COUNTS, totals: Mapping[int, int] = TOTALS, *,
           measure: str = "share", smooth: int = 1, last: date | None = date(2025, 4, 30),
           start: int = JAN, end: int = APR) -> Trend:
    query = parse_query(text)
    split, formulas = split_formulas(query)
    labels = [s.label for s in split.series]
    # An operand series is labelled internally; the operand's own text comes last, after a NUL.
    terms = [label.rsplit("\x00", 1)[-1] for label in labels]
    trend = build_trend(
        query=split.text, labels=labels, counts=[counts.get(t, {}) for t in terms], totals=[totals] * len(labels),
        start_month=start, end_month=end, corpus=CorpusInfo(papers=70, first="2025-01-01", last=str(last)),
        corpus_last_date=last, measure=measure, smooth=smooth,  # type: ignore[arg-type]
    )
    return apply_formulas(trend, formulas, query.text)


def column(trend: Trend, label: str, attr: str) -> list:  # type: ignore[type-arg]
    series = next(s for s in trend.series if s.label == label)
    return [getattr(p, attr) for p in series.points]


def approx(values):  # type: ignore[no-untyped-def]
    return [None if v is None else pytest.approx(v) for v in values]


# -------------------------------------------------------------------------------------------- ratio
def test_ratio_divides_paper_counts() -> None:
    t = derive("GRPO / PPO")
    assert [s.label for s in t.series] == ["GRPO / PPO"]
    # Jan 2/4; Feb 6/0 has no denominator; Mar 0/0; Apr 10/5.
    assert column(t, "GRPO / PPO", "share") == approx([0.5, None, None, 2.0])
    assert column(t, "GRPO / PPO", "count") == [2, 6, 0, 10]  # the numerator's papers
    assert column(t, "GRPO / PPO", "total") == [10, 20, 0, 40]  # all papers in the period
    assert column(t, "GRPO / PPO", "share_low") == [None] * 4  # no Wilson interval for a ratio
    assert [t.value(p) for p in t.series[0].points] == approx([0.5, None, None, 2.0])


def test_ratio_unit_and_json() -> None:
    t = derive("GRPO / PPO")
    unit = t.series[0].unit
    assert unit is not None and unit.startswith("ratio of paper counts (GRPO / PPO)")
    assert to_json_extra(t) == {"GRPO / PPO": unit}
    assert t.to_json_dict()["series"][0]["unit"] == unit


def test_ratio_of_a_sum() -> None:
    t = derive("(DPO + IPO) / PPO")
    # Jan (1+1)/4; Feb 2/0; Mar 0/0; Apr (4+2)/5.
    assert column(t, "(DPO + IPO) / PPO", "share") == approx([0.5, None, None, 1.2])
    assert column(t, "(DPO + IPO) / PPO", "count") == [2, 2, 0, 6]


def test_ratio_by_a_difference_that_is_zero() -> None:
    t = derive("GRPO / (DPO - IPO)")
    # Denominators: Jan 0, Feb 2, Mar 0, Apr 2.
    assert column(t, "GRPO / (DPO - IPO)", "share") == approx([None, 3.0, None, 5.0])


def test_ratio_needs_the_share_measure() -> None:
    with pytest.raises(UsageError, match=r"'GRPO / PPO' is a ratio of paper counts: draw it with --measure share"):
        derive("GRPO / PPO", measure="count")


@pytest.mark.parametrize(("text", "message"), [
    ("(GRPO / PPO) / DPO", "a ratio can only divide series of papers, not another ratio"),
    ("GRPO / PPO + DPO", "cannot add a ratio and a series of papers"),
    ("DPO - GRPO / PPO", "cannot subtract a ratio and a series of papers"),
])
def test_mixing_ratios_and_papers_is_a_query_error(text: str, message: str) -> None:
    with pytest.raises(QueryError) as info:
        derive(text)
    assert info.value.reason == message
    assert info.value.query == text
    assert text[info.value.position:].lstrip().startswith(("/", "+", "-"))  # points at the operator


# ---------------------------------------------------------------------------------------- sum, diff
def test_sum_of_shares() -> None:
    t = derive("(DPO + IPO + KTO)")
    label = "(DPO + IPO + KTO)"
    # Jan (1+1+0)/10; Feb (2+0+1)/20; Mar no papers; Apr (4+2+1)/40.
    assert column(t, label, "share") == approx([0.2, 0.15, None, 0.175])
    assert column(t, label, "count") == [2, 3, 0, 7]
    assert column(t, label, "total") == [10, 20, 0, 40]
    unit = t.series[0].unit
    assert unit is not None and unit.startswith("share of papers (fraction), operands added/subtracted as written")
    assert "papers in several operands count in each" in unit


def test_sum_of_counts() -> None:
    t = derive("(DPO + IPO + KTO)", measure="count")
    label = "(DPO + IPO + KTO)"
    assert [t.value(p) for p in t.series[0].points] == [2.0, 3.0, 0.0, 7.0]
    assert column(t, label, "share") == approx([0.2, 0.15, None, 0.175])  # count / total
    unit = t.series[0].unit
    assert unit is not None and unit.startswith("papers, operands added/subtracted")


def test_difference_can_go_negative() -> None:
    t = derive("GRPO - PPO")
    # Shares: Jan 0.2 - 0.4; Feb 0.3 - 0; Mar none; Apr 0.25 - 0.125.
    assert column(t, "GRPO - PPO", "share") == approx([-0.2, 0.3, None, 0.125])
    assert column(t, "GRPO - PPO", "count") == [-2, 6, 0, 5]
    t = derive("GRPO - PPO", measure="count")
    assert [t.value(p) for p in t.series[0].points] == [-2.0, 6.0, 0.0, 5.0]
    assert column(t, "GRPO - PPO", "share") == approx([-0.2, 0.3, None, 0.125])


def test_plain_and_derived_series_keep_the_query_order() -> None:
    t = derive("LoRA, GRPO / PPO, DPO, (DPO + IPO)")
    assert [s.label for s in t.series] == ["LoRA", "GRPO / PPO", "DPO", "(DPO + IPO)"]
    assert [s.unit is None for s in t.series] == [True, False, True, False]
    assert column(t, "LoRA", "count") == [3, 3, 0, 3]
    assert column(t, "DPO", "share") == approx([0.1, 0.1, None, 0.1])
    assert set(to_json_extra(t)) == {"GRPO / PPO", "(DPO + IPO)"}


def test_no_formula_leaves_the_trend_alone() -> None:
    query = parse_query("GRPO, PPO")
    split, formulas = split_formulas(query)
    assert split == query and formulas == []
    t = derive("GRPO, PPO")
    assert apply_formulas(t, [], "GRPO, PPO") is t
    assert to_json_extra(t) == {}


# ---------------------------------------------------------------------------- incomplete, smoothing
def test_incomplete_periods_carry_over() -> None:
    for text in ("GRPO / PPO", "(DPO + IPO + KTO)", "GRPO - PPO"):
        t = derive(text, last=date(2025, 4, 10))  # April is not over
        assert column(t, text, "complete") == [True, True, True, False], text
        t = derive(text, last=date(2025, 2, 1))
        assert column(t, text, "complete") == [True, False, False, False], text


def test_smoothing_a_ratio_skips_the_gaps() -> None:
    t = derive("GRPO / PPO", smooth=3)
    # Raw [0.5, None, None, 2.0], centred window of 3, gaps skipped.
    assert column(t, "GRPO / PPO", "smoothed") == approx([0.5, 0.5, 2.0, 2.0])
    assert column(t, "GRPO / PPO", "share") == approx([0.5, None, None, 2.0])  # raw values stay
    assert [t.value(p) for p in t.series[0].points] == approx([0.5, 0.5, 2.0, 2.0])


def test_smoothing_a_sum() -> None:
    t = derive("(DPO + IPO + KTO)", smooth=3)
    # Raw shares [0.2, 0.15, None, 0.175].
    assert column(t, "(DPO + IPO + KTO)", "smoothed") == approx([0.175, 0.175, 0.1625, 0.175])
    t = derive("(DPO + IPO + KTO)", smooth=3, measure="count")
    # Raw counts [2, 3, 0, 7]: a month with no papers counts 0 papers.
    assert column(t, "(DPO + IPO + KTO)", "smoothed") == approx([2.5, 5 / 3, 10 / 3, 3.5])


def test_without_smoothing_nothing_is_smoothed() -> None:
    assert column(derive("GRPO - PPO"), "GRPO - PPO", "smoothed") == [None] * 4


# --------------------------------------------------------------------------------------- properties
counts_maps = st.dictionaries(st.sampled_from([JAN, FEB, MAR, APR]), st.integers(0, 50), max_size=4)


@settings(derandomize=True, max_examples=150, deadline=None, database=None)
@given(st.lists(counts_maps, min_size=2, max_size=4), st.sampled_from(["share", "count"]))
def test_sum_series_is_the_sum_of_operand_counts(operands: list[dict[int, int]], measure: str) -> None:
    names = ["AA", "BB", "CC", "DD"][: len(operands)]
    counts = dict(zip(names, operands, strict=True))
    totals = {m: 50 * len(operands) for m in (JAN, FEB, MAR, APR)}  # room for every operand's papers
    text = "(" + " + ".join(names) + ")"
    t = derive(text, counts, totals, measure=measure)
    derived = t.series[0].points
    for k, month in enumerate((JAN, FEB, MAR, APR)):
        expected = sum(c.get(month, 0) for c in operands)
        assert derived[k].count == expected
        assert derived[k].share == pytest.approx(expected / totals[month])
    # Each operand counted on its own gives the same numbers.
    singles = derive(", ".join(names), counts, totals, measure=measure)
    for k in range(4):
        assert derived[k].count == sum(s.points[k].count for s in singles.series)


@settings(derandomize=True, max_examples=100, deadline=None, database=None)
@given(counts_maps, counts_maps)
def test_ratio_is_count_over_count(num: dict[int, int], den: dict[int, int]) -> None:
    t = derive("AA / BB", {"AA": num, "BB": den}, dict.fromkeys((JAN, FEB, MAR, APR), 100))
    for k, month in enumerate((JAN, FEB, MAR, APR)):
        d = den.get(month, 0)
        got = t.series[0].points[k].share
        assert got == (None if d == 0 else pytest.approx(num.get(month, 0) / d))


# ------------------------------------------------------------------------------------- through Corpus
def test_the_corpus_derives_the_same(make_store) -> None:  # type: ignore[no-untyped-def]
    papers = [
        make_paper("2501.00001", "GRPO", "", published="2025-01-05"),
        make_paper("2501.00002", "GRPO and PPO", "", published="2025-01-06"),
        make_paper("2501.00003", "PPO", "", published="2025-01-07"),
        make_paper("2501.00004", "PPO again", "", published="2025-01-08"),
        make_paper("2502.00001", "GRPO", "", published="2025-02-05"),
        make_paper("2502.00002", "Nothing", "", published="2025-02-06"),
    ]
    corpus = make_store(papers)
    t = corpus.trend("GRPO / PPO, GRPO - PPO, (GRPO + PPO)")
    assert [s.label for s in t.series] == ["GRPO / PPO", "GRPO - PPO", "(GRPO + PPO)"]
    assert column(t, "GRPO / PPO", "share") == approx([2 / 3, None])
    assert column(t, "GRPO - PPO", "share") == approx([2 / 4 - 3 / 4, 1 / 2])
    assert column(t, "(GRPO + PPO)", "count") == [5, 1]  # the paper with both counts twice
    with pytest.raises(UsageError, match="--measure share"):
        corpus.trend("GRPO / PPO", measure="count")
