"""Wildcards and arithmetic on series: index, scan and a brute force over Paper objects agree."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import make_paper
from test_index import _build_indexed, brute_trend, corpus_st
import uptake
from uptake.corpus import Corpus
from uptake.errors import QueryError, UsageError
from uptake.query import parse_query
from uptake.records import Paper
from uptake.text import normalize, tokens


def _scan(fn):  # type: ignore[no-untyped-def]
    os.environ["UPTAKE_NO_INDEX"] = "1"
    try:
        return fn()
    finally:
        del os.environ["UPTAKE_NO_INDEX"]


def brute_completions(papers: list[Paper], pattern: str, k: int, *, cs: bool = False) -> list[str]:
    """Top-k completions of a wildcard term by papers containing them, ties alphabetical."""
    words = pattern.split()
    wi = next(i for i, w in enumerate(words) if "*" in w)
    left = [t for w in words[:wi] for t in tokens(w, case_sensitive=cs)]
    right = [t for w in words[wi + 1 :] for t in tokens(w, case_sensitive=cs)]
    pieces = normalize(words[wi]).split("*")
    slot = re.compile(".*".join(re.escape(p if cs else p.casefold()) for p in pieces))
    latest = {p.id: p for p in papers}  # same updated date in these corpora: keep by content rule below
    for p in papers:
        if (p.updated, p.content_hash()) > (latest[p.id].updated, latest[p.id].content_hash()):
            latest[p.id] = p
    found: dict[str, int] = {}
    for p in latest.values():
        seen = set()
        for text in (p.title, p.abstract):
            toks = tokens(text, case_sensitive=cs)
            for i in range(len(left), len(toks) - len(right)):
                if toks[i - len(left) : i] == left and toks[i + 1 : i + 1 + len(right)] == right and slot.fullmatch(toks[i]):
                    seen.add(toks[i])
        for t in seen:
            found[t] = found.get(t, 0) + 1
    return [t for t, _ in sorted(found.items(), key=lambda x: (-x[1], x[0]))[:k]]


PATTERNS = ["L*", "*a", "GR*O", "s*e",  # a lone * is refused (issue 14)
            '"* optimization"', '"policy *"', '"* b"', '"a * b"']


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(papers=corpus_st, pattern=st.sampled_from(PATTERNS), k=st.integers(1, 4), cs=st.booleans())
def test_wildcard_expansion_equals_brute_force(tmp_path_factory, papers, pattern, k, cs):  # type: ignore[no-untyped-def]
    corpus = _build_indexed(tmp_path_factory.mktemp("wild") / "s.duckdb", papers)
    want = brute_completions(papers, pattern.strip('"'), k, cs=cs)
    if not want:
        with pytest.raises(QueryError):
            corpus.trend(pattern, expand=k, case_sensitive=cs)
        return
    t = corpus.trend(pattern, expand=k, case_sensitive=cs, measure="count")
    scanned = _scan(lambda: corpus.trend(pattern, expand=k, case_sensitive=cs, measure="count"))
    assert t == scanned
    listed = t.filters["expanded"][pattern]
    assert len(listed) == len(want) == len(t.series)
    stem = pattern.strip('"')
    for label, completion in zip(listed, want):
        words = stem.split()
        wi = next(i for i, w in enumerate(words) if "*" in w)
        words[wi] = completion
        phrase = " ".join(words)
        assert label.strip('"') == phrase
    # Each expanded series counts exactly what the completed term counts.
    for s, completion_label in zip(t.series, listed):
        q = completion_label if completion_label.startswith('"') or " " not in completion_label else f'"{completion_label}"'
        (counts, _totals), = brute_trend(papers, q, case_sensitive=cs)
        assert {p.period: p.count for p in s.points if p.count} == {
            f"{m // 12:04d}-{m % 12 + 1:02d}": n for m, n in counts.items()}


def _papers() -> list[Paper]:
    return [
        make_paper("2501.00001", title="GRPO and PPO", abstract="group relative policy optimization", published="2025-01-05"),
        make_paper("2501.00002", title="GRPO again", abstract="proximal policy optimization", published="2025-01-06"),
        make_paper("2501.00003", title="DPO", abstract="direct preference optimization, IPO", published="2025-01-07"),
        make_paper("2502.00001", title="PPO only", abstract="KTO too", published="2025-02-03"),
        make_paper("2502.00002", title="Nothing here", abstract="GRPOs are not GRPO tokens? GRPO", published="2025-02-04"),
    ]


@pytest.fixture(params=["index", "scan"])
def corpus(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    c = _build_indexed(tmp_path / "s.duckdb", _papers())
    if request.param == "scan":
        os.environ["UPTAKE_NO_INDEX"] = "1"
        yield c
        del os.environ["UPTAKE_NO_INDEX"]
    else:
        yield c


def _values(t, label):  # type: ignore[no-untyped-def]
    s = next(s for s in t.series if s.label == label)
    return [(p.count, p.total, p.share) for p in s.points]


def test_sum_of_series(corpus: Corpus) -> None:
    t = corpus.trend("(DPO + IPO + KTO), DPO", measure="count")
    assert [p.count for p in t.series[0].points] == [2, 1]  # Jan: DPO + IPO (same paper, counted in each); Feb: KTO
    assert t.series[0].unit is not None and "papers" in t.series[0].unit
    assert [p.count for p in t.series[1].points] == [1, 0]
    share = corpus.trend("(DPO + IPO + KTO)")
    assert [p.share for p in share.series[0].points] == [pytest.approx(2 / 3), pytest.approx(1 / 2)]


def test_ratio_and_difference(corpus: Corpus) -> None:
    t = corpus.trend("GRPO / PPO, GRPO - PPO")
    ratio, diff = t.series
    assert [p.share for p in ratio.points] == [pytest.approx(2 / 1), pytest.approx(1 / 1)]
    assert ratio.unit is not None and ratio.unit.startswith("ratio of paper counts")
    assert [p.count for p in diff.points] == [1, 0]
    assert [p.share for p in diff.points] == [pytest.approx(2 / 3 - 1 / 3), pytest.approx(0.0)]
    js = t.to_json_dict()
    assert js["series"][0]["unit"].startswith("ratio")
    with pytest.raises(UsageError):
        corpus.trend("GRPO / PPO", measure="count")


def test_ratio_with_zero_denominator_is_none(corpus: Corpus) -> None:
    t = corpus.trend("PPO / KTO")
    assert [p.share for p in t.series[0].points] == [None, pytest.approx(1.0)]


def test_minus_attached_is_still_not(corpus: Corpus) -> None:
    t = corpus.trend("GRPO -PPO", measure="count")
    assert [p.count for p in t.series[0].points] == [1, 1]
    assert t.series[0].unit is None


def test_wildcard_in_phrase_and_word(corpus: Corpus) -> None:
    t = corpus.trend('"* policy optimization", GR*O', measure="count")
    assert t.filters["expanded"] == {
        '"* policy optimization"': ['"proximal policy optimization"', '"relative policy optimization"'],
        "GR*O": ["grpo"],
    }
    assert [s.label for s in t.series] == ['"proximal policy optimization"', '"relative policy optimization"', "grpo"]
    assert [p.count for p in t.series[2].points] == [2, 1]
    t2 = corpus.trend("GR*", measure="count", expand=1)
    assert t2.filters["expanded"] == {"GR*": ["grpo"]}
    assert corpus.papers("GR*O").total == 3


@pytest.mark.parametrize(
    "query, position, hint",
    [
        ("GRPO + ", 7, None),
        ("+ GRPO", 0, "GRPO / PPO"),
        ("(DPO + IPO) AND x", 12, "+ - /"),
        ("GR*O + PPO", 0, "wildcard expands"),
        ("G*R*O x*", 0, "one wildcard"),
        ("GR*O | x*", 7, "own series"),
        ("titel:GRPO", 0, "did you mean title:"),
        ('"a * *"', 5, None),
        ("GR*-O", 0, "letters, digits"),
    ],
)
def test_errors_carry_position_and_hint(query: str, position: int, hint: str | None) -> None:
    with pytest.raises(QueryError) as info:
        parse_query(query)
    assert info.value.position == position, str(info.value)
    if hint:
        assert hint in str(info.value)


def test_no_completion_is_a_clear_error(corpus: Corpus) -> None:
    with pytest.raises(QueryError, match="no word in this corpus completes"):
        corpus.trend("zz*q")


def test_cli_lists_expansion_and_unit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from uptake.cli import main

    path = tmp_path / "s.duckdb"
    _build_indexed(path, _papers())
    assert main(["trend", '"* policy optimization", GRPO / PPO', "--db", str(path), "--expand", "1"]) == 0
    out = capsys.readouterr().out
    assert '"* policy optimization" expanded to the 1 most frequent completions: "proximal policy optimization"' in out
    assert "GRPO / PPO: ratio of paper counts" in out
    assert "200%" not in out, "a ratio (GRPO / PPO = 2 in January) is shown as a number, not a percentage"
    assert main(["trend", "GRPO / PPO", "--db", str(path), "-f", "json"]) == 0
    assert '"unit": "ratio of paper counts' in capsys.readouterr().out


def test_plot_draws_ratios_on_their_own_axis_and_keeps_negative_differences(corpus: Corpus) -> None:
    import matplotlib

    matplotlib.use("Agg")
    t = corpus.trend("GRPO / PPO, PPO - GRPO, DPO")
    ax = uptake.plot(t)
    twins = [a for a in ax.figure.axes if a is not ax]
    assert len(twins) == 1 and twins[0].get_ylabel() == "Ratio of paper counts"
    assert twins[0].lines[0].get_label().startswith("GRPO / PPO")
    assert max(twins[0].lines[0].get_ydata()) == pytest.approx(2.0)  # unscaled, not 200 %
    assert ax.get_ylim()[0] < 0, "PPO - GRPO is below zero in January and must stay visible"
    import matplotlib.pyplot as plt

    plt.close(ax.figure)


@pytest.mark.parametrize("use_index", [True, False])
def test_phrase_wildcard_counts_overlapping_occurrences(tmp_path: Path, use_index: bool) -> None:
    papers = [make_paper("2501.00001", "t", "a optimization optimization", published="2025-01-05")]
    corpus = _build_indexed(tmp_path / "s.duckdb", papers)
    t = corpus.trend('"* optimization"', expand=5) if use_index else _scan(
        lambda: corpus.trend('"* optimization"', expand=5))
    assert t.filters["expanded"]['"* optimization"'] == ['"a optimization"', '"optimization optimization"']
