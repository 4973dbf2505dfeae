"""What a question is asked about: one frozen, validated bundle of the options every command shares.

The CLI, the web API and a report manifest each build one :class:`Scope` from what the user
typed, and pass it everywhere instead of loose arguments, so a new filter is added here once.

>>> s = Scope.build(start="2025-01", category="cs.CL,cs.LG".split(","))
>>> s.categories, s.start_label, s.by
(('cs.CL', 'cs.LG'), '2025-01', 'month')
>>> Scope.build(by="week")
Traceback (most recent call last):
...
uptake.errors.UsageError: --by must be one of month, quarter, year, not 'week'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from .errors import PeriodError, UsageError
from .periods import GRANULARITIES, Granularity, month_label, parse_month

Field = Literal["any", "title", "abstract"]
FIELDS: tuple[Field, ...] = ("any", "title", "abstract")
#: What a query reads: titles and abstracts (the metadata), or papers' full texts where the corpus has them.
TextSource = Literal["abstract", "full"]
TEXT_SOURCES: tuple[TextSource, ...] = ("abstract", "full")


@dataclass(frozen=True)
class Scope:
    """Period range (month indexes, ``None`` = the corpus' own first/last month), granularity,
    categories (``cs`` = every ``cs.*``), case sensitivity, field, and the text the query reads."""

    start: int | None = None
    end: int | None = None
    by: Granularity = "month"
    categories: tuple[str, ...] = ()
    case_sensitive: bool = False
    field: Field = "any"
    text: TextSource = "abstract"

    def __post_init__(self) -> None:
        if self.by not in GRANULARITIES:
            raise UsageError(f"--by must be one of {', '.join(GRANULARITIES)}, not {self.by!r}")
        if self.field not in FIELDS:
            raise UsageError(f"--field must be one of title, abstract (or both by default), not {self.field!r}")
        if self.text not in TEXT_SOURCES:
            raise UsageError(f"--text must be one of {', '.join(TEXT_SOURCES)}, not {self.text!r}")
        if self.start is not None and self.end is not None and self.start > self.end:
            raise PeriodError(f"--from {month_label(self.start)} is after --to {month_label(self.end)}: swap them")

    @classmethod
    def build(
        cls,
        *,
        start: str | None = None,
        end: str | None = None,
        by: str = "month",
        category: str | Sequence[str] = (),
        case_sensitive: bool = False,
        field: str = "any",
        text: str = "abstract",
    ) -> Scope:
        """A scope from what a user typed (``YYYY-MM`` strings, one category or several)."""
        return cls(
            start=parse_month(start, what="--from") if start else None,
            end=parse_month(end, what="--to") if end else None,
            by=by,  # type: ignore[arg-type]  # validated in __post_init__
            categories=as_categories(category),
            case_sensitive=bool(case_sensitive),
            field=field,  # type: ignore[arg-type]
            text=text,  # type: ignore[arg-type]
        )

    def with_(self, **changes: Any) -> Scope:
        """A copy with ``changes`` applied (validated again)."""
        return replace(self, **changes)

    @property
    def start_label(self) -> str | None:
        return month_label(self.start) if self.start is not None else None

    @property
    def end_label(self) -> str | None:
        return month_label(self.end) if self.end is not None else None

    def resolve(self, first: int | None, last: int | None) -> tuple[int, int]:
        """The month range asked for, with open ends filled by the corpus' ``first``/``last`` month."""
        lo = self.start if self.start is not None else (first if first is not None else 0)
        hi = self.end if self.end is not None else (last if last is not None else lo)
        if lo > hi:
            raise PeriodError(f"--from {month_label(lo)} is after --to {month_label(hi)}: swap them")
        return lo, hi


def as_categories(category: str | Sequence[str] | None) -> tuple[str, ...]:
    """One category or several as a tuple, empty entries dropped."""
    if not category:
        return ()
    if isinstance(category, str):
        return (category,)
    return tuple(c for c in category if c)
