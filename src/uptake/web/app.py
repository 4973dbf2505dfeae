"""The HTTP API and the page: a FastAPI app over one corpus, opened read-only per request.

``create_app(db_path)`` returns the app; ``uptake serve`` runs it with uvicorn.
Every answer is JSON (or the page's own static files). A bad request gets 400
with ``{"error": message, "position": n}``; the message is the CLI's. No
stack trace ever reaches a client.
"""

# No `from __future__ import annotations`: FastAPI reads the endpoint annotations at run time.
import importlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import FastAPI, Request
from fastapi import Query as Q
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..corpus import Corpus
from ..errors import (
    NoCorpusError,
    QueryError,
    SchemaVersionError,
    StoreError,
    StoreLockedError,
    UptakeError,
    UsageError,
)
from ..query import Query, parse_query
from ..query.ast import Field

STATIC_DIR = Path(__file__).resolve().parent / "static"

T = TypeVar("T")


@dataclass(frozen=True)
class Limits:
    """What one request may ask for."""

    max_query_chars: int = 500
    max_series: int = 12  # the library's limit (uptake.corpus.MAX_SERIES); a server may only lower it
    max_limit: int = 1000
    max_smooth: int = 60
    max_categories: int = 20
    time_budget: float = 10.0  # seconds of work per request before a 503
    analytics_budget: float = 120.0  # the same for /api/adoption and /api/emerging (model fits, corpus scans)


class ApiError(Exception):
    def __init__(self, status: int, message: str, *, position: int | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.position = position
        self.extra = extra

    def response(self) -> JSONResponse:
        return _error(self.status, self.message, position=self.position, **self.extra)


class BudgetExceeded(Exception):
    pass


class Budget:
    """A per-request deadline. When it passes, every DuckDB connection the request opened is interrupted."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.started = time.monotonic()
        self.expired = seconds <= 0
        self._lock = threading.Lock()
        self._cons: list[Any] = []
        self._timer: threading.Timer | None = None
        if not self.expired:
            self._timer = threading.Timer(seconds, self._expire)
            self._timer.daemon = True
            self._timer.start()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            cons = list(self._cons)
        for con in cons:
            try:
                con.interrupt()
            except Exception:  # a connection already closed
                pass

    def watch(self, con: Any) -> None:
        with self._lock:
            if self.expired:
                raise BudgetExceeded()
            self._cons.append(con)

    def check(self) -> None:
        if self.expired or time.monotonic() - self.started > self.seconds:
            self.expired = True
            raise BudgetExceeded()

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()


class _BudgetCorpus(Corpus):
    """A Corpus whose read-only store connections are interrupted when the request's budget runs out."""

    def __init__(self, path: Path, budget: Budget) -> None:
        super().__init__(path)
        self._budget = budget

    def _read(self):  # type: ignore[no-untyped-def]
        self._budget.check()
        store = super()._read()
        try:
            self._budget.watch(store.con)
        except BaseException:
            store.close()
            raise
        return store


def api_error_for(exc: UptakeError) -> ApiError:
    """The HTTP answer for a library error: the CLI's message, 400 for the request, 503 for the store."""
    if isinstance(exc, QueryError):
        return ApiError(400, str(exc), position=exc.position, reason=exc.reason, hint=exc.hint)
    if isinstance(exc, UsageError):
        return ApiError(400, str(exc))
    if isinstance(exc, (NoCorpusError, StoreLockedError, SchemaVersionError, StoreError)):
        return ApiError(503, str(exc))
    return ApiError(400, str(exc))


def _error(status: int, message: str, *, position: int | None = None, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, "position": position, **extra}, status_code=status)


def _json(data: Any) -> Response:
    import orjson

    return Response(orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY, default=_plain), media_type="application/json")


def _plain(value: Any) -> Any:
    """JSON for what orjson does not know: numpy scalars (from the analytics), tuples in sets, dates."""
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def _truthy(value: str | None, name: str) -> bool:
    if value is None or value == "":
        return False
    v = value.strip().lower()
    if v in ("1", "true", "yes", "on"):
        return True
    if v in ("0", "false", "no", "off"):
        return False
    raise ApiError(400, f"{name} must be true or false, not {value!r}")


def _int(value: str | None, name: str, default: int, lo: int, hi: int) -> int:
    if value is None or value == "":
        return default
    try:
        n = int(value)
    except ValueError:
        raise ApiError(400, f"{name} must be a whole number, not {value!r}") from None
    if not lo <= n <= hi:
        raise ApiError(400, f"{name} must be between {lo} and {hi}, not {n}")
    return n


