"""What the routes share: the app's service (store path, limits, runner) and the validated request arguments.

Parameters are declared with FastAPI's ``Query`` (types, ``ge``/``le``, ``pattern``), so they are
validated before any work starts and documented in ``/openapi.json``; a failed check is a 400
with ``{"error": message, "position": null}`` (see :mod:`uptake.web.errors`). Limits that the
server's :class:`~uptake.web.limits.Limits` sets (``limit``, ``smooth``, series, categories, query
length) are checked here too, with the same kind of message.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi import Query as Q
from pydantic import BeforeValidator

from ..query import Query, parse_query
from .errors import ApiError
from .limits import Limits
from .runner import Runner


@dataclass
class Service:
    """One per app: the store it serves and how it runs work."""

    db_path: Path
    limits: Limits
    runner: Runner
    default_query: str


def service(request: Request) -> Service:
    return request.app.state.service  # type: ignore[no-any-return]


Svc = Annotated[Service, Depends(service)]


def blank(default: Any) -> BeforeValidator:
    """``?smooth=`` means the default, as it always has (put it after ``Query(...)`` so the schema keeps its bounds)."""
    return BeforeValidator(lambda value: default if isinstance(value, str) and not value.strip() else value)

# -- parameters shared by several endpoints ------------------------------------------------------
QText = Annotated[str | None, Q(description="The query, in the CLI's language, e.g. `GRPO, DPO | \"direct preference\"`"
                                " (commas separate series)")]
From = Annotated[str | None, Q(alias="from", description="First month, YYYY-MM (default: the corpus's first)")]
To = Annotated[str | None, Q(description="Last month, YYYY-MM (default: the corpus's last)")]
Category = Annotated[list[str], Q(description="arXiv category; repeatable or comma-separated; `cs` means every cs.*")]
CaseSensitive = Annotated[bool, Q(description="Match case exactly (true|false)"), blank(False)]
FieldP = Annotated[str, Q(pattern=r"^(any|title|abstract)$", description="Where terms must match"), blank("any")]
By = Annotated[str | None, Q(description="Period: month, quarter or year")]
TextP = Annotated[str, Q(pattern=r"^(abstract|full)$", description="What the query reads: `abstract` (titles and "
                         "abstracts) or `full` (papers' full texts; shares then divide by papers WITH a full text, "
                         "and `in:ROLE` names sections)"), blank("abstract")]


def query_of(q: str | None, limits: Limits) -> Query:
    """Parse ``q`` under the server's limits; a bad query is a 400 with the CLI's message and position."""
    if q is None or not q.strip():
        raise ApiError(400, "empty query: give q, e.g. ?q=GRPO,DPO", position=0)
    if len(q) > limits.max_query_chars:
        raise ApiError(400, f"query is {len(q)} characters long; this server answers queries of up to "
                       f"{limits.max_query_chars}", position=limits.max_query_chars)
    parsed = parse_query(q)
    if len(parsed.series) > limits.max_series:
        extra = parsed.series[limits.max_series]
        raise ApiError(400, f"{len(parsed.series)} series; the limit is {limits.max_series}: split the comparison "
                       "in two", position=extra.position)
    return parsed


def categories_of(values: list[str], limits: Limits) -> tuple[str, ...]:
    cats = tuple(c.strip() for v in values for c in v.split(",") if c.strip())
    if len(cats) > limits.max_categories:
        raise ApiError(400, f"at most {limits.max_categories} categories per request, not {len(cats)}")
    return cats


def at_most(name: str, value: int, most: int) -> int:
    if value > most:
        raise ApiError(400, f"{name} must be at most {most}, not {value}")
    return value


@dataclass(frozen=True)
class Filters:
    """Which papers count: the query and the filters every endpoint over a query shares."""

    query: Query
    start: str | None
    end: str | None
    category: tuple[str, ...]
    case_sensitive: bool
    field: str
    text: str = "abstract"

    def key(self) -> tuple[Any, ...]:
        return (self.query.text, self.start, self.end, self.category, self.case_sensitive, self.field, self.text)


async def filters(svc: Svc, q: QText = None, start: From = None, to: To = None, category: Category = [],  # noqa: B006
            case_sensitive: CaseSensitive = False, field: FieldP = "any", text: TextP = "abstract") -> Filters:
    return Filters(
        query=query_of(q, svc.limits), start=start or None, end=to or None,
        category=categories_of(category, svc.limits), case_sensitive=case_sensitive, field=field, text=text,
    )


Filtered = Annotated[Filters, Depends(filters)]
