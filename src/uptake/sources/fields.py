"""Building a Paper from a mapping with either Kaggle or normalised field names."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from ..records import Paper

_VERSION_SUFFIX = re.compile(r"v\d+$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")


class BadRecord(ValueError):
    """A record that cannot become a Paper; the message is the reason shown to the user."""


def normalise_id(raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise BadRecord("missing id")
    ident = raw.strip()
    if ident.lower().startswith("arxiv:"):
        ident = ident[6:]
    if "/abs/" in ident:
        ident = ident.rsplit("/abs/", 1)[1]
    ident = _VERSION_SUFFIX.sub("", ident)
    if not ident or len(ident.split()) != 1:  # holds whitespace (split and isspace share one definition)
        raise BadRecord(f"id {raw!r} is not an arXiv id")
    return ident


#: arXiv's first papers appeared in August 1991: no paper, version or datestamp is older.
EARLIEST_DATE = date(1991, 1, 1)
#: How far past today a date may lie: time zones put "today" up to a day apart, plus a day's margin.
FUTURE_SLACK_DAYS = 2

_RFC_YEAR = re.compile(r"\b\d{1,2}\s+[A-Za-z]{3,}\.?\s+(\d+)\b")


def latest_date() -> date:
    """The newest date a record may carry: today (local) plus :data:`FUTURE_SLACK_DAYS`."""
    return date.today() + timedelta(days=FUTURE_SLACK_DAYS)


def _out_of_range(text: str, what: str) -> BadRecord:
    return BadRecord(
        f"{what} date {text!r} is out of range: arXiv dates run from {EARLIEST_DATE.isoformat()} "
        f"to today (+{FUTURE_SLACK_DAYS} days)"
    )


#: The newest :func:`latest_date` seen: a date not after it is in range without asking the clock again (the
#: limit only grows), which an import would otherwise do three times per record.
_latest_seen = [date.min]


def _checked(value: date, text: str, what: str) -> date:
    if value < EARLIEST_DATE or (value > _latest_seen[0] and value > _refresh_latest()):
        raise _out_of_range(text, what)
    return value


def _refresh_latest() -> date:
    _latest_seen[0] = latest = latest_date()
    return latest


def _utc_date(dt: datetime, text: str, what: str) -> date:
    # Check before converting: a time zone can push year 1 or 9999 out of what datetime holds.
    _checked(dt.date(), text, what)
    return _checked((dt.astimezone(timezone.utc) if dt.tzinfo else dt).date(), text, what)


def parse_date(raw: Any, *, what: str) -> date:
    """ISO dates (``2025-05-27``, ``2025-05-27T10:00:00Z``) or RFC 2822 (Kaggle ``versions``).

    Dates outside ``EARLIEST_DATE .. today + FUTURE_SLACK_DAYS`` are rejected, as is anything
    that does not parse: a bad date is always a :class:`BadRecord`, never another exception.
    """
    if isinstance(raw, datetime):
        return _utc_date(raw, str(raw), what)
    if isinstance(raw, date):
        return _checked(raw, str(raw), what)
    if not isinstance(raw, str) or not raw.strip():
        raise BadRecord(f"missing {what} date")
    text = raw.strip()
    fast = _RFC_GMT.fullmatch(text)
    if fast is not None:  # how arXiv writes every version date: read without email.utils, same result
        day, month, year, hour, minute, second = fast.groups()
        if int(hour) < 24 and int(minute) < 60 and int(second) < 60:
            try:
                value = date(int(year), _MONTHS[month], int(day))
            except ValueError:
                pass  # not a day of that month: the general reader says so
            else:
                return _checked(value, text, what)
    return _parse_date_text(text, what)


#: ``Thu, 01 Aug 1991 12:00:00 GMT``: the RFC 2822 dates of arXiv's ``versions``, in UTC.
_RFC_GMT = re.compile(r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), ([0-9]{2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                      r"([0-9]{4}) ([0-9]{2}):([0-9]{2}):([0-9]{2}) GMT")
_MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}


def _parse_date_text(text: str, what: str) -> date:
    """:func:`parse_date` of stripped, non-empty text, every form (the reference its fast path must equal)."""
    m = _ISO_DATE.match(text)
    if m:
        try:
            if len(text) > 10 and ("T" in text or " " in text) and text[10] in "T ":
                return _utc_date(datetime.fromisoformat(text.replace("Z", "+00:00")), text, what)
            return _checked(date(int(m.group(1)), int(m.group(2)), int(m.group(3))), text, what)
        except (ValueError, OverflowError) as exc:
            if isinstance(exc, BadRecord):
                raise
            raise BadRecord(f"{what} date {text!r} is not a valid date") from exc
    try:
        dt = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError) as exc:
        raise BadRecord(f"{what} date {text!r} is not a date") from exc
    year = _RFC_YEAR.search(text)
    # email.utils reads years below 100 as 19xx/20xx ("0001" -> 2001): only 2-digit years may be widened.
    if year is None or len(year.group(1)) not in (2, 4):
        raise BadRecord(f"{what} date {text!r} is not a date (write the year with four digits)")
    if len(year.group(1)) == 4 and int(year.group(1)) != dt.year:
        raise _out_of_range(text, what)
    return _utc_date(dt, text, what)


def _text(raw: Any, what: str, *, required: bool) -> str:
    if raw is None or (isinstance(raw, float) and raw != raw):  # None or NaN from tabular files
        if required:
            raise BadRecord(f"missing {what}")
        return ""
    if not isinstance(raw, str):
        raise BadRecord(f"{what} is not text")
    text = raw.strip()
    if required and not text:
        raise BadRecord(f"empty {what}")
    return text


def _optional(raw: Any) -> str | None:
    if raw is None or (isinstance(raw, float) and raw != raw):
        return None
    text = str(raw).strip()
    return text or None


def _categories(raw: Any) -> tuple[str, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        items = raw.split()
    elif isinstance(raw, (list, tuple)) or hasattr(raw, "tolist"):
        items = list(raw.tolist() if hasattr(raw, "tolist") else raw)
    else:
        raise BadRecord("categories is neither a list nor a space-separated string")
    out: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise BadRecord("categories holds a non-text entry")
        for cat in item.split():
            if cat not in out:
                out.append(cat)
    return tuple(out)


def _authors(record: Mapping[str, Any]) -> tuple[str, ...]:
    parsed = record.get("authors_parsed")
    if isinstance(parsed, list) and parsed:
        names = []
        for part in parsed:
            if isinstance(part, (list, tuple)) and part:
                last = str(part[0]).strip()
                first = str(part[1]).strip() if len(part) > 1 else ""
                suffix = str(part[2]).strip() if len(part) > 2 else ""
                names.append(" ".join(x for x in (first, last, suffix) if x))
        return tuple(names)
    raw = record.get("authors")
    if raw is None:
        return ()
    if isinstance(raw, str):
        flat = " ".join(raw.split())
        pieces = re.split(r",\s*|\s+and\s+", flat)
        return tuple(p.strip() for p in pieces if p.strip())
    if isinstance(raw, (list, tuple)) or hasattr(raw, "tolist"):
        return tuple(str(a).strip() for a in (raw.tolist() if hasattr(raw, "tolist") else raw) if str(a).strip())
    raise BadRecord("authors is neither a list nor text")


def is_kaggle_shape(record: Mapping[str, Any]) -> bool:
    return "versions" in record or "update_date" in record or isinstance(record.get("categories"), str)


def paper_from_mapping(record: Mapping[str, Any], *, kaggle: bool | None = None) -> Paper:
    """A Paper from one record; raises :class:`BadRecord` with the reason."""
    if not isinstance(record, Mapping):
        raise BadRecord("the line is JSON but not an object")
    if kaggle is None:
        kaggle = is_kaggle_shape(record)
    ident = normalise_id(record.get("id"))
    title = _text(record.get("title"), "title", required=True)
    abstract = _text(record.get("abstract"), "abstract", required=False)
    if kaggle:
        versions = record.get("versions")
        if isinstance(versions, list) and versions:
            first = versions[0]
            created = first.get("created") if isinstance(first, Mapping) else None
            published = parse_date(created, what="first-version")
        elif record.get("published"):
            published = parse_date(record.get("published"), what="first-version")
        else:
            raise BadRecord("missing versions: the first version's date decides the paper's month")
        updated_raw = record.get("update_date")
        updated = parse_date(updated_raw, what="update") if updated_raw else published
    else:
        published = parse_date(record.get("published"), what="published (first-version)")
        updated_raw = record.get("updated")
        updated = parse_date(updated_raw, what="updated") if updated_raw else published
    if updated < published:
        updated = published
    return Paper(
        id=ident,
        title=title,
        abstract=abstract,
        categories=_categories(record.get("categories")),
        published=published,
        updated=updated,
        authors=_authors(record),
        comments=_optional(record.get("comments")),
        journal_ref=_optional(record.get("journal-ref", record.get("journal_ref"))),
        doi=_optional(record.get("doi")),
        source=_optional(record.get("source")),
    )
