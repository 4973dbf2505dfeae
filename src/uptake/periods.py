"""Months, quarters and years as integers and labels.

A month is stored as ``year * 12 + month - 1`` so ranges are integer ranges.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from .errors import PeriodError

Granularity = Literal["month", "quarter", "year"]
GRANULARITIES: tuple[Granularity, ...] = ("month", "quarter", "year")

_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")

#: The years a user may name in --from/--to/--month and the like. arXiv began in 1991; the
#: upper bound is generous (empty future periods are harmless) yet keeps every month, quarter
#: and year computation far from the limits of :class:`datetime.date` (year 9999).
FIRST_YEAR = 1991
LAST_YEAR = 2100


def _check_year(year: int, text: str, what: str) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise PeriodError(
            f"{what} {text.strip()!r} is out of range: give a year from {FIRST_YEAR} (arXiv's start) to {LAST_YEAR}"
        )


def parse_month(text: str, *, what: str = "month") -> int:
    """``'2025-05'`` -> month index. Raises :class:`PeriodError` with the fix."""
    m = _MONTH.match(text or "")
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise PeriodError(f"{what} {text!r} is not a month: write it as YYYY-MM, e.g. 2025-05")
    _check_year(int(m.group(1)), text, what)
    return int(m.group(1)) * 12 + int(m.group(2)) - 1


def month_of(d: date) -> int:
    return d.year * 12 + d.month - 1


def clamped_month_of(d: date) -> int:
    """``month_of(d)`` kept inside FIRST_YEAR..LAST_YEAR, for default ranges taken from stored data.

    A store written before import rejected impossible dates may hold e.g. 9999-12-31; default
    ranges then stop at LAST_YEAR instead of failing at the end of the calendar.
    """
    return min(max(month_of(d), FIRST_YEAR * 12), LAST_YEAR * 12 + 11)


def month_label(month: int) -> str:
    return f"{month // 12:04d}-{month % 12 + 1:02d}"


def month_start(month: int) -> date:
    """The first day of ``month``; months beyond what :class:`date` holds are clamped to its ends."""
    if month < 12:
        return date.min
    if month >= 10000 * 12:
        return date.max
    return date(month // 12, month % 12 + 1, 1)


def period_of(month: int, by: Granularity) -> int:
    """The period index that ``month`` falls in: months, quarters or years since year 0."""
    if by == "month":
        return month
    if by == "quarter":
        return month // 3
    return month // 12


def period_label(period: int, by: Granularity) -> str:
    """``2025-05``, ``2025-Q2`` or ``2025``; a period outside years 0..9999 has no label the parsers could read."""
    if not 0 <= period_first_month(period, by) <= 9999 * 12 + 11:
        raise PeriodError(f"period {period} ({by}) lies outside the years 0-9999 that dates can name")
    if by == "month":
        return month_label(period)
    if by == "quarter":
        return f"{period // 4:04d}-Q{period % 4 + 1}"
    return f"{period:04d}"


def period_first_month(period: int, by: Granularity) -> int:
    if by == "month":
        return period
    if by == "quarter":
        return period * 3
    return period * 12


def period_last_month(period: int, by: Granularity) -> int:
    if by == "month":
        return period
    if by == "quarter":
        return period * 3 + 2
    return period * 12 + 11


_PERIOD = re.compile(r"^\s*(\d{4})(?:-(?:(\d{1,2})|[Qq]([1-4])))?\s*$")


def parse_period(text: str, by: Granularity) -> int:
    """Parse ``2025-05``, ``2025-Q2`` or ``2025`` into a period index at granularity ``by``."""
    m = _PERIOD.match(text or "")
    if not m:
        raise PeriodError(f"period {text!r} is not YYYY-MM, YYYY-Qn or YYYY")
    year = int(m.group(1))
    _check_year(year, text, "period")
    if m.group(2):
        mon = int(m.group(2))
        if not 1 <= mon <= 12:
            raise PeriodError(f"period {text!r} has no month {mon}: months run 01..12")
        return period_of(year * 12 + mon - 1, by)
    if m.group(3):
        return period_of(year * 12 + (int(m.group(3)) - 1) * 3, by)
    if by != "year":
        raise PeriodError(f"period {text!r} is a year; with --by {by} give a {by}, e.g. 2025-05")
    return year
