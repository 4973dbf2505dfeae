"""Issue 14 (query parser): deep nesting is a QueryError; fuzzing never finds another exception."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uptake.errors import QueryError
from uptake.query import parse_query
from uptake.query.parse import MAX_DEPTH


def test_parentheses_245_deep_are_a_query_error_with_position_and_hint():
    text = "(" * 245 + "a" + ")" * 245
    assert len(text) < 500
    with pytest.raises(QueryError) as info:
        parse_query(text)
    assert "nested more than" in str(info.value) and info.value.position == MAX_DEPTH and info.value.hint


@pytest.mark.parametrize("text", ["NOT " * 400 + "a", "-(" * 300 + "a" + ")" * 300, "(a + " * 200 + "b" + ")" * 200])
def test_other_deep_nestings_are_query_errors(text):
    with pytest.raises(QueryError):
        parse_query(text)


def test_nesting_up_to_the_limit_parses():
    parse_query("(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH)
    parse_query("NOT " * (MAX_DEPTH - 1) + "a")


_WORDS = st.sampled_from(["GRPO", "LoRA", "llama", "GR*O", "*", "x1", "direct preference", "a:b", "é", "C++", "_"])
_ATOMS = st.one_of(
    _WORDS,
    _WORDS.map(lambda w: f'"{w}"'),
    _WORDS.map(lambda w: f"={w}"),
    st.sampled_from(["title:", "abstract:", "cat:", "has:", "titel:"]).flatmap(
        lambda f: _WORDS.map(lambda w: f + w)),
    st.sampled_from(["cat:cs", "cat:cs.CL", "has:code", "has:data"]),
)


def _expr(children):
    return st.one_of(
        st.tuples(children, st.sampled_from([" ", " AND ", " | ", " OR ", ", ", " + ", " - ", " / "]), children)
        .map(lambda t: "".join(t)),
        children.map(lambda c: f"({c})"),
        children.map(lambda c: f"NOT {c}"),
        children.map(lambda c: f"-{c}"),
    )


QUERIES = st.recursive(_ATOMS, _expr, max_leaves=30)
NOISE = st.text(alphabet=st.sampled_from(list('()"|,=-+/*: aAND OR NOT xé\t')), max_size=60)


@settings(derandomize=True, max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(QUERIES, NOISE, st.text(max_size=80), st.tuples(QUERIES, NOISE).map("".join)))
def test_parse_returns_a_query_or_raises_query_error_quickly(text):
    started = time.thread_time()  # CPU, not wall clock: a loaded machine must not fail this
    try:
        query = parse_query(text)
    except QueryError as exc:
        assert 0 <= exc.position <= len(exc.query)
    else:
        assert query.series
    assert time.thread_time() - started < 0.5


@settings(derandomize=True, max_examples=30, deadline=None)
@given(st.integers(min_value=MAX_DEPTH + 1, max_value=1000), st.sampled_from(["(", "NOT ", "-(", "=("]))
def test_any_deep_prefix_is_a_query_error(depth, opener):
    text = (opener * depth + "a" + ")" * depth)[:1999]
    with pytest.raises(QueryError):
        parse_query(text)
