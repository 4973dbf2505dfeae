"""Adoption in a corpus: ask it for the trend and the earliest papers, let the pure
:mod:`uptake.analytics.adoption` compute the numbers."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..analytics.adoption import (
    CENSOR_MARGIN,
    AdoptionReport,
    SeriesAdoption,
    SeriesCoverage,
    analyze_series,
    rank_by_speed,
    series_coverage,
    substitution,
)
from ..analytics.coverage import Coverage
from ..analytics.trends import Trend, TrendSeries
from ..errors import UsageError
from ..periods import parse_month
from ..query import Query, Series, parse_query
from ..query.expand import has_wildcards
from ..scope import Scope
from ._senses import senses_for_series

if TYPE_CHECKING:
    from . import Corpus


def adoption(
    corpus: Corpus,
    query: str | Query,
    *,
    scope: Scope,
    introduced: str | None = None,
    origin: str | None = None,
    with_senses: bool = True,
    fits: bool = True,
) -> AdoptionReport:
    """Adoption numbers for each series of ``query`` in ``corpus`` (see :mod:`uptake.analytics.adoption`)."""
    category, case_sensitive, field = scope.categories, scope.case_sensitive, scope.field
    if introduced and origin:
        raise UsageError("give --introduced or --origin, not both")
    parsed = query if isinstance(query, Query) else parse_query(query)
    trend = corpus.trend(parsed, scope=scope.with_(by="month"), measure="share")
    intro_month: int | None = None
    rule = None
    if introduced:
        intro_month, rule = parse_month(introduced, what="--introduced"), "given"
    elif origin:
        intro_month, rule = corpus.origin_month(origin), f"origin {origin.strip()}"
    lo, hi = parse_month(trend.filters["from"]), parse_month(trend.filters["to"])
    asts = _series_as_trended(parsed, trend)
    coverage, spans = _series_spans(corpus, asts, trend, scope, lo, hi) if scope.text == "abstract" \
        else (None, [None] * len(asts))  # what the metadata corpus holds
    caveats: list[str] = []
    results = []
    for s_ast, s, span in zip(asts, trend.series, spans, strict=True):
        a = analyze_series(s, introduced=intro_month, introduction_rule=rule, fits=fits, coverage=span)
        sub = Query(text=s_ast.label, series=(s_ast,))
        first, early = _first_mentions(corpus, sub, a, s, scope)
        senses_d = None
        if with_senses and scope.text == "abstract":  # senses read abstracts (expansions are defined there)
            # The term's matches all fall in the months the trend counted them (same semantics unless the
            # query was case-sensitive or field-restricted), so the sense split reads only those months.
            first_pt = next((p for p in s.points if p.count > 0), None)
            same = not case_sensitive and field == "any"
            sres = senses_for_series(
                corpus, s_ast, category=category,
                start=first_pt.period if (same and first_pt) else trend.filters.get("from"),
                end=trend.filters.get("to"),
            ) if first_pt is not None or not same else None
            senses_d = sres.as_dict() if sres is not None else None
        if first is not None and coverage is not None:
            first = _censor(first, a, coverage, caveats, s.label)
        results.append(replace(a, first_mention=first, early_papers=early, senses=senses_d))
        if a.left_censored:
            start = a.coverage["span"][0] if a.coverage else trend.filters["from"]
            caveats.append(f"{s.label}: the introduction {a.introduction} is before, or within {CENSOR_MARGIN} months "
                           f"of, the start of what is covered for it ({start}): left-censored, the idea may be "
                           "older; months to N papers, take-off, Bass and speed rank not given")
        caveats.extend(f"{s.label}: {c}" for c in a.coverage_caveats)
    if coverage is not None:
        caveats.extend(coverage.caveats(category, lo, hi, top=5))
    return AdoptionReport(
        query=parsed.text,
        filters=dict(trend.filters) | {"introduced": introduced, "origin": origin, "coverage": caveats},
        corpus={"papers": trend.corpus.papers, "first": trend.corpus.first, "last": trend.corpus.last},
        series=tuple(results),
        ranking=rank_by_speed(results),
        substitution=substitution(trend) if len(trend.series) > 1 else None,
        trend=trend,
    )


def _series_spans(corpus: Corpus, asts: tuple[Series, ...], trend: Trend, scope: Scope, lo: int, hi: int,
                  ) -> tuple[Coverage | None, list[SeriesCoverage | None]]:
    """The coverage model and, per series, its covered span: weighed by where its matches live (one count
    per primary category), against the scope's papers per (category, month)."""
    from ..analytics.coverage import estimate
    from ..query.plan import plan_series

    with corpus._read() as store:
        store.require_papers()
        counts = store.primary_month_totals()
        weights = [store.match_primary_counts(plan_series(a, scope).match, categories=scope.categories, lo=lo,
                                              hi=hi) for a in asts]
    coverage = estimate(counts)
    done = [parse_month(p.period) for p in trend.series[0].points if p.complete] if trend.series else []
    months = range(lo, hi + 1)
    spans: list[SeriesCoverage | None] = [
        series_coverage(coverage, w, counts, months, scope_categories=scope.categories,
                        last_complete=max(done) if done else None) if sum(w.values()) else None
        for w in weights]
    return coverage, spans


def _censor(first: dict[str, Any], a: SeriesAdoption, coverage: Coverage, caveats: list[str],
            label: str) -> dict[str, Any]:
    """Mark a first mention (and say so) when it falls at or before the start of its category's coverage:
    the corpus cannot tell whether the idea is older, so it is left-censored, never an introduction."""
    cat = first.get("primary_category")
    span = coverage.spans.get(cat) if cat else None
    month = parse_month(str(first.get("date", ""))[:7]) if first.get("date") else None
    if span is None or span.start is None or month is None or month > span.start:
        return {**first, "left_censored": False}
    caveats.append(f"{label}: first mention {first['date']} is at or before the start of {cat}'s coverage "
                   f"({span.start_label}): left-censored, the idea may be older than the corpus")
    return {**first, "left_censored": True}


def _series_as_trended(parsed: Query, trend: Trend) -> tuple[Series, ...]:
    """The query series one-to-one with ``trend.series``: the corpus expands a wildcard series into one series
    per completion, so the trend may have more series than the query; each completed label is a query."""
    if not has_wildcards(parsed):
        return parsed.series
    return tuple(parse_query(s.label).series[0] for s in trend.series)


def _first_mentions(corpus: Corpus, sub: Query, a: SeriesAdoption, series: TrendSeries, scope: Scope,
                    show: int = 5,
                    ) -> tuple[dict[str, Any] | None, tuple[dict[str, Any], ...]]:
    """The earliest matching paper and the earliest ``show`` before the introduction.

    The searches are limited to the months the trend says hold them, so the store only reads those months.
    """
    first_pt = next((p for p in series.points if p.count > 0), None)
    if first_pt is None:
        return None, ()
    month = parse_month(first_pt.period)
    res = corpus.papers(sub, scope=scope.with_(start=month, end=month, by="month"), limit=1,
                        offset=first_pt.count - 1)
    first = res.papers[0].as_dict() if res.papers else None
    early: tuple[dict[str, Any], ...] = ()
    if a.matches_before_introduction and a.introduction:
        n = a.matches_before_introduction
        k = min(show, n)
        lst = corpus.papers(sub, scope=scope.with_(start=month, end=parse_month(a.introduction) - 1, by="month"),
                            limit=k, offset=max(0, n - k))
        early = tuple(reversed([p.as_dict() for p in lst.papers]))
    return first, early
