"""``/api/stats`` (what the store holds) and ``/api/config`` (what the page needs before its first request)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ..._version import __version__
from ...corpus import Corpus
from ...errors import UptakeError
from ..deps import Service, Svc
from ..errors import ApiError

from ..responses import ERRORS, JsonResponse

router = APIRouter(tags=["corpus"], responses=ERRORS)


@router.get("/api/stats", response_class=JsonResponse, summary="What the store holds",
            description="`uptake stats --format json`, except that `path` is only the store's file name "
            "(the server's folders are nobody's business), plus `full_texts`: how many papers have a usable full "
            "text (0: `text=full` has nothing to read).")
async def api_stats(svc: Svc) -> JsonResponse:
    name = svc.db_path.name

    def work(corpus: Corpus) -> dict[str, Any]:
        return corpus.stats().as_dict() | {"path": name, "full_texts": corpus.fulltext_count()}

    return JsonResponse(await svc.runner.run(("stats",), work, memo=True))


@router.get("/api/config", response_class=JsonResponse, include_in_schema=False)
async def api_config(svc: Svc) -> JsonResponse:
    return JsonResponse(await page_config(svc))


async def page_config(svc: Service) -> dict[str, Any]:
    """Defaults and limits for the page (also inlined in ``<body data-config>``)."""
    try:
        first, last = await svc.runner.run(("span",), Corpus.span, memo=True)
    except (ApiError, UptakeError):  # no corpus yet, busy: the page falls back on /api/stats
        first, last = None, None
    return {
        "default_query": svc.default_query,
        "default_from": default_from(first, last),
        "limits": svc.limits.as_dict(),
        "version": __version__,
    }


def default_from(first: Any, last: Any) -> str | None:
    """The page's default first month: January three years before the corpus's last paper (or its first month)."""
    if last is None:
        return None
    from ...periods import month_label, month_of

    candidate = month_label((last.year - 3) * 12)
    if first is not None and month_of(first) > (last.year - 3) * 12:
        return month_label(month_of(first))
    return candidate
