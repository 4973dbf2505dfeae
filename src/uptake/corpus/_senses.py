"""Senses of an acronym in a corpus: read the matching papers, let :mod:`uptake.analytics.senses` split them.

Also the corpus' half of the query form ``GRPO sense:"group relative policy optimization"``: which papers carry
a sense depends on the whole corpus (papers that do not spell the acronym out inherit the dominant sense of
their year and category), so :func:`resolve_senses` decides it once from the store and writes the ids into the
query; the one compiler (:mod:`uptake.query.plan`) then turns them into a plan both engines answer alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..periods import parse_month
from ..plans import Phrase
from ..query.ast import And, Expr, Not, Or, Query, Series, Term, walk
from ..scope import as_categories
from ..text import tokens

if TYPE_CHECKING:
    from ..analytics.senses import SenseAssignment, SenseRow, SensesReport
    from ..store import Store
    from . import Corpus

_COLUMNS = ("title_tok_cs", "abstract_tok_cs", "title_tok || abstract_tok", "categories", "title", "abstract",
            "id", "published", "primary_category")


def senses(
    corpus: Corpus,
    term: str,
    *,
    expansion: str | None = None,
    category: str | Sequence[str] = (),
    start: str | None = None,
    end: str | None = None,
    top_categories: int = 5,
) -> SensesReport:
    """Split the papers matching ``term`` (case-insensitively) by case variant, category, expansion use, and
    sense (the expansion each paper spells out, or inherits)."""
    from ..analytics.senses import check_term, summarise  # loaded when senses are asked for, not by every trend

    toks_cf = check_term(term)
    match = Phrase(tuple(toks_cf), ("title", "abstract"), False)
    lo = parse_month(start, what="--from") if start else None
    hi = parse_month(end, what="--to") if end else None
    with corpus._read() as store:
        store.require_papers()
        rows = store.token_rows(match, columns=_COLUMNS, lo=lo, hi=hi, categories=as_categories(category))
    return summarise(term, rows, expansion=expansion, top_categories=top_categories)


def senses_for_series(corpus: Corpus, series: Series, *, category: str | Sequence[str] = (),
                      start: str | None = None, end: str | None = None) -> SensesReport | None:
    """Senses of a series that is one bare single-token term (e.g. ``GRPO``); None for anything else.

    For a term asking for one sense (``GRPO sense:…``) the split reads every month from the corpus' start,
    so the other senses' first mentions are found even when they precede this one."""
    expr = series.expr
    if not isinstance(expr, Term) or expr.field != "any" or len(tokens(expr.text)) != 1:
        return None
    return senses(corpus, expr.text, category=category, start=None if expr.sense else start, end=end)


def has_senses(query: Query) -> bool:
    return any(isinstance(n, Term) and n.sense is not None for s in query.series for n in walk(s.expr))


def assignment(store: Store, term: str) -> SenseAssignment:
    """The senses of the acronym ``term`` over the whole corpus, and the papers carrying each."""
    from ..analytics.senses import SenseRow, assign_senses, check_term

    toks = check_term(term)
    rows = store.token_rows(Phrase(tuple(toks), ("title", "abstract"), False), columns=_COLUMNS)
    return assign_senses(term, [_row(SenseRow, r) for r in rows])


def _row(row_type: type[SenseRow], r: Sequence[Any]) -> SenseRow:
    cats = r[3] or ()
    return row_type(id=r[6], published=r[7], primary=r[8] or (cats[0] if cats else ""), title=r[4] or "",
                    abstract=r[5] or "", tok=r[2] or "")


def resolve_senses(query: Query, store: Store) -> tuple[Query, dict[str, dict[str, Any]]]:
    """``query`` with the papers of every ``sense:`` filled in, and what each sense stands for (keyed by
    ``TERM sense:…`` as written): its expansion, defining and inferred papers, first mention."""
    cache: dict[str, SenseAssignment] = {}
    info: dict[str, dict[str, Any]] = {}

    def fill(expr: Expr) -> Expr:
        if isinstance(expr, Term) and expr.sense is not None:
            key = " ".join(tokens(expr.text))
            if key not in cache:
                cache[key] = assignment(store, expr.text)
            a = cache[key]
            sense = a.find(expr.sense)
            info[f"{expr.text} sense:{expr.sense}"] = {
                "expansion": sense.expansion, "defining": sense.defining, "inferred": sense.inferred,
                "first_mention": sense.first_mention, "other_senses": len(a.senses) - 1,
            }
            return replace(expr, sense_ids=a.ids(sense.key))
        if isinstance(expr, (And, Or)):
            return type(expr)(tuple(fill(e) for e in expr.items))
        if isinstance(expr, Not):
            return Not(fill(expr.item))
        return expr

    series = tuple(replace(s, expr=fill(s.expr)) for s in query.series)
    return Query(text=query.text, series=series), info