def _field(value: str | None) -> Field:
    if value in (None, "", "any"):
        return "any"
    if value in ("title", "abstract"):
        return value  # type: ignore[return-value]
    raise ApiError(400, f"field must be title, abstract or any, not {value!r}")


def _categories(values: list[str], limits: Limits) -> list[str]:
    cats = [c.strip() for v in values for c in v.split(",") if c.strip()]
    if len(cats) > limits.max_categories:
        raise ApiError(400, f"at most {limits.max_categories} categories per request, not {len(cats)}")
    return cats


def parse_api_query(q: str | None, limits: Limits) -> Query:
    """Parse ``q`` under the server's limits; raise :class:`ApiError` (400) with the CLI's message."""
    if q is None or not q.strip():
        raise ApiError(400, "empty query: give q, e.g. ?q=GRPO,DPO", position=0)
    if len(q) > limits.max_query_chars:
        raise ApiError(
            400, f"query is {len(q)} characters long; this server answers queries of up to "
            f"{limits.max_query_chars}", position=limits.max_query_chars,
        )
    parsed = parse_query(q)
    if len(parsed.series) > limits.max_series:
        extra = parsed.series[limits.max_series]
        raise ApiError(
            400, f"{len(parsed.series)} series; the limit is {limits.max_series}: split the comparison in two",
            position=extra.position,
        )
    return parsed


