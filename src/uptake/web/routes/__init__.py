"""The app's routes, one module per subject; :func:`uptake.web.app.create_app` includes them all."""

from . import analytics, meta, openness, page, papers, trend

ROUTERS = (trend.router, papers.router, analytics.router, openness.router, meta.router, page.router)

__all__ = ["ROUTERS"]
