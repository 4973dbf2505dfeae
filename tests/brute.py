"""A brute-force reference for what matches: evaluates a parsed query on Paper objects.

Independent of the store, the SQL planner and any index: it tokenises each
field with uptake.text.tokens and scans for the phrase token by token.
"""

from __future__ import annotations

from collections import Counter

from uptake.query.ast import And, Category, Not, Or, Term
from uptake.records import Paper
from uptake.text import contains_phrase, tokens


def in_category(paper: Paper, code: str) -> bool:
    return any(c == code or ("." not in code and c.startswith(code + ".")) for c in paper.categories)


def matches(expr, paper: Paper, *, case_sensitive: bool = False, field: str = "any") -> bool:
    if isinstance(expr, Term):
        cs = expr.case_sensitive if expr.case_sensitive is not None else case_sensitive
        needle = tokens(expr.text, case_sensitive=cs)
        where = expr.field if expr.field != "any" else field
        fields = {"title": [paper.title], "abstract": [paper.abstract], "any": [paper.title, paper.abstract]}[where]
        return any(contains_phrase(tokens(f, case_sensitive=cs), needle) for f in fields)
    if isinstance(expr, Category):
        return in_category(paper, expr.code)
    if isinstance(expr, Not):
        return not matches(expr.item, paper, case_sensitive=case_sensitive, field=field)
    if isinstance(expr, And):
        return all(matches(e, paper, case_sensitive=case_sensitive, field=field) for e in expr.items)
    if isinstance(expr, Or):
        return any(matches(e, paper, case_sensitive=case_sensitive, field=field) for e in expr.items)
    raise TypeError(expr)


def monthly_counts(expr, papers, **kw) -> Counter:
    return Counter(p.month for p in papers if matches(expr, p, **kw))
