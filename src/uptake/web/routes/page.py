"""The page (``/``, its configuration inlined) and the API docs page (``/docs``); assets are mounted at ``/static``."""

from __future__ import annotations

import html
from pathlib import Path

import orjson
from fastapi import APIRouter
from starlette.responses import FileResponse, HTMLResponse

from ..deps import Svc
from .meta import page_config

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

router = APIRouter(include_in_schema=False)


@router.get("/")
async def index(svc: Svc) -> HTMLResponse:
    """The page, with its configuration in ``<body data-config>`` so the first chart needs no extra round trip."""
    page = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    cfg = html.escape(orjson.dumps(await page_config(svc)).decode(), quote=True)
    return HTMLResponse(page.replace("<body>", f'<body data-config="{cfg}">', 1))


@router.get("/docs")
async def docs() -> FileResponse:
    return FileResponse(STATIC_DIR / "api.html", media_type="text/html; charset=utf-8")
