"""Plan mode: check any plan against every rule and list what it breaks, by cause.

Separate from optimising: the plan may come from the solver, from a council's current routes or from
a hand-edited file. Every time, load, distance and cost is recomputed from the dataset and its
:class:`~optimiser.roads.travel.TravelData`; what the plan states is only compared, never trusted.
Each route is checked on its own (:mod:`optimiser.validate.route_checks`, and
:mod:`optimiser.validate.legs` for legs faster than a vehicle can drive), then the rules that span
routes: coverage (with the journeys left out, :mod:`optimiser.validate.coverage`), groups, fleet
counts, vehicles reused across routes and the plan's stated total.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from optimiser.domain.entities import Dataset, Session
from optimiser.domain.rules import route_cost_pence
from optimiser.domain.times import format_hms
from optimiser.plan.document import Plan, Route
from optimiser.plan.totals import co2_mg
from optimiser.roads.travel import TravelData
from optimiser.validate.coverage import check_unplaced
from optimiser.validate.legs import check_leg_speeds
from optimiser.validate.route_checks import (
    CAUSES,
    TIME_TOL_S,
    RouteWalk,
    Violation,
    recompute_distance_m,
    walk_route,
)

__all__ = ["CAUSES", "Violation", "plan_costs", "validate_plan", "violations_by_cause"]

SUMMARY_TOL_PENCE_PER_ROUTE = 5  # each route's cost is rounded to the penny in the file


def validate_plan(dataset: Dataset, travel: TravelData, plan: Plan) -> list[Violation]:
    """Check every rule of a plan; an empty list means the plan is valid.

    Parameters
    ----------
    dataset : Dataset
        The pupils, schools, fleet and settings the plan was made for.
    travel : TravelData
        Locations and matrices of that dataset; every time and distance is recomputed from it.
    plan : Plan
        The plan to check.

    Returns
    -------
    list of Violation
        Every violation found: route by route, then those that span routes.
    """
    out: list[Violation] = []
    walks = [walk_route(dataset, travel, route, out) for route in plan.routes]
    for route in plan.routes:
        check_leg_speeds(route, out)
    _check_coverage(dataset, plan, walks, out)
    check_unplaced(dataset, travel, plan, out)
    _check_groups(dataset, plan, walks, out)
    _check_fleet(walks, out)
    _check_vehicle_reuse(travel, walks, out)
    _check_summary(plan, out)
    return out


def violations_by_cause(violations: list[Violation]) -> dict[str, list[Violation]]:
    """Group violations by cause, in the order of :data:`CAUSES`; causes with none are left out.

    Parameters
    ----------
    violations : list of Violation
        As returned by :func:`validate_plan`.

    Returns
    -------
    dict of str to list of Violation
        Cause -> its violations, in the order found.
    """
    grouped: dict[str, list[Violation]] = {}
    for cause in CAUSES:
        found = [v for v in violations if v.cause == cause]
        if found:
            grouped[cause] = found
    return grouped


def _check_coverage(
    dataset: Dataset, plan: Plan, walks: list[RouteWalk], out: list[Violation]
) -> None:
    carried: dict[tuple[Session, str], list[str]] = defaultdict(list)
    for walk in walks:
        for pid in walk.picked:
            carried[(walk.route.session, pid)].append(walk.route.route_id)
    listed = _check_listed(dataset, plan, out)
    for session in Session:
        for pupil in dataset.pupils:
            pid = pupil.pupil_id
            routes = carried.get((session, pid), [])
            add = _adder(out, "coverage", session, pid)
            on = " and ".join(routes)
            if routes and session not in pupil.sessions:
                add(f"{pid} is carried on route {on} but does not travel in {session}")
            if len(routes) > 1:
                add(f"{pid} is carried more than once in {session}: routes {on}")
            if routes and listed.get((session, pid)):
                add(f"{pid} is carried on route {on} and also listed unassigned in {session}")
            if session in pupil.sessions and not routes and not listed.get((session, pid)):
                add(f"{pid} travels in {session} but is neither carried nor listed unassigned")


def _check_listed(
    dataset: Dataset, plan: Plan, out: list[Violation]
) -> dict[tuple[Session, str], int]:
    """Check the plan's unassigned entries; how often each (session, pupil) is listed."""
    listed: dict[tuple[Session, str], int] = defaultdict(int)
    for entry in plan.unassigned:
        pid, session = entry.pupil_id, entry.session
        add = _adder(out, "coverage", session, pid)
        pupil = dataset.find_pupil(pid)
        if pupil is None:
            add(f"unassigned entry for unknown pupil {pid} in {session}")
            continue
        listed[(session, pid)] += 1
        if not entry.reason.strip():
            add(f"{pid} is listed unassigned in {session} without a reason")
        if session not in pupil.sessions:
            add(f"{pid} is listed unassigned in {session} but does not travel in {session}")
        if listed[(session, pid)] == 2:
            add(f"{pid} is listed unassigned in {session} more than once")
    return listed


