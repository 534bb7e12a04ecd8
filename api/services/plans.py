"""Plans: what each role may read of a stored plan, storing one, publishing, checking and
comparing.

Officers read everything. Finance reads costs, counts and the finance report, of drafts too (it
compares what-ifs). An operator reads only published (or superseded) plans with its routes, and
of those only its own routes, with the fields of its sheets; a draft answers it as a plan that
does not exist.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from api import audit, outputs, plans
from api.auth import Principal, Role
from api.db import PlanStatus
from api.refusals import Conflict, Forbidden, NotFound, Unprocessable
from api.schemas import (
    CompareOut,
    CostsOut,
    OperatorRouteOut,
    PlanOut,
    PlanUpload,
    PublishRequest,
    ValidationOut,
)
from api.service import Service
from optimiser.plan.document import Plan


def _operator_for(who: Principal, operator: str | None, plan_operators: list[str]) -> str:
    """Whose sheets a caller gets: an operator only its own; an officer names one."""
    if who.role is Role.OPERATOR:
        if operator not in (None, who.operator):
            raise Forbidden("operators see only their own routes")
        return str(who.operator)
    if operator is None:
        if len(plan_operators) == 1:
            return plan_operators[0]
        raise Unprocessable(f"name an operator: one of {', '.join(plan_operators) or '(none)'}")
    return operator


def list_all(db: Session, who: Principal, dataset_id: int | None = None) -> list[PlanOut]:
    """Stored plans, oldest first (an operator sees only plans with its routes)."""
    return [plans.to_out(r, who) for r in plans.list_rows(db, who, dataset_id)]


def upload(db: Session, body: PlanUpload, who: Principal) -> PlanOut:
    """Store a plan (a council's current routes, or an edited plan) for a dataset."""
    row = plans.store_uploaded(db, body.dataset_id, body.plan.plan(), body.label, who)
    audit.record(db, who, "plan.upload", f"plan/{row.id}", detail=f"dataset/{body.dataset_id}")
    db.commit()
    return plans.to_out(row)


def today() -> date:
    """Today in England (the day a council's plan takes effect is a UK date)."""
    try:
        return datetime.now(ZoneInfo("Europe/London")).date()
    except ZoneInfoNotFoundError:  # a machine without a time zone database
        return date.today()


def publish(
    service: Service, db: Session, plan_id: int, body: PublishRequest, who: Principal
) -> PlanOut:
    """Publish a draft from a date (audited, as is each plan it supersedes).

    Raises
    ------
    Conflict
        If the plan is not a draft, breaks a rule of its dataset (the validator's violations),
        or names in ``supersedes`` a plan that is not published.
    Unprocessable
        If the date is in the past.
    """
    row = plans.get_row_for(db, plan_id, who)
    if row.status != PlanStatus.DRAFT:
        raise Conflict(f"plan {plan_id} is {row.status}: only a draft can be published")
    if body.effective_from < today():
        raise Unprocessable(f"effective_from {body.effective_from} is in the past")
    dataset, travel = service.dataset_and_travel(db, row.dataset_id)
    result = plans.check(dataset, travel, plans.plan_of(row))
    if not result["valid"]:
        causes = ", ".join(f"{n} {c}" for c, n in sorted(result["violations_by_cause"].items()))
        raise Conflict(
            f"plan {plan_id} breaks the dataset's rules ({causes}): check it "
            f"(GET /plans/{plan_id}/validate) and publish a plan without violations"
        )
    older = plans.publish(db, row, body.effective_from, who, body.supersedes)
    when = body.effective_from.isoformat()
    replaced = "; supersedes " + ", ".join(f"plan/{r.id}" for r in older) if older else ""
    audit.record(
        db, who, "plan.publish", f"plan/{plan_id}", detail=f"effective from {when}{replaced}"
    )
    for old in older:
        audit.record(
            db, who, "plan.supersede", f"plan/{old.id}", detail=f"by plan/{plan_id} from {when}"
        )
    db.commit()
    return plans.to_out(row, who)


def get(db: Session, plan_id: int, who: Principal) -> PlanOut:
    """A plan's facts as the caller's role may see them."""
    return plans.to_out(plans.get_row_for(db, plan_id, who), who)


def document(db: Session, plan_id: int, who: Principal) -> Plan:
    """The whole plan, names and addresses included (audited)."""
    row = plans.get_row_for(db, plan_id, who)
    audit.record(db, who, "plan.read", f"plan/{plan_id}")
    db.commit()
    return plans.plan_of(row)


def costs(service: Service, db: Session, plan_id: int, who: Principal) -> CostsOut:
    """Recomputed totals and the plan's aggregates: no pupil data."""
    row = plans.get_row_for(db, plan_id, who)
    dataset, travel = service.dataset_and_travel(db, row.dataset_id)
    return CostsOut(**plans.costs(plan_id, dataset, travel, plans.plan_of(row)))


def check(service: Service, db: Session, plan_id: int, who: Principal) -> ValidationOut:
    """Check a stored plan against its dataset (audited)."""
    row = plans.get_row_for(db, plan_id, who)
    dataset, travel = service.dataset_and_travel(db, row.dataset_id)
    result = plans.check(dataset, travel, plans.plan_of(row))
    audit.record(db, who, "plan.validate", f"plan/{plan_id}")
    db.commit()
    return ValidationOut(**result)


def operator_routes(
    service: Service, db: Session, plan_id: int, who: Principal, operator: str | None
) -> list[OperatorRouteOut]:
    """One operator's routes as its sheets show them (audited). Operators get only their own.

    Raises
    ------
    Forbidden
        For finance, or an operator asking for another's routes.
    Unprocessable
        For an officer who names no operator of a plan with several.
    """
    if who.role is Role.FINANCE:
        raise Forbidden("finance sees costs, not routes")
    row = plans.get_row_for(db, plan_id, who)
    name = _operator_for(who, operator, list(row.operators or []))
    dataset = service.dataset(db, row.dataset_id)
    audit.record(db, who, "plan.routes", f"plan/{plan_id}", detail=f"operator {name}")
    db.commit()
    return plans.operator_routes(plans.plan_of(row), dataset, name)


def sheets(
    service: Service, db: Session, plan_id: int, who: Principal, fmt: str, operator: str | None
) -> tuple[Path, str]:
    """One operator's route sheets as a ``pdf`` or ``csv`` file (audited), and the name to save
    it under: a draft's or a superseded plan's says so, and its PDF says so on every page."""
    if who.role is Role.FINANCE:
        raise Forbidden("finance sees costs, not route sheets")
    row = plans.get_row_for(db, plan_id, who)
    name = _operator_for(who, operator, list(row.operators or []))
    dataset = service.dataset(db, row.dataset_id)
    files = outputs.operator_sheets(
        service.settings, row, plans.plan_of(row), dataset, name, banner=plans.banner(row)
    )
    audit.record(db, who, "plan.sheets", f"plan/{plan_id}", detail=f"operator {name} {fmt}")
    db.commit()
    if fmt not in files:
        raise NotFound(f"no {fmt} sheets for {name}")
    status = "" if row.status == PlanStatus.PUBLISHED else f"-{row.status}"
    return files[fmt], f"plan{plan_id}{status}-sheets.{fmt}"


def _all_outputs(service: Service, db: Session, plan_id: int, who: Principal) -> dict[str, Path]:
    row = plans.get_row_for(db, plan_id, who)
    dataset, travel = service.dataset_and_travel(db, row.dataset_id)
    return outputs.all_outputs(
        service.settings, row, plans.plan_of(row), dataset, travel, service.graph()
    )


def finance(service: Service, db: Session, plan_id: int, who: Principal, fmt: str) -> Path:
    """The finance report as ``html``, ``csv`` or ``xlsx``: aggregates only."""
    files = _all_outputs(service, db, plan_id, who)
    return files["finance" if fmt == "html" else f"finance_{fmt}"]


def map_page(service: Service, db: Session, plan_id: int, who: Principal) -> str:
    """The plan's map page, its Leaflet links pointed at the service's static files (audited)."""
    files = _all_outputs(service, db, plan_id, who)
    audit.record(db, who, "plan.map", f"plan/{plan_id}")
    db.commit()
    return outputs.map_page(files["map"])


def compare(service: Service, db: Session, who: Principal, a: int, b: int) -> CompareOut:
    """Two plans of one dataset compared: costs, vehicles, km, ride minutes, changed routes.

    Raises
    ------
    Unprocessable
        If the plans are of different datasets.
    """
    row_a, row_b = plans.get_row_for(db, a, who), plans.get_row_for(db, b, who)
    if row_a.dataset_id != row_b.dataset_id:
        raise Unprocessable("the two plans are of different datasets")
    dataset = service.dataset(db, row_a.dataset_id)
    return plans.compare(a, b, plans.plan_of(row_a), plans.plan_of(row_b), dataset)
