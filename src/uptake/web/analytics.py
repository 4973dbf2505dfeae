"""Bridges from the API to the optional analytics modules (``uptake.adoption``, ``uptake.emerging``).

They are imported lazily by the app; these functions only translate request parameters
into library calls and results into JSON-ready dicts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..corpus import Corpus
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


def emerging_json(module: Any, corpus: Corpus, params: Mapping[str, Any], cats: list[str], limit: int) -> dict[str, Any]:
    """The terms rising fastest, as ``{"terms": [{"term", "note", ...}], ...}``."""
    result = module.emerging(corpus, category=cats, limit=limit)
    data = result.as_dict() if hasattr(result, "as_dict") else dict(result)
    return data
