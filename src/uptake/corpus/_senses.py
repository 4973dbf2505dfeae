"""Senses of an acronym in a corpus: read the matching papers, let :mod:`uptake.analytics.senses` split them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..analytics.senses import SensesReport, check_term, summarise
from ..periods import parse_month
from ..plans import Phrase
from ..query.ast import Series, Term
from ..scope import as_categories
from ..text import tokens

if TYPE_CHECKING:
    from . import Corpus


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
    """Split the papers matching ``term`` (case-insensitively) by case variant, category and expansion use."""
    toks_cf = check_term(term)
    match = Phrase(tuple(toks_cf), ("title", "abstract"), False)
    lo = parse_month(start, what="--from") if start else None
    hi = parse_month(end, what="--to") if end else None
    with corpus._read() as store:
        store.require_papers()
        rows = store.token_rows(match, columns=("title_tok_cs", "abstract_tok_cs", "title_tok || abstract_tok",
                                                "categories", "title", "abstract"),
                                lo=lo, hi=hi, categories=as_categories(category))
    return summarise(term, rows, expansion=expansion, top_categories=top_categories)


def senses_for_series(corpus: Corpus, series: Series, *, category: str | Sequence[str] = (),
                      start: str | None = None, end: str | None = None) -> SensesReport | None:
    """Senses of a series that is one bare single-token term (e.g. ``GRPO``); None for anything else."""
    expr = series.expr
    if not isinstance(expr, Term) or expr.field != "any" or len(tokens(expr.text)) != 1:
        return None
    return senses(corpus, expr.text, category=category, start=start, end=end)