def _adder(
    out: list[Violation], cause: str, session: Session, pid: str | None = None
) -> Callable[..., None]:
    def add(message: str, route_id: str | None = None) -> None:
        out.append(Violation(cause, message, route_id, pid, str(session)))

    return add


def _check_groups(
    dataset: Dataset, plan: Plan, walks: list[RouteWalk], out: list[Violation]
) -> None:
    """A group shares one vehicle (and one stop at a shared address), unless the plan lists it as
    travelling apart, with the reason; a group listed apart must really be apart (on several
    vehicles, or at different stops of one)."""
    members: dict[tuple[Session, str], list[tuple[str, RouteWalk]]] = defaultdict(list)
    for walk in walks:
        for pid in walk.picked:
            pupil = dataset.pupil(pid)
            if pupil.group:
                members[(walk.route.session, pupil.group)].append((pid, walk))
    apart = {(g.session, g.group) for g in plan.split_groups}
    for session, group in sorted(apart - set(members)):
        _adder(out, "group", session)(
            f"group {group} is listed as travelling apart in {session} but none of it is carried"
        )
    for (session, group), carried in members.items():
        add = _adder(out, "group", session)
        by_vehicle: dict[str, list[str]] = defaultdict(list)
        for pid, walk in carried:
            by_vehicle[walk.route.vehicle_id].append(pid)
        if (session, group) in apart:
            # Apart: on more than one vehicle, or on one but boarding at different stops.
            travelling = sum(p.group == group and session in p.sessions for p in dataset.pupils)
            if len(by_vehicle) == 1 and len(carried) == travelling:
                stops: list[str] = []
                _check_group_stops(dataset, session, group, carried, stops.append)
                if not stops:
                    add(
                        f"group {group} is listed as travelling apart in {session} but shares"
                        " a vehicle"
                    )
            continue
        if len(by_vehicle) > 1:
            parts = "; ".join(f"{v}: {', '.join(p)}" for v, p in by_vehicle.items())
            add(f"group {group} is split across vehicles in {session} ({parts})")
        _check_group_stops(dataset, session, group, carried, add)


def _check_group_stops(
    dataset: Dataset,
    session: Session,
    group: str,
    carried: list[tuple[str, RouteWalk]],
    add: Callable[..., None],
) -> None:
    """Members of a group at one address are picked up (AM) or set down (PM) at one stop."""
    by_address: dict[tuple[float, float], list[tuple[str, RouteWalk]]] = defaultdict(list)
    for pid, walk in carried:
        place = dataset.pupil(pid).address(session)
        by_address[(round(place.lat, 6), round(place.lon, 6))].append((pid, walk))
    verb = "picked up" if session is Session.AM else "set down"
    for at_home in by_address.values():
        visits = {}
        for pid, walk in at_home:
            index = walk.picked[pid] if session is Session.AM else walk.dropped.get(pid)
            if index is not None:
                visits[pid] = (walk.route.route_id, walk.visit_of(index))
        if len(set(visits.values())) > 1:
            where = ", ".join(f"{p} at route {r} stop {i + 1}" for p, (r, i) in visits.items())
            add(f"group {group} shares an address but is {verb} at different stops: {where}")


