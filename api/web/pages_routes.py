"""Pages of one route and of a pupil search in a plan, and the form that renames a plan.

``/plan/{id}/route/{route_id}``: the route's vehicle, operator, passenger assistant, times, the
route the same crew drives the other way, and its stops (``GET /plans/{id}/routes/{route_id}``).
``/plan/{id}/pupils?q=``: which route, vehicle and operator carry a pupil, morning and afternoon
(``GET /plans/{id}/pupils``, officers only). Both come from :mod:`api.services.routes`, so a page
shows no more than the API gives the caller's role.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.datasets import get_row as dataset_row
from api.deps import DbDep, OfficerDep, PlanId, ServiceDep, UserDep
from api.services import plans as plan_service
from api.services import routes as route_reads
from api.web.render import PageRoute, check_csrf, render, see_other

router = APIRouter(route_class=PageRoute, include_in_schema=False)
RouteId = Annotated[str, Path(min_length=1, max_length=100)]
SearchText = Annotated[str, Query(max_length=route_reads.MAX_QUERY)]


@router.get("/plan/{plan_id}/route/{route_id}", response_class=HTMLResponse)
def route_page(
    request: Request,
    plan_id: PlanId,
    route_id: RouteId,
    who: UserDep,
    db: DbDep,
    service: ServiceDep,
) -> HTMLResponse:
    """One route: its facts and its stops, as far as the caller's role allows."""
    route = route_reads.route(service, db, plan_id, who, route_id)
    plan = plan_service.get(db, plan_id, who)
    dataset_name = dataset_row(db, plan.dataset_id).name if who.role != "operator" else None
    pupils = len({line.ref for line in route.lines})
    return render(
        request,
        "route.html",
        who,
        plan=plan,
        route=route,
        dataset_name=dataset_name,
        pupils=pupils,
    )


@router.get("/plan/{plan_id}/pupils", response_class=HTMLResponse)
def pupils_page(
    request: Request,
    plan_id: PlanId,
    who: OfficerDep,
    db: DbDep,
    service: ServiceDep,
    q: SearchText = "",
) -> HTMLResponse:
    """Find a pupil in a plan: route, vehicle, operator and times of each journey."""
    plan = plan_service.get(db, plan_id, who)
    found = route_reads.find_pupils(service, db, plan_id, who, q) if q.strip() else []
    return render(
        request,
        "pupils.html",
        who,
        plan=plan,
        dataset_name=dataset_row(db, plan.dataset_id).name,
        q=q,
        found=found,
    )


@router.post("/plan/{plan_id}/name", response_class=HTMLResponse)
def rename_plan(
    request: Request,
    plan_id: PlanId,
    who: OfficerDep,
    db: DbDep,
    label: Annotated[str, Form(max_length=200)] = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """Give a plan a new name (``PATCH /plans/{id}``), then show the plan again."""
    check_csrf(request, csrf_token)
    plan_service.rename(db, plan_id, label, who)
    return see_other(f"/plan/{plan_id}?renamed=true")
