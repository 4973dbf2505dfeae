"""The library's front door, ``uptake.open(path)`` / :class:`uptake.Corpus`: public surface only."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest
from conftest import make_paper, store_with

import uptake
from uptake.deadline import Deadline
from uptake.errors import (
    DeadlineExceeded,
    NoCorpusError,
    PeriodError,
    UnknownCategoryError,
    UptakeError,
    UsageError,
)

PAPERS = [
    make_paper("2501.00001", "GRPO for math", "Group relative policy optimization.", published="2025-01-10",
               categories=("cs.LG", "cs.AI")),
    make_paper("2501.00002", "PPO baselines", "We compare PPO and DPO.", published="2025-01-20",
               categories=("cs.CL",)),
    make_paper("2502.00001", "Nothing to see", "Plain text.", published="2025-02-03", categories=("math.OC",)),
    make_paper("2503.00001", "GRPO at scale", "GRPO with PPO-style clipping.", published="2025-03-05",
               categories=("cs.LG",)),
    make_paper("2503.00002", "More RL", "grpo, lower case.", published="2025-03-28", categories=("cs.LG",)),
    make_paper("2504.00001", "DPO again", "Direct preference optimization.", published="2025-04-02",
               categories=("cs.CL", "cs.LG")),
]


@pytest.fixture(scope="module")
def path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One store for the module: the tests only read it."""
    p = tmp_path_factory.mktemp("corpus") / "corpus.duckdb"
    store_with(p, PAPERS)
    return p


@pytest.fixture
def corpus(path: Path) -> uptake.Corpus:
    return uptake.open(path)


def counts(trend: uptake.Trend) -> dict[str, list[int]]:
    return {s.label: [p.count for p in s.points] for s in trend.series}


# ------------------------------------------------------------------------------------------- opening
def test_open_returns_a_corpus(path: Path) -> None:
    c = uptake.open(path)
    assert isinstance(c, uptake.Corpus)
    assert c.path == path
    assert repr(c) == f"Corpus({str(path)!r})"
    assert uptake.open(str(path)).path == path


def test_a_missing_store_says_what_to_do(tmp_path: Path) -> None:
    c = uptake.open(tmp_path / "nothing.duckdb")
    for read in (c.stats, lambda: c.trend("GRPO"), lambda: c.papers("GRPO")):
        with pytest.raises(NoCorpusError, match="import records first"):
            read()
    assert not (tmp_path / "nothing.duckdb").exists()  # reading never creates a store


# ------------------------------------------------------------------------------------------- stats
def test_stats(corpus: uptake.Corpus, path: Path) -> None:
    s = corpus.stats()
    assert isinstance(s, uptake.Stats)
    assert s.papers == 6
    assert (s.first, s.last) == (date(2025, 1, 10), date(2025, 4, 2))
    assert s.months == (("2025-01", 2), ("2025-02", 1), ("2025-03", 2), ("2025-04", 1))
    assert s.categories[0] == ("cs.LG", 4)
    assert dict(s.categories) == {"cs.LG": 4, "cs.CL": 2, "cs.AI": 1, "math.OC": 1}
    assert sum(n for _, n in s.primary_categories) == 6
    assert s.path == str(path)
    d = s.as_dict()
    assert d["papers"] == 6 and d["first"] == "2025-01-10" and d["last"] == "2025-04-02"
    assert d["months"][0] == {"period": "2025-01", "total": 2}
    assert corpus.stats(top_categories=1).categories == (("cs.LG", 4),)


# ------------------------------------------------------------------------------------------- trend
def test_trend_counts_and_shares(corpus: uptake.Corpus) -> None:
    t = corpus.trend("GRPO, PPO")
    assert isinstance(t, uptake.Trend)
    assert t.periods == ["2025-01", "2025-02", "2025-03", "2025-04"]
    assert counts(t) == {"GRPO": [1, 0, 2, 0], "PPO": [1, 0, 1, 0]}
    grpo = t.series[0].points
    assert [p.total for p in grpo] == [2, 1, 2, 1]
    assert [p.share for p in grpo] == [0.5, 0.0, 1.0, 0.0]
    assert grpo[0].share_low is not None and grpo[0].share_low < 0.5 < grpo[0].share_high
    assert t.filters["from"] == "2025-01" and t.filters["to"] == "2025-04"
    assert t.corpus.papers == 6


