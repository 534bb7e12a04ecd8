"""``/plans``: stored plans and what each role may read of them.

Officers read everything and publish plans. Finance reads costs, counts and the finance report
(of drafts too). An operator reads only published or superseded plans with its routes, and of
those only its own routes, with the fields of its sheets.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse

from api.deps import MAX_ID, DatasetFilter, DbDep, OfficerDep, PlanId, ServiceDep, StaffDep, UserDep
from api.downloads import NO_STORE, attachment
from api.headers import map_policy
from api.routes.datasets import ERRORS
from api.schemas import (
    CompareOut,
    CostsOut,
    ErrorOut,
    OperatorRouteOut,
    PlanDocument,
    PlanOut,
    PlanRename,
    PlanUpload,
    PublishRequest,
    PupilMatchOut,
    RouteDetailOut,
    ValidationOut,
)
from api.services import plans
from api.services import routes as route_reads

router = APIRouter(prefix="/plans", tags=["plans"])
PLAN_ERRORS = {**ERRORS, 404: {"model": ErrorOut, "description": "no such plan"}}


class SheetFormat(StrEnum):
    pdf = "pdf"
    csv = "csv"


class FinanceFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"
    html = "html"


MEDIA = {
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
}


@router.get("", response_model=list[PlanOut], responses=PLAN_ERRORS)
def list_plans(who: UserDep, db: DbDep, dataset_id: DatasetFilter = None) -> list[PlanOut]:
    """Stored plans, oldest first (an operator sees only plans with its routes)."""
    return plans.list_all(db, who, dataset_id)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PlanOut, responses=PLAN_ERRORS)
def upload_plan(body: PlanUpload, who: OfficerDep, db: DbDep) -> PlanOut:
    """Store a plan (a council's current routes, or an edited plan) for a dataset."""
    return plans.upload(db, body, who)


@router.get("/compare", response_model=CompareOut, responses=PLAN_ERRORS)
def compare_plans(
    who: StaffDep,
    db: DbDep,
    service: ServiceDep,
    a: Annotated[int, Query(ge=1, le=MAX_ID, description="the current plan")],
    b: Annotated[int, Query(ge=1, le=MAX_ID, description="the proposed plan")],
) -> CompareOut:
    """Compare two plans of one dataset: costs (pounds), vehicles, km, ride minutes, and which
    routes changed."""
    return plans.compare(service, db, who, a, b)


@router.get(
    "/compare/changes.csv",
    response_class=Response,
    responses={**PLAN_ERRORS, 200: {"content": {MEDIA["csv"]: {}}}},
)
def compare_changes(
    who: OfficerDep,
    db: DbDep,
    a: Annotated[int, Query(ge=1, le=MAX_ID, description="the current plan")],
    b: Annotated[int, Query(ge=1, le=MAX_ID, description="the proposed plan")],
) -> Response:
    """What changes for each pupil journey from plan a to plan b (routes matched by the pupils
    they carry): one CSV row per journey that changes. Pupil ids: officers only; audited."""
    text = plans.compare_changes_csv(db, who, a, b)
    return _csv(text, f"plans{a}-{b}-pupil_changes.csv")


def _csv(text: str, filename: str) -> Response:
    return Response(
        text,
        media_type=MEDIA["csv"],
        headers={"Content-Disposition": attachment(filename), "Cache-Control": NO_STORE},
    )


@router.get(
    "/{plan_id}/changes.csv",
    response_class=Response,
    responses={**PLAN_ERRORS, 200: {"content": {MEDIA["csv"]: {}}}},
)
def get_changes(plan_id: PlanId, who: OfficerDep, db: DbDep) -> Response:
    """A re-plan's per-pupil changes against its current routes: one row per pupil journey that
    changes, with the reason and what changes (times ``HH:MM``, shifts in minutes). Officers
    only; audited; 404 for a plan that is not a re-plan."""
    return _csv(plans.changes_csv(db, plan_id, who), f"plan{plan_id}-changes.csv")


@router.get(
    "/{plan_id}/notices.{fmt}",
    response_class=FileResponse,
    responses={**PLAN_ERRORS, 200: {"content": {MEDIA["pdf"]: {}, MEDIA["csv"]: {}}}},
)
def get_notices(
    plan_id: PlanId,
    fmt: SheetFormat,
    who: OfficerDep,
    db: DbDep,
    service: ServiceDep,
    effective: Annotated[
        str, Query(pattern=r"^\d{4}-\d{2}-\d{2}$", description="date in effect, YYYY-MM-DD")
    ],
) -> FileResponse:
    """A re-plan's change notices for families: one PDF page per family (times until now and
    from the date in effect, vehicle, operator, assistant, why), or the same as CSV. Officers
    only; audited; 404 for a plan that is not a re-plan."""
    path = plans.notices(service, db, plan_id, who, str(fmt), effective)
    return FileResponse(
        path,
        media_type=MEDIA[str(fmt)],
        filename=f"plan{plan_id}-notices.{fmt}",
        headers={"Cache-Control": NO_STORE},
    )


@router.get("/{plan_id}", response_model=PlanOut, responses=PLAN_ERRORS)
def get_plan(plan_id: PlanId, who: UserDep, db: DbDep) -> PlanOut:
    """A plan's facts: routes, operators, cost per day in pounds."""
    return plans.get(db, plan_id, who)


@router.post(
    "/{plan_id}/publish",
    response_model=PlanOut,
    responses={**PLAN_ERRORS, 409: {"model": ErrorOut, "description": "not a valid draft"}},
)
def publish_plan(
    plan_id: PlanId, body: PublishRequest, who: OfficerDep, db: DbDep, service: ServiceDep
) -> PlanOut:
    """Publish a draft from ``effective_from`` (YYYY-MM-DD, today or later): operators with
    routes in it see it from now on, and the plan published before it for the same dataset (and
    any named in ``supersedes``) becomes superseded. Only a draft the validator finds no
    violation in can be published (409 otherwise). Officers only; audited."""
    return plans.publish(service, db, plan_id, body, who)


@router.patch("/{plan_id}", response_model=PlanOut, responses=PLAN_ERRORS)
def rename_plan(plan_id: PlanId, body: PlanRename, who: OfficerDep, db: DbDep) -> PlanOut:
    """Give a plan a new name (officers; audited)."""
    return plans.rename(db, plan_id, body.label, who)


@router.get("/{plan_id}/json", response_model=PlanDocument, responses=PLAN_ERRORS)
def get_plan_document(plan_id: PlanId, who: OfficerDep, db: DbDep) -> JSONResponse:
    """The whole ``plan.json`` (times ``HH:MM:SS``, km, pounds): officers only; audited."""
    # The plan's own JSON, as the command line writes it (absent fields stay absent).
    return JSONResponse(plans.document(db, plan_id, who).to_json())


@router.get("/{plan_id}/costs", response_model=CostsOut, responses=PLAN_ERRORS)
def get_costs(plan_id: PlanId, who: StaffDep, db: DbDep, service: ServiceDep) -> CostsOut:
    """Recomputed totals: pounds per day and year, km and CO2 kg per day, vehicles, pupils
    carried, by operator and vehicle type. No pupil data."""
    return plans.costs(service, db, plan_id, who)


@router.get("/{plan_id}/validate", response_model=ValidationOut, responses=PLAN_ERRORS)
def validate_stored(
    plan_id: PlanId, who: OfficerDep, db: DbDep, service: ServiceDep
) -> ValidationOut:
    """Check a stored plan against its dataset (every violation by cause)."""
    return plans.check(service, db, plan_id, who)


@router.get("/{plan_id}/routes", response_model=list[OperatorRouteOut], responses=PLAN_ERRORS)
def get_routes(
    plan_id: PlanId, who: UserDep, db: DbDep, service: ServiceDep, operator: str | None = None
) -> list[OperatorRouteOut]:
    """An operator's routes as its sheets show them (stop times ``HH:MM``, postcodes, first name
    and initial). Operators get only their own; finance gets none."""
    return plans.operator_routes(service, db, plan_id, who, operator)


RouteId = Annotated[str, Path(min_length=1, max_length=100, description="a route's id")]
SearchText = Annotated[
    str, Query(min_length=1, max_length=route_reads.MAX_QUERY, description="pupil id or name")
]


@router.get("/{plan_id}/routes/{route_id}", response_model=RouteDetailOut, responses=PLAN_ERRORS)
def get_route(
    plan_id: PlanId, route_id: RouteId, who: UserDep, db: DbDep, service: ServiceDep
) -> RouteDetailOut:
    """One route with its stops in order (times ``HH:MM``). Officers get any route, with full
    names and needs; an operator only its own, as its sheets show it; finance none. Audited."""
    return route_reads.route(service, db, plan_id, who, route_id)


@router.get("/{plan_id}/pupils", response_model=list[PupilMatchOut], responses=PLAN_ERRORS)
def find_pupils(
    plan_id: PlanId, q: SearchText, who: OfficerDep, db: DbDep, service: ServiceDep
) -> list[PupilMatchOut]:
    """Pupils whose id or name holds ``q`` (any case; at most 50), each with the route, vehicle,
    operator and pick-up and set-down times (``HH:MM``) of every journey, or why it is not
    placed. Officers only; audited."""
    return route_reads.find_pupils(service, db, plan_id, who, q)


@router.get(
    "/{plan_id}/sheets.zip",
    response_class=FileResponse,
    responses={**PLAN_ERRORS, 200: {"content": {"application/zip": {}}}},
)
def get_all_sheets(
    plan_id: PlanId, who: OfficerDep, db: DbDep, service: ServiceDep
) -> FileResponse:
    """Every operator's route sheets, PDF and CSV, in one ZIP (officers)."""
    path = plans.sheets_zip(service, db, plan_id, who)
    return FileResponse(path, media_type="application/zip", filename=path.name)


@router.get(
    "/{plan_id}/sheets.{fmt}",
    response_class=FileResponse,
    responses={**PLAN_ERRORS, 200: {"content": {MEDIA["pdf"]: {}, MEDIA["csv"]: {}}}},
)
def get_sheets(
    plan_id: PlanId,
    fmt: SheetFormat,
    who: UserDep,
    db: DbDep,
    service: ServiceDep,
    operator: str | None = None,
) -> FileResponse:
    """An operator's route sheets (PDF, a page per route; or CSV). Operators get their own."""
    path, filename = plans.sheets(service, db, plan_id, who, str(fmt), operator)
    return FileResponse(path, media_type=MEDIA[str(fmt)], filename=filename)


@router.get(
    "/{plan_id}/finance.{fmt}",
    response_class=FileResponse,
    responses={**PLAN_ERRORS, 200: {"content": {MEDIA[f]: {} for f in ("csv", "xlsx", "html")}}},
)
def get_finance(
    plan_id: PlanId, fmt: FinanceFormat, who: StaffDep, db: DbDep, service: ServiceDep
) -> FileResponse:
    """The finance report: cost by operator, vehicle type and school (pounds per day and
    year), km, CO2 and ride-time figures. Aggregates only."""
    path = plans.finance(service, db, plan_id, who, str(fmt))
    return FileResponse(path, media_type=MEDIA[str(fmt)], filename=f"plan{plan_id}-finance.{fmt}")


@router.get(
    "/{plan_id}/map",
    response_class=HTMLResponse,
    responses={**PLAN_ERRORS, 200: {"content": {"text/html": {}}}},
)
def get_map(plan_id: PlanId, who: OfficerDep, db: DbDep, service: ServiceDep) -> HTMLResponse:
    """The plan's map page (officers; audited). Its Leaflet files are served under ``/static``;
    its policy lets only the page's own inline scripts run, each named by its hash."""
    page = plans.map_page(service, db, plan_id, who)
    return HTMLResponse(page, headers={"Content-Security-Policy": map_policy(page)})
