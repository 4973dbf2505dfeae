"""What one request may ask for, and how much work the server does at once."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Limits:
    """The server's limits (``uptake serve --budget`` sets ``time_budget``)."""

    max_query_chars: int = 500
    max_series: int = 12
    max_limit: int = 1000
    max_smooth: int = 60
    max_categories: int = 20
    time_budget: float = 10.0  # seconds per request (trend, papers, stats, the page) before a 503
    analytics_budget: float = 120.0  # the same for /api/adoption and /api/emerging (model fits, corpus scans)
    workers: int = 3  # threads for trend, papers and stats work
    analytics_workers: int = 1  # adoption/emerging computations at the same time (each can take GBs on a big corpus)
    analytics_queue: int = 8  # distinct adoption/emerging questions waiting for a worker; more get 503 at once
    memo_size: int = 64  # results kept per store version (adoption, emerging, stats)
    retry_after: int = 5  # seconds, in the Retry-After header of a "busy" or "being updated" 503

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