def test_trend_options(corpus: uptake.Corpus) -> None:
    q = corpus.trend("GRPO", by="quarter")
    assert q.periods == ["2025-Q1", "2025-Q2"] and counts(q)["GRPO"] == [3, 0]
    assert [p.complete for p in q.series[0].points] == [True, False]  # the corpus ends on 2025-04-02
    assert counts(corpus.trend("GRPO", case_sensitive=True))["GRPO"] == [1, 0, 1, 0]  # not "grpo,"
    assert counts(corpus.trend("GRPO", field="title"))["GRPO"] == [1, 0, 1, 0]
    assert counts(corpus.trend("GRPO", category="cs.LG"))["GRPO"] == [1, 0, 2, 0]
    cl = corpus.trend("DPO", category=["cs.CL"])
    assert [p.total for p in cl.series[0].points] == [1, 0, 0, 1]
    wide = corpus.trend("GRPO", start="2024-12", end="2025-02")
    assert wide.periods == ["2024-12", "2025-01", "2025-02"]
    c = corpus.trend("GRPO", measure="count", smooth=3)
    assert c.measure == "count" and c.unit() == "papers, centred 3-period moving average"
    assert [c.value(p) for p in c.series[0].points] == pytest.approx([0.5, 1.0, 2 / 3, 1.0])


def test_trend_with_derived_series(corpus: uptake.Corpus) -> None:
    t = corpus.trend("GRPO / PPO")
    assert [p.share for p in t.series[0].points] == [1.0, None, 2.0, None]
    assert t.series[0].unit is not None and t.series[0].unit.startswith("ratio")


# ------------------------------------------------------------------------------------------ papers
def test_papers(corpus: uptake.Corpus) -> None:
    pl = corpus.papers("GRPO")
    assert isinstance(pl, uptake.PaperList)
    assert pl.total == 3
    assert [p.id for p in pl.papers] == ["2503.00002", "2503.00001", "2501.00001"]  # newest first
    first = pl.papers[-1]
    assert isinstance(first, uptake.PaperRow)
    assert first.published == date(2025, 1, 10) and first.title == "GRPO for math"
    assert set(first.categories) == {"cs.LG", "cs.AI"}
    assert first.as_dict()["url"] == "https://arxiv.org/abs/2501.00001"
    assert first.as_dict()["date"] == "2025-01-10"


def test_papers_options(corpus: uptake.Corpus) -> None:
    assert [p.id for p in corpus.papers("GRPO", period="2025-03").papers] == ["2503.00002", "2503.00001"]
    assert corpus.papers("GRPO", period="2025-Q1", by="quarter").total == 3
    page = corpus.papers("GRPO", limit=1, offset=1)
    assert page.total == 3 and [p.id for p in page.papers] == ["2503.00001"]
    assert corpus.papers("GRPO", limit=0).papers == ()
    assert corpus.papers("GRPO, DPO", start="2025-04").total == 1
    assert corpus.papers("GRPO", category="cs.AI").total == 1
    assert corpus.papers("nonexistentterm").total == 0


# ------------------------------------------------------------------------------------------- values
def test_results_are_frozen_values(corpus: uptake.Corpus) -> None:
    t = corpus.trend("GRPO")
    pl = corpus.papers("GRPO")
    s = corpus.stats()
    for value, attr in [(t, "query"), (t.series[0], "label"), (t.series[0].points[0], "count"), (pl, "total"),
                        (pl.papers[0], "title"), (s, "papers"), (t.corpus, "papers")]:
        assert dataclasses.is_dataclass(value)
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(value, attr, None)
    assert isinstance(t.series, tuple) and isinstance(t.series[0].points, tuple) and isinstance(pl.papers, tuple)
    assert corpus.trend("GRPO") == t  # same question, same value
    assert corpus.papers("GRPO") == pl


# ------------------------------------------------------------------------------------------- errors
@pytest.mark.parametrize(("kwargs", "message"), [
    ({"by": "week"}, "--by must be one of month, quarter, year, not 'week'"),
    ({"measure": "ratio"}, "--measure must be one of share, count, not 'ratio'"),
    ({"smooth": 0}, "--smooth must be 1 (no smoothing) or more periods"),
    ({"field": "body"}, "--field must be one of title, abstract (or both by default), not 'body'"),
])
def test_bad_trend_options(corpus: uptake.Corpus, kwargs: dict, message: str) -> None:
    with pytest.raises(UsageError) as info:
        corpus.trend("GRPO", **kwargs)
    assert str(info.value) == message


def test_bad_papers_options(corpus: uptake.Corpus) -> None:
    with pytest.raises(UsageError, match="--by must be one of"):
        corpus.papers("GRPO", by="week")  # type: ignore[arg-type]
    with pytest.raises(PeriodError, match="--limit and --offset must be zero or more"):
        corpus.papers("GRPO", limit=-1)
    with pytest.raises(PeriodError, match="--limit and --offset must be zero or more"):
        corpus.papers("GRPO", offset=-1)
    with pytest.raises(PeriodError, match="is a year"):
        corpus.papers("GRPO", period="2025")
    with pytest.raises(UsageError, match="--has must be one of"):
        corpus.papers("GRPO", has="source")


