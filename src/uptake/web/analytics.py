"""Bridges from the API to the optional analytics modules (``uptake.adoption``, ``uptake.emerging``).

They are imported lazily by the app; these functions only translate request parameters
into library calls and results into JSON-ready dicts.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from ..corpus import Corpus
from ..periods import month_label, month_of
from ..query import Query


def _flag(params: Mapping[str, Any], name: str) -> bool:
    return str(params.get(name) or "").strip().lower() in ("1", "true", "yes", "on")


def adoption_json(module: Any, corpus: Corpus, parsed: Query, params: Mapping[str, Any], cats: list[str]) -> dict[str, Any]:
    """``uptake adoption --format json`` for the request: one summary per series of ``q``."""
    field = params.get("field") or "any"
    report = module.adoption(
        corpus,
        parsed.text,
        category=cats,
        case_sensitive=_flag(params, "case_sensitive"),
        field=field,
        start=params.get("from") or None,
        end=params.get("to") or None,
        introduced=params.get("introduced") or None,
        origin=params.get("origin") or None,
        with_senses=_flag(params, "senses"),
    )
    return report.as_dict()


def default_windows(last: date) -> tuple[str, str]:
    """``(recent, baseline)``: the last 6 complete months, and the 12 months before them."""
    last = min(last, date.today())  # a stored 9999-12-31 (imported before dates were checked) has no next day
    lc = month_of(last) - (0 if (last + timedelta(days=1)).month != last.month else 1)
    recent = f"{month_label(lc - 5)}:{month_label(lc)}"
    baseline = f"{month_label(lc - 17)}:{month_label(lc - 6)}"
    return recent, baseline


def emerging_json(module: Any, corpus: Corpus, params: Mapping[str, Any], cats: list[str], limit: int) -> dict[str, Any]:
    """``uptake emerging --format json`` for the request (default windows: see :func:`default_windows`)."""
    recent, baseline = params.get("recent") or None, params.get("baseline") or None
    if recent is None or baseline is None:
        with corpus._read() as store:
            store.require_papers()
            _, last = store.span()
        d_recent, d_baseline = default_windows(last)
        recent, baseline = recent or d_recent, baseline or d_baseline
    report = module.emerging(corpus, recent=recent, baseline=baseline, category=cats, top=limit)
    return report.as_dict()
