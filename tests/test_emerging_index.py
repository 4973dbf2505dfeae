"""`emerging` recounts its candidates from the term index when the store has a fresh one: the same report as the
store's scan, with the scan never run; and the tally of per-candidate paper lists equals the tally of per-paper
match sets it replaces."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import make_paper, store_with
from uptake import index as ix
from uptake.analytics.emerging import tally, tally_docs
from uptake.corpus import Corpus
from uptake.store import Store
from uptake.store._reads import Reads
from uptake.synthetic import PlantedTerm, SyntheticCorpus

PLANTED = (
    PlantedTerm("QXRT", ("QXRT",), "logistic", K=0.012, r=0.6, t0="2025-11", onset="2025-05",
                companion="quantum xeno resonance tuning", companion_rate=0.6),
    PlantedTerm("sparse lattice gossip", ("sparse lattice gossip",), "logistic", K=0.008, r=0.5, t0="2026-01",
                onset="2025-06"),
    PlantedTerm("fadingterm", ("fadingterm",), "logistic", K=0.02, r=-0.5, t0="2025-08", onset="2024-01"),
)
RECENT, BASELINE = "2026-01:2026-05", "2025-01:2025-12"


def _indexed(path: Path) -> Corpus:
    with Store.open(path, write=True) as store:
        ix.rebuild(store)
    return Corpus(path)


def _report(corpus: Corpus, **options: Any) -> dict[str, Any]:
    d = corpus.emerging(**options).as_dict()
    d.pop("seconds")
    d.pop("stages")
    return d


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> tuple[Corpus, Corpus]:
    """(the same papers with a fresh term index, without one)."""
    synth = SyntheticCorpus(n_papers=12_000, start="2024-07", end="2026-06", seed=5, planted=PLANTED,
                            vocabulary_size=8_000, sentence_pool=2_000)
    root = tmp_path_factory.mktemp("emerging-index")
    store_with(root / "plain.duckdb", synth.papers())
    shutil.copy(root / "plain.duckdb", root / "indexed.duckdb")
    return _indexed(root / "indexed.duckdb"), Corpus(root / "plain.duckdb")


@pytest.mark.parametrize("small_node", [ix.SMALL_NODE, 0])  # 0: every candidate through the month-range query
@pytest.mark.parametrize("options", [
    {"recent": RECENT, "baseline": BASELINE, "top": 15},
    {"recent": RECENT, "baseline": BASELINE, "top": 40, "min_support": 3, "include_coverage_shifts": True},
    {"recent": RECENT, "baseline": BASELINE, "top": 10, "category": "cs.LG"},
    {},
])
def test_the_index_gives_the_scans_report_without_scanning(stores: tuple[Corpus, Corpus], options: dict[str, Any],
                                                           small_node: int, monkeypatch: pytest.MonkeyPatch) -> None:
    indexed, plain = stores
    monkeypatch.setattr(ix, "SMALL_NODE", small_node)
    expected = _report(plain, **options)
    assert expected["recounted"] > 0

    def forbidden(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the recount scanned the store although its index is fresh")

    monkeypatch.setattr(Reads, "gram_recount", forbidden)
    assert _report(indexed, **options) == expected


def test_a_stale_index_is_not_used(tmp_path: Path) -> None:
    base = [make_paper(f"2501.{i:05d}", "Plain words here", "Nothing to see in this abstract at all.",
                       published="2025-03-10") for i in range(60)]
    recent = [make_paper(f"2602.{i:05d}", "Title alpha beta gamma", "We discuss alpha beta gamma here.",
                         published="2026-02-10") for i in range(40)]
    later = [make_paper("2604.00001", "Later", "A later paper.", published="2026-04-10")]
    corpus = store_with(tmp_path / "s.duckdb", base + recent[:20] + later)
    _indexed(tmp_path / "s.duckdb")
    store_with(tmp_path / "s.duckdb", recent[20:])  # imported after the index: it no longer reflects the store
    rep = corpus.emerging(recent="2026-02:2026-02", baseline="2025-01:2025-12", min_support=5,
                          include_coverage_shifts=True)
    assert {t.term: t.recent for t in rep.terms}.get("alpha beta gamma") == 40


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.sampled_from(["cs.LG", "cs.CL", "(none)"]),
                          st.sets(st.sampled_from(["a", "b c", "D", "e f g"]))), max_size=40),
       st.integers(0, 6))
def test_tally_from_paper_lists_equals_tally_from_match_sets(papers: list[tuple[int, str, set[str]]],
                                                            recent_lo: int) -> None:
    cands = ["a", "b c", "D", "e f g"]
    groups = [(False, ["a", "b c", "e f g"]), (True, ["D"])]
    back = {(cs, g): g for cs, grp in groups for g in grp}
    rows = [(month, cat, sorted(found), 1) for month, cat, found in papers if found]
    docs = [3 * i + 1 for i in range(len(papers))]  # ascending, with gaps, as store docs are
    found = [[d for d, (_, _, f) in zip(docs, papers) if g in f] for g in cands]
    expected = tally(rows, groups, back, cands, recent_lo)
    got = tally_docs(cands, found, docs, [m for m, _, _ in papers], [c for _, c, _ in papers], recent_lo)
    assert got == expected


def test_an_index_naming_papers_the_store_lacks_is_reported_and_the_scan_answers(
        stores: tuple[Corpus, Corpus], monkeypatch: pytest.MonkeyPatch) -> None:
    import uptake.corpus._emerging as orchestration
    from uptake.errors import IndexDamagedWarning

    indexed, plain = stores
    options = {"recent": RECENT, "baseline": BASELINE, "top": 10}
    expected = _report(plain, **options)
    real = orchestration.node_docs

    def with_a_stranger(*args: Any, **kwargs: Any) -> list[list[int]]:
        found = real(*args, **kwargs)
        return [docs + [10**9] for docs in found]  # a doc number the store never gave out

    monkeypatch.setattr(orchestration, "node_docs", with_a_stranger)
    with pytest.warns(IndexDamagedWarning):
        assert _report(indexed, **options) == expected