def test_unknown_category_with_a_hint(corpus: uptake.Corpus) -> None:
    with pytest.raises(UnknownCategoryError, match=r"category 'cs.lg'; did you mean cs.LG\?"):
        corpus.trend("GRPO", category="cs.lg")
    with pytest.raises(UnknownCategoryError, match=r"'cs.LX'; did you mean .*cs.LG"):
        corpus.trend("GRPO", category=["cs.LX"])
    with pytest.raises(UnknownCategoryError, match="uptake stats") as info:
        corpus.papers("GRPO", category="hep-th")
    assert "did you mean" not in str(info.value)
    with pytest.raises(UnknownCategoryError):
        corpus.trend("GRPO cat:cs.lg")  # a category inside the query too
    assert corpus.trend("GRPO", category="cs").series  # an archive matches its categories


def test_from_after_to(corpus: uptake.Corpus) -> None:
    with pytest.raises(PeriodError) as info:
        corpus.trend("GRPO", start="2025-04", end="2025-01")
    assert str(info.value) == "--from 2025-04 is after --to 2025-01: swap them"
    with pytest.raises(PeriodError, match="--from 2025-04 is after --to 2025-01"):
        corpus.papers("GRPO", start="2025-04", end="2025-01")
    with pytest.raises(PeriodError, match="is not a month"):
        corpus.trend("GRPO", start="2025-13")


def test_errors_are_uptake_errors(corpus: uptake.Corpus) -> None:
    with pytest.raises(UptakeError):
        corpus.trend("GRPO AND")  # a query that does not parse
    with pytest.raises(uptake.QueryError):
        corpus.papers("(GRPO")


# ----------------------------------------------------------------------------------------- deadline
@pytest.mark.parametrize("read", [
    lambda c: c.stats(),
    lambda c: c.trend("GRPO"),
    lambda c: c.trend("GRPO / PPO"),
    lambda c: c.trend("GR*"),
    lambda c: c.papers("GRPO"),
    lambda c: c.papers("GRPO", period="2025-03"),
], ids=["stats", "trend", "derived trend", "wildcard trend", "papers", "papers of a period"])
def test_an_expired_deadline_stops_every_read(path: Path, read) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DeadlineExceeded, match="time budget"):
        read(uptake.Corpus(path, deadline=Deadline(0)))


def test_an_expired_deadline_stops_reads_after_the_index_was_verified(tmp_path: Path) -> None:
    """Once this process has found the store's term index fresh, a trend can skip opening the store;
    the deadline must still hold."""
    from uptake.ingest import sync_index
    from uptake.store import Store

    path = tmp_path / "indexed.duckdb"
    store_with(path, PAPERS)

    with Store.open(path, write=True) as store:
        sync_index(store)
    plain = uptake.Corpus(path)
    expected = plain.trend("GRPO")
    assert plain.trend("GRPO") == expected  # now answered from the verified index
    late = uptake.Corpus(path, deadline=Deadline(0))
    with pytest.raises(DeadlineExceeded):
        late.trend("GRPO")
    with pytest.raises(DeadlineExceeded):
        late.papers("GRPO")


def test_a_generous_deadline_changes_nothing(corpus: uptake.Corpus, path: Path) -> None:
    d = Deadline(60)
    try:
        assert uptake.Corpus(path, deadline=d).trend("GRPO") == corpus.trend("GRPO")
    finally:
        d.cancel()


# ---------------------------------------------------------------------------------------- synthetic
def test_a_synthetic_corpus_matches_its_ground_truth(tmp_path: Path) -> None:
    from uptake.synthetic import SyntheticCorpus

    synth = SyntheticCorpus(n_papers=1500, start="2024-01", end="2025-06", seed=5, vocabulary_size=3000,
                            sentence_pool=600)
    corpus = store_with(tmp_path / "synth.duckdb", synth.papers())
    stats = corpus.stats()
    assert stats.papers == 1500
    assert dict(stats.months) == {uptake.periods.month_label(m): n for m, n in synth.monthly.items() if n}
    t = corpus.trend("DPO, PPO", start="2024-01", end="2025-06", measure="count")
    for s in t.series:
        truth = synth.truth[s.label]
        assert [p.count for p in s.points] == [truth.get(m, 0) for m in range(
            uptake.periods.parse_month("2024-01"), uptake.periods.parse_month("2025-06") + 1)], s.label
