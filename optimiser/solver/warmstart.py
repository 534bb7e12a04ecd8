"""A quick first plan from VROOM (pyvroom), as a starting point for the OR-Tools search.

VROOM builds good routes for time windows, capacities and pickup–delivery pairs in a second or two,
where OR-Tools' own construction heuristics start far from good. It cannot express every rule of a
:class:`~optimiser.routing.problem.Problem` (ride-time limits, solo travel, never-together,
same-vehicle, consecutive stops, vehicle-use limits), so its plan is only a *start*: the solver
loads it into the full model, and if the model rejects it the search starts from scratch as usual.

Optional: needs ``pyvroom`` (the ``bench`` extra). Solver node indices never appear here; a plan
is, per vehicle, the list of ``(request index, "pickup" | "dropoff")`` it serves in order.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from optimiser.routing.problem import Problem

Plan = list[list[tuple[int, str]]]

_MAX_COST = 2**31 - 1


def vroom_plan(problem: Problem, *, timeout_s: float, exploration_level: int = 5) -> Plan | None:
    """VROOM's plan for ``problem``; None if pyvroom is missing or the problem is out of reach."""
    try:
        import vroom
    except ImportError:
        return None
    if problem.time_s.max(initial=0) > _MAX_COST or problem.distance_m.max(initial=0) > _MAX_COST:
        return None
    vi = vroom.Input()
    vi.set_durations_matrix("car", problem.time_s.astype(np.uint32))
    vi.set_costs_matrix("car", problem.distance_m.astype(np.uint32))
    skills = _skills(problem)
    for k, v in enumerate(problem.vehicles):
        fixed = min(_MAX_COST, v.fixed_cost // max(1, v.cost_per_m))  # in metres of travel
        vi.add_vehicle(
            vroom.Vehicle(
                k,
                start=v.start_row,
                end=v.end_row,
                capacity=vroom.Amount([int(v.capacity.get(d, 0)) for d in problem.dimensions]),
                skills={s for s, members in skills.items() if k in members} or None,
                time_window=vroom.TimeWindow(v.earliest_start_s, v.latest_end_s),
                costs=vroom.VehicleCosts(fixed=int(fixed)),
            )
        )
    set_of = {members: s for s, members in skills.items()}
    for i, r in enumerate(problem.requests):
        amount = vroom.Amount([int(r.load.get(d, 0)) for d in problem.dimensions])
        need = {set_of[frozenset(r.allowed_vehicles)]} if r.allowed_vehicles is not None else None
        d = r.dropoff
        if d is None:
            continue
        if r.pickup is None:
            vi.add_job(
                vroom.Job(
                    i,
                    d.row,
                    default_service=d.service_s,
                    delivery=amount,
                    skills=need,
                    time_windows=[vroom.TimeWindow(d.earliest_s, d.latest_s)],
                )
            )
        else:
            p = r.pickup
            vi.add_shipment(
                vroom.ShipmentStep(
                    i,
                    p.row,
                    default_service=p.service_s,
                    time_windows=[vroom.TimeWindow(p.earliest_s, p.latest_s)],
                ),
                vroom.ShipmentStep(
                    i,
                    d.row,
                    default_service=d.service_s,
                    time_windows=[vroom.TimeWindow(d.earliest_s, d.latest_s)],
                ),
                amount=amount,
                skills=need,
            )
    try:
        solution = vi.solve(
            exploration_level=exploration_level,
            nb_threads=1,
            timeout=timedelta(seconds=max(0.1, timeout_s)),
        )
    except Exception:  # a start is optional: any VROOM refusal means "no start"
        return None
    routes = solution.routes
    kinds = {"job": "dropoff", "pickup": "pickup", "delivery": "dropoff"}
    steps = routes[routes["type"].isin(list(kinds))]
    plan: Plan = [[] for _ in problem.vehicles]
    for row in steps.itertuples(index=False):
        plan[int(row.vehicle_id)].append((int(row.id), kinds[row.type]))
    return plan


def _skills(problem: Problem) -> dict[int, frozenset[int]]:
    """One skill per distinct allowed-vehicle set; a vehicle has the skills of the sets it is in."""
    sets = sorted(
        {frozenset(r.allowed_vehicles) for r in problem.requests if r.allowed_vehicles is not None},
        key=sorted,
    )
    return {s + 1: members for s, members in enumerate(sets)}
