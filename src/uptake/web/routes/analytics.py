"""``/api/adoption`` and ``/api/emerging``: the analytics, one computation at a time, memoised per store version."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi import Query as Q

from ...corpus import Corpus
from .. import analytics as bridge
from ..deps import Category, Filtered, Svc, at_most, blank, categories_of
from ..responses import ERRORS, JsonResponse

router = APIRouter(tags=["analytics"], responses=ERRORS)

Month = Annotated[str | None, Q(description="The month the idea was introduced, YYYY-MM (default: detected)")]
Origin = Annotated[str | None, Q(description="arXiv id of the paper that introduced it (instead of `introduced`)")]
Senses = Annotated[bool, Q(description="Also split each term's uses into senses (slower)"), blank(False)]
Window = Annotated[str | None, Q(description="FIRST:LAST months, YYYY-MM:YYYY-MM (default: see the endpoint)")]
CountBy = Annotated[str, Q(pattern=r"^(mention|use)$", description="`mention` (default): papers naming each idea; "
                           "`use`: papers using it (matched in their method, experiments, appendix or captions, "
                           "outside sentences citing another work), among papers with a full text (implies "
                           "`text=full`)"), blank("mention")]
Top = Annotated[int, Q(ge=1, description="How many terms (at most the server's max_limit)"), blank(20)]

HEAVY = ("Runs in the analytics worker (one computation at a time; others wait within their budget or get 503 "
         "with `Retry-After`), under the server's analytics budget; identical concurrent requests share one "
         "computation and results are kept per store version.")


@router.get("/api/adoption", response_class=JsonResponse, summary="Adoption summary for each series of q",
            description="Exactly `adoption(corpus, q, ...).as_dict()` from uptake.analytics.adoption: first mention, "
            "milestones, doubling time and fit summaries per series (`uptake adoption --format json`, with "
            "`text` as `--text` and `by` as `--by`). " + HEAVY)
async def api_adoption(svc: Svc, filters: Filtered, introduced: Month = None, origin: Origin = None,
                       senses: Senses = False, by: CountBy = "mention") -> JsonResponse:
    f = filters
    args = bridge.AdoptionArgs(query=f.query.text, category=f.category, case_sensitive=f.case_sensitive,
                               field=f.field, start=f.start, end=f.end, introduced=introduced or None,
                               origin=origin or None, senses=senses, text=f.text, by=by)

    def work(corpus: Corpus) -> dict:  # type: ignore[type-arg]
        return bridge.adoption_json(corpus, args)

    return JsonResponse(await svc.runner.run(("adoption", args), work, heavy=True, memo=True))


@router.get("/api/emerging", response_class=JsonResponse, summary="Terms rising fastest now",
            description="Exactly `emerging(corpus, ...).as_dict()` from uptake.analytics.emerging; the windows "
            "default to the last 6 complete months (`recent`) against the 12 before (`baseline`). " + HEAVY)
async def api_emerging(svc: Svc, recent: Window = None, baseline: Window = None, category: Category = [],  # noqa: B006
                       limit: Top = 20) -> JsonResponse:
    from ...analytics.emerging import parse_window  # numpy: loaded when the list is first asked for

    for what, window in (("--recent", recent), ("--baseline", baseline)):
        if window:
            parse_window(window, what=what)  # the CLI's message at once, before queueing for the analytics worker
    args = bridge.EmergingArgs(recent=recent or None, baseline=baseline or None,
                               category=categories_of(category, svc.limits),
                               limit=at_most("limit", limit, svc.limits.max_limit))

    def work(corpus: Corpus) -> dict:  # type: ignore[type-arg]
        return bridge.emerging_json(corpus, args)

    return JsonResponse(await svc.runner.run(("emerging", args), work, heavy=True, memo=True))
