import csv
import io
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brute import matches
from conftest import make_paper, store_with
from uptake.errors import PeriodError, UnknownCategoryError, UsageError
from uptake.periods import month_label
from uptake.query import parse_query
from uptake.analytics.trends import centred_moving_average, wilson_interval

PAPERS = [
    make_paper("2501.00001", "GRPO for math", "We use group relative policy optimization.", published="2025-01-10",
               categories=("cs.LG", "cs.AI")),
    make_paper("2501.00002", "Unrelated", "PPO and DPO compared.", published="2025-01-20", categories=("cs.CL",)),
    make_paper("2503.00001", "LoRa radio", "LoRa links for sensors.", published="2025-03-03", categories=("eess.SP",)),
    make_paper("2503.00002", "LoRA adapters", "Low-rank adaptation (LoRA). GRPOs are not GRPO-like?",
               published="2025-03-30", categories=("cs.LG",)),
    make_paper("2504.00001", "Policy optimization", "group relative\npolicy optimization, again", published="2025-04-02",
               categories=("math.OC", "cs.LG")),
]


@pytest.fixture
def corpus(make_store):
    return make_store(PAPERS)


def by_series(trend):
    return {s.label: {p.period: (p.count, p.total) for p in s.points} for s in trend.series}


def test_counts_totals_and_every_period(corpus):
    t = corpus.trend('GRPO, DPO | "direct preference optimization", "group relative policy optimization"')
    assert t.periods == ["2025-01", "2025-02", "2025-03", "2025-04"]
    got = by_series(t)
    assert got["GRPO"] == {"2025-01": (1, 2), "2025-02": (0, 0), "2025-03": (1, 2), "2025-04": (0, 1)}
    assert got['"group relative policy optimization"']["2025-04"] == (1, 1)  # line break inside the phrase
    assert got['DPO | "direct preference optimization"']["2025-01"] == (1, 2)
    feb = t.series[0].points[1]
    assert feb.share is None and feb.share_low is None


def test_case_sensitivity_and_fields(corpus):
    assert by_series(corpus.trend("LoRA"))["LoRA"]["2025-03"] == (2, 2)
    assert by_series(corpus.trend("LoRA", case_sensitive=True))["LoRA"]["2025-03"] == (1, 2)
    assert by_series(corpus.trend("=LoRa, LoRa"))["=LoRa"]["2025-03"] == (1, 2)
    assert by_series(corpus.trend("GRPO", field="title"))["GRPO"]["2025-03"] == (0, 2)
    assert by_series(corpus.trend("title:GRPO | abstract:GRPO"))["title:GRPO | abstract:GRPO"]["2025-03"] == (1, 2)


def test_category_filters(corpus):
    t = corpus.trend("GRPO", category="cs")
    assert by_series(t)["GRPO"]["2025-03"] == (1, 1)  # eess.SP paper leaves the total
    t = corpus.trend("GRPO", category=["cs.AI"])
    assert by_series(t)["GRPO"]["2025-01"] == (1, 1)
    t = corpus.trend("policy optimization cat:math")  # a series-level filter restricts its total too
    assert by_series(t)["policy optimization cat:math"]["2025-04"] == (1, 1)
    with pytest.raises(UnknownCategoryError, match="cs.LG"):
        corpus.trend("GRPO", category="cs.lg")
    with pytest.raises(UnknownCategoryError):
        corpus.trend("GRPO cat:hep-xx")


def test_csv_and_json_contract(corpus):
    t = corpus.trend("GRPO, PPO", start="2024-12", end="2025-04")
    rows = list(csv.reader(io.StringIO(t.to_csv())))
    assert rows[0] == ["period", "series", "count", "total", "share", "complete"]  # extended at the end only
    assert rows[1][:5] == ["2024-12", "GRPO", "0", "0", ""]
    assert rows[3][:5] == ["2025-01", "GRPO", "1", "2", "0.5"]
    assert {r[5] for r in rows[1:]} <= {"true", "false"}
    assert len(rows) == 1 + 5 * 2
    j = t.to_json_dict()
    assert j["query"] == "GRPO, PPO"
    assert j["filters"]["from"] == "2024-12" and j["filters"]["to"] == "2025-04"
    assert [s["label"] for s in j["series"]] == ["GRPO", "PPO"]
    assert set(j["series"][0]["points"][0]) >= {"period", "count", "total", "share", "complete"}
    assert j["corpus"] == {"papers": 5, "first": "2025-01-10", "last": "2025-04-02"}


def test_last_period_incomplete(corpus):
    t = corpus.trend("GRPO")
    assert [p.complete for p in t.series[0].points] == [True, True, True, False]
    q = corpus.trend("GRPO", by="quarter")
    assert [p.period for p in q.series[0].points] == ["2025-Q1", "2025-Q2"]
    assert [p.complete for p in q.series[0].points] == [True, False]
    assert q.series[0].points[0].count == 2 and q.series[0].points[0].total == 4
    y = corpus.trend("GRPO", by="year")
    assert y.periods == ["2025"] and y.series[0].points[0].total == 5


