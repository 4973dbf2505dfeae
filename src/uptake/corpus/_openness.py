"""The openness questions a corpus answers: flags per period, and the links behind a point."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..analytics.fulltext_openness import (
    BASIS_METADATA,
    BASIS_PARAGRAPH,
    FULLTEXT_OPENNESS_VERSION,
    OpennessComparison,
    PaperComparison,
    compare,
    where_of,
)
from ..analytics.openness import ALL_PAPERS, OpennessCell, OpennessTable, PaperLinks
from ..errors import StoreError, UsageError
from ..analytics.trends import period_end
from ..periods import clamped_month_of, month_label, period_first_month, period_label, period_last_month, period_of
from ..query import Query, parse_query
from ..query.expand import has_wildcards
from ..query.plan import plan_query
from ..records import HAS_KINDS
from ..scope import Scope
from ._fulltext import engine, matching_fdocs, require_fulltext

if TYPE_CHECKING:
    from . import Corpus


def openness_table(corpus: Corpus, query: str | None, *, scope: Scope) -> OpennessTable:
    """Per period, the share of papers matching each series of ``query`` that link their own code, weights,
    data or demo page (and promise them), next to the same shares for all papers under the same filters.
    """
    if scope.text != "abstract":
        raise UsageError("with text='full' openness compares abstracts with full texts: call "
                         "corpus.openness_compare() (the command line does this for --text full)")
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
    full = (scope or Scope.build(**scope_keywords)).text == "full"
    with corpus._read() as store:
        store.require_openness()
        found = store.openness_of(ids)
        if full:
            state = store.fulltext_openness_state(FULLTEXT_OPENNESS_VERSION)
            if state != "ok":
                raise StoreError(f"{store.path} has no current openness for its full texts: run "
                                 f"`uptake openness --refresh --db {store.path}` once")
            ft_flags = store.fulltext_flags_of(ids)
            ft_links = store.fulltext_links_of(ids)
    out = []
    for p in result.papers:
        flags, links = found.get(p.id, ({k: False for k in HAS_KINDS}, ()))
        extra: dict[str, Any] = {}
        if full:
            values = ft_flags.get(p.id, (False,) * len(HAS_KINDS))
            extra = {"fulltext_flags": dict(zip(HAS_KINDS, values, strict=True)),
                     "fulltext_links": tuple(_occurrence_dict(r) for r in ft_links.get(p.id, []))}
        out.append(PaperLinks(p.id, p.published.isoformat() if p.published else "", p.title, flags, links, **extra))
    return result.total, out


def _occurrence_dict(row: Sequence[Any]) -> dict[str, object]:
    _n, paragraph, place, role, section, url, kinds, own, promised, phrase = row
    where = where_of(str(place), str(section))
    if url is None:
        return {"label": f"promise: {phrase}", "phrase": phrase, "place": place, "role": role, "section": section,
                "paragraph": paragraph, "where": where}
    prefix = "cited-" if not own else ("promised-" if promised else "")
    return {"label": f"{prefix}{'+'.join(kinds)}:{url}", "url": url, "kinds": list(kinds), "own": bool(own),
            "promised": bool(promised), "place": place, "role": role, "section": section, "paragraph": paragraph,
            "where": where}


def openness_comparison(corpus: Corpus, query: str | None, *, scope: Scope) -> OpennessComparison:
    """On the papers with a full text (matching ``query``, when given, in their full text): per period, the share
    flagged from abstracts and comments next to the share flagged from the full text, and the papers where they
    differ with the place in the full text that gave the flag (see :mod:`uptake.analytics.fulltext_openness`).

    A paper whose metadata the store lacks is compared on its full text's abstract paragraph (no comments);
    ``with_metadata`` says how many had the metadata."""
    by = scope.by
    parsed = parse_query(query) if query else None
    with corpus._read() as store:
        require_fulltext(store)
        state = store.fulltext_openness_state(FULLTEXT_OPENNESS_VERSION)
        if state != "ok":
            why = ("was made before uptake read openness in full texts" if state == "missing"
                   else "holds full-text openness found by older rules")
            raise StoreError(f"{store.path} {why}: run `uptake openness --refresh --db {store.path}` once "
                             f"(it reads every stored full text again)")
        if store.paper_count():
            store.require_openness()
        if parsed is not None:
            corpus._check_categories(store, scope.categories, parsed, fulltext=True)
        first_m, last_m, last_date = store.fulltext_span()
        lo, hi = scope.resolve(first_m, last_m)
        fdocs = None
        if parsed is not None:
            if has_wildcards(parsed):
                raise UsageError("wildcards are not supported with --text full yet: write the terms out")
            _, fdocs = matching_fdocs(store, engine(store), plan_query(parsed, scope), categories=scope.categories,
                                      lo=lo, hi=hi, want=store.fulltext_position()[1])
        rows = store.fulltext_openness_rows(scope.categories, lo, hi, fdocs=fdocs)
        n = len(HAS_KINDS)
        papers: list[tuple[str, str, str, str, dict[str, bool], dict[str, bool]]] = []
        differing = []
        for r in rows:
            pid, month, title = str(r[1]), int(r[2]), str(r[3])
            full = dict(zip(HAS_KINDS, (bool(v) for v in r[4:4 + n]), strict=True))
            meta = r[5 + n:5 + 2 * n]
            if meta[0] is None:
                basis, abstract = BASIS_PARAGRAPH, dict(zip(HAS_KINDS, (bool(v) for v in r[4 + n]), strict=True))
            else:
                basis, abstract = BASIS_METADATA, dict(zip(HAS_KINDS, (bool(v) for v in meta), strict=True))
            papers.append((pid, title, period_label(period_of(month, by), by), basis, abstract, full))
            if abstract != full:
                differing.append(pid)
        occurrences = store.fulltext_links_of(differing)
    out = []
    for pid, title, period, basis, abstract, full in papers:
        places = _places(occurrences.get(pid, []))
        out.append(PaperComparison(pid, " ".join(title.split()), period, basis, abstract, full, places))
    periods = list(range(period_of(lo, by), period_of(hi, by) + 1))
    incomplete = tuple(
        period_label(p, by) for p in periods
        if (last_date is not None and period_end(p, by) > last_date) or period_first_month(p, by) < lo
        or period_last_month(p, by) > hi
    )
    filters: dict[str, object] = {"from": month_label(lo), "to": month_label(hi), "by": by, "category": list(scope.categories),
               "text": "full", "query": parsed.text if parsed is not None else None}
    return compare(out, [period_label(p, by) for p in periods], filters=filters, incomplete=incomplete)


def _places(rows: Sequence[tuple[Any, ...]]) -> dict[str, tuple[str, ...]]:
    """Kind -> where the full text's own statements of that kind stand (stored FT_LINK_COLUMNS rows)."""
    found: dict[str, list[str]] = {}
    promised = {str(r[5]).rstrip("/").lower() for r in rows if r[5] is not None and r[7] and r[8]}
    for _n, _para, place, _role, section, url, kinds, own, _promised, _phrase in rows:
        where = where_of(str(place), str(section))
        if url is None:
            found.setdefault("promise", []).append(where)
            continue
        if not own:
            continue
        for k in kinds:
            found.setdefault(k, []).append(where)
        if "code" in kinds and str(url).rstrip("/").lower() not in promised:
            found.setdefault("code-released", []).append(where)
    return {k: tuple(dict.fromkeys(v)) for k, v in found.items()}