def create_app(
    db_path: str | Path | None = None,
    *,
    limits: Limits | None = None,
    time_budget: float | None = None,
    default_query: str = "GRPO, DPO, PPO",
    warm: bool = False,
    allowed_hosts: list[str] | None = None,
) -> FastAPI:
    """The web app over the store at ``db_path`` (default: ``$UPTAKE_DB`` or the user's store).

    The store is opened read-only, once per request, so imports can run between requests.
    Adoption and emerging results are memoised per store version (its file's size and mtime);
    ``warm=True`` computes the default emerging list in the background at start-up.
    ``allowed_hosts`` (e.g. ``["127.0.0.1", "localhost"]``) refuses requests whose ``Host`` header
    names anything else, which stops DNS-rebinding pages from reading a local server.
    """
    lim = limits or Limits()
    if time_budget is not None:
        lim = Limits(**{**lim.__dict__, "time_budget": time_budget})
    path = Corpus(db_path).path
    app = FastAPI(
        title="uptake",
        version=_version(),
        description="How fast research ideas spread through arXiv. Trends, the papers behind each point, "
        "adoption and emerging terms, over one local corpus. All answers are JSON; errors are "
        '`{"error": message, "position": n}`.',
        docs_url=None,
        redoc_url=None,
    )
    app.state.db_path = path
    app.state.limits = lim
    if allowed_hosts:
        app.add_middleware(_HostCheck, allowed=allowed_hosts)

    # -- error handling ----------------------------------------------------------------
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(UptakeError)
    async def _uptake_error(request: Request, exc: UptakeError) -> JSONResponse:
        return api_error_for(exc).response()

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            return _error(404, f"no such page or endpoint: {request.url.path} (the API is under /api/, see /docs)")
        if exc.status_code == 405:
            return _error(405, f"{request.method} is not allowed on {request.url.path}: use GET")
        return _error(exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errs = exc.errors()
        where = ".".join(str(p) for p in errs[0].get("loc", ())[1:]) if errs else ""
        msg = errs[0].get("msg", "invalid request") if errs else "invalid request"
        return _error(400, f"{where}: {msg}" if where else msg)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        return _error(500, f"internal error ({type(exc).__name__}); please report it with the URL you asked for")

    def run(fn: Callable[[Corpus, Budget], T], seconds: float | None = None) -> T:
        """Run ``fn`` against a budgeted read-only corpus, mapping library errors to API errors."""
        budget = Budget(lim.time_budget if seconds is None else seconds)
        try:
            result = fn(_BudgetCorpus(path, budget), budget)
            budget.check()
            return result
        except ApiError:
            raise
        except UptakeError as exc:
            if budget.expired and isinstance(exc, StoreError):  # interrupted while opening the store
                raise _budget_error(budget.seconds) from None
            raise  # mapped by the exception handlers above
        except BudgetExceeded:
            raise _budget_error(budget.seconds) from None
        except Exception:
            if budget.expired:
                raise _budget_error(budget.seconds) from None
            raise
        finally:
            budget.cancel()

    # -- the API ------------------------------------------------------------------------
    trend_params = (
        "q: the query (CLI syntax); from/to: YYYY-MM; by: month|quarter|year; category: repeatable; "
        "measure: share|count; smooth: N; case_sensitive: true|false; field: any|title|abstract"
    )

    def trend_for(q, start, end, by, category, measure, smooth, case_sensitive, field):  # type: ignore[no-untyped-def]
        parsed = parse_api_query(q, lim)
        cats = _categories(category, lim)
        n_smooth = _int(smooth, "smooth", 1, 1, lim.max_smooth)
        cs = _truthy(case_sensitive, "case_sensitive")
        fld = _field(field)
        return run(lambda c, b: c.trend(
            parsed, start=start or None, end=end or None, by=by or "month", category=cats,
            measure=measure or "share", smooth=n_smooth, case_sensitive=cs, field=fld,
        ))

    Str = Annotated[str | None, Q()]
    Cats = Annotated[list[str], Q()]

    @app.get("/api/trend", summary="Papers per period matching each series", description=
             "Exactly the JSON of `uptake trend --format json` for the same arguments. " + trend_params)
    def api_trend(
        q: Str = None, start: Annotated[str | None, Q(alias="from")] = None, to: Str = None, by: Str = None,
        category: Cats = [], measure: Str = None, smooth: Str = None,  # noqa: B006
        case_sensitive: Str = None, field: Str = None,
    ) -> Response:
        trend = trend_for(q, start, to, by, category, measure, smooth, case_sensitive, field)
        return _json(trend.to_json_dict())

    @app.get("/api/trend.csv", summary="The same trend as CSV", description=
             "Exactly the CSV of `uptake trend --format csv`. " + trend_params)
    def api_trend_csv(
        q: Str = None, start: Annotated[str | None, Q(alias="from")] = None, to: Str = None, by: Str = None,
        category: Cats = [], measure: Str = None, smooth: Str = None,  # noqa: B006
        case_sensitive: Str = None, field: Str = None,
    ) -> Response:
        trend = trend_for(q, start, to, by, category, measure, smooth, case_sensitive, field)
        return Response(trend.to_csv(), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="uptake-trend.csv"'})

    @app.get("/api/papers", summary="The papers behind a point, newest first", description=
             "Papers matching q (or only its series number `series`, 0-based) in `period` (YYYY-MM, YYYY-Qn or "
             "YYYY per `by`) or in from..to, each with a snippet whose matched words are marked.")
    def api_papers(
        q: Str = None, period: Str = None, by: Str = None, start: Annotated[str | None, Q(alias="from")] = None,
        to: Str = None, category: Cats = [], case_sensitive: Str = None, field: Str = None,  # noqa: B006
        series: Str = None, limit: Str = None, offset: Str = None,
    ) -> Response:
        from ..snippets import snippet, title_highlights

        parsed = parse_api_query(q, lim)
        if series not in (None, ""):
            i = _int(series, "series", 0, 0, len(parsed.series) - 1)
            s = parsed.series[i]
            parsed = Query(text=s.label, series=(s,))
        cats = _categories(category, lim)
        cs = _truthy(case_sensitive, "case_sensitive")
        fld = _field(field)
        n_limit = _int(limit, "limit", 20, 0, lim.max_limit)
        n_offset = _int(offset, "offset", 0, 0, 10_000_000)

        def work(c: Corpus, budget: Budget):  # type: ignore[no-untyped-def]
            result = c.papers(parsed, period=period or None, by=by or "month", start=start or None, end=to or None,
                              category=cats, case_sensitive=cs, field=fld, limit=n_limit, offset=n_offset)
            texts = _texts(c, [p.id for p in result.papers])
            return result, texts

        result, texts = run(work)
        rows = []
        for p in result.papers:
            title, abstract = texts.get(p.id, (p.title, ""))
            d = p.as_dict()
            d["title_segments"] = [s.as_dict() for s in title_highlights(title, parsed, case_sensitive=cs, field=fld).segments]
            d["snippet"] = snippet(title, abstract, parsed, case_sensitive=cs, field=fld).as_dict()
            rows.append(d)
        return _json({"query": result.query, "period": result.period, "total": result.total,
                      "limit": n_limit, "offset": n_offset, "papers": rows})

    @app.get("/api/stats", summary="What the store holds", description="Exactly `uptake stats --format json`.")
    def api_stats() -> Response:
        return _json(memo.get(("stats", _store_version(path)), lambda: run(lambda c, b: c.stats().as_dict())))

    memo = _Memo()

    def analytics(name: str, key: tuple[Any, ...], compute: Callable[[Any, Corpus], dict[str, Any]]) -> dict[str, Any]:
        module = _optional(name)
        return memo.get((name, _store_version(path), key),
                        lambda: run(lambda c, b: compute(module, c), lim.analytics_budget))

    def _key(request: Request) -> tuple[Any, ...]:
        return tuple(sorted(request.query_params.multi_items()))

    @app.get("/api/adoption", summary="Adoption summary for each series of q", description=
             "Exactly `adoption(corpus, q, ...).as_dict()` from uptake.adoption: first mention, milestones, "
             "doubling time and fit summaries per series. Parameters: q, from, to, category (repeatable), "
             "case_sensitive, field, introduced (YYYY-MM), origin (arXiv id), senses (true|false). "
             "501 when this uptake has no adoption analytics.")
    def api_adoption(request: Request) -> Response:
        from .analytics import adoption_json

        params = dict(request.query_params)
        parsed = parse_api_query(params.get("q"), lim)
        cats = _categories(request.query_params.getlist("category"), lim)
        _truthy(params.get("case_sensitive"), "case_sensitive")
        _field(params.get("field"))
        return _json(analytics("adoption", _key(request),
                               lambda m, c: adoption_json(m, c, parsed, params, cats)))

    @app.get("/api/emerging", summary="Terms rising fastest now", description=
             "Exactly `emerging(corpus, ...).as_dict()` from uptake.emerging. Parameters: recent and baseline "
             "(YYYY-MM:YYYY-MM; default the last 6 complete months against the 12 before), category (repeatable), "
             "limit (default 20). 501 when this uptake has no emerging-terms analytics.")
    def api_emerging(request: Request) -> Response:
        from .analytics import emerging_json

        params = dict(request.query_params)
        cats = _categories(request.query_params.getlist("category"), lim)
        n_limit = _int(params.get("limit"), "limit", 20, 1, lim.max_limit)
        return _json(analytics("emerging", _key(request),
                               lambda m, c: emerging_json(m, c, params, cats, n_limit)))

    if warm and _available("emerging"):
        def _warm() -> None:
            from .analytics import emerging_json

            time.sleep(2.0)  # let a first page load have the CPU for its chart
            try:
                analytics("emerging", (("limit", "15"),), lambda m, c: emerging_json(m, c, {}, [], 15))
            except Exception:  # the page will show the error when it asks
                pass

        threading.Thread(target=_warm, name="uptake-warm-emerging", daemon=True).start()

    @app.get("/api/config", include_in_schema=False)
    def api_config() -> Response:
        return _json(page_config())

    def page_config() -> dict[str, Any]:
        """What the page needs before its first request: defaults, limits, which analytics exist."""
        try:
            span = memo.get(("span", _store_version(path)), lambda: run(lambda c, b: _span(c)))
        except (ApiError, UptakeError):
            span = (None, None)
        return {
            "default_query": default_query,
            "default_from": default_from(*span),
            "limits": lim.__dict__,
            "analytics": {name: _available(name) for name in ("adoption", "emerging")},
            "version": _version(),
        }

    # -- the page -------------------------------------------------------------------------
    files = _static_files()

    def static(name: str) -> Response:
        target = files.get(name)
        if target is None:
            raise StarletteHTTPException(404)
        media = _MEDIA.get(target.suffix, "application/octet-stream")
        return Response(target.read_bytes(), media_type=media, headers=_PAGE_HEADERS)

    @app.get("/", include_in_schema=False)
    def index() -> Response:
        """The page, with its configuration in ``<body data-config>`` so the first chart needs no extra round trip."""
        import html

        import orjson

        page = files["index.html"].read_text(encoding="utf-8")
        cfg = html.escape(orjson.dumps(page_config()).decode(), quote=True)
        page = page.replace("<body>", f'<body data-config="{cfg}">', 1)
        return Response(page, media_type=_MEDIA[".html"], headers=_PAGE_HEADERS)

    @app.get("/docs", include_in_schema=False)
    def docs() -> Response:
        return static("api.html")

    @app.get("/static/{name:path}", include_in_schema=False)
    def static_file(name: str) -> Response:
        return static(name)

    return app


_MEDIA = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}

_PAGE_HEADERS = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
}


