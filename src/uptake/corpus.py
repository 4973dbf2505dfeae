"""The library's front door: a corpus in a store, and the questions you can ask it.

>>> import uptake                                   # doctest: +SKIP
>>> corpus = uptake.open("~/arxiv.duckdb")          # doctest: +SKIP
>>> t = corpus.trend("GRPO, DPO", start="2025-01")  # doctest: +SKIP
>>> t.to_pandas()                                   # doctest: +SKIP
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from .errors import PeriodError, UnknownCategoryError, UsageError
from .ingest import ProgressFn, import_files
from .periods import (
    Granularity,
    GRANULARITIES,
    month_label,
    clamped_month_of,
    month_of,
    parse_month,
    parse_period,
    period_first_month,
    period_last_month,
)
from .query import Category, Query, parse_query
from .query.ast import FIELDS, Field, walk
from .query.plan import SqlPredicate, categories_predicate, has_predicate, plan_series
from .records import ImportSummary
from .sources import SourceFormat
from .store import Store
from .trends import MEASURES, CorpusInfo, Measure, Trend, build_trend


@dataclass(frozen=True)
class PaperRow:
    id: str
    published: date
    primary_category: str | None
    title: str
    categories: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "date": self.published.isoformat(),
            "primary_category": self.primary_category,
            "title": self.title,
            "categories": list(self.categories),
            "url": f"https://arxiv.org/abs/{self.id}",
        }


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


class Corpus:
    """A corpus stored at ``path``. Each call opens the store briefly, so writers are not locked out."""

    def __init__(self, path: str | Path | None = None) -> None:
        from .store import default_path

        self.path = Path(path).expanduser() if path is not None else default_path()

    def __repr__(self) -> str:
        return f"Corpus({str(self.path)!r})"

    def _read(self) -> Store:
        return Store.open(self.path, write=False)

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
        from .ingest import resolve_inputs

        resolve_inputs(paths)  # a missing input must not leave an empty store behind
        with Store.open(self.path, write=True) as store:
            return import_files(store, paths, fmt=fmt, strict=strict, progress=progress, workers=workers)

    # -- reading -------------------------------------------------------------
    def stats(self, *, top_categories: int = 25) -> Stats:
        with self._read() as store:
            n = store.require_papers()
            first, last = store.span()
            months = store.query(
                "SELECT month, count(*) FROM papers WHERE NOT deleted GROUP BY month ORDER BY month"
            )
            cats = store.query(
                "SELECT c, count(*) AS n FROM (SELECT unnest(categories) AS c FROM papers WHERE NOT deleted) "
                "GROUP BY c ORDER BY n DESC, c LIMIT ?",
                [top_categories],
            )
            prim = store.query(
                "SELECT coalesce(primary_category, '(none)'), count(*) AS n FROM papers WHERE NOT deleted "
                "GROUP BY 1 ORDER BY n DESC, 1 LIMIT ?",
                [top_categories],
            )
            harvest = tuple(
                {"set": h["set_spec"] or "(all)", "metadata_prefix": h["metadata_prefix"], "endpoint": h["endpoint"],
                 "last_datestamp": h["last_datestamp"], "in_progress": bool(h["in_progress"]),
                 "records": h["records"], "deleted": h["deleted"], "rejected": h["rejected"],
                 "harvested_at": h["updated_at"]}
                for h in store.harvest_states()
            )
        return Stats(
            papers=n, first=first, last=last,
            months=tuple((month_label(m), c) for m, c in months),
            categories=tuple((c, k) for c, k in cats),
            primary_categories=tuple((c, k) for c, k in prim),
            path=str(self.path), harvest=harvest,
        )

    def trend(
        self,
        query: str | Query,
        *,
        start: str | None = None,
        end: str | None = None,
        by: Granularity = "month",
        category: str | Sequence[str] = (),
        measure: Measure = "share",
        smooth: int = 1,
        case_sensitive: bool = False,
        field: Field = "any",
        expand: int = 10,
    ) -> Trend:
        """Papers per period matching each series of ``query``, with totals and shares.

        A wildcard series (``GR*O``, ``"* policy optimization"``) becomes its ``expand`` most
        frequent completions, listed in ``trend.filters["expanded"]``; arithmetic series
        (``GRPO / PPO``) are derived from their operands and state their unit.
        """
        from contextlib import nullcontext

        from .derived import apply_formulas, split_formulas
        from .index import verified_index
        from .query.expand import expand_query, has_wildcards

        parsed = query if isinstance(query, Query) else parse_query(query)
        cats = _as_list(category)
        _check_options(by=by, measure=measure, smooth=smooth, field=field)
        wildcards = has_wildcards(parsed)
        expansions: dict[str, list[str]] = {}
        uses_has = _uses_openness(parsed)  # has: filters read the store's openness columns, not the term index
        held = None if uses_has or wildcards else verified_index(self.path)  # verified by this process, unchanged
        with nullcontext(held) if held is not None else self._read() as store:
            n = store.require_papers()
            first, last = store.span()
            idx = held if held is not None else (None if uses_has else _fresh_index(store))
            self._check_categories(idx if idx is not None else store, cats, parsed)  # the index lists them too
            if uses_has:
                _require_openness(store)
            start_m, end_m = _resolve_range(start, end, first, last)
            if wildcards:
                parsed, expansions = expand_query(parsed, k=expand, case_sensitive=case_sensitive, field=field,
                                                  index=idx, store=store)
            _check_series_count(parsed, expansions)
            formula_query = parsed
            parsed, formulas = split_formulas(parsed)
            plans = [plan_series(s, case_sensitive=case_sensitive, field=field) for s in parsed.series]
            if idx is not None:  # the term index answers with the scan's exact counts
                from .index import trend_counts

                counts, totals = trend_counts(idx, parsed.series, case_sensitive=case_sensitive, field=field,
                                              categories=cats)
            else:
                select: list[str] = []
                params: list[Any] = []
                for i, plan in enumerate(plans):
                    select.append(f"count(*) FILTER (WHERE {plan.universe.sql}) AS t{i}")
                    params.extend(plan.universe.params)
                    select.append(f"count(*) FILTER (WHERE {plan.match.sql}) AS c{i}")
                    params.extend(plan.match.params)
                glob = categories_predicate(cats)
                sql = (
                    f"SELECT month, {', '.join(select)} FROM papers "
                    f"WHERE NOT deleted AND month BETWEEN ? AND ? AND {glob.sql} GROUP BY month"
                )
                rows = store.query(sql, [*params, start_m, end_m, *glob.params])
                counts = [{r[0]: r[2 + 2 * i] for r in rows} for i in range(len(plans))]
                totals = [{r[0]: r[1 + 2 * i] for r in rows} for i in range(len(plans))]
        filters = {
            "from": month_label(start_m), "to": month_label(end_m), "by": by, "category": cats,
            "measure": measure, "smooth": smooth, "case_sensitive": case_sensitive, "field": field,
        }
        if expansions:
            filters["expanded"] = expansions
        trend = build_trend(
            query=parsed.text,
            labels=[p.label for p in plans],
            counts=counts,
            totals=totals,
            start_month=start_m,
            end_month=end_m,
            corpus=CorpusInfo(papers=n, first=first.isoformat() if first else None, last=last.isoformat() if last else None),
            corpus_last_date=last,
            by=by,
            measure=measure,
            smooth=smooth,
            filters=filters,
        )
        return apply_formulas(trend, formulas, formula_query.text)

    def papers(
        self,
        query: str | Query,
        *,
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
    ) -> PaperList:
        """The papers behind a point: those matching any series of ``query`` in ``period``, newest first.

        ``has`` keeps only papers linking their own artifact of each kind given (code, weights, data, demo,
        promise; see :mod:`uptake.openness`).
        """
        parsed = query if isinstance(query, Query) else parse_query(query)
        cats = _as_list(category)
        haves = _has_kinds(has)
        uses_has = bool(haves) or _uses_openness(parsed)
        _check_options(by=by, measure="share", smooth=1, field=field)
        if limit < 0 or offset < 0:
            raise PeriodError("--limit and --offset must be zero or more")
        with self._read() as store:
            store.require_papers()
            first, last = store.span()
            idx = None if uses_has else _fresh_index(store)
            self._check_categories(idx if idx is not None else store, cats, parsed)
            if uses_has:
                _require_openness(store)
            if period is not None:
                p = parse_period(period, by)
                lo, hi = period_first_month(p, by), period_last_month(p, by)
            else:
                lo, hi = _resolve_range(start, end, first, last)
            from .query.expand import DEFAULT_EXPAND, expand_query, has_wildcards

            if has_wildcards(parsed):  # the papers behind the plotted completions
                parsed, _ = expand_query(parsed, k=DEFAULT_EXPAND, case_sensitive=case_sensitive, field=field,
                                         index=idx, store=store)
            plans = [plan_series(s, case_sensitive=case_sensitive, field=field) for s in parsed.series]
            if idx is not None:  # the index finds the matches; the store supplies the rows
                from .index import matching_docs

                total, docs = matching_docs(idx, parsed.series, case_sensitive=case_sensitive, field=field,
                                            categories=cats, lo=lo, hi=hi, want=offset + limit)
                rows = store.query(
                    "SELECT id, published, primary_category, title, categories FROM papers "
                    "WHERE doc IN (SELECT unnest(?::BIGINT[])) ORDER BY published DESC, id DESC LIMIT ? OFFSET ?",
                    [docs, limit, offset],
                ) if docs else []
                return PaperList(query=parsed.text, period=period, total=int(total), papers=_paper_rows(rows))
            match = SqlPredicate(
                "(" + " OR ".join(pl.match.sql for pl in plans) + ")",
                tuple(v for pl in plans for v in pl.match.params),
            )
            glob = categories_predicate(cats)
            where = f"NOT deleted AND month BETWEEN ? AND ? AND {glob.sql} AND {match.sql}"
            where += "".join(f" AND {has_predicate(k).sql}" for k in haves)
            params = [lo, hi, *glob.params, *match.params]
            total = store.query(f"SELECT count(*) FROM papers WHERE {where}", params)[0][0]
            rows = store.query(
                f"SELECT id, published, primary_category, title, categories FROM papers WHERE {where} "
                f"ORDER BY published DESC, id DESC LIMIT ? OFFSET ?",
                [*params, limit, offset],
            )
        return PaperList(query=parsed.text, period=period, total=int(total), papers=_paper_rows(rows))

    def _check_categories(self, store: Store, cats: Sequence[str], parsed: Query) -> None:
        wanted = list(cats) + [n.code for s in parsed.series for n in walk(s.expr) if isinstance(n, Category)]
        if not wanted:
            return
        known = store.known_categories()
        archives = sorted({c.split(".")[0] for c in known})
        known_set = set(known) | set(archives)
        for code in wanted:
            if "," in code:
                parts = [c.strip() for c in code.split(",") if c.strip()]
                raise UnknownCategoryError(
                    f"{code!r} is several categories in one: repeat the option for each, e.g. "
                    + " ".join(f"--category {c}" for c in parts)
                )
            if code not in known_set:
                close = difflib.get_close_matches(code, list(known_set), n=3, cutoff=0.6)
                lower = [k for k in known_set if k.lower() == code.lower()]
                hint = lower or close
                raise UnknownCategoryError(
                    f"no paper in this corpus is listed in category {code!r}"
                    + (f"; did you mean {', '.join(hint)}?" if hint else "")
                    + " (`uptake stats` lists the categories; archives like cs match every cs.*)"
                )


def _fresh_index(store: Store) -> Any:
    """The store's term index when it reflects the store exactly, else None (then the SQL scan answers)."""
    from .index import index_dir, open_fresh

    if not (index_dir(store.path) / "CURRENT").exists():
        return None
    return open_fresh(store)


