"""Stored plans: read, store an uploaded one, check one, compare two, and what each role may see.

These functions work inside the caller's transaction; :mod:`api.services.plans` commits and audits.

Every check and figure comes from the same code the command line uses: the validator
(:mod:`optimiser.validate.validator`), the sheets and finance report (:mod:`maps`).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import Principal, Role
from api.datasets import get_row
from api.db import OPERATOR_VISIBLE, DatasetRow, PlanKind, PlanRow, PlanStatus, utcnow
from api.refusals import Conflict, NotFound
from api.schemas import AgainstCurrentOut, CompareOut, CompareRow, OperatorRouteOut, PlanOut
from optimiser.domain.entities import Dataset
from optimiser.plan.document import Plan, plan_from_json


def operator_may_see(row: PlanRow, who: Principal) -> bool:
    """Whether an operator may know of a plan: published (or superseded), with its routes."""
    return row.status in OPERATOR_VISIBLE and who.operator in (row.operators or [])


def get_row_for(db: Session, plan_id: int, who: Principal) -> PlanRow:
    """A plan the caller may know of: an operator only published or superseded plans with its
    routes; a draft, like a plan without its routes, answers as if it did not exist (404)."""
    row = db.get(PlanRow, plan_id)
    if row is None or (who.role is Role.OPERATOR and not operator_may_see(row, who)):
        raise NotFound(f"no plan {plan_id}")
    return row


def list_rows(db: Session, who: Principal, dataset_id: int | None = None) -> list[PlanRow]:
    query = select(PlanRow).order_by(PlanRow.id)
    if dataset_id is not None:
        query = query.where(PlanRow.dataset_id == dataset_id)
    if who.role is Role.OPERATOR:
        query = query.where(PlanRow.status.in_([str(s) for s in OPERATOR_VISIBLE]))
    rows = list(db.scalars(query))
    if who.role is Role.OPERATOR:
        rows = [r for r in rows if operator_may_see(r, who)]
    return rows


def publish(
    db: Session, row: PlanRow, effective_from: date, who: Principal, also: list[int]
) -> list[PlanRow]:
    """Publish a draft (the caller has validated it): every published plan of its dataset, and
    the published plans named in ``also`` (of other datasets: a re-plan on today's data),
    become superseded by it. Returns the plans it supersedes (the caller commits and audits).

    Raises
    ------
    Conflict
        If the plan is not a draft, or a plan of ``also`` is not published.
    """
    # Lock the dataset's row: two officers publishing plans of one dataset at once take turns.
    db.get(DatasetRow, row.dataset_id, with_for_update=True)
    db.refresh(row)
    if row.status != PlanStatus.DRAFT:
        raise Conflict(f"plan {row.id} is {row.status}: only a draft can be published")
    query = select(PlanRow).where(
        PlanRow.dataset_id == row.dataset_id, PlanRow.status == PlanStatus.PUBLISHED.value
    )
    older = {r.id: r for r in db.scalars(query)}
    for plan_id in also:
        other = db.get(PlanRow, plan_id)
        if other is None or other.id == row.id or other.status != PlanStatus.PUBLISHED:
            raise Conflict(f"plan {plan_id} is not a published plan that this one can supersede")
        older[other.id] = other
    now = utcnow()
    for old in older.values():
        old.status = PlanStatus.SUPERSEDED.value
        old.superseded_by = row.id
        old.superseded_on = effective_from
    db.flush()  # the old one stops being published before the new one starts (unique index)
    row.status = PlanStatus.PUBLISHED.value
    row.effective_from = effective_from
    row.published_by = who.user_id
    row.published_by_name = who.name
    row.published_at = now
    db.flush()
    return sorted(older.values(), key=lambda r: r.id)


def banner(row: PlanRow) -> str:
    """What a route sheet of the plan says of its status ("" for a plan in force)."""
    if row.status == PlanStatus.SUPERSEDED:
        on = f"on {row.superseded_on:%d %b %Y} " if row.superseded_on else ""
        return f"SUPERSEDED {on}by plan {row.superseded_by}: do not use"
    if row.status == PlanStatus.DRAFT:
        return "DRAFT: not published, not a booking"
    return ""


def to_out(row: PlanRow, who: Principal | None = None) -> PlanOut:
    """A plan's facts; an operator sees only its own route count and no money."""
    out = PlanOut(
        id=row.id,
        dataset_id=row.dataset_id,
        job_id=row.job_id,
        source=row.source,
        label=row.label,
        routes=row.routes,
        operators=list(row.operators or []),
        cost_per_day_gbp=round(row.cost_per_day_pence / 100, 2),
        created_at=row.created_at,
        status=row.status,
        effective_from=row.effective_from,
        published_by=row.published_by_name,
        published_at=row.published_at,
        superseded_by=row.superseded_by,
        superseded_on=row.superseded_on,
        kind=row.kind or PlanKind.PLAN,
        current_plan_id=row.current_plan_id,
    )
    if who is not None and who.role is Role.OPERATOR:
        own = [
            r
            for r in json.loads(row.plan_json).get("routes", [])
            if r.get("operator") == who.operator
        ]
        out = out.model_copy(
            update={
                "routes": len(own),
                "operators": [who.operator],
                "cost_per_day_gbp": None,
                "published_by": None,
            }
        )
    return out


def default_label(dataset_name: str, made: datetime) -> str:
    """A new plan's name until an officer gives it one: its dataset's and when it was made
    (UK time), e.g. "Autumn term, 4 Dec 2026 14:05"."""
    try:
        local = made.astimezone(ZoneInfo("Europe/London"))
    except ZoneInfoNotFoundError:  # a machine without a time zone database
        local = made
    return f"{dataset_name}, {local.day} {local:%b %Y %H:%M}"[:200]


def rename(row: PlanRow, label: str) -> None:
    """Give a plan a new name (spaces trimmed; the caller commits)."""
    row.label = " ".join(label.split())[:200]


def plan_of(row: PlanRow) -> Plan:
    return plan_from_json(json.loads(row.plan_json))


def new_plan_row(
    plan: Plan,
    *,
    dataset_id: int,
    job_id: int | None,
    source: str,
    label: str,
    created_by: int | None,
    kind: str = PlanKind.PLAN,
    current_plan_id: int | None = None,
    changes_csv: str | None = None,
) -> PlanRow:
    """A storage row for a plan, with the columns derived from it (operators, cost, routes)."""
    return PlanRow(
        kind=str(kind),
        current_plan_id=current_plan_id,
        changes_csv=changes_csv,
        dataset_id=dataset_id,
        job_id=job_id,
        source=source,
        label=label,
        plan_json=plan.dumps(),
        operators=sorted({r.operator for r in plan.routes}),
        cost_per_day_pence=sum(r.cost_pence for r in plan.routes),
        routes=len(plan.routes),
        created_by=created_by,
    )


def store_uploaded(
    db: Session,
    dataset_id: int,
    plan: Plan,
    label: str,
    who: Principal,
    kind: str = PlanKind.PLAN,
) -> PlanRow:
    """Store an uploaded plan (of ``kind`` ``current`` for current routes) for a dataset (the
    caller commits); unnamed, it is named after its dataset and the time."""
    dataset = get_row(db, dataset_id)
    label = " ".join(label.split()) or default_label(
        f"{dataset.name} (uploaded)", datetime.now(UTC)
    )
    row = new_plan_row(
        plan,
        dataset_id=dataset_id,
        job_id=None,
        source="uploaded",
        label=label,
        created_by=who.user_id,
        kind=kind,
    )
    db.add(row)
    db.flush()
    return row


def current_row_of(db: Session, row: PlanRow) -> PlanRow | None:
    """The current routes a plan is set against: a re-plan's own (the plan it started from);
    else, for a plan that is not itself current routes, the newest current routes uploaded for
    its dataset; else ``None``."""
    if row.current_plan_id is not None:
        return db.get(PlanRow, row.current_plan_id)
    if row.kind == PlanKind.CURRENT:
        return None
    return db.scalar(
        select(PlanRow)
        .where(PlanRow.dataset_id == row.dataset_id, PlanRow.kind == str(PlanKind.CURRENT))
        .order_by(PlanRow.id.desc())
        .limit(1)
    )


def replan_changes(row: PlanRow, current: PlanRow) -> list[Any]:
    """A re-plan's changed journeys with the reasons its job recorded (``changes.csv``), as
    :class:`optimiser.replan.ReasonedChange`: what the change notices are written from."""
    import csv
    import io

    from optimiser.plan.changes import compare_by_pupil
    from optimiser.replan import ReasonedChange

    reasons = {
        (r["pupil_id"], r["session"]): r["reason"]
        for r in csv.DictReader(io.StringIO(row.changes_csv or ""))
    }
    comparison = compare_by_pupil(plan_of(current), plan_of(row))
    return [
        ReasonedChange(c, reasons.get((c.pupil_id, str(c.session)), "knock_on"))
        for c in comparison.changes
    ]


def check(dataset: Dataset, travel: Any, plan: Plan) -> dict[str, Any]:
    """Violations and recomputed costs of a plan against a dataset."""
    from optimiser.validate.validator import plan_costs, validate_plan

    violations = validate_plan(dataset, travel, plan)
    costs = plan_costs(dataset, travel, plan)
    return {
        "valid": not violations,
        "violations": [
            {
                "cause": v.cause,
                "message": v.message,
                "route_id": v.route_id,
                "pupil_id": v.pupil_id,
                "session": str(v.session) if v.session is not None else None,
            }
            for v in violations
        ],
        "violations_by_cause": dict(Counter(v.cause for v in violations)),
        "cost_per_day_gbp": costs["cost_per_day_gbp"],
        "cost_per_year_gbp": costs["cost_per_year_gbp"],
        "km_per_day": costs["km_per_day"],
        "agreed_cost_per_day_gbp": costs.get("agreed_cost_per_day_gbp"),
        "routes_with_agreed_price": costs.get("routes_with_agreed_price", 0),
    }


def against_current_out(
    current_id: int, current: Plan, plan: Plan, dataset: Dataset
) -> AgainstCurrentOut:
    """The plan's daily cost against current routes, in pounds (the finance module's figures)."""
    from maps.finance import against_current

    figures = against_current(plan, current)
    agreed = figures.current_agreed_daily_pence
    agreed_difference = figures.difference_agreed_daily_pence
    days = dataset.settings.school_days_per_year
    return AgainstCurrentOut(
        current_plan_id=current_id,
        current_cost_per_day_gbp=round(figures.current_daily_pence / 100, 2),
        current_agreed_cost_per_day_gbp=None if agreed is None else round(agreed / 100, 2),
        cost_per_day_gbp=round(figures.daily_pence / 100, 2),
        difference_per_day_gbp=round(figures.difference_daily_pence / 100, 2),
        difference_per_year_gbp=round(figures.difference_daily_pence * days / 100, 2),
        difference_against_agreed_per_day_gbp=None
        if agreed_difference is None
        else round(agreed_difference / 100, 2),
    )


def costs(
    plan_id: int,
    dataset: Dataset,
    travel: Any,
    plan: Plan,
    current: tuple[int, Plan] | None = None,
) -> dict[str, Any]:
    """Finance's view: recomputed totals, the journeys not placed priced as the finance report
    prices them (:func:`maps.finance.unplaced_costs`) and added to a total, the plan's summary
    (aggregates only), and, with ``current`` (its plan id and plan), the plan's cost against
    those current routes."""
    from maps.finance import unplaced_costs
    from optimiser.validate.validator import plan_costs

    figures = plan_costs(dataset, travel, plan)
    unplaced_pence = sum(u.cost_pence for u in unplaced_costs(plan, dataset, travel))
    days = figures["school_days_per_year"]
    including = round(figures["cost_per_day_gbp"] + unplaced_pence / 100, 2)
    return {
        "against_current": None
        if current is None
        else against_current_out(current[0], current[1], plan, dataset),
        "plan_id": plan_id,
        "routes": figures["routes"],
        "cost_per_day_gbp": figures["cost_per_day_gbp"],
        "cost_per_year_gbp": figures["cost_per_year_gbp"],
        "school_days_per_year": figures["school_days_per_year"],
        "km_per_day": figures["km_per_day"],
        "co2_kg_per_day": figures["co2_kg_per_day"],
        "vehicles": figures["vehicles"],
        "pupils_carried": figures["pupils_carried"],
        "unplaced_journeys": len(plan.unassigned),
        "unplaced_cost_per_day_gbp": round(unplaced_pence / 100, 2),
        "cost_including_unplaced_per_day_gbp": including,
        "cost_including_unplaced_per_year_gbp": round(including * days, 2),
        "by_operator": figures["by_operator"],
        "by_vehicle_type": figures["by_vehicle_type"],
        "summary": _aggregates(plan.summary),
    }


def _aggregates(summary: dict[str, Any]) -> dict[str, Any]:
    """Numbers and number tables only: nothing in a summary that could name a pupil."""
    out: dict[str, Any] = {}
    for key, value in summary.items():
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float):
            out[key] = value
        elif isinstance(value, dict) and all(isinstance(v, int | float) for v in value.values()):
            out[key] = value
    return out


