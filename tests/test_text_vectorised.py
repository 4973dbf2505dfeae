"""The vectorised tokenizer (:func:`uptake.text.exact_token_strings`, :func:`uptake.text.folded_token_strings`) and
the vectorised hint test of artifact detection (:func:`uptake.analytics.openness.may_find`) against the reference
functions, on hypothesis-generated Unicode: combining marks, NFKC-changing characters, CJK, emoji, underscores,
digits, white space and control characters, and plain ASCII. ASCII rows take the array path, every other row
the reference path; the combined result must equal the reference everywhere.
"""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from uptake.analytics.openness import _LINK_HINTS, _PROMISE_HINTS, detect, may_find
from uptake.text import _VECTOR_ROWS, exact_token_strings, folded_token_strings, token_string

SPECIAL = ["e\u0301", "\u0301", "\u20dd", "ﬁ", "Ｇ", "²", "½", "①", "ß", "İ", "ς", "Σ", "漢字", "かな",
           "😀", "👍🏽", "_", "a_b", "0", "42", "x1", "\u00a0", "\u2028", "\t", "\n", "\x00", "\x7f", "-", ".", "'",
           "Ǆ", "ǅ", "ﬃ", "㎏", "Ⅻ", "٣", "١٢", "ᾈ", "K", "Å", "ſ", "ｗｉｌｌ", "  ", "__"]
ascii_text = st.text(alphabet=st.characters(max_codepoint=127), max_size=60)
unicode_text = st.lists(st.one_of(st.sampled_from(SPECIAL), st.text(max_size=4), ascii_text.map(lambda t: t[:8])),
                        max_size=12).map("".join)
texts = st.lists(st.one_of(unicode_text, ascii_text, st.none()), max_size=30)


def _reference_exact(values: list[str | None]) -> list[str | None]:
    return [None if t is None else token_string(t, case_sensitive=True) for t in values]


@settings(max_examples=300, deadline=None)
@given(texts)
def test_exact_token_strings_equal_the_reference(values: list[str | None]) -> None:
    assert exact_token_strings(pa.array(values, pa.string())).to_pylist() == _reference_exact(values)


@settings(max_examples=200, deadline=None)
@given(st.lists(ascii_text, max_size=30))
def test_ascii_only_arrays_take_the_array_path_and_agree(values: list[str]) -> None:
    assert exact_token_strings(pa.array(values, pa.string())).to_pylist() == _reference_exact(list(values))


@settings(max_examples=200, deadline=None)
@given(texts)
def test_folded_token_strings_are_the_reference_where_the_store_keeps_them(values: list[str | None]) -> None:
    got = folded_token_strings(pa.array(values, pa.string())).to_pylist()
    assert got == [None if t is None or t.isascii() else token_string(t) for t in values]


@settings(max_examples=50, deadline=None)
@given(texts, st.integers(0, 5))
def test_slices_chunks_and_large_strings(values: list[str | None], cut: int) -> None:
    arr = pa.array(values, pa.string())
    sliced = arr.slice(min(cut, len(arr)))
    assert exact_token_strings(sliced).to_pylist() == _reference_exact(values[min(cut, len(values)):])
    chunked = pa.chunked_array([arr, arr], pa.string())
    assert exact_token_strings(chunked).to_pylist() == _reference_exact(values) * 2
    assert exact_token_strings(arr.cast(pa.large_string())).to_pylist() == _reference_exact(values)


def test_more_rows_than_one_step() -> None:
    values = [f"row {i}: GRPO-based {'ü' if i % 97 == 0 else 'u'}_x {i * 7}" for i in range(2 * _VECTOR_ROWS + 11)]
    assert exact_token_strings(pa.array(values)).to_pylist() == _reference_exact(values)
    assert exact_token_strings(pa.array([], pa.string())).to_pylist() == []


def _reference_may_find(text: str | None) -> bool:
    if not text:
        return False
    if not text.isascii():
        return True
    low = text.lower()
    return any(h in low for h in (*_LINK_HINTS, *_PROMISE_HINTS))


hinted = st.lists(st.one_of(st.sampled_from([*_LINK_HINTS, *_PROMISE_HINTS, "WILL", "Http", "GitHub.COM", "To Be Released"]),
                            ascii_text.map(lambda t: t[:10]), st.sampled_from(SPECIAL)), max_size=8).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(hinted, ascii_text, unicode_text, st.none()), max_size=20))
def test_may_find_is_the_detectors_own_hint_test(values: list[str | None]) -> None:
    assert may_find(pa.array(values, pa.string())).to_pylist() == [_reference_may_find(t) for t in values]


@settings(max_examples=300, deadline=None)
@given(st.one_of(hinted, ascii_text), st.one_of(hinted, ascii_text, st.none()))
def test_fields_without_hints_give_the_empty_result(abstract: str, comments: str | None) -> None:
    """Where may_find says no for both fields, detect finds nothing: what the columnar import relies on."""
    quiet = not any(may_find(pa.array([abstract, comments], pa.string())).to_pylist())
    if quiet:
        found = detect(abstract, comments)
        assert (found.links, found.promises) == ((), ())
