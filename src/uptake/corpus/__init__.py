"""The library's front door: a corpus in a store, and the questions you can ask it.

It fetches through the store and the term index and hands what it read to the pure
computations in :mod:`uptake.analytics`; results are values, which the faces format.

>>> import uptake                                   # doctest: +SKIP
>>> corpus = uptake.open("~/arxiv.duckdb")          # doctest: +SKIP
>>> t = corpus.trend("GRPO, DPO", start="2025-01")  # doctest: +SKIP
>>> t.to_pandas()                                   # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..analytics.coverage import Coverage
from ..analytics.coverage import estimate as estimate_coverage
from ..analytics.derived import apply_formulas, split_formulas
from ..analytics.trends import MEASURES, CorpusInfo, Measure, Trend, build_trend
from ..deadline import NEVER, Deadline
from ..errors import PeriodError, SourceNotFoundError, UnknownCategoryError, UsageError
from ..index import (IndexReadError, TermIndex, index_dir, matching_docs, open_fresh, report_failure, trend_counts,
                     verified_index)
from ..sources.fsio import is_url
from ..periods import Granularity, clamped_month_of, month_label, month_of, parse_period, period_first_month, period_last_month
from ..plans import SeriesPlan, any_series, has_exact_phrase, uses_has
from ..query import Category, Query, parse_query, restrict_roles
from ..query.ast import HasArtifact, walk
from ..query.expand import DEFAULT_EXPAND, expand_query, has_wildcards
from ..query.plan import plan_query
from ..records import HAS_KINDS, Fingerprint, ImportSummary
from ..scope import Field, Scope, as_categories
from ..store import Store, default_path
from . import _counts, _fulltext
from ._check import CheckReport as CheckReport
from ._check import check as check
from ._senses import has_senses, resolve_senses, senses

if TYPE_CHECKING:
    from ..fulltext import FullTextSummary
    from ..ingest import ProgressFn
    from ..sources import SourceFormat
    from ..analytics.adoption import AdoptionReport
    from ..analytics.emerging import EmergingReport
    from ..analytics.fulltext_openness import OpennessComparison
    from ..analytics.openness import OpennessTable, PaperLinks
    from ..analytics.senses import SensesReport


@dataclass(frozen=True)
class PaperRow:
    id: str
    published: date | None
    primary_category: str | None
    title: str
    categories: tuple[str, ...] = ()
    #: With --text full: where the query matched — ``{"role", "section", "sentence"}``.
    match: dict[str, str] | None = None

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id,
            "date": self.published.isoformat() if self.published else None,
            "primary_category": self.primary_category,
            "title": self.title,
            "categories": list(self.categories),
            "url": f"https://arxiv.org/abs/{self.id}",
        }
        if self.match is not None:
            d["match"] = dict(self.match)
        return d


@dataclass(frozen=True)
class PaperList:
    query: str
    period: str | None
    total: int  # how many papers match, before limit/offset
    papers: tuple[PaperRow, ...]


@dataclass(frozen=True)
class Stats:
    papers: int
    first: date | None
    last: date | None
    months: tuple[tuple[str, int], ...]
    categories: tuple[tuple[str, int], ...]  # (category, papers listing it), most first
    primary_categories: tuple[tuple[str, int], ...]
    path: str
    harvest: tuple[dict[str, Any], ...] = ()  # per OAI set: last harvested datestamp and record counts


    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "papers": self.papers,
            "first": self.first.isoformat() if self.first else None,
            "last": self.last.isoformat() if self.last else None,
            "months": [{"period": m, "total": n} for m, n in self.months],
            "categories": [{"category": c, "papers": n} for c, n in self.categories],
            "primary_categories": [{"category": c, "papers": n} for c, n in self.primary_categories],
            "harvest": [dict(h) for h in self.harvest],
        }


@dataclass(frozen=True)
class FullTextStatus:
    """Full texts in a store: ``(month, category, status, source kind, papers)`` rows and the failures."""

    rows: tuple[tuple[Any, ...], ...]
    failures: tuple[tuple[str, str, list[str]], ...]
    papers: int  # papers with metadata, for coverage

    def totals(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.rows:
            out[r[2]] = out.get(r[2], 0) + int(r[4])
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "papers_with_metadata": self.papers,
            "full_texts": self.totals(),
            "by_month_category": [{"month": month_label(m) if m is not None else None, "category": c, "status": s,
                                   "source": k, "papers": int(n)} for m, c, s, k, n in self.rows],
            "failures": [{"id": i, "status": s, "problems": list(p)} for i, s, p in self.failures],
        }


class Corpus:
    """A corpus stored at ``path``. Each call opens the store briefly, so writers are not locked out.

    ``deadline`` (see :mod:`uptake.deadline`) interrupts every store this corpus opens when it passes:
    the web server gives each request one.
    """

    def __init__(self, path: str | Path | None = None, *, deadline: Deadline | None = None) -> None:
        self.path = Path(path).expanduser() if path is not None else default_path()
        self.deadline = deadline or NEVER

    def __repr__(self) -> str:
        return f"Corpus({str(self.path)!r})"

    def _read(self) -> Store:
        """The store, open read-only, registered with this corpus' deadline; close it (``with``)."""
        self.deadline.check()
        # wait for a writer's commit (harvest, import) rather than fail; a server request stops waiting a little
        # before its budget runs out, so it answers "being updated, retry" rather than "over budget"
        wait = 5.0 if self.deadline.seconds is None else self.deadline.left(0.0) * 0.9
        store = Store.open(self.path, write=False, wait=wait)
        if self.deadline is not NEVER:
            try:
                self.deadline.watch(store)
            except BaseException:
                store.close()
                raise
            store.on_close(lambda: self.deadline.unwatch(store))
        return store

    # -- writing -------------------------------------------------------------
    def import_files(
        self,
        paths: Sequence[str | Path],
        *,
        fmt: SourceFormat | None = None,
        strict: bool = False,
        progress: ProgressFn | None = None,
        workers: int | None = None,
    ) -> ImportSummary:
        """Import record files (see :func:`uptake.ingest.import_files`)."""
        from ..ingest import import_files, resolve_inputs  # the readers of every format: not needed to answer

        resolve_inputs(paths)  # a missing input must not leave an empty store behind
        with Store.open(self.path, write=True) as store:
            return import_files(store, paths, fmt=fmt, strict=strict, progress=progress, workers=workers)

    # -- what the corpus holds ---------------------------------------------------
    def stats(self, *, top_categories: int = 25) -> Stats:
        with self._read() as store:
            n = store.require_papers()
            first, last = store.span()
            months = store.month_totals()
            cats = store.top_categories(top_categories)
            prim = store.top_primary_categories(top_categories)
            harvest = tuple(
                {"set": h["set_spec"] or "(all)", "metadata_prefix": h["metadata_prefix"], "endpoint": h["endpoint"],
                 "last_datestamp": h["last_datestamp"], "in_progress": bool(h["in_progress"]),
                 "records": h["records"], "deleted": h["deleted"], "rejected": h["rejected"],
                 "harvested_at": h["updated_at"]}
                for h in store.harvest_states()
            )
        return Stats(
            papers=n, first=first, last=last,
            months=tuple((month_label(m), c) for m, c in months.items()),
            categories=tuple(cats), primary_categories=tuple(prim),
            path=str(self.path), harvest=harvest,
        )

    def span(self) -> tuple[date, date]:
        """The v1 dates of the corpus' first and last paper (:class:`~uptake.errors.NoCorpusError` if none)."""
        with self._read() as store:
            store.require_papers()
            return store.span()

    def coverage(self, *, official: dict[tuple[str, int], int] | None = None) -> Coverage:
        """How much of arXiv the corpus holds per primary category and month (see :mod:`uptake.analytics.coverage`)."""
        with self._read() as store:
            store.require_papers()
            counts = store.primary_month_totals()
        return estimate_coverage(counts, official=official)

    def paper_texts(self, ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """Title and abstract of each of ``ids`` that the corpus holds."""
        with self._read() as store:
            return store.paper_texts(ids)

    def origin_month(self, arxiv_id: str) -> int:
        """The v1 month of paper ``arxiv_id`` (``2402.03300``, ``arXiv:2402.03300v2`` or its abs URL)."""
        key = arxiv_id.strip()
        for prefix in ("arXiv:", "arxiv:", "https://arxiv.org/abs/", "http://arxiv.org/abs/"):
            key = key.removeprefix(prefix)
        if len(key) > 3 and key[-2] == "v" and key[-1].isdigit():
            key = key[:-2]
        with self._read() as store:
            published = store.published_of(key)
        if published is None:
            raise UsageError(f"paper {arxiv_id!r} is not in this corpus: check the id (e.g. 2402.03300) "
                             f"or give the month directly with --introduced YYYY-MM")
        return month_of(published)

    # -- trends and the papers behind them ------------------------------------------
    def trend(
        self,
        query: str | Query,
        *,
        scope: Scope | None = None,
        start: str | None = None,
        end: str | None = None,
        by: Granularity = "month",
        category: str | Sequence[str] = (),
        measure: Measure = "share",
        smooth: int = 1,
        case_sensitive: bool = False,
        field: Field = "any",
        text: str = "abstract",
        expand: int = 10,
    ) -> Trend:
        """Papers per period matching each series of ``query``, with totals and shares.

        The question's period range, granularity, categories, case and field come from ``scope``
        (or, when it is not given, from the keywords of the same names). A wildcard series
        (``GR*O``, ``"* policy optimization"``) becomes its ``expand`` most frequent completions,
        listed in ``trend.filters["expanded"]``; arithmetic series (``GRPO / PPO``) are derived
        from their operands and state their unit.
        """
        sc = scope or Scope.build(start=start, end=end, by=by, category=category, case_sensitive=case_sensitive,
                                  field=field, text=text)
        if measure not in MEASURES:
            raise UsageError(f"--measure must be one of {', '.join(MEASURES)}, not {measure!r}")
        if smooth < 1:
            raise UsageError("--smooth must be 1 (no smoothing) or more periods")
        parsed = query if isinstance(query, Query) else parse_query(query)
        _check_series_count(parsed, {})
        if sc.text == "full" and has_senses(parsed):
            raise _fulltext.refuse_sense()
        if _counts.metadata(self.path) is not None:
            return self._counts_trend(parsed, sc, measure=measure, smooth=smooth)
        if sc.text == "full":
            return self._fulltext_trend(parsed, sc, measure=measure, smooth=smooth)
        expansions: dict[str, list[str]] = {}
        with self._engines(parsed, sc) as (store, idx):
            n, first, last = _size(store, idx)
            lo, hi = sc.resolve(clamped_month_of(first) if first else None, clamped_month_of(last) if last else None)
            if has_wildcards(parsed):
                parsed, expansions = expand_query(parsed, k=expand, case_sensitive=sc.case_sensitive,
                                                  field=sc.field, index=idx, store=store)
            formula_query = parsed
            parsed, formulas = split_formulas(parsed)
            sense_info: dict[str, Any] = {}
            if has_senses(parsed):
                assert store is not None
                parsed, sense_info = resolve_senses(parsed, store)
            plans = plan_query(parsed, sc)
            counts, totals = self._counts(store, idx, plans, sc, lo, hi)
        filters: dict[str, Any] = {
            "from": month_label(lo), "to": month_label(hi), "by": sc.by, "category": list(sc.categories),
            "measure": measure, "smooth": smooth, "case_sensitive": sc.case_sensitive, "field": sc.field,
        }
        if expansions:
            filters["expanded"] = expansions
        if sense_info:
            filters["senses"] = sense_info
        trend = build_trend(
            query=parsed.text,
            labels=[p.label for p in plans],
            counts=counts,
            totals=totals,
            start_month=lo,
            end_month=hi,
            corpus=CorpusInfo(papers=n, first=first.isoformat() if first else None,
                              last=last.isoformat() if last else None),
            corpus_last_date=last,
            by=sc.by,
            measure=measure,
            smooth=smooth,
            filters=filters,
        )
        return apply_formulas(trend, formulas, formula_query.text)

    def papers(
        self,
        query: str | Query,
        *,
        scope: Scope | None = None,
        period: str | None = None,
        by: Granularity = "month",
        start: str | None = None,
        end: str | None = None,
        category: str | Sequence[str] = (),
        case_sensitive: bool = False,
        field: Field = "any",
        limit: int = 20,
        offset: int = 0,
        has: str | Sequence[str] = (),
        text: str = "abstract",
    ) -> PaperList:
        """The papers behind a point: those matching any series of ``query`` in ``period``, newest first.

        ``has`` keeps only papers linking their own artifact of each kind given (code, weights, data, demo,
        promise; see :mod:`uptake.analytics.openness`).
        """
        sc = scope or Scope.build(start=start, end=end, by=by, category=category, case_sensitive=case_sensitive,
                                  field=field, text=text)
        if _counts.metadata(self.path) is not None:
            raise UsageError(f"{self.path} holds n-gram counts, not papers: listing papers needs the full texts "
                             "(import them into a store, or use `uptake spark trend`)")
        parsed = query if isinstance(query, Query) else parse_query(query)
        haves = _has_kinds(has)
        if haves:  # --has kind: the same as adding has:kind to every series
            parsed = _with_has(parsed, haves)
        if limit < 0 or offset < 0:
            raise PeriodError("--limit and --offset must be zero or more")
        if sc.text == "full":
            return self._fulltext_papers(parsed, sc, period=period, limit=limit, offset=offset)
        with self._engines(parsed, sc, rows=True) as (store, idx):
            assert store is not None
            _, first, last = _size(store, idx)
            if period is not None:
                p = parse_period(period, sc.by)
                lo, hi = period_first_month(p, sc.by), period_last_month(p, sc.by)
            else:
                lo, hi = sc.resolve(clamped_month_of(first) if first else None, clamped_month_of(last) if last else None)
            if has_wildcards(parsed):  # the papers behind the plotted completions
                parsed, _ = expand_query(parsed, k=DEFAULT_EXPAND, case_sensitive=sc.case_sensitive,
                                         field=sc.field, index=idx, store=store)
            if has_senses(parsed):
                parsed, _ = resolve_senses(parsed, store)
            plans = plan_query(parsed, sc)
            if idx is not None:  # the index finds the matches; the store supplies the rows
                try:
                    total, docs = matching_docs(idx, plans, categories=sc.categories, lo=lo, hi=hi,
                                                want=offset + limit)
                except IndexReadError as exc:
                    report_failure(idx, exc)
                    idx = None
                else:
                    rows = store.papers_by_docs(docs, limit=limit, offset=offset)
            if idx is None:
                total, rows = store.scan_papers(any_series(plans), categories=sc.categories, lo=lo, hi=hi,
                                                limit=limit, offset=offset)
        return PaperList(query=parsed.text, period=period, total=int(total), papers=_paper_rows(rows))

    # -- full text -------------------------------------------------------------------
    def import_fulltexts(self, paths: Sequence[str | Path], *, kind: str = "structured",
                         progress: Any = None, batch: int | None = None,
                         storage_options: Mapping[str, Any] | None = None) -> FullTextSummary:
        """Store the full texts of ``paths``: unarXive / S2ORC JSONL (``kind="structured"``; also the Parquet
        of ``uptake spark extract``, at URLs too, opened with ``storage_options``) or arXiv e-prints, folders
        of them and bulk tarballs (``kind="eprints"``); then update the full-text index."""
        missing = [str(p) for p in paths if not is_url(p) and not Path(p).exists()]
        if missing:  # before the store is opened (and created) for writing
            raise SourceNotFoundError(f"no such file: {', '.join(missing[:3])}" + (" …" if len(missing) > 3 else ""))
        from ..fulltext import BATCH, read_eprints, read_structured, store_fulltexts  # pyarrow, the LaTeX reader

        texts = read_structured(paths, storage_options) if kind == "structured" else read_eprints(paths)
        with Store.open(self.path, write=True) as store:
            return store_fulltexts(store, texts, progress=progress, batch=batch or BATCH)

    def fulltext_status(self) -> FullTextStatus:
        """How many papers have full text, per month and category, and what failed and why."""
        with self._read() as store:
            if not store.has_fulltext():
                return FullTextStatus(rows=(), failures=(), papers=store.paper_count())
            return FullTextStatus(rows=tuple(tuple(r) for r in store.fulltext_status_rows()),
                                  failures=tuple(store.fulltext_failures()), papers=store.paper_count())

    def fulltext_count(self) -> int:
        """Papers with a usable (ok or partial) full text that a ``text="full"`` question can read; 0 when none."""
        with self._read() as store:
            return sum(store.fulltext_month_totals().values()) if store.has_fulltext() else 0

    def _counts_trend(self, parsed: Query, sc: Scope, *, measure: Measure, smooth: int) -> Trend:
        """A trend answered from a counts corpus (``uptake import-counts``): single terms and phrases only."""
        if sc.text != "full":
            raise UsageError(f"{self.path} holds n-gram counts of full texts: add --text full")
        if has_wildcards(parsed):
            raise UsageError("wildcards cannot be answered from n-gram counts: write the terms out")
        query = prepare_fulltext_query(parsed, sc)
        got = _counts.trend_inputs(self.path, query.plans, sc)
        trend = assemble_fulltext_trend(
            query, sc, measure=measure, smooth=smooth, lo=got["lo"], hi=got["hi"], counts=got["counts"],
            totals=got["totals"], with_text=got["with_text"], all_papers=got["all_papers"], n=got["n"],
            first_m=got["first_m"], last_m=got["last_m"], last_date=got["last_date"], meta_last=got["meta_last"])
        if got["pruned"]:  # said, since counts below the threshold are missing
            trend = dataclasses.replace(trend, filters={**trend.filters, "pruned_below_papers": got["min_papers"]})
        return trend

    def _fulltext_trend(self, parsed: Query, sc: Scope, *, measure: Measure, smooth: int) -> Trend:
        """Papers whose full text matches, as a share of papers WITH a full text (same period, same filters)."""
        query = prepare_fulltext_query(parsed, sc)
        with self._read() as store:
            _fulltext.require_fulltext(store)
            self._check_categories(store, sc.categories, query.parsed, fulltext=True)
            (first_m, last_m, last_date), every_month = store.fulltext_overview()
            lo, hi = sc.resolve(first_m, last_m)
            idx = _fulltext.engine(store)
            counts, totals = _fulltext.counts(store, idx, query.plans, categories=sc.categories, lo=lo, hi=hi)
            n = sum(every_month.values())
            with_text = ({m: k for m, k in every_month.items() if lo <= m <= hi} if not sc.categories
                         else store.fulltext_month_totals(sc.categories, lo, hi))  # one read fewer without filters
            all_papers = store.month_totals(sc.categories, lo, hi)
            meta_last = store.span()[1] if store.paper_count() else None
        return assemble_fulltext_trend(query, sc, measure=measure, smooth=smooth, lo=lo, hi=hi, counts=counts,
                                       totals=totals, with_text=with_text, all_papers=all_papers, n=n,
                                       first_m=first_m, last_m=last_m, last_date=last_date, meta_last=meta_last)

    def _fulltext_papers(self, parsed: Query, sc: Scope, *, period: str | None, limit: int, offset: int,
                         ) -> PaperList:
        if has_wildcards(parsed):
            raise UsageError("wildcards are not supported with --text full yet: write the terms out")
        plans = plan_query(parsed, sc)
        with self._read() as store:
            _fulltext.require_fulltext(store)
            self._check_categories(store, sc.categories, parsed, fulltext=True)
            first_m, last_m, _ = store.fulltext_span()
            if period is not None:
                p = parse_period(period, sc.by)
                lo, hi = period_first_month(p, sc.by), period_last_month(p, sc.by)
            else:
                lo, hi = sc.resolve(first_m, last_m)
            idx = _fulltext.engine(store)
            total, fdocs = _fulltext.matching_fdocs(store, idx, plans, categories=sc.categories, lo=lo, hi=hi,
                                                    want=offset + limit)
            rows = store.fulltext_papers(fdocs, limit=limit, offset=offset)
            papers = tuple(
                PaperRow(r[0], r[1], r[2], " ".join(str(r[3]).split()), tuple(r[4] or ()),
                         match=_fulltext.where_matched(store.fulltext_paragraphs(r[5]), plans))
                for r in rows)
        return PaperList(query=parsed.text, period=period, total=int(total), papers=papers)

    # -- analytics -------------------------------------------------------------------
    def adoption(self, query: str | Query, *, scope: Scope | None = None, introduced: str | None = None,
                 origin: str | None = None, with_senses: bool = True, fits: bool = True, by: str = "mention",
                 **scope_keywords: Any) -> AdoptionReport:
        """Adoption numbers for each series of ``query`` (see :mod:`uptake.analytics.adoption`).

        ``by="use"`` counts papers that *use* each idea — matched in their method, experiments, appendix or
        captions, outside sentences citing another work — among papers with a full text; ``"mention"``
        (default) counts every paper that names it.
        """
        sc = scope or Scope.build(**scope_keywords)
        if by not in ("mention", "use"):
            raise UsageError(f"--by must be mention or use, not {by!r}")
        if by == "use":
            query = restrict_roles(query if isinstance(query, Query) else parse_query(query), ("use",))
            sc = sc.with_(text="full")
        from ._adoption import adoption  # the analytics (fits, statistics) load when first asked for

        return adoption(self, query, scope=sc, introduced=introduced, origin=origin, with_senses=with_senses,
                        fits=fits)

    def emerging(self, **options: Any) -> EmergingReport:
        """Terms whose share rose from a baseline window to a recent one (see :mod:`uptake.analytics.emerging`)."""
        from ._emerging import emerging

        return emerging(self, **options)

    def senses(self, term: str, **options: Any) -> SensesReport:
        """The papers matching ``term`` split by case variant, category and expansion."""
        return senses(self, term, **options)

    def openness(self, query: str | None = None, *, scope: Scope | None = None, **scope_keywords: Any,
                 ) -> OpennessTable:
        """Per period, the share of matching papers that link their own code, weights, data or demo."""
        from ._openness import openness_table

        return openness_table(self, query, scope=scope or Scope.build(**scope_keywords))

    def openness_compare(self, query: str | None = None, *, scope: Scope | None = None, **scope_keywords: Any,
                         ) -> OpennessComparison:
        """On papers with a full text: per period, the shares flagged from abstracts vs from full texts, and the
        papers where they differ (see :mod:`uptake.analytics.fulltext_openness`)."""
        from ._openness import openness_comparison

        return openness_comparison(self, query, scope=scope or Scope.build(**scope_keywords))

    def links(self, query: str, **options: Any) -> tuple[int, list[PaperLinks]]:
        """The papers behind a point (as :meth:`papers`) with their openness flags and stored links."""
        from ._openness import paper_links

        return paper_links(self, query, **options)

    def fingerprint(self) -> Fingerprint:
        """What identifies this corpus' content: papers, first and last month, a hash of every paper's content."""
        with self._read() as store:
            return store.fingerprint()

    # -- helpers ---------------------------------------------------------------------
    @contextmanager
    def _engines(self, parsed: Query, sc: Scope, *, rows: bool = False,
                 ) -> Iterator[tuple[Store | None, TermIndex | None]]:
        """(store or None, fresh index or None) to answer ``parsed``: an index this process already
        verified answers counts without opening the store; paper ``rows``, ``has:`` filters (to check
        the store has its openness flags), wildcards and case-sensitive phrases of several tokens (the index
        confirms them on the stored text) need the store. The index answers ``has:`` too."""
        senses_asked = has_senses(parsed)
        plans = plan_query(_without_wildcards(parsed), sc) if not senses_asked else []
        has_filters = any(uses_has(p.match) for p in plans) \
            if not senses_asked else any(isinstance(n, HasArtifact) for s in parsed.series for n in walk(s.expr))
        exact_phrases = any(has_exact_phrase(p.match) or has_exact_phrase(p.universe) for p in plans)
        needs_store = rows or has_filters or has_wildcards(parsed) or senses_asked or exact_phrases
        self.deadline.check()
        held = None if needs_store else verified_index(self.path)
        if held is not None:
            held.require_papers()
            self._check_categories(held, sc.categories, parsed)
            yield None, held
            return
        with self._read() as store:
            store.require_papers()
            idx = _fresh_index(store)
            if idx is not None:  # case-sensitive phrases are confirmed on the store's text
                idx = idx.with_store(store)
            self._check_categories(idx if idx is not None else store, sc.categories, parsed)
            if has_filters:
                store.require_openness()
            yield store, idx

    def _counts(self, store: Store | None, idx: TermIndex | None, plans: list[SeriesPlan], sc: Scope, lo: int,
                hi: int) -> tuple[list[dict[int, int]], list[dict[int, int]]]:
        if idx is not None:  # the term index answers with the scan's exact counts
            try:
                return trend_counts(idx, plans, categories=sc.categories)
            except IndexReadError as exc:
                report_failure(idx, exc)
                if store is None:
                    with self._read() as opened:
                        return opened.scan_trend(plans, categories=sc.categories, lo=lo, hi=hi)
        assert store is not None
        return store.scan_trend(plans, categories=sc.categories, lo=lo, hi=hi)

    def _check_categories(self, source: Store | TermIndex, cats: Sequence[str], parsed: Query, *,
                          fulltext: bool = False) -> None:
        wanted = list(cats) + [n.code for s in parsed.series for n in walk(s.expr) if isinstance(n, Category)]
        if not wanted:
            return
        known = source.fulltext_categories() if fulltext and isinstance(source, Store) else source.known_categories()
        check_categories(known, cats, parsed)


def check_categories(known: Sequence[str] | Callable[[], Sequence[str]], cats: Sequence[str], parsed: Query) -> None:
    """Refuse a category (given, or cat: in the query) that no paper of ``known`` categories is listed in
    (``known`` may be a function, called only when some category is asked for)."""
    wanted = list(cats) + [n.code for s in parsed.series for n in walk(s.expr) if isinstance(n, Category)]
    if not wanted:
        return
    if callable(known):
        known = known()
    archives = sorted({c.split(".")[0] for c in known})
    known_set = set(known) | set(archives)
    for code in wanted:
        if code not in known_set:
            if "," in code:
                raise UnknownCategoryError(
                    f"{code!r} is several categories in one: repeat the option instead, e.g. "
                    + " ".join(f"--category {c.strip()}" for c in code.split(",") if c.strip()))
            close = difflib.get_close_matches(code, list(known_set), n=3, cutoff=0.6)
            lower = [k for k in known_set if k.lower() == code.lower()]
            hint = lower or close
            raise UnknownCategoryError(
                f"no paper in this corpus is listed in category {code!r}"
                + (f"; did you mean {', '.join(hint)}?" if hint else "")
                + " (`uptake stats` lists the categories; archives like cs match every cs.*)"
            )


@dataclass(frozen=True)
class FullTextQuery:
    """A query ready to count over full texts: its plans, and the formulas applied afterwards."""

    parsed: Query
    formula_query: Query
    formulas: Any
    plans: list[SeriesPlan]


def prepare_fulltext_query(parsed: Query, sc: Scope) -> FullTextQuery:
    """Check and compile ``parsed`` for full texts (what every engine counting full texts runs first)."""
    if has_wildcards(parsed):
        raise UsageError("wildcards are not supported with --text full yet: write the terms out")
    plain, formulas = split_formulas(parsed)
    return FullTextQuery(parsed=plain, formula_query=parsed, formulas=formulas, plans=list(plan_query(plain, sc)))


def assemble_fulltext_trend(query: FullTextQuery, sc: Scope, *, measure: Measure, smooth: int, lo: int, hi: int,
                            counts: Sequence[dict[int, int]], totals: Sequence[dict[int, int]],
                            with_text: dict[int, int], all_papers: dict[int, int], n: int, first_m: int | None,
                            last_m: int | None, last_date: date | None, meta_last: date | None) -> Trend:
    """The :class:`Trend` of full-text counts, whichever engine counted them (this store, or Spark)."""
    coverage = [{"period": month_label(m), "with_full_text": with_text.get(m, 0), "papers": all_papers.get(m, 0)}
                for m in range(lo, hi + 1)]
    filters: dict[str, Any] = {
        "from": month_label(lo), "to": month_label(hi), "by": sc.by, "category": list(sc.categories),
        "measure": measure, "smooth": smooth, "case_sensitive": sc.case_sensitive, "field": sc.field,
        "text": "full", "fulltext_coverage": coverage,
    }
    trend = build_trend(
        query=query.parsed.text, labels=[p.label for p in query.plans], counts=list(counts), totals=list(totals),
        start_month=lo, end_month=hi,
        corpus=CorpusInfo(papers=n, first=month_label(first_m) if first_m is not None else None,
                          last=month_label(last_m) if last_m is not None else None),
        corpus_last_date=_last_date(meta_last, last_date, last_m),
        by=sc.by, measure=measure, smooth=smooth, filters=filters,
    )
    return apply_formulas(trend, query.formulas, query.formula_query.text)


#: The most series one trend compares (the CLI, the API and the library share it); wider figures are unreadable.
MAX_SERIES = 12


def _check_series_count(parsed: Query, expansions: dict[str, list[str]]) -> None:
    """At most MAX_SERIES series as written (a wildcard series then becomes its --expand completions)."""
    if len(parsed.series) <= MAX_SERIES:
        return
    raise UsageError(
        f"{len(parsed.series)} series; the limit is {MAX_SERIES}: split the comparison into several queries"
    )


def _last_date(*candidates: Any) -> date | None:
    """The latest date the corpus is known to cover: metadata or full-text v1 dates, else the end of the
    last month a full text's id dates it to (its month then counts as complete)."""
    from ..analytics.trends import period_end

    *dates, last_month = candidates
    known = [d for d in dates if d is not None]
    if last_month is not None:
        known.append(period_end(last_month, "month") if not known or month_of(max(known)) < last_month
                     else max(known))
    return max(known) if known else None


def _size(store: Store | None, idx: TermIndex | None) -> tuple[int, date | None, date | None]:
    source: Any = idx if idx is not None else store
    n = source.require_papers()
    first, last = source.span()
    return n, first, last


def _without_wildcards(parsed: Query) -> Query:
    """``parsed`` with its wildcard series left out (they are planned once expanded)."""
    from ..query.ast import Term

    keep = tuple(s for s in parsed.series
                 if not any(isinstance(n, Term) and n.wildcard for n in walk(s.expr)))
    return Query(text=parsed.text, series=keep)


def _with_has(parsed: Query, kinds: Sequence[str]) -> Query:
    from dataclasses import replace

    from ..query.ast import And

    extra = tuple(HasArtifact(kind=k, position=0) for k in kinds)
    return Query(text=parsed.text, series=tuple(
        replace(s, expr=And((s.expr, *extra))) for s in parsed.series))


def _fresh_index(store: Store) -> TermIndex | None:
    """The store's term index when it reflects the store exactly, else None (then the SQL scan answers)."""
    if not (index_dir(store.path) / "CURRENT").exists():
        return None
    return open_fresh(store)


def _has_kinds(has: str | Sequence[str]) -> list[str]:
    kinds = list(as_categories(has))
    for k in kinds:
        if k not in HAS_KINDS:
            raise UsageError(f"--has must be one of {', '.join(HAS_KINDS)}, not {k!r}")
    return kinds


def _paper_rows(rows: Sequence[tuple[Any, ...]]) -> tuple[PaperRow, ...]:
    """``(id, published, primary_category, title, categories)`` rows as PaperRows, titles on one line."""
    return tuple(PaperRow(r[0], r[1], r[2], " ".join(r[3].split()), tuple(r[4])) for r in rows)


def open(path: str | Path | None = None) -> Corpus:
    """The corpus stored at ``path`` (default: ``$UPTAKE_DB`` or the user's data directory)."""
    return Corpus(path)
