"""uptake: how fast research ideas spread through arXiv.

The library is the product; the CLI and the web app are faces over it::

    import uptake
    corpus = uptake.open("arxiv.duckdb")
    trend = corpus.trend('GRPO, DPO | "direct preference optimization"', start="2025-01")
    trend.to_pandas(); trend.plot()
    corpus.papers("GRPO", period="2025-05")
"""

from __future__ import annotations

from .corpus import Corpus, PaperList, PaperRow, Stats, open
from .errors import (
    InputError,
    NoCorpusError,
    PeriodError,
    QueryError,
    SchemaVersionError,
    StoreError,
    StoreLockedError,
    UnknownCategoryError,
    UnrecognisedFormatError,
    UptakeError,
    UsageError,
)
from .query import parse_query
from .records import ImportSummary, Paper
from .text import SEMANTICS_VERSION, tokens
from .analytics.trends import Point, Trend, TrendSeries

__version__ = "0.1.0"

__all__ = [
    "Corpus",
    "ImportSummary",
    "InputError",
    "NoCorpusError",
    "Paper",
    "PaperList",
    "PaperRow",
    "PeriodError",
    "Point",
    "QueryError",
    "SEMANTICS_VERSION",
    "SchemaVersionError",
    "Stats",
    "StoreError",
    "StoreLockedError",
    "Trend",
    "TrendSeries",
    "UnknownCategoryError",
    "UnrecognisedFormatError",
    "UptakeError",
    "UsageError",
    "__version__",
    "open",
    "parse_query",
    "tokens",
]
