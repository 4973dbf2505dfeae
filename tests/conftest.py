"""Shared fixtures: small stores built from hand-written or synthetic papers."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path

import pytest

from uptake.corpus import Corpus
from uptake.records import Paper
from uptake.store import Store
from uptake.ingest import upsert

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
REAL_DATA = SHARED / "data" / "arxiv-real"
FORMATS = SHARED / "data" / "arxiv-formats"
FIXTURES = Path(__file__).parent / "fixtures"


def make_paper(
    id: str,
    title: str = "A title",
    abstract: str = "",
    *,
    categories: Iterable[str] = ("cs.LG",),
    published: str = "2025-01-15",
    updated: str | None = None,
    comments: str | None = None,
) -> Paper:
    pub = date.fromisoformat(published)
    return Paper(
        id=id, title=title, abstract=abstract, categories=tuple(categories), published=pub,
        updated=date.fromisoformat(updated) if updated else pub, comments=comments,
    )


def store_with(path: Path, papers: Iterable[Paper]) -> Corpus:
    """A store at ``path`` holding ``papers``; returns the Corpus over it."""
    with Store.open(path, write=True) as store:
        store.begin()
        upsert(store, list(papers))
        store.commit()
    return Corpus(path)


@pytest.fixture
def make_store(tmp_path: Path) -> Callable[..., Corpus]:
    counter = iter(range(10_000))

    def build(papers: Iterable[Paper]) -> Corpus:
        return store_with(tmp_path / f"store{next(counter)}.duckdb", papers)

    return build


@pytest.fixture(scope="session")
def synthetic_corpus(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A 20,000-paper synthetic corpus (2019-01..2026-06) in a store, with its ground truth."""
    from uptake.synthetic import SyntheticCorpus

    synth = SyntheticCorpus(n_papers=20_000, start="2019-01", end="2026-06", seed=11,
                            vocabulary_size=30_000, sentence_pool=8_000)
    path = tmp_path_factory.mktemp("synth") / "synth.duckdb"
    corpus = store_with(path, synth.papers())
    return corpus, synth


def real_data_files() -> list[Path]:
    files = sorted(REAL_DATA.glob("*.jsonl.gz"))
    if not files:
        pytest.skip(f"the shared real corpus is not at {REAL_DATA} (only on development machines and CI)")
    return files


@pytest.fixture(autouse=True)
def _no_user_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never touch the user's real store or data directory."""
    monkeypatch.setenv("UPTAKE_DB", str(tmp_path / "default.duckdb"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def real_corpus(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """All of ../shared/data/arxiv-real imported once per test session: (corpus, files, summary, seconds).

    Tests must not write to it.
    """
    import time

    files = real_data_files()
    corpus = Corpus(tmp_path_factory.mktemp("real") / "real.duckdb")
    started = time.perf_counter()
    summary = corpus.import_files(files)
    return corpus, files, summary, time.perf_counter() - started
