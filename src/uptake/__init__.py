"""uptake: how fast research ideas spread through arXiv.

The library is the product; the CLI and the web app are faces over it::

    import uptake
    corpus = uptake.open("arxiv.duckdb")
    trend = corpus.trend('GRPO, DPO | "direct preference optimization"', start="2025-01")
    trend.to_pandas(); uptake.plot(trend)
    corpus.papers("GRPO", period="2025-05")
"""

from __future__ import annotations

from ._version import __version__
from .analytics.trends import Point, Trend, TrendSeries
from .corpus import Corpus, PaperList, PaperRow, Stats, open
from .deadline import Deadline
from .errors import (
    DeadlineExceeded,
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
from .outputs.plot import plot_trend as plot
from .scope import Scope
from .text import SEMANTICS_VERSION, tokens


__all__ = [
    "Corpus",
    "Deadline",
    "DeadlineExceeded",
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
    "Scope",
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
    "plot",
    "tokens",
]