def _check_fleet(walks: list[RouteWalk], out: list[Violation]) -> None:
    for session in Session:
        add = _adder(out, "fleet_count", session)
        vehicles: dict[str, set[str]] = defaultdict(set)
        rows_of_vehicle: dict[str, set[str]] = defaultdict(set)
        fleet = {}
        for walk in walks:
            if walk.route.session is not session or walk.fleet is None:
                continue
            vehicles[walk.fleet.key].add(walk.route.vehicle_id)
            rows_of_vehicle[walk.route.vehicle_id].add(walk.fleet.key)
            fleet[walk.fleet.key] = walk.fleet
        for key, ids in vehicles.items():
            count = fleet[key].count
            if len(ids) > count:
                names = ", ".join(sorted(ids))
                add(f"{session} uses {len(ids)} vehicles of {key} ({names}); the fleet has {count}")
        for vehicle_id, keys in rows_of_vehicle.items():
            if len(keys) > 1:
                add(f"vehicle {vehicle_id} is used as {' and '.join(sorted(keys))} in {session}")


def _check_vehicle_reuse(travel: TravelData, walks: list[RouteWalk], out: list[Violation]) -> None:
    # (start_s, end_s, walk) of each timed route, by session and vehicle
    runs: dict[tuple[Session, str], list[tuple[int, int, RouteWalk]]] = defaultdict(list)
    for walk in walks:
        r = walk.route
        if r.stops and r.start_s is not None and r.end_s is not None:
            runs[(r.session, r.vehicle_id)].append((r.start_s, r.end_s, walk))
    for (session, vehicle_id), timed in runs.items():
        add = _adder(out, "vehicle_overlap", session)
        timed.sort(key=lambda t: t[0])
        used = [walk for _, _, walk in timed]
        for i, a in enumerate(used):
            a_end = timed[i][1]
            for b_start, _, b in timed[i + 1 :]:
                ra, rb = a.route, b.route
                if b_start < a_end:
                    add(
                        f"vehicle {vehicle_id} runs route {ra.route_id} until"
                        f" {format_hms(ra.end_s)} and route {rb.route_id} from"
                        f" {format_hms(rb.start_s)} in {session}",
                        rb.route_id,
                    )
            if i + 1 == len(used):
                continue
            b_start, b = timed[i + 1][0], used[i + 1]
            ra, rb = a.route, b.route
            end, start = a.rows[-1], b.rows[0]
            if b_start < a_end or end is None or start is None:
                continue
            drive = int(travel.times(session)[end, start])
            if b_start + TIME_TOL_S < a_end + drive:
                add(
                    f"vehicle {vehicle_id} ends route {ra.route_id} at {format_hms(ra.end_s)} and"
                    f" cannot reach the start of route {rb.route_id} by {format_hms(rb.start_s)}"
                    f" (drive {drive} s)",
                    rb.route_id,
                )


def _check_summary(plan: Plan, out: list[Violation]) -> None:
    stated = plan.summary.get("cost_per_day")
    if stated is None:
        return
    if isinstance(stated, bool) or not isinstance(stated, int | float):
        out.append(Violation("format", f"summary cost_per_day '{stated}' is not a number"))
        return
    total = sum(r.cost_pence for r in plan.routes)
    if abs(stated * 100 - total) > SUMMARY_TOL_PENCE_PER_ROUTE * max(1, len(plan.routes)):
        msg = f"summary cost_per_day £{stated:.2f} is not the sum of route costs £{total / 100:.2f}"
        out.append(Violation("cost", msg))


@dataclass
class _Bucket:
    """Running totals of some routes, in integer units until :meth:`to_json`."""

    routes: int = 0
    cost_pence: int = 0
    distance_m: int = 0
    co2_mg: int = 0
    vehicles: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def add(self, route: Route, cost_pence: int, distance_m: int, emitted_mg: int) -> None:
        self.routes += 1
        self.cost_pence += cost_pence
        self.distance_m += distance_m
        self.co2_mg += emitted_mg
        self.vehicles[str(route.session)].add(route.vehicle_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "routes": self.routes,
            "cost_per_day_pence": self.cost_pence,
            "km": round(self.distance_m / 1000, 2),
            "co2_kg": round(self.co2_mg / 1_000_000, 2),
            "vehicles": {s: len(v) for s, v in sorted(self.vehicles.items())},
        }