def operator_routes(plan: Plan, dataset: Dataset, operator: str) -> list[OperatorRouteOut]:
    """One operator's routes with exactly the fields of its route sheets."""
    from maps.sheets import operator_sheets

    # The API schema has exactly the sheet's fields, so the sheet converts field for field.
    return [
        OperatorRouteOut.model_validate(asdict(sheet))
        for sheet in operator_sheets(plan, dataset, operator)
    ]


def compare(a_id: int, b_id: int, plan_a: Plan, plan_b: Plan, dataset: Dataset) -> CompareOut:
    """Two plans of one dataset compared by the finance module's rules."""
    from maps.finance import compare_plans

    result = compare_plans(plan_a, plan_b, dataset)
    return CompareOut(
        plan_a=a_id,
        plan_b=b_id,
        rows=[CompareRow(measure=m, a=x, b=y, change=d) for m, x, y, d in result.rows()],
        changed_routes={k: list(v) for k, v in result.changed.items()},
        added_routes=list(result.added),
        removed_routes=list(result.removed),
        unchanged_routes=len(result.unchanged),
        pupils_moved=result.pupils_moved,
        pupils=result.by_pupil.pupils,
        pupils_affected=result.by_pupil.pupils_affected,
        journeys=result.by_pupil.journeys,
        journeys_changed=len(result.by_pupil.changes),
        changes_by_kind=dict(result.by_pupil.by_kind),
    )
