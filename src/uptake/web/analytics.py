"""Bridges from the API to the corpus' analytics (:meth:`Corpus.adoption`, :meth:`Corpus.emerging`).

They translate request arguments into library calls and results into JSON-ready dicts. The routes
call them through this module (``bridge.adoption_json(...)``), so tests can put a slow or failing
computation in their place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from ..corpus import Corpus
from ..periods import month_label, month_of
from ..scope import Scope


@dataclass(frozen=True)
class AdoptionArgs:
    query: str
    category: tuple[str, ...] = ()
    case_sensitive: bool = False
    field: str = "any"
    start: str | None = None
    end: str | None = None
    introduced: str | None = None
    origin: str | None = None
    senses: bool = False
    text: str = "abstract"
    by: str = "mention"


@dataclass(frozen=True)
class EmergingArgs:
    recent: str | None = None
    baseline: str | None = None
    category: tuple[str, ...] = ()
    limit: int = 20


def adoption_json(corpus: Corpus, args: AdoptionArgs) -> dict[str, Any]:
    """``uptake adoption --format json`` for the request: one summary per series of the query."""
    scope = Scope.build(category=args.category, case_sensitive=args.case_sensitive, field=args.field,
                        start=args.start, end=args.end, text=args.text)
    report = corpus.adoption(args.query, scope=scope, introduced=args.introduced, origin=args.origin,
                             with_senses=args.senses, by=args.by)
    return report.as_dict()


def default_windows(last: date) -> tuple[str, str]:
    """``(recent, baseline)``: the last 6 complete months, and the 12 months before them."""
    last = min(last, date.today())  # a stored 9999-12-31 (imported before dates were checked) has no next day
    lc = month_of(last) - (0 if (last + timedelta(days=1)).month != last.month else 1)
    recent = f"{month_label(lc - 5)}:{month_label(lc)}"
    baseline = f"{month_label(lc - 17)}:{month_label(lc - 6)}"
    return recent, baseline


def emerging_json(corpus: Corpus, args: EmergingArgs) -> dict[str, Any]:
    """``uptake emerging --format json`` for the request (default windows: see :func:`default_windows`)."""
    recent, baseline = args.recent, args.baseline
    if recent is None or baseline is None:
        _, last = corpus.span()
        d_recent, d_baseline = default_windows(last)
        recent, baseline = recent or d_recent, baseline or d_baseline
    report = corpus.emerging(recent=recent, baseline=baseline, category=list(args.category), top=args.limit)
    return report.as_dict()
