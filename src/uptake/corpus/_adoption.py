"""Adoption in a corpus: ask it for the trend and the earliest papers, let the pure
:mod:`uptake.analytics.adoption` compute the numbers."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..analytics.adoption import (
    AdoptionReport,
    SeriesAdoption,
    analyze_series,
    rank_by_speed,
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
    coverage = corpus.coverage() if scope.text == "abstract" else None  # what the metadata corpus holds
    caveats: list[str] = []
    results = []
    for s_ast, s in zip(_series_as_trended(parsed, trend), trend.series, strict=True):
        a = analyze_series(s, introduced=intro_month, introduction_rule=rule, fits=fits)
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
    lo, hi = parse_month(trend.filters["from"]), parse_month(trend.filters["to"])
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
    if a.introduction is not None and parse_month(a.introduction) <= span.start + 2:
        caveats.append(f"{label}: the sustained onset {a.introduction} is within 2 months of {cat}'s coverage "
                       f"start: it may be the corpus starting, not the idea")
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
