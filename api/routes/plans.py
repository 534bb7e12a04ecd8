"""``/plans``: stored plans and what each role may read of them.

Officers read everything. Finance reads costs, counts and the finance report. An operator reads
only plans with its routes, and of those only its own routes, with the fields of its sheets.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import FileResponse, HTMLResponse

from api import audit, outputs, plans
from api.auth import Principal, Role
from api.deps import MAX_ID, DatasetFilter, DbDep, OfficerDep, PlanId, ServiceDep, StaffDep, UserDep
from api.routes.datasets import ERRORS
from api.schemas import (
    CompareOut,
    CostsOut,
    ErrorOut,
    OperatorRouteOut,
    PlanOut,
    PlanUpload,
    ValidationOut,
)

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


def _operator_for(who: Principal, operator: str | None, plan_operators: list[str]) -> str:
    """Whose sheets a caller gets: an operator only its own; an officer names one."""
    if who.role is Role.OPERATOR:
        if operator not in (None, who.operator):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "operators see only their own routes")
        return str(who.operator)
    if operator is None:
        if len(plan_operators) == 1:
            return plan_operators[0]
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"name an operator: one of {', '.join(plan_operators) or '(none)'}",
        )
    return operator


@router.get("", response_model=list[PlanOut], responses=PLAN_ERRORS)
def list_plans(who: UserDep, db: DbDep, dataset_id: DatasetFilter = None) -> list[PlanOut]:
    """Stored plans, oldest first (an operator sees only plans with its routes)."""
    return [plans.to_out(r, who) for r in plans.list_rows(db, who, dataset_id)]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PlanOut, responses=PLAN_ERRORS)
def upload_plan(body: PlanUpload, who: OfficerDep, db: DbDep) -> PlanOut:
    """Store a plan (a council's current routes, or an edited plan) for a dataset."""
    plan = plans.parse_plan(body.plan)
    row = plans.store_uploaded(db, body.dataset_id, plan, body.label, who)
    db.commit()
    return plans.to_out(row)


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
    row_a, row_b = plans.get_row_for(db, a, who), plans.get_row_for(db, b, who)
    if row_a.dataset_id != row_b.dataset_id:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, "the two plans are of different datasets"
        )
    dataset = service.dataset(db, row_a.dataset_id)
    return plans.compare(a, b, plans.plan_of(row_a), plans.plan_of(row_b), dataset)


@router.get("/{plan_id}", response_model=PlanOut, responses=PLAN_ERRORS)
def get_plan(plan_id: PlanId, who: UserDep, db: DbDep) -> PlanOut:
    """A plan's facts: routes, operators, cost per day in pounds."""
    return plans.to_out(plans.get_row_for(db, plan_id, who), who)


@router.get("/{plan_id}/json", responses=PLAN_ERRORS)
def get_plan_document(plan_id: PlanId, who: OfficerDep, db: DbDep) -> dict[str, Any]:
    """The whole ``plan.json`` (times ``HH:MM:SS``, km, pounds): officers only; audited."""
    row = plans.get_row_for(db, plan_id, who)
    audit.record(db, who, "plan.read", f"plan/{plan_id}")
    db.commit()
    return plans.plan_of(row).to_json()


@router.get("/{plan_id}/costs", response_model=CostsOut, responses=PLAN_ERRORS)
def get_costs(plan_id: PlanId, who: StaffDep, db: DbDep, service: ServiceDep) -> CostsOut:
    """Recomputed totals: pounds per day and year, km and CO2 kg per day, vehicles, pupils
    carried, by operator and vehicle type. No pupil data."""
    row = plans.get_row_for(db, plan_id, who)
    dataset, travel = service.dataset_and_travel(db, row.dataset_id)
    return CostsOut(**plans.costs(plan_id, dataset, travel, plans.plan_of(row)))


@router.get("/{plan_id}/validate", response_model=ValidationOut, responses=PLAN_ERRORS)
def validate_stored(
    plan_id: PlanId, who: OfficerDep, db: DbDep, service: ServiceDep
) -> ValidationOut:
    """Check a stored plan against its dataset (every violation by cause)."""
    row = plans.get_row_for(db, plan_id, who)
    dataset, travel = service.dataset_and_travel(db, row.dataset_id)
    result = plans.check(dataset, travel, plans.plan_of(row))
    audit.record(db, who, "plan.validate", f"plan/{plan_id}")
    db.commit()
    return ValidationOut(**result)


@router.get("/{plan_id}/routes", response_model=list[OperatorRouteOut], responses=PLAN_ERRORS)
def get_routes(
    plan_id: PlanId, who: UserDep, db: DbDep, service: ServiceDep, operator: str | None = None
) -> list[OperatorRouteOut]:
    """An operator's routes as its sheets show them (stop times ``HH:MM``, postcodes, first name
    and initial). Operators get only their own; finance gets none."""
    if who.role is Role.FINANCE:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "finance sees costs, not routes")
    row = plans.get_row_for(db, plan_id, who)
    name = _operator_for(who, operator, list(row.operators or []))
    dataset = service.dataset(db, row.dataset_id)
    audit.record(db, who, "plan.routes", f"plan/{plan_id}", detail=f"operator {name}")
    db.commit()
    return plans.operator_routes(plans.plan_of(row), dataset, name)


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
    if who.role is Role.FINANCE:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "finance sees costs, not route sheets")
    row = plans.get_row_for(db, plan_id, who)
    name = _operator_for(who, operator, list(row.operators or []))
    dataset = service.dataset(db, row.dataset_id)
    files = outputs.operator_sheets(service.settings, row, plans.plan_of(row), dataset, name)
    audit.record(db, who, "plan.sheets", f"plan/{plan_id}", detail=f"operator {name} {fmt}")
    db.commit()
    if str(fmt) not in files:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no {fmt} sheets for {name}")
    return FileResponse(
        files[str(fmt)], media_type=MEDIA[str(fmt)], filename=f"plan{plan_id}-sheets.{fmt}"
    )


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
    row = plans.get_row_for(db, plan_id, who)
    dataset, travel = service.dataset_and_travel(db, row.dataset_id)
    files = outputs.all_outputs(
        service.settings, row, plans.plan_of(row), dataset, travel, service.graph()
    )
    key = "finance" if fmt is FinanceFormat.html else f"finance_{fmt}"
    return FileResponse(
        files[key], media_type=MEDIA[str(fmt)], filename=f"plan{plan_id}-finance.{fmt}"
    )


@router.get(
    "/{plan_id}/map",
    response_class=HTMLResponse,
    responses={**PLAN_ERRORS, 200: {"content": {"text/html": {}}}},
)
def get_map(plan_id: PlanId, who: OfficerDep, db: DbDep, service: ServiceDep) -> HTMLResponse:
    """The plan's map page (officers; audited). Its Leaflet files are served under ``/static``."""
    row = plans.get_row_for(db, plan_id, who)
    dataset, travel = service.dataset_and_travel(db, row.dataset_id)
    files = outputs.all_outputs(
        service.settings, row, plans.plan_of(row), dataset, travel, service.graph()
    )
    audit.record(db, who, "plan.map", f"plan/{plan_id}")
    db.commit()
    return HTMLResponse(outputs.map_page(files["map"]))
