"""The app's routes, one module per subject; :func:`uptake.web.app.create_app` includes them all."""

from . import analytics, meta, page, papers, trend

ROUTERS = (trend.router, papers.router, analytics.router, meta.router, page.router)

__all__ = ["ROUTERS"]
