"""The afternoon started from the morning: each morning route's pupils home on one vehicle.

For children with autism or anxiety the same driver, passenger assistant and fellow passengers
both ways matter as much as the time on board. A morning route's pupils cannot simply be driven
home backwards: afternoon bells do not mirror morning ones (a vehicle that takes one pupil to a
special school for 09:00 and then fetches another for a school at 09:15 cannot, in the afternoon,
take the first home and be back at the second school before its pupils wait too long), so on the
sample only about a quarter of morning routes driven backwards fit the afternoon. Here each
morning route's pupils are given, as a small problem of their own, to one afternoon vehicle of
the same fleet row and assistant: the route it finds carries as many of them as the afternoon's
windows and ride limits allow (on the sample, 387 of 459 pupils), and those it cannot carry are
left to the afternoon's search. That vehicle is each of the group's pupils' *twin* vehicle: the
search pays the settings' price per change for every pupil it takes home on another
(:func:`optimiser.routing.continuity.priced_twins`).
"""

from __future__ import annotations

from collections import defaultdict

from optimiser.routing.continuity import route_groups
from optimiser.routing.from_dataset import SessionModel, VehicleSlot
from optimiser.routing.problem import Solution
from optimiser.routing.subproblem import extract
from optimiser.solver.model import InitialPlan
from optimiser.solver.params import SearchParameters
from optimiser.solver.solve import solve

#: The construction heuristics tried on each morning group; the route keeping most pupils (then
#: the cheapest) is taken. Each try takes milliseconds: a group is a handful of requests.
GROUP_HEURISTICS = ("PARALLEL_CHEAPEST_INSERTION", "LOCAL_CHEAPEST_INSERTION", "SAVINGS")
#: The heuristic of each try at adding a request no group kept to a start route (there are
#: many tries: every route calling at the request's school; all three took 42 s on the sample).
ABSORB_HEURISTICS = ("PARALLEL_CHEAPEST_INSERTION",)


def afternoon_from_morning(
    am: SessionModel, am_solution: Solution, pm: SessionModel
) -> tuple[InitialPlan, dict[str, int]]:
    """A start plan of ``pm`` keeping each morning route's pupils together, and each pupil's
    twin vehicle.

    Returns the start plan (for each afternoon vehicle, its visits as (request, kind)) and, for
    every pupil of a morning route who also travels in the afternoon, the afternoon vehicle given
    to that route. A morning route whose fleet row has no afternoon vehicle left gets none, and
    its pupils no twin.
    """
    pm_request = {p: i for i, pupils in enumerate(pm.request_pupils) for p in pupils}
    free: dict[VehicleSlot, list[int]] = defaultdict(list)
    for v, slot in enumerate(pm.slots):
        free[slot].append(v)
    limits = [limit for _, limit in pm.problem.vehicle_limits]
    plan: InitialPlan = [[] for _ in pm.slots]
    twin: dict[str, int] = {}
    placed: set[int] = set()
    cost: dict[int, int] = {}
    routes = sorted(am_solution.routes, key=lambda r: r.vehicle)
    groups = route_groups(am, Solution(routes, [], 0))
    for route, pupils in zip(routes, groups, strict=True):
        requests = _unplaced_groups(pm, {pm_request[p] for p in pupils if p in pm_request}, placed)
        vehicles = free[am.slots[route.vehicle]]
        if not requests or not vehicles:
            continue
        vehicle = vehicles.pop(0)
        twin.update({p: vehicle for p in pupils if p in pm_request})
        _, cost[vehicle], visits = _group_route(pm, requests, vehicle, limits)
        plan[vehicle] = [(r, kind) for r, kind in visits if r not in placed]
        placed |= {r for r, _ in plan[vehicle]}
    left = sorted({pm_request[p] for p in twin} - placed)
    _absorb(pm, plan, cost, left, limits)
    return plan, twin


def _unplaced_groups(pm: SessionModel, requests: set[int], placed: set[int]) -> list[int]:
    """``requests`` less those placed already and less every one whose same-vehicle group (siblings
    travelling together) has a member placed: the small problem of a route draws in a request's
    whole group, and a group split across two start routes breaks the rule that siblings are set
    down one straight after the other, so that the whole start failed to load (seen on the
    sample, where a morning plan carried two siblings on two routes)."""
    taken = set(placed)
    for group in pm.problem.same_vehicle:
        if taken.intersection(group):
            taken.update(group)
    return sorted(requests - taken)


def _absorb(
    pm: SessionModel, plan: InitialPlan, cost: dict[int, int], left: list[int], limits: list[int]
) -> None:
    """Put each request no morning group could keep onto the start route, among those calling
    at its school, where it adds least (each try a small problem of that route and it, as for
    the groups), so that it does not need a vehicle of its own. Requests that fit nowhere are
    left for the completion (:attr:`~optimiser.solver.params.SearchParameters.complete_start`).
    On the sample, 88 requests were otherwise placed on about 25 vehicles of their own."""
    site = {i: r.visits[0].site for i, r in enumerate(pm.problem.requests)}
    for request in left:
        best: tuple[int, int, list[tuple[int, str]]] | None = None
        for vehicle, visits in enumerate(plan):
            if not visits or all(site[r] != site[request] for r, _ in visits):
                continue
            held = sorted({r for r, _ in visits} | {request})
            dropped, total, route = _group_route(pm, held, vehicle, limits, ABSORB_HEURISTICS)
            whole = dropped == 0 and {r for r, _ in route} == set(held)  # no sibling drawn in
            if whole and (best is None or total - cost[vehicle] < best[0]):
                best = (total - cost[vehicle], vehicle, route)
        if best is not None:
            _, vehicle, plan[vehicle] = best
            cost[vehicle] += best[0]


def _group_route(
    pm: SessionModel,
    requests: list[int],
    vehicle: int,
    limits: list[int],
    heuristics: tuple[str, ...] = GROUP_HEURISTICS,
) -> tuple[int, int, list[tuple[int, str]]]:
    """The route of ``vehicle`` that carries the most of ``requests`` (then at the least cost),
    built by each of ``heuristics`` on a problem of just those: how many it leaves out, its
    cost, and its visits."""
    sub = extract(pm.problem, requests, [vehicle], limits)
    best: tuple[int, int, list[tuple[int, str]]] | None = None
    for heuristic in heuristics:
        params = SearchParameters(time_limit_s=1.0, solution_limit=1, first_solution=heuristic)
        found = solve(sub.problem, params)
        routes, dropped = sub.to_global(found)
        visits = [(v.request, str(v.kind)) for r in routes for v in r.visits]
        key = (len(dropped), found.objective)
        if best is None or key < best[:2]:
            best = (*key, visits)
    return best if best is not None else (len(requests), 0, [])
