"""The web face of uptake: an HTTP API and a page with an interactive chart.

>>> from uptake.web import create_app          # doctest: +SKIP
>>> app = create_app("arxiv.duckdb")           # doctest: +SKIP   (serve with uvicorn, or `uptake serve`)
"""

from __future__ import annotations

from .app import create_app
from .limits import Limits

__all__ = ["Limits", "create_app"]
