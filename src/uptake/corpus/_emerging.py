"""Emerging terms in a corpus: the store screens and recounts, :mod:`uptake.analytics.emerging` decides.

Two reads of the store, with a pure step around each: screen a deterministic sample for
candidates, then recount the best of them exactly month by month (see the analytics module
for the method). Both reads go through the corpus, so a deadline interrupts them.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..analytics.emerging import (
    EDGE_WORDS,
    EmergingReport,
    check_options,
    candidate_phrase,
    rank,
    recount_groups,
    sample_rates,
    screen,
    tally,
    tally_docs,
    windows,
)
from ..analytics.coverage import estimate as estimate_coverage
from ..errors import PeriodError
from ..index import IndexReadError, node_docs, open_fresh, report_failure
from ..periods import month_label
from ..query import Query
from ..scope import as_categories

if TYPE_CHECKING:
    from ..store import Store
    from . import Corpus

Tallies = tuple[dict[str, dict[int, int]], dict[tuple[str, str], int], dict[str, dict[tuple[str, bool], int]]]


def emerging(
    corpus: Corpus,
    *,
    recent: str | None = None,
    baseline: str | None = None,
    category: str | Sequence[str] = (),
    top: int = 30,
    min_support: int = 10,
    alpha: float = 0.05,
    sample_docs: int = 30_000,
    recount: int | None = None,
    max_words: int = 3,
    include_coverage_shifts: bool = False,
) -> EmergingReport:
    """Terms whose share rose from ``baseline`` to ``recent`` (windows ``YYYY-MM:YYYY-MM``).

    By default ``recent`` is the last 6 complete months of the corpus and ``baseline`` the 12 months before.
    Terms whose rise is a coverage shift — explained by the corpus' category mix, or coming mostly from
    categories entering the corpus — are left out (listed in ``coverage_shifts``) unless
    ``include_coverage_shifts``.
    """
    t_start = time.perf_counter()
    check_options(top=top, min_support=min_support, alpha=alpha, sample_docs=sample_docs, max_words=max_words)
    recount_n = recount if recount is not None else max(3 * top, 100)
    cats = as_categories(category)
    notes: list[str] = []
    stages: dict[str, float] = {}
    with corpus._read() as store:
        store.require_papers()
        _, last = store.span()
        w = windows(recent, baseline, last)
        (r_lo, r_hi), (b_lo, b_hi) = w.recent, w.baseline
        if cats:
            corpus._check_categories(store, cats, Query(text="", series=()))
        totals = store.month_totals(cats, b_lo, r_hi)
        n_recent = sum(n for m, n in totals.items() if r_lo <= m <= r_hi)
        n_base = sum(n for m, n in totals.items() if b_lo <= m <= b_hi)
        if n_recent == 0 or n_base == 0:
            which = "--recent" if n_recent == 0 else "--baseline"
            raise PeriodError(f"no papers in the {which} window{' in these categories' if cats else ''}: "
                              f"choose months the corpus covers (`uptake stats` lists them)")
        if r_hi > w.last_complete:
            notes.append(f"the recent window runs past the last complete month ({month_label(w.last_complete)}); "
                         f"its last month is partial")
        rates = sample_rates(n_recent, n_base, sample_docs)
        t0 = time.perf_counter()
        sample, sizes = store.gram_screen(
            recent=w.recent, baseline=w.baseline, rates=rates, categories=cats, max_words=max_words,
            min_recent=max(2, int(min_support * rates[0] * 0.5)), edge_words=EDGE_WORDS)
        stages["screen"] = time.perf_counter() - t0
        cands, screened = screen(sample["gram"].to_pylist(), sample["recent"].to_numpy(),
                                 sample["baseline"].to_numpy(), sizes, recount_n)
        if not cands and not screened:
            notes.append("no candidate has enough papers in the recent window; lower --min-support")
        t0 = time.perf_counter()
        counted = _recount_from_index(store, cands, cats, b_lo, r_hi, r_lo) if cands else None
        if counted is None:
            groups, back = recount_groups(cands)
            rows = store.gram_recount(groups, lo=b_lo, hi=r_hi, categories=cats) if cands else []
            counted = tally(rows, groups, back, cands, r_lo)
        stages["recount"] = time.perf_counter() - t0
        cat_month = store.primary_month_totals(cats, b_lo, r_hi)
        coverage = estimate_coverage(store.primary_month_totals())
    cat_totals: dict[tuple[str, bool], int] = {}
    for (c, m), n in cat_month.items():
        if b_lo <= m <= b_hi or r_lo <= m <= r_hi:
            key = (c, m >= r_lo)
            cat_totals[key] = cat_totals.get(key, 0) + n
    monthly, co, by_cat = counted
    baseline_months = range(b_lo, b_hi + 1)
    covered = {c for c, span in coverage.spans.items()  # covered in at least half the baseline's months
               if sum(span.covers(m) for m in baseline_months) * 2 >= len(baseline_months)}
    overdispersed: list[str] = []
    ranked = rank(cands, monthly, co, totals, w, screened=screened, min_support=min_support, alpha=alpha,
                  by_cat=by_cat, cat_totals=cat_totals, covered=covered, overdispersed=overdispersed)
    shifts = tuple(t.term for t in ranked if t.coverage_shift)
    terms = ranked if include_coverage_shifts else [t for t in ranked if not t.coverage_shift]
    notes.extend(coverage.caveats(cats, b_lo, r_hi, top=5))
    if shifts and not include_coverage_shifts:
        notes.append(f"{len(shifts)} rising term(s) left out as coverage shifts (their rise comes from categories "
                     f"entering the corpus or from its category mix): {', '.join(shifts[:8])}"
                     + (" …" if len(shifts) > 8 else "") + "; --include-coverage-shifts keeps them")
    if overdispersed:
        notes.append(f"{len(overdispersed)} term(s) left out because their month-to-month variation explains the "
                     f"rise (q > {alpha:g} once overdispersion is allowed for; a binomial test would list them): "
                     f"{', '.join(overdispersed[:8])}" + (" …" if len(overdispersed) > 8 else ""))
    return EmergingReport(
        recent=(month_label(r_lo), month_label(r_hi)), baseline=(month_label(b_lo), month_label(b_hi)),
        category=cats, recent_papers=n_recent, baseline_papers=n_base, candidates_screened=screened,
        recounted=len(cands), sample_rate_recent=rates[0], sample_rate_baseline=rates[1], min_support=min_support,
        alpha=alpha, seconds=time.perf_counter() - t_start, terms=tuple(terms[:top]), notes=tuple(notes),
        stages=stages if screened else {}, coverage_shifts=shifts, overdispersed=tuple(overdispersed),
    )


def _recount_from_index(store: Store, cands: Sequence[str], cats: Sequence[str], lo: int, hi: int, recent_lo: int,
                        ) -> Tallies | None:
    """The exact recount answered by the store's term index (each candidate's papers from its postings, tallied
    by the papers' months and primary categories), or None when the store has no fresh index: then the store
    scans. Both find the papers the query engine finds for the candidate."""
    phrases = [candidate_phrase(g) for g in cands]
    idx = open_fresh(store) if all(p.tokens for p in phrases) else None
    if idx is None:
        return None
    try:
        found = node_docs(idx, phrases, categories=cats, lo=lo, hi=hi)
    except IndexReadError as exc:
        report_failure(idx, exc)
        return None
    papers = store.paper_months(lo=lo, hi=hi, categories=cats)
    try:
        return tally_docs(cands, found, papers["doc"].to_numpy(), papers["month"].to_numpy(),
                          papers["pc"].to_pylist(), recent_lo)
    except ValueError as exc:  # the index named a paper the store does not hold there: it is not to be trusted
        report_failure(idx, exc)
        return None