def test_measure_count_and_smoothing(corpus):
    t = corpus.trend("GRPO", measure="count", smooth=3)
    assert [p.smoothed for p in t.series[0].points] == pytest.approx([0.5, 2 / 3, 1 / 3, 0.5])
    assert "smoothed" in t.to_csv().splitlines()[0]
    assert centred_moving_average([1, None, 3], 3) == [1, 2, 3]


def test_range_errors(corpus):
    with pytest.raises(PeriodError, match="after --to"):
        corpus.trend("GRPO", start="2025-05", end="2025-01")
    with pytest.raises(PeriodError, match="YYYY-MM"):
        corpus.trend("GRPO", start="May 2025")
    with pytest.raises(UsageError):
        corpus.trend("GRPO", smooth=0)


def test_wilson_interval_known_value():
    lo, hi = wilson_interval(10, 100)
    assert lo == pytest.approx(0.0552, abs=1e-4) and hi == pytest.approx(0.1744, abs=1e-4)
    assert wilson_interval(0, 0) is None


def test_papers_behind_a_point(corpus):
    res = corpus.papers("GRPO | LoRA", period="2025-03")
    assert [p.id for p in res.papers] == ["2503.00002", "2503.00001"]  # newest first
    assert res.total == 2
    assert corpus.papers("GRPO", limit=1).total == 2


# ---- property: trend counts equal a brute-force scan --------------------------------------------
WORDS = ["grpo", "GRPO", "Grpo", "lora", "LoRA", "LoRa", "policy", "optimization", "reward", "model", "ß", "ss"]
CATS = ["cs.LG", "cs.CL", "eess.SP", "math.AP"]

paper_strategy = st.builds(
    lambda i, t, a, c, m: make_paper(f"2501.{i:05d}", " ".join(t) or "x", " ".join(a), categories=c,
                                     published=f"2025-{m:02d}-01"),
    st.integers(0, 99999),
    st.lists(st.sampled_from(WORDS), max_size=4),
    st.lists(st.sampled_from(WORDS + ["-", ",", "GRPO-based"]), max_size=12),
    st.lists(st.sampled_from(CATS), min_size=1, max_size=2, unique=True),
    st.integers(1, 4),
)

term_text = st.lists(st.sampled_from(WORDS), min_size=1, max_size=2).map(" ".join)


@st.composite
def series_text(draw):
    kind = draw(st.sampled_from(["term", "phrase", "or", "and", "not", "cat", "field", "cs"]))
    a, b = draw(term_text), draw(term_text)
    return {
        "term": a, "phrase": f'"{a}"', "or": f'{a} | "{b}"', "and": f'"{a}" AND "{b}"',
        "not": f'"{a}" AND NOT "{b}"', "cat": f'"{a}" cat:{draw(st.sampled_from(["cs", "cs.LG", "eess.SP"]))}',
        "field": f'{draw(st.sampled_from(["title", "abstract"]))}:"{a}"', "cs": f'="{a}"',
    }[kind]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    papers=st.lists(paper_strategy, min_size=1, max_size=25, unique_by=lambda p: p.id),
    queries=st.lists(series_text(), min_size=1, max_size=3),
    case_sensitive=st.booleans(),
)
def test_trend_equals_brute_force(tmp_path_factory, papers, queries, case_sensitive):
    # one paper per category, so every category a query names exists in the corpus
    papers = papers + [make_paper(f"2412.{i:05d}", "anchor", categories=(c,), published="2024-12-01")
                       for i, c in enumerate(CATS)]
    corpus = store_with(tmp_path_factory.mktemp("prop") / "p.duckdb", papers)
    query = ", ".join(queries)
    trend = corpus.trend(query, case_sensitive=case_sensitive)
    parsed = parse_query(query)
    months = sorted({p.month for p in papers})
    for series, s in zip(parsed.series, trend.series, strict=True):
        cats = [e for e in getattr(series.expr, "items", ()) if type(e).__name__ == "Category"]
        for point in s.points:
            in_month = [p for p in papers if month_label(p.month) == point.period]
            universe = [p for p in in_month if all(matches(c, p) for c in cats)]
            expected = sum(matches(series.expr, p, case_sensitive=case_sensitive) for p in in_month)
            assert point.count == expected, (query, point.period)
            assert point.total == len(universe)
    # monthly totals add up to the number of papers
    plain = corpus.trend("x")
    assert sum(p.total for p in plain.series[0].points) == len(papers)
    assert trend.periods[0] == month_label(months[0])


def test_import_twice_leaves_trends_unchanged(tmp_path):
    from conftest import FIXTURES
    from uptake.corpus import Corpus

    c = Corpus(tmp_path / "x.duckdb")
    c.import_files([FIXTURES / "normalised_with_errors.jsonl", FIXTURES / "kaggle_sample.jsonl"])
    a = c.trend("GRPO, LoRA, LoRa").to_json_dict()
    c.import_files([FIXTURES / "kaggle_sample.jsonl", FIXTURES / "normalised_with_errors.jsonl"])
    assert c.trend("GRPO, LoRA, LoRa").to_json_dict() == a
    assert a["corpus"]["first"] == date(2007, 4, 2).isoformat()
