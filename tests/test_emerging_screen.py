"""The emerging-terms screen (``Store.gram_screen``) against a brute-force count of every paper's candidate grams,
written from the method's definition with uptake's tokenizer: on hand-picked and generated text (capitals,
digits, stop words, ``ß``/``ǅ``/final sigma, CJK, combining marks, NFKC-changing characters)."""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import make_paper, store_with
from uptake.analytics.emerging import EDGE_WORDS, keep_candidate, keep_candidates
from uptake.periods import month_of, parse_month
from uptake.records import Paper
from uptake.store import Store, _grams
from uptake.text import tokens

EDGES = frozenset(EDGE_WORDS)
RECENT = (parse_month("2026-01"), parse_month("2026-03"))
BASELINE = (parse_month("2025-01"), parse_month("2025-12"))


def _edge(token: str) -> bool:
    """A token that may not start or end a candidate: an edge word, ASCII digits only, or one character."""
    return token in EDGES or (token.isascii() and token.isdigit()) or len(token) == 1


def _lower(token: str) -> str:
    """SQL ``lower``: each character's own lower case (so no final-sigma rule, unlike ``str.lower``)."""
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in token)


def _unigram(token: str) -> str:
    return token if sum("A" <= c <= "Z" for c in token) >= 2 else _lower(token)


def brute_force(papers: list[Paper], max_words: int, min_recent: int) -> list[tuple[str, int, int]]:
    recent: Counter[str] = Counter()
    baseline: Counter[str] = Counter()
    for p in papers:
        m = month_of(p.published)
        if not (BASELINE[0] <= m <= BASELINE[1] or RECENT[0] <= m <= RECENT[1]):
            continue
        grams = set()
        for text in (p.title, p.abstract):
            exact = tokens(text, case_sensitive=True)
            grams |= {_unigram(t) for t in exact if not _edge(_lower(t))}
            folded = tokens(text)
            assert folded == [t.casefold() for t in exact]  # what the screen relies on
            for n in range(2, max_words + 1):
                for i in range(len(folded) - n + 1):
                    if not _edge(folded[i]) and not _edge(folded[i + n - 1]):
                        grams.add(" ".join(folded[i:i + n]))
        grams = {g for g in grams if len(g) > 1}
        (recent if m >= RECENT[0] else baseline).update(grams)
    return sorted((g, recent[g], baseline[g]) for g in set(recent) | set(baseline) if recent[g] >= min_recent)


def screen(path: Path, max_words: int = 3, min_recent: int = 1) -> tuple[list[tuple[str, int, int]], tuple[int, int]]:
    with Store.open(path) as store:
        table, sizes = store.gram_screen(recent=RECENT, baseline=BASELINE, rates=(1.0, 1.0), categories=(),
                                         max_words=max_words, min_recent=min_recent, edge_words=EDGE_WORDS)
    return list(zip(table["gram"].to_pylist(), table["recent"].to_pylist(), table["baseline"].to_pylist())), sizes


def test_hand_picked_papers(tmp_path: Path) -> None:
    papers = [
        make_paper("2601.00001", "GRPO and LoRA for LLMs", "We use GRPO. Group relative policy optimization, "
                   "again group relative policy optimization; the 2 models in 3D.", published="2026-01-10"),
        make_paper("2601.00002", "Straße der Größe", "ΣΟΦΙΑ σοφίας ǅungla ﬁne-tuning x y z 4090 GPU.",
                   published="2026-02-10"),
        make_paper("2501.00001", "Policy optimization", "Group relative policy optimization is rare here.",
                   published="2025-04-10"),
        make_paper("2501.00002", "", "", published="2025-05-10"),
        make_paper("2401.00001", "Outside the windows", "group relative policy", published="2024-05-10"),
    ]
    store_with(tmp_path / "s.duckdb", papers)
    rows, sizes = screen(tmp_path / "s.duckdb")
    assert sizes == (2, 2)
    assert rows == brute_force(papers, 3, 1)
    got = {g: (r, b) for g, r, b in rows}
    assert got["GRPO"] == (1, 0) and got["group relative policy"] == (1, 1) and got["policy optimization"] == (1, 1)
    assert "the" not in got and "4090" not in got and "x y" not in got and "and lora" not in got
    assert got["straße"] == (1, 0) and got["strasse der grösse"] == (1, 0)  # unigram lower, phrases casefold