def _static_files() -> dict[str, Path]:
    """The served files, by name, listed once: a request can only name one of these."""
    out: dict[str, Path] = {}
    root = STATIC_DIR.resolve()
    if root.is_dir():
        for p in root.iterdir():
            if p.is_file() and p.suffix in _MEDIA and not p.name.startswith("."):
                out[p.name] = p.resolve()
    return out


class _HostCheck:
    """Pure ASGI middleware: answer 400 (JSON) when the Host header is not one of ``allowed`` (any port)."""

    def __init__(self, app: Any, allowed: list[str]) -> None:
        self.app = app
        self.allowed = {h.lower().strip("[]") for h in allowed}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            host = ""
            for name, value in scope.get("headers", ()):
                if name == b"host":
                    host = value.decode("latin-1").lower()
                    break
            name = host.rsplit("]", 1)[0].lstrip("[") if host.startswith("[") else host.rsplit(":", 1)[0]
            if name not in self.allowed:
                resp = _error(400, f"this server only answers requests addressed to {', '.join(sorted(self.allowed))} "
                              f"(Host was {host or 'missing'!r}); start it with --host to serve another address")
                await resp(scope, receive, send)
                return
        await self.app(scope, receive, send)


class _Memo:
    """Compute-once results: concurrent requests for the same key wait for one computation."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._done: dict[Any, Any] = {}
        self._running: dict[Any, threading.Event] = {}

    def get(self, key: Any, compute: Callable[[], T]) -> T:
        while True:
            with self._lock:
                if key in self._done:
                    return self._done[key]  # type: ignore[no-any-return]
                event = self._running.get(key)
                if event is None:
                    event = self._running[key] = threading.Event()
                    mine = True
                else:
                    mine = False
            if not mine:
                event.wait()
                with self._lock:
                    if key in self._done:
                        return self._done[key]  # type: ignore[no-any-return]
                continue  # the other computation failed: try ourselves
            try:
                value = compute()
                with self._lock:
                    if len(self._done) >= self.size:
                        self._done.pop(next(iter(self._done)))
                    self._done[key] = value
                return value
            finally:
                with self._lock:
                    self._running.pop(key, None)
                event.set()


def _span(corpus: Corpus) -> tuple[Any, Any]:
    with corpus._read() as store:
        store.require_papers()
        return store.span()


def default_from(first: Any, last: Any) -> str | None:
    """The page's default first month: January three years before the corpus's last paper (or its first month)."""
    if last is None:
        return None
    from ..periods import month_label, month_of

    candidate = month_label((last.year - 3) * 12)
    if first is not None and month_of(first) > (last.year - 3) * 12:
        return month_label(month_of(first))
    return candidate


def _store_version(path: Path) -> tuple[int, int]:
    try:
        st = path.stat()
    except OSError:
        return (0, 0)
    wal = path.with_name(path.name + ".wal")
    wal_m = wal.stat().st_mtime_ns if wal.exists() else 0
    return (st.st_mtime_ns, st.st_size + wal_m)


def _budget_error(seconds: float) -> ApiError:
    return ApiError(503, f"this request needed more than the server's {seconds:g} s budget: "
                    "narrow it (fewer series, a shorter date range, a category) and try again")


def _optional(name: str):  # type: ignore[no-untyped-def]
    """Import ``uptake.<name>`` or answer 501 saying the feature is missing."""
    try:
        return importlib.import_module(f"uptake.{name}")
    except ModuleNotFoundError as exc:
        if exc.name not in (f"uptake.{name}",):
            raise
        raise ApiError(501, f"{name} analytics are not available in this version of uptake "
                       f"(uptake.{name} is not installed); trends and papers work as usual",
                       feature=name) from None


def _available(name: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(f"uptake.{name}") is not None
    except (ImportError, ValueError):
        return False


def _texts(corpus: Corpus, ids: list[str]) -> dict[str, tuple[str, str]]:
    """Title and abstract of each id, read through the same budgeted read-only store."""
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    with corpus._read() as store:
        rows = store.query(f"SELECT id, title, abstract FROM papers WHERE id IN ({marks})", ids)
    return {r[0]: (r[1], r[2]) for r in rows}


def _version() -> str:
    from .. import __version__

    return __version__
