"""The store keeps no folded token string for ASCII text and derives it when read (SQL ``lower`` of the exact
one): readers get the same tokens as text.py.

Property tests against the reference tokenizer (:func:`uptake.text.token_string`) on generated Unicode:
combining marks, NFKC-changing characters, CJK, emoji, underscores, digits, and plain ASCII.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import make_paper
from uptake.ingest import upsert
from uptake.plans import EVERYTHING
from uptake.store import Store
from uptake.store._scan import TOKEN_SQL
from uptake.text import folds_by_lower, token_string

#: Pieces chosen to stress the tokenizer: combining marks, compatibility forms NFKC rewrites (ligatures,
#: full-width, superscripts, fractions, circled digits), casefold expanders (ß, İ, ς), CJK, emoji,
#: underscores, digits, separators, and ASCII punctuation.
SPECIAL = ["e\u0301", "\u0301", "\u20dd", "ﬁ", "Ｇ", "²", "½", "①", "ß", "İ", "ς", "Σ", "漢字", "かな",
           "😀", "👍🏽", "_", "a_b", "0", "42", "x1", "\u00a0", "\u2028", "\t", "-", ".", "'", "Ǆ", "ǅ", "ﬃ", "㎏",
           "Ⅻ", "٣", "١٢", "ᾈ", "K", "Å"]
ascii_text = st.text(alphabet=st.characters(max_codepoint=127), max_size=60)
unicode_text = st.lists(st.one_of(st.sampled_from(SPECIAL), st.text(max_size=4), ascii_text.map(lambda t: t[:8])),
                        max_size=12).map("".join)


@given(ascii_text)
def test_ascii_folded_tokens_are_the_lowered_exact_ones(text: str) -> None:
    assert folds_by_lower(text)
    assert token_string(text) == token_string(text, case_sensitive=True).lower()


@given(unicode_text)
def test_folds_by_lower_only_where_it_holds(text: str) -> None:
    assert folds_by_lower(text) == text.isascii()
    if folds_by_lower(text):
        assert token_string(text) == token_string(text, case_sensitive=True).lower()


_COLUMNS = ("title_tok", "abstract_tok", "title_tok_cs", "abstract_tok_cs")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.one_of(unicode_text, ascii_text), st.one_of(unicode_text, ascii_text)),
                min_size=1, max_size=8))
def test_store_token_strings_equal_the_tokenizer(tmp_path_factory, texts) -> None:  # type: ignore[no-untyped-def]
    """What every reader of the store sees (stored or derived in SQL) is the reference tokenizer's output."""
    db = Path(tmp_path_factory.mktemp("tok")) / "s.duckdb"
    papers = [make_paper(f"2501.{i:05d}", title, abstract) for i, (title, abstract) in enumerate(texts)]
    with Store.open(db, write=True) as s:
        s.begin(); upsert(s, papers); s.commit()
        select = ", ".join(TOKEN_SQL[c] for c in _COLUMNS)
        got = {r[0]: r[1:] for r in s._rows(f"SELECT id, {select} FROM papers")}
        listed = s.token_rows(EVERYTHING, columns=("doc", *_COLUMNS))  # the path queries use
        stored_nulls = s._rows("SELECT count(*) FILTER (WHERE title_tok IS NULL) FROM papers")[0][0]
    for p in papers:
        want = (token_string(p.title), token_string(p.abstract), token_string(p.title, case_sensitive=True),
                token_string(p.abstract, case_sensitive=True))
        assert got[p.id] == want
    assert sorted(r[1:] for r in listed) == sorted(got.values())
    assert stored_nulls == sum(1 for p in papers if p.title.isascii())