WORDS = ["GRPO", "LoRA", "policy", "the", "of", "Model", "2", "42", "x", "Straße", "ǅemal", "ΣΟΦΟΣ", "naïve",
         "nai\u0308ve", "ﬁne", "Ⅻ", "東京大学", "emoji🙂word", "snake_case", "A1", "KV", "paper", "Large"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.lists(st.sampled_from(WORDS), max_size=6), st.lists(st.sampled_from(WORDS), max_size=14),
                          st.sampled_from(["2025-02-03", "2025-11-30", "2026-01-01", "2026-03-31", "2024-12-31"])),
                min_size=1, max_size=25),
       st.integers(1, 3), st.integers(1, 3))
def test_generated_papers(tmp_path: Path, docs: list[tuple[list[str], list[str], str]], max_words: int,
                          min_recent: int) -> None:
    papers = [make_paper(f"2501.{i:05d}", " ".join(t), " ".join(a), published=d) for i, (t, a, d) in enumerate(docs)]
    path = tmp_path / f"g{next(_n)}.duckdb"
    store_with(path, papers)
    rows, _ = screen(path, max_words, min_recent)
    assert rows == brute_force(papers, max_words, min_recent)


_n = itertools.count()


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.lists(st.sampled_from(WORDS[:8]), max_size=5), st.lists(st.sampled_from(WORDS), max_size=12),
                          st.sampled_from(["2025-02-03", "2026-01-01", "2026-03-31"])), min_size=1, max_size=30),
       st.integers(2, 4))
def test_hash_collisions_never_drop_a_kept_gram(tmp_path: Path, docs: list[tuple[list[str], list[str], str]],
                                                min_recent: int) -> None:
    """With two buckets nearly every key shares its bucket, so the pre-count is at its loosest: still exact."""
    papers = [make_paper(f"2501.{i:05d}", " ".join(t), " ".join(a), published=d) for i, (t, a, d) in enumerate(docs)]
    path = tmp_path / f"c{next(_n)}.duckdb"
    store_with(path, papers)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_grams, "PRECOUNT_BITS", 1)
        rows, _ = screen(path, 3, min_recent)
    assert rows == brute_force(papers, 3, min_recent)


TOKEN_TEXT = st.lists(st.sampled_from([" ", "  ", "a", "Z", "ß", "東", "🙂", "e\u0301", "_", "9", "\u00a0"]),
                      max_size=12).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), TOKEN_TEXT), max_size=12), st.integers(0, 3), st.booleans())
def test_split_tokens_is_splitting_on_spaces(strings: list[str | None], cut: int, large: bool) -> None:
    """Every string's tokens, in order, are its pieces between spaces (nulls and blank strings hold none); also
    for an array that is a slice of a longer one (a non-zero offset) and for both string types."""
    arr = pa.array(["x y", *strings, "tail"], type=pa.large_string() if large else pa.string())[1:1 + len(strings)]
    ids, words, per_row = _grams.split_tokens(arr)
    expected = [[t for t in (s or "").split(" ") if t] for s in strings]
    assert per_row.tolist() == [len(e) for e in expected]
    vocab = words.to_pylist()
    assert len(set(vocab)) == len(vocab)
    assert [vocab[i] for i in ids] == [t for e in expected for t in e]
    assert ids.dtype == np.int32


PIECES = ["the", "The", "of", "paper", "Paper", "model", "GRPO", "x", "Ⅻ", "12", "²", "٣", "ß", "straße", "Σ",
          "σοφος", "ǅemal", "naïve", "a1", "In", "this", "in", "東京", "_", "kv", "KV"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.one_of(st.sampled_from(PIECES), st.text(min_size=0, max_size=4)), min_size=1, max_size=3)
                .map(" ".join), max_size=30))
def test_keep_candidates_is_keep_candidate_of_each(grams: list[str]) -> None:
    assert keep_candidates(grams).tolist() == [keep_candidate(g) for g in grams]
