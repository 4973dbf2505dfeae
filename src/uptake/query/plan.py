"""The one compiler of the query tree: parsed series -> match plans (:mod:`uptake.plans`).

The term index (:mod:`uptake.index`) turns a plan into tantivy queries and the
store (:mod:`uptake.store`) into SQL over its token strings; neither looks at the
query's text or its options again, so a query feature is built once, here.

>>> from uptake.query import parse_query
>>> plan = plan_series(parse_query("GRPO cat:cs.CL").series[0], Scope())
>>> plan.universe
AllOf(items=(InCategory(code='cs.CL'),))
"""

from __future__ import annotations

from ..plans import EVERYTHING, AllOf, AmongPapers, AnyOf, HasKind, InCategory, Negate, Node, Phrase, SeriesPlan, TextField
from ..plans import any_series, categories_node, uses_has
from ..errors import UsageError
from ..scope import Scope
from ..text import tokens
from .ast import And, Category, Expr, HasArtifact, Not, Or, Query, Series, Term

def term_tokens(term: Term, *, case_sensitive: bool) -> list[str]:
    """The tokens a term stands for (its own ``=`` marker overrides the query-wide case setting)."""
    cs = term.case_sensitive if term.case_sensitive is not None else case_sensitive
    return tokens(term.text, case_sensitive=cs)


def compile_expr(expr: Expr, scope: Scope) -> Node:
    """The plan of one expression under ``scope``'s case and field settings."""
    if isinstance(expr, Term):
        cs = expr.case_sensitive if expr.case_sensitive is not None else scope.case_sensitive
        where = expr.field if expr.field != "any" else scope.field
        fields: tuple[TextField, ...] = ("title", "abstract") if where == "any" else (where,)
        if expr.roles and scope.text != "full":
            raise UsageError(f"in:{expr.roles[0]} looks at sections of full texts: add --text full "
                             f"(abstracts have no sections)")
        phrase = Phrase(tuple(tokens(expr.text, case_sensitive=cs)), fields, cs, expr.roles)
        if expr.sense is None:
            return phrase
        if expr.sense_ids is None:
            raise UsageError(f"{expr.text} sense:{expr.sense!r} needs the corpus to decide which papers carry "
                             "that sense: ask a store of papers (trend, adoption, papers)")
        # The acronym as asked (case, field, roles) AND one of the papers carrying the sense.
        return AllOf((phrase, AmongPapers(expr.sense_ids, f"{expr.text} sense:{expr.sense}")))
    if isinstance(expr, Category):
        return InCategory(expr.code)
    if isinstance(expr, HasArtifact):
        return HasKind(expr.kind)
    if isinstance(expr, Not):
        return Negate(compile_expr(expr.item, scope))
    if isinstance(expr, And):
        return AllOf(tuple(compile_expr(e, scope) for e in expr.items))
    if isinstance(expr, Or):
        return AnyOf(tuple(compile_expr(e, scope) for e in expr.items))
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


def plan_series(series: Series, scope: Scope, *, with_scope_categories: bool = False) -> SeriesPlan:
    """The plan of one series. Its universe holds its own ``cat:`` filters, and, when
    ``with_scope_categories``, the scope's ``--category`` filter too (engines that apply that
    filter separately, as both do for totals shared between series, leave it out)."""
    meta, rest = split_series(series)
    universe_items = [compile_expr(m, scope) for m in meta]
    if with_scope_categories and scope.categories:
        universe_items.append(categories_node(scope.categories))
    universe = AllOf(tuple(universe_items))
    match = universe if rest is None else AllOf((*universe_items, compile_expr(rest, scope)))
    return SeriesPlan(label=series.label, match=match, universe=universe)


def plan_query(query: Query, scope: Scope) -> list[SeriesPlan]:
    """A plan per series of ``query`` (without the scope's category filter, which engines apply globally)."""
    return [plan_series(s, scope) for s in query.series]




__all__ = [
    "EVERYTHING", "AllOf", "AmongPapers", "AnyOf", "HasKind", "InCategory", "Negate", "Node", "Phrase", "SeriesPlan", "TextField",
    "any_series", "categories_node", "compile_expr", "plan_query", "plan_series", "split_series", "term_tokens",
    "uses_has",
]
