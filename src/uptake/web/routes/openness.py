"""``/api/openness``: exactly ``uptake openness --format json`` (own code, weights, data, demo links per period)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter

from ...corpus import Corpus
from ...scope import Scope
from ..deps import By, Filtered, Filters, Svc
from ..errors import ApiError
from ..responses import ERRORS, JsonResponse

router = APIRouter(tags=["openness"], responses=ERRORS)


@dataclass(frozen=True)
class OpennessArgs:
    filters: Filters
    by: str

    def key(self) -> tuple[Any, ...]:
        return ("openness", *self.filters.key(), self.by)

    def __call__(self, corpus: Corpus) -> dict[str, Any]:
        f = self.filters
        scope = Scope.build(start=f.start, end=f.end, by=self.by, category=f.category,
                            case_sensitive=f.case_sensitive, field=f.field)
        return corpus.openness(f.query.text, scope=scope).to_json_dict()


@router.get("/api/openness", response_class=JsonResponse, summary="Papers linking their own code, weights, data, demo",
            description="Exactly the JSON of `uptake openness --format json` for the same arguments: per period and "
            "series (then `all papers` under the same filters), the papers and how many of them link their own "
            "`code` (released, or promised at a link), `weights`, `data`, `demo`; `code-released` leaves out code "
            "only promised; `promise` counts any release promise, with or without a link. `incomplete_periods` "
            "lists the periods the corpus (or from/to) cuts short. Reads titles, abstracts and comments "
            "(`text=full` is refused: `uptake openness --text full` compares abstracts with full texts).")
async def api_openness(svc: Svc, filters: Filtered, by: By = None) -> JsonResponse:
    if filters.text != "abstract":
        raise ApiError(400, "openness here reads abstracts and comments: drop text=full, or compare them with full "
                       "texts on the command line: uptake openness QUERY --text full")
    args = OpennessArgs(filters, by or "month")
    return JsonResponse(await svc.runner.run(args.key(), args))
