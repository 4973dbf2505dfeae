"""Months, quarters and years as integers and labels (uptake.periods).

A month is ``year * 12 + month - 1``; labels are ``YYYY-MM``, ``YYYY-Qn`` and ``YYYY``. The
calendar range the code can represent is that of :class:`datetime.date`: years 1..9999 (the
parsers take four digits, so ``0000`` parses, but no date exists in year 0).
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uptake.analytics.trends import period_end
from uptake.errors import PeriodError, UptakeError, UsageError
from uptake.periods import (
    FIRST_YEAR,
    LAST_YEAR,
    GRANULARITIES,
    month_label,
    month_of,
    month_start,
    parse_month,
    parse_period,
    period_first_month,
    period_label,
    period_last_month,
    period_of,
)

FIRST = 1 * 12  # 0001-01: month arithmetic works over the whole calendar...
LAST = 9999 * 12 + 11  # 9999-12
PARSE_FIRST = FIRST_YEAR * 12  # ...but what a user may type is 1991-01 (arXiv's start) to 2100-12
PARSE_LAST = LAST_YEAR * 12 + 11
SPAN = {"month": 1, "quarter": 3, "year": 12}
PROPS = settings(derandomize=True, max_examples=300, deadline=None, database=None)

months = st.integers(FIRST, LAST)
parsable = st.integers(PARSE_FIRST, PARSE_LAST)
granularities = st.sampled_from(GRANULARITIES)


def test_granularities() -> None:
    assert GRANULARITIES == ("month", "quarter", "year")


# ------------------------------------------------------------------------------- integers and labels
def test_month_index_is_year_times_twelve_plus_month() -> None:
    assert parse_month("2025-05") == 2025 * 12 + 4
    assert parse_month("2025-01") == 2025 * 12
    assert parse_month("2024-12") + 1 == parse_month("2025-01")
    assert month_of(date(2025, 5, 31)) == parse_month("2025-05")
    assert month_start(parse_month("2025-05")) == date(2025, 5, 1)


@pytest.mark.parametrize(
    ("month", "by", "label"),
    [
        ("2025-05", "month", "2025-05"),
        ("2025-05", "quarter", "2025-Q2"),
        ("2025-05", "year", "2025"),
        ("2025-01", "quarter", "2025-Q1"),
        ("2025-03", "quarter", "2025-Q1"),
        ("2025-04", "quarter", "2025-Q2"),
        ("2025-12", "quarter", "2025-Q4"),
        ("1991-01", "month", "1991-01"),  # the first month a user may ask for
        ("2100-07", "year", "2100"),
    ],
)
def test_labels(month: str, by: str, label: str) -> None:
    assert period_label(period_of(parse_month(month), by), by) == label  # type: ignore[arg-type]


def test_period_months() -> None:
    q2 = parse_period("2025-Q2", "quarter")
    assert month_label(period_first_month(q2, "quarter")) == "2025-04"
    assert month_label(period_last_month(q2, "quarter")) == "2025-06"
    y = parse_period("2025", "year")
    assert (month_label(period_first_month(y, "year")), month_label(period_last_month(y, "year"))) == (
        "2025-01", "2025-12")
    m = parse_month("2025-05")
    assert period_first_month(m, "month") == period_last_month(m, "month") == m


def test_period_end_is_the_last_day() -> None:
    assert period_end(parse_month("2024-02"), "month") == date(2024, 2, 29)  # leap year
    assert period_end(parse_month("2025-02"), "month") == date(2025, 2, 28)
    assert period_end(parse_period("2025-Q4", "quarter"), "quarter") == date(2025, 12, 31)
    assert period_end(parse_period("2025", "year"), "year") == date(2025, 12, 31)


# ------------------------------------------------------------------------------------------- parsing
@pytest.mark.parametrize(
    ("text", "by", "expected"),
    [
        ("2025-05", "month", "2025-05"),
        ("2025-5", "month", "2025-05"),  # one-digit month
        ("  2025-05 ", "month", "2025-05"),  # surrounding blanks
        ("2025-05", "quarter", "2025-Q2"),  # a month given at a coarser granularity: its period
        ("2025-05", "year", "2025"),
        ("2025-Q2", "quarter", "2025-Q2"),
        ("2025-q2", "quarter", "2025-Q2"),
        ("2025-Q2", "month", "2025-04"),  # a quarter at month granularity: its first month
        ("2025-Q4", "year", "2025"),
        ("2025", "year", "2025"),
    ],
)
def test_parse_period_good(text: str, by: str, expected: str) -> None:
    assert period_label(parse_period(text, by), by) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text", ["", "2025", "25-05", "2025/05", "2025-05-01", "2025-13", "2025-00", "2025-Q2", "may 2025", "20250"]
)
def test_parse_month_bad(text: str) -> None:
    with pytest.raises(PeriodError) as info:
        parse_month(text)
    assert str(info.value) == f"month {text!r} is not a month: write it as YYYY-MM, e.g. 2025-05"


def test_parse_month_names_what_it_parses() -> None:
    with pytest.raises(PeriodError, match=r"^--from '2025-13' is not a month: write it as YYYY-MM"):
        parse_month("2025-13", what="--from")
    with pytest.raises(PeriodError, match="is not a month"):
        parse_month(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "by", "message"),
    [
        ("2025-13", "month", "period '2025-13' has no month 13: months run 01..12"),
        ("2025-00", "quarter", "period '2025-00' has no month 0: months run 01..12"),
        ("2025-Q5", "quarter", "period '2025-Q5' is not YYYY-MM, YYYY-Qn or YYYY"),
        ("2025-Q0", "quarter", "period '2025-Q0' is not YYYY-MM, YYYY-Qn or YYYY"),
        ("25", "year", "period '25' is not YYYY-MM, YYYY-Qn or YYYY"),
        ("", "month", "period '' is not YYYY-MM, YYYY-Qn or YYYY"),
        ("2025-05-01", "month", "period '2025-05-01' is not YYYY-MM, YYYY-Qn or YYYY"),
        ("2025", "month", "period '2025' is a year; with --by month give a month, e.g. 2025-05"),
        ("2025", "quarter", "period '2025' is a year; with --by quarter give a quarter, e.g. 2025-05"),
    ],
)
def test_parse_period_bad(text: str, by: str, message: str) -> None:
    with pytest.raises(PeriodError) as info:
        parse_period(text, by)  # type: ignore[arg-type]
    assert str(info.value) == message


def test_period_errors_are_usage_errors() -> None:
    assert issubclass(PeriodError, UsageError) and issubclass(PeriodError, UptakeError)


# -------------------------------------------------------------------------------------- round trips
@PROPS
@given(parsable)
def test_month_label_round_trip(m: int) -> None:
    label = month_label(m)
    assert len(label) == 7 and label[4] == "-"
    assert parse_month(label) == m
    assert month_of(month_start(m)) == m
    assert month_start(m).day == 1


@PROPS
@given(st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)))
def test_month_of_any_date(d: date) -> None:
    m = month_of(d)
    assert month_label(m) == f"{d.year:04d}-{d.month:02d}"
    assert month_start(m) <= d


@PROPS
@given(parsable, granularities)
def test_period_label_round_trip(m: int, by: str) -> None:
    p = period_of(m, by)  # type: ignore[arg-type]
    assert parse_period(period_label(p, by), by) == p  # type: ignore[arg-type]
    assert parse_period(month_label(m), by) == p  # type: ignore[arg-type]


@PROPS
@given(months, granularities)
def test_periods_tile_the_months(m: int, by: str) -> None:
    p = period_of(m, by)  # type: ignore[arg-type]
    first, last = period_first_month(p, by), period_last_month(p, by)  # type: ignore[arg-type]
    assert first <= m <= last
    assert last - first + 1 == SPAN[by]
    assert period_of(first, by) == period_of(last, by) == p  # type: ignore[arg-type]
    assert period_first_month(p + 1, by) == last + 1  # type: ignore[arg-type]


@PROPS
@given(months, months, granularities)
def test_period_order_follows_month_order(a: int, b: int, by: str) -> None:
    if a <= b:
        assert period_of(a, by) <= period_of(b, by)  # type: ignore[arg-type]
        assert period_label(period_of(a, by), by) <= period_label(period_of(b, by), by)  # type: ignore[arg-type]


@PROPS
@given(st.integers(1, 9999), st.integers(0, 99))
def test_parse_month_accepts_exactly_months_one_to_twelve(year: int, mon: int) -> None:
    text = f"{year:04d}-{mon:02d}"
    if 1 <= mon <= 12 and FIRST_YEAR <= year <= LAST_YEAR:
        assert month_label(parse_month(text)) == text
    else:
        with pytest.raises(PeriodError):
            parse_month(text)


# --------------------------------------------------------------------------------------------- bounds
def test_first_and_last_representable_months() -> None:
    assert month_start(FIRST) == date(1, 1, 1)
    assert month_start(LAST) == date(9999, 12, 1)
    assert month_label(LAST) == "9999-12"
    assert parse_month("1991-01") == PARSE_FIRST and parse_month("2100-12") == PARSE_LAST
    assert parse_period("2100-Q4", "quarter") == period_of(PARSE_LAST, "quarter")
    for text in ("0001-01", "1990-12", "2101-01", "9999-12"):  # typed dates outside arXiv's plausible span
        with pytest.raises(PeriodError, match="out of range"):
            parse_month(text)
    with pytest.raises(PeriodError):
        parse_period("9999", "year")


def test_year_zero_is_a_period_error() -> None:
    """``0000-01`` parses to month 0, but no date exists in year 0: the parser should refuse it."""
    with pytest.raises(PeriodError):
        parse_month("0000-01")


@pytest.mark.parametrize("month", [0, 11, LAST + 1, 10**6, -1])
def test_month_start_outside_the_calendar_is_clamped_to_its_ends(month: int) -> None:
    """Never a bare ValueError/OverflowError from datetime: the calendar's first or last day."""
    assert month_start(month) == (date.min if month < 12 else date.max)


def test_period_end_of_the_last_month() -> None:
    """9999-12 ends on 9999-12-31; today this computes the start of year 10000 and crashes."""
    assert period_end(LAST, "month") == date(9999, 12, 31)
    assert period_end(period_of(LAST, "year"), "year") == date(9999, 12, 31)


@pytest.mark.parametrize("by", GRANULARITIES)
def test_label_past_year_9999_is_a_period_error(by: str) -> None:
    """A label the parsers could not read back (``10000-01``) should not be produced."""
    with pytest.raises(PeriodError):
        period_label(period_of(LAST, by) + 1, by)  # type: ignore[arg-type]
