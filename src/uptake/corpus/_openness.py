"""The openness questions a corpus answers: flags per period, and the links behind a point."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..analytics.openness import ALL_PAPERS, OpennessCell, OpennessTable, PaperLinks
from ..errors import UsageError
from ..analytics.trends import period_end
from ..periods import clamped_month_of, month_label, period_first_month, period_label, period_last_month, period_of
from ..query import Query, parse_query
from ..query.plan import plan_query
from ..records import HAS_KINDS
from ..scope import Scope

if TYPE_CHECKING:
    from . import Corpus


def openness_table(corpus: Corpus, query: str | None, *, scope: Scope) -> OpennessTable:
    """Per period, the share of papers matching each series of ``query`` that link their own code, weights,
    data or demo page (and promise them), next to the same shares for all papers under the same filters.
    """
    if scope.text != "abstract":
        raise UsageError("openness is detected in abstracts and comments; full-text availability statements are "
                         "not read yet: drop --text full")
    parsed = parse_query(query) if query else Query(text="", series=())
    by = scope.by
    with corpus._read() as store:
        store.require_papers()
        store.require_openness()
        first, last = store.span()
        corpus._check_categories(store, scope.categories, parsed)
        lo, hi = scope.resolve(clamped_month_of(first) if first else None, clamped_month_of(last) if last else None)
        plans = plan_query(parsed, scope)
        labels = [p.label for p in plans] + [ALL_PAPERS]
        rows = store.openness_counts([p.match for p in plans] + [None], HAS_KINDS, categories=scope.categories,
                                     lo=lo, hi=hi)
    width = 1 + len(HAS_KINDS)
    per: dict[tuple[int, int], list[int]] = {}
    for r in rows:
        p = period_of(r[0], by)
        for i in range(len(labels)):
            acc = per.setdefault((p, i), [0] * width)
            for j in range(width):
                acc[j] += int(r[1 + i * width + j])
    periods = list(range(period_of(lo, by), period_of(hi, by) + 1))
    cells = []
    for p in periods:
        for i, label in enumerate(labels):
            acc = per.get((p, i), [0] * width)
            cells.append(OpennessCell(period_label(p, by), label, acc[0], dict(zip(HAS_KINDS, acc[1:], strict=True))))
    incomplete = tuple(  # periods the corpus (or --from/--to) cuts short, marked like trend tables mark them
        period_label(p, by) for p in periods
        if (last is not None and period_end(p, by) > last) or period_first_month(p, by) < lo
        or period_last_month(p, by) > hi
    )
    return OpennessTable(
        query=parsed.text if query else None,
        labels=tuple(labels),
        periods=tuple(period_label(p, by) for p in periods),
        cells=tuple(cells),
        filters={"from": month_label(lo), "to": month_label(hi), "by": by, "category": list(scope.categories),
                 "case_sensitive": scope.case_sensitive, "field": scope.field},
        incomplete=incomplete,
    )


def paper_links(
    corpus: Corpus,
    query: str,
    *,
    period: str | None = None,
    has: str | Sequence[str] = (),
    limit: int = 20,
    offset: int = 0,
    scope: Scope | None = None,
    **scope_keywords: Any,
) -> tuple[int, list[PaperLinks]]:
    """The papers behind a point (as :meth:`Corpus.papers`) with their openness flags and stored links."""
    result = corpus.papers(query, scope=scope or Scope.build(**scope_keywords), period=period, has=has,
                           limit=limit, offset=offset)
    ids = [p.id for p in result.papers]
    with corpus._read() as store:
        store.require_openness()
        found = store.openness_of(ids)
    out = []
    for p in result.papers:
        flags, links = found.get(p.id, ({k: False for k in HAS_KINDS}, ()))
        out.append(PaperLinks(p.id, p.published.isoformat() if p.published else "", p.title, flags, links))
    return result.total, out