def plan_costs(dataset: Dataset, travel: TravelData, plan: Plan) -> dict[str, Any]:
    """Recomputed daily and yearly totals of a plan, for finance.

    Distances come from the matrices and costs from the contract rule; a route whose fleet row or
    stop places are unknown is counted at what it states and listed in ``unpriced_routes``.

    Parameters
    ----------
    dataset : Dataset
        The dataset the plan was made for.
    travel : TravelData
        Its locations and matrices.
    plan : Plan
        The plan to price.

    Returns
    -------
    dict
        ``cost_per_day_pence``, ``cost_per_year_pence`` (x ``school_days_per_year``), the same in
        pounds (``*_gbp``), ``km_per_day``, ``co2_kg_per_day``, ``vehicles`` (distinct vehicles
        per session), ``pupils_carried`` per session, ``unpriced_routes``, and ``by_operator`` and
        ``by_vehicle_type`` buckets with ``routes``, ``cost_per_day_pence``, ``km``, ``co2_kg`` and
        ``vehicles`` per session. When any route states the price the council agreed for it
        (``agreed_cost``, current routes), ``agreed_cost_per_day_pence`` (and per year, and in
        pounds) counts those routes at that price and the others at the contract rule, and
        ``routes_with_agreed_price`` says how many routes have one; both are absent otherwise.
    """
    total = _Bucket()
    by_operator: dict[str, _Bucket] = defaultdict(_Bucket)
    by_type: dict[str, _Bucket] = defaultdict(_Bucket)
    carried: dict[str, set[str]] = {str(s): set() for s in Session}
    unpriced = []
    agreed, with_agreed = 0, 0
    for route in plan.routes:
        walk = walk_route(dataset, travel, route, [])
        metres = recompute_distance_m(travel, walk.rows)
        if walk.fleet is None or metres is None:
            unpriced.append(route.route_id)
            metres = metres if metres is not None else int(round(route.distance_km * 1000))
            cost = route.cost_pence
        else:
            cost = route_cost_pence(walk.fleet, metres, route.passenger_assistant, dataset)
        if route.agreed_cost_pence is not None:
            with_agreed += 1
        agreed += cost if route.agreed_cost_pence is None else route.agreed_cost_pence
        emitted = co2_mg(walk.fleet, metres) if walk.fleet else 0
        carried[str(route.session)].update(walk.picked)
        for bucket in (total, by_operator[route.operator], by_type[route.vehicle_type]):
            bucket.add(route, cost, metres, emitted)
    days = dataset.settings.school_days_per_year
    per_day = total.cost_pence
    totals = total.to_json()
    out: dict[str, Any] = {
        "routes": total.routes,
        "cost_per_day_pence": per_day,
        "cost_per_year_pence": per_day * days,
        "cost_per_day_gbp": round(per_day / 100, 2),
        "cost_per_year_gbp": round(per_day * days / 100, 2),
        "school_days_per_year": days,
        "km_per_day": totals["km"],
        "co2_kg_per_day": totals["co2_kg"],
        "vehicles": totals["vehicles"],
        "pupils_carried": {s: len(p) for s, p in carried.items()},
        "unpriced_routes": unpriced,
        "by_operator": {k: b.to_json() for k, b in sorted(by_operator.items())},
        "by_vehicle_type": {k: b.to_json() for k, b in sorted(by_type.items())},
    }
    if with_agreed:
        out["routes_with_agreed_price"] = with_agreed
        out["agreed_cost_per_day_pence"] = agreed
        out["agreed_cost_per_year_pence"] = agreed * days
        out["agreed_cost_per_day_gbp"] = round(agreed / 100, 2)
        out["agreed_cost_per_year_gbp"] = round(agreed * days / 100, 2)
    return out
