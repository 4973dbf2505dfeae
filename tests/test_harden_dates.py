"""Issue 14 (dates): impossible dates are rejected lines, period arithmetic is safe at its bounds."""

from __future__ import annotations

import json
from datetime import date, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import make_paper, store_with
from uptake.cli import main
from uptake.errors import PeriodError
from uptake.periods import FIRST_YEAR, LAST_YEAR, GRANULARITIES, clamped_month_of, parse_month, parse_period, period_label
from uptake.sources.fields import EARLIEST_DATE, BadRecord, latest_date, parse_date
from uptake.analytics.trends import period_end

BAD_DATES = [
    "9999-12-31",
    "0001-01-01T00:00:00+01:00",
    "Fri, 31 Dec 9999 23:00:00 -0500",
    "Tue, 1 Jan 0001 00:00:00 +0100",
    "1990-12-31",
    "9999-12-31T23:59:59-14:00",
    "Mon, 1 Jan 1900 00:00:00 GMT",
]


@pytest.mark.parametrize("text", BAD_DATES)
def test_out_of_range_dates_are_bad_records(text):
    with pytest.raises(BadRecord, match="out of range|not a"):
        parse_date(text, what="published")


def test_import_rejects_impossible_dates_with_file_and_line(tmp_path, capsys):
    src = tmp_path / "dates.jsonl"
    good = {"id": "2501.00001", "title": "GRPO", "abstract": "", "categories": ["cs.LG"], "published": "2025-01-15"}
    lines = [json.dumps(good)]
    for i, text in enumerate(BAD_DATES, start=2):
        lines.append(json.dumps({**good, "id": f"2501.{i:05d}", "versions": [{"version": "v1", "created": text}]}))
    src.write_text("\n".join(lines) + "\n")
    db = tmp_path / "d.duckdb"
    assert main(["import", "--db", str(db), "-q", "--json", str(src)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["inserted"], summary["rejected"]) == (1, len(BAD_DATES))
    assert [r["line"] for r in summary["rejections"]] == list(range(2, len(BAD_DATES) + 2))
    # A rerun does not stop at the same line either: every command works on the store.
    assert main(["import", "--db", str(db), "-q", str(src)]) == 0
    for cmd in (["trend", "GRPO"], ["trend", "GRPO", "--by", "year"], ["adoption", "GRPO"]):
        assert main([*cmd, "--db", str(db)]) == 0


@pytest.mark.parametrize("argv", [
    ["trend", "GRPO", "--to", "9999-12"],
    ["trend", "GRPO", "--from", "0001-01"],
    ["trend", "GRPO", "--by", "year", "--from", "2025-01", "--to", "9999-12"],
    ["papers", "GRPO", "--month", "9999-12"],
])
def test_out_of_range_user_periods_are_one_line_errors(tmp_path, capsys, argv):
    db = tmp_path / "d.duckdb"
    store_with(db, [make_paper("2501.00001", "GRPO")])
    assert main([*argv, "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert "out of range" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_store_holding_9999_still_answers(tmp_path):
    """Stores written before the check may hold such a paper: default ranges stop at LAST_YEAR."""
    db = tmp_path / "legacy.duckdb"
    papers = [make_paper(f"2501.{i:05d}", "GRPO", published=f"2025-0{1 + i % 5}-15") for i in range(12)]
    store_with(db, [*papers, make_paper("2501.99999", "GRPO", published="9999-12-31")])
    for cmd in (["trend", "GRPO", "--by", "quarter", "--format", "csv"], ["plot", "GRPO", "-o", str(tmp_path / "g.png")],
                ["adoption", "GRPO"]):
        assert main([*cmd, "--db", str(db)]) == 0
    assert main(["emerging", "--db", str(db)]) in (0, 2)  # a clear "no papers in the window" is fine


def test_period_helpers_at_the_calendar_edges():
    assert period_end(9999 * 12 + 11, "month") == date.max
    assert period_end(9999, "year") == date.max
    assert period_end(9999 * 4 + 3, "quarter") == date.max
    assert clamped_month_of(date(9999, 12, 31)) == LAST_YEAR * 12 + 11
    assert clamped_month_of(date(1, 1, 1)) == FIRST_YEAR * 12


@settings(derandomize=True, max_examples=300, deadline=None)
@given(st.one_of(
    st.text(max_size=40),
    st.datetimes(timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12))]))
    .map(lambda d: d.isoformat()),
    st.dates().map(lambda d: d.isoformat()),
    st.builds(lambda d, z: f"{d.strftime('%a')}, {d.day} {d.strftime('%b')} {d.year:04d} 12:00:00 {z}",
              st.dates(), st.sampled_from(["GMT", "+0100", "-0500", "+1400", "-1200"])),
))
def test_parse_date_returns_a_date_in_range_or_a_bad_record(text):
    try:
        d = parse_date(text, what="v1")
    except BadRecord:
        return
    assert EARLIEST_DATE <= d <= latest_date()


