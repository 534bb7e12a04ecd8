"""Pages of a finished plan: the plan itself as each role may see it, and two plans compared.

Officers get the whole plan (as ``GET /plans/{id}/json`` gives it, audited), its map, every route
and every download, and publish a draft (``POST /plans/{id}/publish``). Finance gets the
recomputed costs and aggregates (``GET /plans/{id}/costs``) and the finance report. An operator
gets its own routes as its sheets show them (``GET /plans/{id}/routes``) and its own sheets, of
published and superseded plans only. Each comes from the service function behind that endpoint
(:mod:`api.services.plans`), so a page can show no more than the API gives that role.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from api.auth import Principal, Role
from api.datasets import get_row as dataset_row
from api.deps import (
    MAX_ID,
    OFFICER_ROLES,
    STAFF_ROLES,
    DbDep,
    OfficerDep,
    PlanId,
    ServiceDep,
    StaffDep,
    UserDep,
)
from api.refusals import Unprocessable
from api.schemas import PlanOut, PublishRequest
from api.service import Service
from api.services import plans as plan_service
from api.web import views
from api.web.render import PageRoute, check_csrf, render, see_other

router = APIRouter(route_class=PageRoute, include_in_schema=False)
PlanChoice = Annotated[int | None, Query(ge=1, le=MAX_ID)]


def _officer_view(
    plan_id: int, out: PlanOut, who: Principal, db: Session, service: Service
) -> dict[str, Any]:
    """The whole plan (read as the audited ``GET /plans/{id}/json`` reads it) as table rows."""
    plan = plan_service.document(db, plan_id, who)
    dataset = service.dataset(db, out.dataset_id)
    return {
        "routes": views.route_rows(plan),
        "unplaced": views.unplaced_rows(plan, dataset),
        "over_guidance": views.over_guidance_rows(plan, dataset),
    }


@router.get("/plan/{plan_id}", response_class=HTMLResponse)
def plan_page(
    request: Request,
    plan_id: PlanId,
    who: UserDep,
    db: DbDep,
    service: ServiceDep,
    renamed: bool = False,
) -> HTMLResponse:
    """A plan: summary, map, routes and downloads, as far as the caller's role allows."""
    out = plan_service.get(db, plan_id, who)
    context: dict[str, Any] = {
        "plan": out,
        "dataset_name": None,
        "figures": [],
        "by_operator": [],
        "by_vehicle_type": [],
        "routes": [],
        "unplaced": [],
        "over_guidance": [],
        "sheet_routes": [],
        "others": [],
        "against_current": None,
        "score": None,
        "replan": {},
        "renamed": renamed,
    }
    if who.role in STAFF_ROLES:
        context["dataset_name"] = dataset_row(db, out.dataset_id).name
        costs = plan_service.costs(service, db, plan_id, who)
        context["figures"] = views.summary_figures(
            costs.summary, costs.model_dump(), listed=who.role in OFFICER_ROLES
        )
        context["by_operator"] = views.breakdown_rows(costs.by_operator)
        context["by_vehicle_type"] = views.breakdown_rows(costs.by_vehicle_type)
        context["others"] = [
            p for p in plan_service.list_all(db, who, out.dataset_id) if p.id != plan_id
        ]
        context["against_current"] = costs.against_current
        context["replan"] = {k: v for k, v in costs.summary.items() if k.startswith("replan_")}
    if who.role in OFFICER_ROLES:
        context.update(_officer_view(plan_id, out, who, db, service))
        if out.kind == "current":  # the validator's score of current routes (audited)
            context["score"] = plan_service.check(service, db, plan_id, who)
    if who.role is Role.OPERATOR:
        routes = plan_service.operator_routes(service, db, plan_id, who, None)
        context["sheet_routes"] = sorted(routes, key=lambda r: r.route_id)
    context["published"] = request.query_params.get("published") == "true"
    context["today"] = plan_service.today().isoformat()
    return render(request, "plan.html", who, **context)


@router.post("/plan/{plan_id}/publish")
def publish_plan(
    request: Request,
    plan_id: PlanId,
    who: OfficerDep,
    db: DbDep,
    service: ServiceDep,
    effective_from: Annotated[str, Form(max_length=20)] = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> RedirectResponse:
    """Publish a draft from the form's date (the API's own checks: 409 and 422 as pages)."""
    check_csrf(request, csrf_token)
    try:
        body = PublishRequest.model_validate({"effective_from": effective_from.strip()})
    except ValidationError as exc:
        raise Unprocessable("the date it takes effect is not a valid date (YYYY-MM-DD)") from exc
    plan_service.publish(service, db, plan_id, body, who)
    return see_other(f"/plan/{plan_id}?published=true")


@router.get("/compare", response_class=HTMLResponse)
def compare_page(
    request: Request,
    who: StaffDep,
    db: DbDep,
    service: ServiceDep,
    a: PlanChoice = None,
    b: PlanChoice = None,
) -> HTMLResponse:
    """Choose two plans of one dataset and see them side by side."""
    plans = plan_service.list_all(db, who)
    names = {p.dataset_id: dataset_row(db, p.dataset_id).name for p in plans}
    result, error = None, None
    if a is not None and b is not None:
        try:
            result = plan_service.compare(service, db, who, a, b)
        except Unprocessable as exc:
            error = str(exc)
    return render(
        request,
        "compare.html",
        who,
        422 if error else 200,
        plans=plans,
        names=names,
        a=a,
        b=b,
        result=result,
        rows=views.compare_rows(result) if result else [],
        error=error,
    )
