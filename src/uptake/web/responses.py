"""The web's answers: JSON through orjson (the CLI's encoder), CSV, and the error body."""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict
from starlette.responses import Response


def plain(value: Any) -> Any:
    """JSON for what orjson does not encode itself: result objects (by their ``as_dict()``, which the library owns;
    other dataclasses field by field), numpy scalars, sets, dates."""
    if hasattr(value, "as_dict"):
        return value.as_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def to_json(data: Any) -> bytes:
    """The one serialiser of the web: dicts from the library's ``as_dict()``/``to_json_dict()``, or result objects."""
    return orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_PASSTHROUGH_DATACLASS, default=plain)


class JsonResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return to_json(content)


class CsvResponse(Response):
    media_type = "text/csv"


class ErrorBody(BaseModel):
    """Every error: the message (the CLI's when the library produced it) and, for a query, the 0-based offset."""

    model_config = ConfigDict(extra="allow")

    error: str
    position: int | None = None


def error_response(status: int, message: str, *, position: int | None = None,
                   headers: dict[str, str] | None = None, **extra: Any) -> JsonResponse:
    return JsonResponse({"error": message, "position": position, **extra}, status_code=status, headers=headers)


#: The documented error answers of every API endpoint (FastAPI's default 422 is replaced: we answer 400).
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "A bad request: a query that does not parse (with `position`), "
          "a bad parameter, or a request over a limit."},
    503: {"model": ErrorBody, "description": "No corpus yet; the store is being updated (with `Retry-After`); "
          "the server is busy (with `Retry-After`); or the request needed more than its time budget."},
}
