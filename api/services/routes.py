"""One route of a plan, and a pupil found in a plan: what each role may read of them.

Officers read any route, with each pupil's full name and needs, and search a plan's pupils by id
or name. An operator reads only its own routes, with exactly the fields of its route sheets
(first name and initial, reference, address and contact at the home stop, wheelchair, notes).
Finance reads no route. Every read is audited.
"""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy.orm import Session

from api import audit, plans
from api.auth import Principal, Role
from api.refusals import Forbidden, NotFound
from api.schemas import PupilMatchOut, RouteDetailOut, RouteLineOut
from api.service import Service
from optimiser.domain.entities import Dataset
from optimiser.plan.document import Route

#: The longest search text accepted (a name fragment or a pupil id).
MAX_QUERY = 80


def _detail(route: Route, dataset: Dataset, officer: bool) -> RouteDetailOut:
    from maps.lookup import needs_of
    from maps.sheets import route_sheet

    sheet = asdict(route_sheet(route, dataset))
    lines = []
    for line in sheet.pop("lines"):
        pupil = dataset.find_pupil(line["ref"]) if officer else None
        extra = {"name": pupil.name, "needs": list(needs_of(pupil))} if pupil else {}
        lines.append(RouteLineOut.model_validate(line | extra))
    return RouteDetailOut.model_validate(
        sheet
        | {
            "lines": lines,
            "twin_route_id": route.twin_route_id,
            "distance_km": route.distance_km if officer else None,
            "duration_min": route.duration_min,
        }
    )


def route(
    service: Service, db: Session, plan_id: int, who: Principal, route_id: str
) -> RouteDetailOut:
    """One route of a plan with its stops (audited).

    Raises
    ------
    Forbidden
        For finance.
    NotFound
        If the plan has no such route, or it is another operator's.
    """
    if who.role is Role.FINANCE:
        raise Forbidden("finance sees costs, not routes")
    row = plans.get_row_for(db, plan_id, who)
    found = next((r for r in plans.plan_of(row).routes if r.route_id == route_id), None)
    if found is None or (who.role is Role.OPERATOR and found.operator != who.operator):
        raise NotFound(f"no route {route_id} in plan {plan_id}")
    dataset = service.dataset(db, row.dataset_id)
    audit.record(db, who, "plan.route", f"plan/{plan_id}", detail=f"route {route_id}")
    db.commit()
    return _detail(found, dataset, officer=who.role is Role.OFFICER)


def find_pupils(
    service: Service, db: Session, plan_id: int, who: Principal, query: str
) -> list[PupilMatchOut]:
    """Pupils of a plan's dataset whose id or name holds ``query``, each with every journey the
    plan gives them: route, vehicle, operator and times (officers only; audited).

    Raises
    ------
    Forbidden
        For anyone but an officer.
    """
    from maps.lookup import find_pupils as search

    if who.role is not Role.OFFICER:
        raise Forbidden("only transport officers search for pupils")
    row = plans.get_row_for(db, plan_id, who)
    dataset = service.dataset(db, row.dataset_id)
    found = search(plans.plan_of(row), dataset, query[:MAX_QUERY])
    # the search text may be a name: the log says how many were found, not what was asked
    audit.record(db, who, "plan.search", f"plan/{plan_id}", detail=f"{len(found)} pupils found")
    db.commit()
    return [PupilMatchOut.model_validate(asdict(m)) for m in found]
