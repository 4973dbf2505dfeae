"""The HTTP API and the page: a FastAPI app over one corpus, opened read-only per piece of work.

``create_app(db_path)`` returns the app; ``uptake serve`` runs it with uvicorn. The routes live in
:mod:`uptake.web.routes` (trend, papers, analytics, meta, page), share what :mod:`uptake.web.deps`
provides, and run their library work through :class:`uptake.web.runner.Runner`: in worker threads,
under a time budget that interrupts the store, with bounded concurrency for the analytics.
Every answer is JSON (or the page's own static files). A bad request gets 400 with
``{"error": message, "position": n}``; the message is the CLI's. No stack trace ever reaches a client.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles

from .._version import __version__
from ..corpus import Corpus
from . import errors
from .deps import Service
from .limits import Limits
from .middleware import HostGuard, SecurityHeaders
from .routes import ROUTERS
from .routes.page import STATIC_DIR
from .runner import Runner

DESCRIPTION = (
    "How fast research ideas spread through arXiv. Trends, the papers behind each point, adoption and "
    "emerging terms, over one local corpus. All answers are JSON (the CSV download excepted); errors are "
    '`{"error": message, "position": n}` with status 400 (the request) or 503 (the store, the server\'s '
    "load or the time budget; `Retry-After` when waiting helps)."
)


def create_app(
    db_path: str | Path | None = None,
    *,
    limits: Limits | None = None,
    time_budget: float | None = None,
    default_query: str = "GRPO, DPO, PPO",
    allowed_hosts: list[str] | None = None,
) -> FastAPI:
    """The web app over the store at ``db_path`` (default: ``$UPTAKE_DB`` or the user's store).

    The store is opened read-only by each piece of work, so imports can run between requests.
    ``time_budget`` overrides ``limits.time_budget``. ``allowed_hosts`` (e.g. ``["127.0.0.1",
    "localhost", "::1"]``) refuses requests whose ``Host`` header names anything else, which stops
    DNS-rebinding pages from reading a local server. Nothing is computed at start-up.
    """
    lim = limits or Limits()
    if time_budget is not None:
        lim = replace(lim, time_budget=time_budget)
    path = Corpus(db_path).path
    runner = Runner(path, lim)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        runner.shutdown()

    app = FastAPI(title="uptake", version=__version__, description=DESCRIPTION, docs_url=None, redoc_url=None,
                  lifespan=lifespan)
    app.state.db_path = path
    app.state.limits = lim
    app.state.service = Service(db_path=path, limits=lim, runner=runner, default_query=default_query)
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    app.add_middleware(SecurityHeaders)
    if allowed_hosts:
        app.add_middleware(HostGuard, allowed=allowed_hosts)
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema, minus the 422 it documents by default (this API answers a bad parameter with 400), with
    errors declared as the JSON they are, also on the CSV endpoint, and JSON answers declared as objects."""
    if app.openapi_schema:
        return app.openapi_schema
    spec = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    for ops in spec.get("paths", {}).values():
        for op in ops.values():
            responses = op.get("responses", {})
            responses.pop("422", None)
            for status, answer in responses.items():
                content = answer.get("content", {})
                json_body = content.get("application/json")
                if status[0] == "2" and json_body is not None and json_body.get("schema") == {"type": "string"}:
                    json_body["schema"] = {"type": "object"}  # a JSON object, not a string (no response model)
                if status[0] in "45" and content and "application/json" not in content:
                    answer["content"] = {"application/json": next(iter(content.values()))}
    schemas = spec.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    app.openapi_schema = spec
    return spec
