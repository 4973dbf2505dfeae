"""Errors as HTTP answers: ``{"error": message, "position": n}``, 400 for the request, 503 for the server.

No stack trace and no absolute path of the server's files ever reaches a client.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from ..errors import DeadlineExceeded, QueryError, StoreError, StoreLockedError, UptakeError, UsageError
from .responses import error_response


class ApiError(Exception):
    """An answer other than 200, raised anywhere in a request."""

    def __init__(self, status: int, message: str, *, position: int | None = None,
                 headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.position = position
        self.headers = headers
        self.extra = extra

    def response(self) -> Response:
        return error_response(self.status, self.message, position=self.position, headers=self.headers, **self.extra)


def budget_error(seconds: float) -> ApiError:
    return ApiError(503, f"this request needed more than the server's {seconds:g} s budget: "
                    "narrow it (fewer series, a shorter date range, a category) and try again")


def busy_error(seconds: float, retry_after: int, *, analytics: bool, queue: int | None = None) -> ApiError:
    what = "another adoption or emerging computation (they run one at a time)" if analytics else "other requests"
    why = (f"{queue} other questions are already waiting" if queue is not None
           else f"this request could not start within its {seconds:g} s budget")
    return ApiError(503, f"the server is busy with {what} and {why}: retry in a few seconds",
                    headers={"Retry-After": str(retry_after)})


def updating_error(retry_after: int) -> ApiError:
    return ApiError(503, "the store is being updated (an import or a harvest is writing to it): "
                    "retry in a few seconds", headers={"Retry-After": str(retry_after)})


def api_error_for(exc: UptakeError, db_path: Path, retry_after: int) -> ApiError:
    """The HTTP answer for a library error: the CLI's message, 400 for the request, 503 for the store."""
    if isinstance(exc, QueryError):
        return ApiError(400, str(exc), position=exc.position, reason=exc.reason, hint=exc.hint)
    if isinstance(exc, UsageError):
        return ApiError(400, str(exc))
    if isinstance(exc, DeadlineExceeded):
        return budget_error(exc.seconds)
    if isinstance(exc, StoreLockedError):
        return updating_error(retry_after)
    if isinstance(exc, StoreError):  # no corpus, a newer schema: the CLI's advice, without the server's folders
        return ApiError(503, _scrub(str(exc), db_path))
    return ApiError(400, _scrub(str(exc), db_path))


def _scrub(message: str, db_path: Path) -> str:
    """``message`` with the store's absolute path (and its folder) replaced by the file name."""
    for text in (str(db_path), str(db_path.resolve()) if db_path.exists() else None):
        if text:
            message = message.replace(text, db_path.name)
    folder = str(db_path.parent)
    if len(folder) > 1:
        message = message.replace(folder + "/", "")
    return message


def validation_message(err: dict[str, Any]) -> str:
    """One readable sentence for FastAPI's first validation error (a ``Query(ge=, le=, pattern=)`` check)."""
    loc = err.get("loc", ())
    name = str(loc[-1]) if len(loc) > 1 else "request"
    kind = err.get("type", "")
    value = err.get("input")
    ctx = err.get("ctx") or {}
    if kind == "int_parsing":
        return f"{name} must be a whole number, not {value!r}"
    if kind == "bool_parsing":
        return f"{name} must be true or false, not {value!r}"
    if kind in ("greater_than_equal", "greater_than"):
        return f"{name} must be at least {ctx.get('ge', ctx.get('gt'))}, not {value}"
    if kind in ("less_than_equal", "less_than"):
        return f"{name} must be at most {ctx.get('le', ctx.get('lt'))}, not {value}"
    if kind == "string_pattern_mismatch":
        return f"{name} must be {CHOICES.get(name, 'of the form ' + str(ctx.get('pattern')))}, not {value!r}"
    if kind == "string_too_long":
        return f"{name} is longer than this server answers ({ctx.get('max_length')} characters)"
    return f"{name}: {err.get('msg', 'invalid')}"


#: What a ``pattern=`` parameter accepts, in words (``by`` is /api/adoption's; the trend's ``by`` is the library's check).
CHOICES = {"field": "title, abstract or any", "text": "abstract or full", "by": "mention or use"}


def install(app: FastAPI) -> None:
    """Register the handlers that turn every failure into the JSON error body."""
    state = app.state

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        return exc.response()

    @app.exception_handler(UptakeError)
    async def _uptake_error(request: Request, exc: UptakeError) -> Response:
        return api_error_for(exc, state.db_path, state.limits.retry_after).response()

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        headers = dict(exc.headers or {})
        if exc.status_code == 404:
            return error_response(404, f"no such page or endpoint: {request.url.path} "
                                  "(the API is under /api/, see /docs)", headers=headers)
        if exc.status_code == 405:
            headers.setdefault("Allow", "GET")
            return error_response(405, f"{request.method} is not allowed on {request.url.path}: use GET",
                                  headers=headers)
        return error_response(exc.status_code, str(exc.detail), headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        errs = exc.errors()
        return error_response(400, validation_message(errs[0]) if errs else "invalid request")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        return error_response(500, f"internal error ({type(exc).__name__}); please report it with the URL you "
                              "asked for")