def _uses_openness(parsed: Query) -> bool:
    from .query.ast import HasArtifact

    return any(isinstance(n, HasArtifact) for s in parsed.series for n in walk(s.expr))


def _has_kinds(has: str | Sequence[str]) -> list[str]:
    from .errors import UsageError
    from .openness import HAS_KINDS

    kinds = _as_list(has)
    for k in kinds:
        if k not in HAS_KINDS:
            raise UsageError(f"--has must be one of {', '.join(HAS_KINDS)}, not {k!r}")
    return kinds


def _require_openness(store: Store) -> None:
    from .errors import StoreError

    if not store.has_openness():
        raise StoreError(
            f"{store.path} was made before uptake detected code/weights/data links, so has: filters cannot run on it: "
            f"run `uptake openness --refresh --db {store.path}` once (it adds and fills the columns, about a minute "
            f"for 200k papers)"
        )


def _paper_rows(rows: Sequence[tuple[Any, ...]]) -> tuple[PaperRow, ...]:
    """``(id, published, primary_category, title, categories)`` rows as PaperRows, titles on one line."""
    return tuple(PaperRow(r[0], r[1], r[2], " ".join(r[3].split()), tuple(r[4])) for r in rows)


def _as_list(category: str | Sequence[str]) -> list[str]:
    if isinstance(category, str):
        return [category] if category else []
    return [c for c in category if c]


