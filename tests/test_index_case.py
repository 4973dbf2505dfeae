"""Case-sensitive matching from the term index's small exact fields (index format 3).

The exact fields hold only the tokens casefolding changes, with markers (``uptake.index._case``). These tests
check that this loses nothing: the rule (with its ASCII shortcut) equals the definition, case-sensitive vocabulary counts are
the papers that hold each token as written, and case-sensitive phrases are answered by the index (confirmed on
the store), equal to brute force over the papers' own tokens.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import make_paper, store_with
from test_index import SEPS, WORDS, brute_trend, observed
from uptake import index as ix
from uptake.index._case import CASED_MARK, case_terms
from uptake.records import Paper
from uptake.store import Store
from uptake.text import tokens


def reference_case_terms(exact: str) -> set[str]:
    """The definition, token by token: every distinct token casefolding changes, and its folded form when the
    text holds that as written, else the marked folded form."""
    held = exact.split()
    out: set[str] = set()
    for t in held:
        f = t.casefold()
        if f != t:
            out |= {t, f if f in held else CASED_MARK + f}
    return out


ascii_token = st.text(alphabet="abcdeABCDE019", min_size=1, max_size=5)
any_token = st.one_of(ascii_token, st.sampled_from(["ß", "SS", "ss", "Straße", "ǅ", "ǆ", "İ", "ﬁ", "Σσ", "ς"]))


@settings(max_examples=300, deadline=None)
@given(toks=st.lists(st.one_of(ascii_token, ascii_token, any_token), max_size=30),
       runs=st.lists(st.integers(1, 3), max_size=30))
def test_case_terms_equal_the_definition(toks: list[str], runs: list[int]) -> None:
    # tokens separated by runs of spaces, as tantivy is given them, with the padding the store's strings have
    exact = " " + "".join(t + " " * (runs[i] if i < len(runs) else 1) for i, t in enumerate(toks))
    assert set(case_terms(exact).split()) == reference_case_terms(exact)


def _unique_papers(draw_list: list[tuple[str, str, int]]) -> list[Paper]:
    return [make_paper(f"2501.{i:05d}", title=t, abstract=a, categories=["cs.CL"],
                       published=f"2025-0{m}-10", updated=f"2025-0{m}-20")
            for i, (t, a, m) in enumerate(draw_list)]


text_st = st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPS)), min_size=0, max_size=10).map(
    lambda parts: "".join(w + s for w, s in parts).strip() or "empty")
papers_st = st.lists(st.tuples(text_st, text_st, st.integers(1, 3)), min_size=1, max_size=25).map(_unique_papers)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(papers=papers_st)
def test_case_sensitive_vocabulary_counts_the_papers_holding_each_token(tmp_path_factory, papers) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("vocab") / "s.duckdb"
    store_with(path, papers)
    with Store.open(path, write=True) as store:
        ix.rebuild(store)
        idx = ix.open_fresh(store)
    assert idx is not None
    for field in ("title", "abstract", "any"):
        fields = ("title", "abstract") if field == "any" else (field,)
        for prefix in ("", "l", "L", "Lo", "lo", "s", "S", "st", "ß", "ǆ", "Ǆ", "g", "G", "2", "x"):
            want: dict[str, int] = {}
            for p in papers:
                for f in fields:
                    for t in set(tokens(p.title if f == "title" else p.abstract, case_sensitive=True)):
                        if t.startswith(prefix):
                            want[t] = want.get(t, 0) + 1
            assert idx.vocabulary(prefix, case_sensitive=True, field=field) == want, (field, prefix)  # type: ignore[arg-type]


def test_case_sensitive_phrases_are_answered_by_the_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [
        ("Large Language Models", "We adapt LoRA adapters to Large Language Models."),
        ("large language models", "lora adapters and LORA Adapters; Large language models."),
        ("Straße models", "STRASSE and Straße; the ß rule. Large Language"),
        ("GRPO training", "We train with GRPO training and grpo Training."),
        # every token of "Large Language" as written, and the phrase in another case: only the store can tell
        ("Language of Large systems", "Large language models use Language; GRPO Training, grpo training."),
    ]
    papers = [make_paper(f"2501.{i:05d}", title=t, abstract=a, categories=["cs.CL"], published=f"2025-0{1 + i % 3}-10")
              for i, (t, a) in enumerate(texts * 3)]
    path = tmp_path / "s.duckdb"
    corpus = store_with(path, papers)
    with Store.open(path, write=True) as store:
        ix.rebuild(store)

    def no_scan(*args: object, **kwargs: object) -> None:
        raise AssertionError("the exact scan ran: the index should have answered")

    monkeypatch.setattr(Store, "scan_trend", no_scan)
    query = ('="Large Language Models", ="large language", ="LoRA adapters", ="lora adapters", ="GRPO training", '
             '="Straße models", =ß, =STRASSE, ="Large Language" AND NOT ="language Models"')
    assert observed(corpus, query) == brute_trend(papers, query)
    listed = corpus.papers('="LoRA adapters" | ="GRPO training"', limit=50)
    assert {r.id for r in listed.papers} == {p.id for p in papers if "LoRA adapters" in p.abstract
                                          or "GRPO training" in p.abstract}


def test_an_index_of_the_previous_format_is_not_used_and_the_user_is_told(tmp_path: Path) -> None:
    """After an upgrade the old index cannot answer (its exact fields have positions and every token); the scan
    answers the same counts, a warning says how to rebuild, and the next `uptake index` does."""
    import json

    from uptake.cli import main
    from uptake.errors import IndexNotUsedWarning

    papers = [make_paper(f"2501.{i:05d}", title="LoRA adapters" if i % 2 else "lora", categories=["cs.CL"],
                         published="2025-01-10") for i in range(6)]
    path = tmp_path / "s.duckdb"
    corpus = store_with(path, papers)
    with Store.open(path, write=True) as store:
        ix.rebuild(store)
    root = ix.index_dir(path)
    state_file = root / (root / "CURRENT").read_text().strip() / "state.json"
    state = json.loads(state_file.read_text())
    state_file.write_text(json.dumps({**state, "format": "2"}))  # what the previous release wrote
    with pytest.warns(IndexNotUsedWarning, match="another uptake version.*uptake index"):
        assert observed(corpus, '=LoRA, ="LoRA adapters", lora') == brute_trend(papers, '=LoRA, ="LoRA adapters", lora')
    assert main(["index", "--db", str(path)]) == 0
    with Store.open(path) as store:
        assert ix.open_fresh(store) is not None