@settings(derandomize=True, max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=99999), st.integers(min_value=0, max_value=99), st.sampled_from(GRANULARITIES))
def test_user_periods_parse_or_raise_period_error(year, month, by):
    for text in (f"{year:04d}-{month:02d}", f"{year:04d}", f"{year:04d}-Q{month % 6}"):
        try:
            p = parse_period(text, by)
        except PeriodError:
            continue
        assert FIRST_YEAR <= year <= LAST_YEAR
        assert period_label(p, by)[:4] == f"{year:04d}"
        period_end(p, by)
    try:
        m = parse_month(f"{year:04d}-{month:02d}")
    except PeriodError:
        return
    period_end(m + 1, "month")


_WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Foo"]
_MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Abc"]


@st.composite
def rfc_dates(draw):
    """arXiv's version dates (``Thu, 01 Aug 1991 12:00:00 GMT``) and near misses of every field."""
    year = draw(st.sampled_from([0, 1, 1900, 1990, 1991, 2007, 2024, 2025, date.today().year, date.today().year + 1,
                                 9999]) | st.integers(0, 9999))
    fields = [draw(st.sampled_from(_WEEKDAYS)) + ",", f"{draw(st.integers(0, 39)):02d}",
              draw(st.sampled_from(_MONTH_NAMES)), f"{year:04d}",
              f"{draw(st.integers(0, 29)):02d}:{draw(st.integers(0, 69)):02d}:{draw(st.integers(0, 69)):02d}",
              draw(st.sampled_from(["GMT", "UT", "+0000", "-0500", "gmt", "GMT ", "GMT x", "GMT+0100", "GMT 2025"]))]
    text = " ".join(fields)
    if draw(st.booleans()):  # a near miss: one character changed, dropped or added
        i = draw(st.integers(0, len(text) - 1))
        text = text[:i] + draw(st.sampled_from(["", "0", "9", " ", "x", "\u0663", ","])) + text[i + 1:]
    return text


@given(text=rfc_dates())
@settings(max_examples=600, deadline=None)
def test_the_fast_reading_of_version_dates_equals_the_general_reader(text):
    """parse_date reads arXiv's own version-date form without email.utils: for every such text and near miss it
    gives the general reader's date, or the same error."""
    from uptake.sources.fields import _parse_date_text

    def outcome(fn):
        try:
            return fn()
        except BadRecord as exc:
            return f"BadRecord: {exc}"

    assert outcome(lambda: parse_date(f"  {text} ", what="first-version")) == \
        outcome(lambda: _parse_date_text(text.strip(), "first-version"))


def test_the_newest_date_accepted_is_today_plus_the_slack_however_often_it_is_asked():
    """Dates are checked against a remembered limit that is asked of the clock again only for a later date."""
    today = date.today()
    for _ in range(3):
        assert parse_date((today + timedelta(days=2)).isoformat(), what="published") == today + timedelta(days=2)
        with pytest.raises(BadRecord, match="out of range"):
            parse_date((today + timedelta(days=3)).isoformat(), what="published")
        with pytest.raises(BadRecord, match="out of range"):
            parse_date((today + timedelta(days=3)).strftime("%a, %d %b %Y 00:00:00 GMT"), what="published")
