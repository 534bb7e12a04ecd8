"""Stored plans: read, store an uploaded one, check one, compare two, and what each role may see.

These functions work inside the caller's transaction; :mod:`api.services.plans` commits and audits.

Every check and figure comes from the same code the command line uses: the validator
(:mod:`optimiser.validate.validator`), the sheets and finance report (:mod:`maps`).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import Principal, Role
from api.datasets import get_row
from api.db import PlanRow
from api.refusals import NotFound
from api.schemas import CompareOut, CompareRow, OperatorRouteOut, PlanOut
from optimiser.domain.entities import Dataset
from optimiser.plan.document import Plan, plan_from_json


def get_row_for(db: Session, plan_id: int, who: Principal) -> PlanRow:
    """A plan the caller may know of: an operator only those with its routes (else 404)."""
    row = db.get(PlanRow, plan_id)
    if row is None or (who.role is Role.OPERATOR and who.operator not in (row.operators or [])):
        raise NotFound(f"no plan {plan_id}")
    return row


def list_rows(db: Session, who: Principal, dataset_id: int | None = None) -> list[PlanRow]:
    query = select(PlanRow).order_by(PlanRow.id)
    if dataset_id is not None:
        query = query.where(PlanRow.dataset_id == dataset_id)
    rows = list(db.scalars(query))
    if who.role is Role.OPERATOR:
        rows = [r for r in rows if who.operator in (r.operators or [])]
    return rows


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
    )
    if who is not None and who.role is Role.OPERATOR:
        own = [
            r
            for r in json.loads(row.plan_json).get("routes", [])
            if r.get("operator") == who.operator
        ]
        out = out.model_copy(
            update={"routes": len(own), "operators": [who.operator], "cost_per_day_gbp": None}
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
    plan: Plan, *, dataset_id: int, job_id: int | None, source: str, label: str, created_by: int
) -> PlanRow:
    """A storage row for a plan, with the columns derived from it (operators, cost, routes)."""
    return PlanRow(
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


def store_uploaded(db: Session, dataset_id: int, plan: Plan, label: str, who: Principal) -> PlanRow:
    """Store an uploaded plan for a dataset (the caller commits); unnamed, it is named after
    its dataset and the time."""
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
    )
    db.add(row)
    db.flush()
    return row


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
    }


def costs(plan_id: int, dataset: Dataset, travel: Any, plan: Plan) -> dict[str, Any]:
    """Finance's view: recomputed totals and the plan's summary (aggregates only)."""
    from optimiser.validate.validator import plan_costs

    figures = plan_costs(dataset, travel, plan)
    return {
        "plan_id": plan_id,
        "routes": figures["routes"],
        "cost_per_day_gbp": figures["cost_per_day_gbp"],
        "cost_per_year_gbp": figures["cost_per_year_gbp"],
        "school_days_per_year": figures["school_days_per_year"],
        "km_per_day": figures["km_per_day"],
        "co2_kg_per_day": figures["co2_kg_per_day"],
        "vehicles": figures["vehicles"],
        "pupils_carried": figures["pupils_carried"],
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
    )