def _check_options(*, by: str, measure: str, smooth: int, field: str) -> None:
    from .errors import UsageError

    if by not in GRANULARITIES:
        raise UsageError(f"--by must be one of {', '.join(GRANULARITIES)}, not {by!r}")
    if measure not in MEASURES:
        raise UsageError(f"--measure must be one of {', '.join(MEASURES)}, not {measure!r}")
    if smooth < 1:
        raise UsageError("--smooth must be 1 (no smoothing) or more periods")
    if field not in FIELDS:
        raise UsageError(f"--field must be one of title, abstract (or both by default), not {field!r}")


#: The most series one trend compares (the CLI, the API and the library share it); wider figures are unreadable.
MAX_SERIES = 12


def _check_series_count(parsed: Query, expansions: dict[str, list[str]]) -> None:
    if len(parsed.series) <= MAX_SERIES:
        return
    grown = " (after wildcard expansion; lower --expand)" if expansions else ""
    raise UsageError(
        f"{len(parsed.series)} series{grown}; the limit is {MAX_SERIES}: split the comparison into several queries"
    )


def _resolve_range(start: str | None, end: str | None, first: date | None, last: date | None) -> tuple[int, int]:
    lo = parse_month(start, what="--from") if start else (clamped_month_of(first) if first else 0)
    hi = parse_month(end, what="--to") if end else (clamped_month_of(last) if last else lo)
    if lo > hi:
        raise PeriodError(f"--from {month_label(lo)} is after --to {month_label(hi)}: swap them")
    return lo, hi


def open(path: str | Path | None = None) -> Corpus:  # noqa: A001 - mirrors the builtin on purpose
    """The corpus stored at ``path`` (default: ``$UPTAKE_DB`` or the user's data directory)."""
    return Corpus(path)
