"""The transport officer's web page: server-rendered HTML over the API's own checks and data.

Sign in with a token (kept in the ``send_routes_token`` cookie), see and upload datasets, start a
plan and follow it, read the result with its map, routes and downloads, and compare two plans.
Finance and operator users see only what the API gives their role. No page loads anything from
another site, and forms that change anything carry a CSRF token.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.web import pages_current, pages_data, pages_plans, pages_routes, signin
from api.web.render import ASSETS_PREFIX, STATIC_DIR


def install(app: FastAPI) -> None:
    """Add the pages (at ``/``, ``/login``, ``/dataset/{id}``, ``/plan/{id}``,
    ``/plan/{id}/route/{route_id}``, ...) and their
    style sheet and script (at ``/assets``) to the service."""
    for module in (signin, pages_data, pages_plans, pages_current, pages_routes):
        app.include_router(module.router)
    app.mount(ASSETS_PREFIX, StaticFiles(directory=STATIC_DIR), name="web-assets")
