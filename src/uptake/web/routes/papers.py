"""``/api/papers``: the papers behind a point, newest first, with highlighted snippets."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from fastapi import Query as Q

from ...corpus import Corpus
from ...query import Query
from ...query.snippets import snippet, title_highlights
from ..deps import By, Filtered, Svc, at_most, blank
from ..errors import ApiError

from ..responses import ERRORS, JsonResponse

router = APIRouter(tags=["papers"], responses=ERRORS)

Period = Annotated[str | None, Q(description="YYYY-MM, YYYY-Qn or YYYY (per `by`); or use from/to")]
Series = Annotated[int | None, Q(ge=0, description="Keep only this series of q (0-based)")]
Limit = Annotated[int, Q(ge=0, description="Papers per page (at most the server's max_limit, 1000 by default)"),
                  blank(20)]
Offset = Annotated[int, Q(ge=0, le=10_000_000, description="Papers to skip"), blank(0)]


@router.get("/api/papers", response_class=JsonResponse, summary="The papers behind a point, newest first",
            description="Papers matching q (or only its series number `series`, 0-based) in `period` or in "
            "from..to, each with a snippet whose matched words are marked (`uptake papers --format json` plus "
            "`limit`, `offset`, `title_segments` and `snippet`). With `text=full` each paper also carries `match` "
            "(`role`, `section`, `sentence`: where its full text matched) and `match_segments` (that sentence with "
            "the matched words marked).")
async def api_papers(svc: Svc, filters: Filtered, period: Period = None, by: By = None, series: Series = None,
                     limit: Limit = 20, offset: Offset = 0) -> JsonResponse:
    parsed = filters.query
    if series is not None:
        if series > len(parsed.series) - 1:
            raise ApiError(400, f"series must be at most {len(parsed.series) - 1} (q has {len(parsed.series)} "
                           f"series, numbered from 0), not {series}")
        s = parsed.series[series]
        parsed = Query(text=s.label, series=(s,))
    n_limit = at_most("limit", limit, svc.limits.max_limit)
    n_offset = offset
    f = filters

    def work(corpus: Corpus) -> tuple[Any, dict[str, tuple[str, str]]]:
        result = corpus.papers(parsed, period=period or None, by=by or "month", start=f.start, end=f.end,  # type: ignore[arg-type]
                               category=list(f.category), case_sensitive=f.case_sensitive, field=f.field,  # type: ignore[arg-type]
                               limit=n_limit, offset=n_offset, text=f.text)
        return result, corpus.paper_texts([p.id for p in result.papers])

    key = ("papers", parsed.text, *f.key()[1:], period, by, n_limit, n_offset)
    result, texts = await svc.runner.run(key, work)
    rows = []
    for p in result.papers:
        title, abstract = texts.get(p.id, (p.title, ""))
        d = p.as_dict()
        d["title_segments"] = title_highlights(title, parsed, case_sensitive=f.case_sensitive, field=f.field).segments  # type: ignore[arg-type]
        d["snippet"] = snippet(title, abstract, parsed, case_sensitive=f.case_sensitive, field=f.field)  # type: ignore[arg-type]
        if p.match is not None:  # --text full: the sentence that matched, its words marked like the title's
            d["match_segments"] = [s.as_dict() for s in title_highlights(
                p.match["sentence"], parsed, case_sensitive=f.case_sensitive, field=f.field).segments]  # type: ignore[arg-type]
        rows.append(d)
    return JsonResponse({"query": result.query, "period": result.period, "total": result.total,
                         "limit": n_limit, "offset": n_offset, "papers": rows})
