"""Planning a parsed query into SQL predicates over the store's token columns.

Every value that came from the user travels as a bound parameter; the SQL text
is built only from fixed fragments. A term matches when its ``phrase_key`` (its
tokens joined by single spaces, padded with spaces) is a substring of a field's
token string, which is exactly "tokens occur contiguously in that field".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..text import phrase_key, tokens
from .ast import And, Category, Expr, Field, HasArtifact, Not, Or, Series, Term


@dataclass(frozen=True)
class SqlPredicate:
    sql: str
    params: tuple[Any, ...]

    @staticmethod
    def true() -> SqlPredicate:
        return SqlPredicate("TRUE", ())


def term_tokens(term: Term, *, case_sensitive: bool) -> list[str]:
    cs = term.case_sensitive if term.case_sensitive is not None else case_sensitive
    return tokens(term.text, case_sensitive=cs)


def category_predicate(code: str) -> SqlPredicate:
    """A paper listed in ``code`` (primary or cross-list); an archive such as ``cs`` means every ``cs.*``."""
    if "." in code:
        return SqlPredicate("contains(cat_str, ?)", (f" {code} ",))
    return SqlPredicate("(contains(cat_str, ?) OR contains(cat_str, ?))", (f" {code} ", f" {code}."))


def has_predicate(kind: str) -> SqlPredicate:
    """Papers linking their own artifact of ``kind`` (the column name comes from a fixed table, never the user)."""
    from ..analytics.openness import HAS_COLUMNS

    return SqlPredicate(f"coalesce({HAS_COLUMNS[kind]}, false)", ())


def categories_predicate(codes: list[str] | tuple[str, ...]) -> SqlPredicate:
    if not codes:
        return SqlPredicate.true()
    parts = [category_predicate(c) for c in codes]
    return SqlPredicate("(" + " OR ".join(p.sql for p in parts) + ")", tuple(v for p in parts for v in p.params))


def compile_expr(expr: Expr, *, case_sensitive: bool, field: Field) -> SqlPredicate:
    if isinstance(expr, Term):
        cs = expr.case_sensitive if expr.case_sensitive is not None else case_sensitive
        key = phrase_key(tokens(expr.text, case_sensitive=cs))
        where = expr.field if expr.field != "any" else field
        suffix = "_cs" if cs else ""
        if where == "title":
            return SqlPredicate(f"contains(title_tok{suffix}, ?)", (key,))
        if where == "abstract":
            return SqlPredicate(f"contains(abstract_tok{suffix}, ?)", (key,))
        return SqlPredicate(f"(contains(title_tok{suffix}, ?) OR contains(abstract_tok{suffix}, ?))", (key, key))
    if isinstance(expr, Category):
        return category_predicate(expr.code)
    if isinstance(expr, HasArtifact):
        return has_predicate(expr.kind)
    if isinstance(expr, Not):
        inner = compile_expr(expr.item, case_sensitive=case_sensitive, field=field)
        return SqlPredicate(f"(NOT {inner.sql})", inner.params)
    if isinstance(expr, (And, Or)):
        parts = [compile_expr(e, case_sensitive=case_sensitive, field=field) for e in expr.items]
        op = " AND " if isinstance(expr, And) else " OR "
        return SqlPredicate("(" + op.join(p.sql for p in parts) + ")", tuple(v for p in parts for v in p.params))
    raise TypeError(f"unknown query node {expr!r}")


def _is_meta(expr: Expr) -> bool:
    return isinstance(expr, Category) or (isinstance(expr, Not) and isinstance(expr.item, Category))


def split_series(series: Series) -> tuple[list[Expr], Expr | None]:
    """Top-level metadata filters (``cat:``) and the rest of a series.

    The filters restrict both the series' matches and its total, so
    ``GRPO cat:cs.CL`` is GRPO's share of cs.CL papers.
    """
    expr = series.expr
    if _is_meta(expr):
        return [expr], None
    if isinstance(expr, And):
        meta = [e for e in expr.items if _is_meta(e)]
        rest = [e for e in expr.items if not _is_meta(e)]
        if not rest:
            return meta, None
        return meta, rest[0] if len(rest) == 1 else And(tuple(rest))
    return [], expr


@dataclass(frozen=True)
class SeriesPlan:
    label: str
    match: SqlPredicate  # the papers counted
    universe: SqlPredicate  # the papers in the series' total (its metadata filters)


def plan_series(series: Series, *, case_sensitive: bool, field: Field) -> SeriesPlan:
    meta, rest = split_series(series)
    if meta:
        parts = [compile_expr(m, case_sensitive=case_sensitive, field=field) for m in meta]
        universe = SqlPredicate(" AND ".join(p.sql for p in parts), tuple(v for p in parts for v in p.params))
    else:
        universe = SqlPredicate.true()
    if rest is None:
        match = universe
    else:
        text = compile_expr(rest, case_sensitive=case_sensitive, field=field)
        match = (
            text
            if not meta
            else SqlPredicate(f"({universe.sql}) AND ({text.sql})", universe.params + text.params)
        )
    return SeriesPlan(label=series.label, match=match, universe=universe)
