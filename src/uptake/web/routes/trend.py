"""``/api/trend`` and ``/api/trend.csv``: exactly ``uptake trend --format json`` / ``--format csv``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi import Query as Q

from ...corpus import Corpus
from ..deps import By, Filtered, Filters, Svc, at_most, blank
from ..responses import ERRORS, CsvResponse, JsonResponse

router = APIRouter(tags=["trends"], responses=ERRORS)

Measure = Annotated[str | None, Q(description="share (of all papers in the period) or count")]
Smooth = Annotated[int, Q(ge=1, description="Centred moving average over N periods (at most the server's "
                           "max_smooth, 60 by default)"), blank(1)]


@dataclass(frozen=True)
class TrendArgs:
    filters: Filters
    by: str
    measure: str
    smooth: int

    def key(self) -> tuple[Any, ...]:
        return ("trend", *self.filters.key(), self.by, self.measure, self.smooth)

    def __call__(self, corpus: Corpus) -> Any:
        f = self.filters
        return corpus.trend(f.query, start=f.start, end=f.end, by=self.by, category=list(f.category),  # type: ignore[arg-type]
                            measure=self.measure, smooth=self.smooth,  # type: ignore[arg-type]
                            case_sensitive=f.case_sensitive, field=f.field, text=f.text)  # type: ignore[arg-type]


async def trend_args(svc: Svc, filters: Filtered, by: By = None, measure: Measure = None,
                     smooth: Smooth = 1) -> TrendArgs:
    return TrendArgs(filters, by or "month", measure or "share", at_most("smooth", smooth, svc.limits.max_smooth))


Args = Annotated[TrendArgs, Depends(trend_args)]


@router.get("/api/trend", response_class=JsonResponse, summary="Papers per period matching each series",
            description="Exactly the JSON of `uptake trend --format json` for the same arguments.")
async def api_trend(svc: Svc, args: Args) -> JsonResponse:
    trend = await svc.runner.run(args.key(), args)
    return JsonResponse(trend.to_json_dict())


@router.get("/api/trend.csv", response_class=CsvResponse, summary="The same trend as CSV",
            description="Exactly the CSV of `uptake trend --format csv` for the same arguments.",
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}},
                             "description": "One row per series and period"}})
async def api_trend_csv(svc: Svc, args: Args) -> CsvResponse:
    trend = await svc.runner.run(args.key(), args)
    return CsvResponse(trend.to_csv(), headers={"Content-Disposition": 'attachment; filename="uptake-trend.csv"'})
