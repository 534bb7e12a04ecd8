"""The web service: ``create_app()`` builds the FastAPI application.

Units throughout the API: seconds (``*_s``), pounds (``*_gbp``), kilometres (``*_km``), times
of day ``HH:MM:SS`` (``HH:MM`` on route sheets), timestamps ISO 8601 UTC.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api import audit, errors, headers, outputs, web
from api.routes import audit as audit_routes
from api.routes import datasets as dataset_routes
from api.routes import jobs as job_routes
from api.routes import plans as plan_routes
from api.service import Service
from api.settings import ServiceSettings

DESCRIPTION = """
Plan SEND home-to-school transport as a shared service.

**Authentication**: every request sends `Authorization: Bearer <token>` (a token from
`send-routes users add`); a browser signed in at `/login` sends its session in the
`send_routes_token` cookie instead, and a request on the cookie that changes anything must come
from this site with the session's CSRF token in the `X-CSRF-Token` header.

**Roles**: `officer` (everything), `finance` (costs, counts and aggregates: no names, addresses
or notes), `operator` (only its own routes and sheets). Reads of personal data, all changes,
sign-ins and every refusal (401, 403, 404) are written to the audit log with the client's
address.

**Units**: durations and limits in seconds (`*_s`), money in pounds (`*_gbp`, two decimals),
distances in kilometres (`*_km`), times of day `HH:MM:SS` (route sheets `HH:MM`), timestamps
ISO 8601 in UTC.

**Errors**: `{"detail": ..., "problems": [{"file", "row", "column", "message"}]}`; bad input
is 422 with every problem, an unknown id 404, a refused role 403, an oversized upload 413.
"""


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    """The application; the database is opened and migrated when it starts."""
    settings = settings or ServiceSettings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = Service.open(settings)
        app.state.service = service
        try:
            yield
        finally:
            service.close()

    app = FastAPI(
        title="send-routes",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        # Swagger UI and ReDoc load their scripts from a CDN: not on a service holding children's
        # data. The schema stays at /openapi.json for any offline viewer.
        docs_url=None,
        redoc_url=None,
    )
    errors.install(app)
    app.add_middleware(errors.BodyLimitMiddleware, max_bytes=settings.max_upload_bytes)
    app.add_middleware(audit.SourceAddressMiddleware)
    app.add_middleware(headers.SecurityHeadersMiddleware)
    for module in (dataset_routes, job_routes, plan_routes, audit_routes):
        app.include_router(module.router)
    web.install(app)
    app.mount(
        outputs.STATIC_PREFIX,
        StaticFiles(directory=outputs.prepare_static(settings)),
        name="static",
    )
    return app
