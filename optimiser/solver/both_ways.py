"""Morning and afternoon planned with each other in view: the same vehicle and crew both ways.

For children with autism or anxiety the same driver, passenger assistant and fellow passengers
both ways matter as much as the time on board. A morning route's pupils cannot simply be driven
home backwards: afternoon bells do not mirror morning ones (a vehicle that takes one pupil to a
special school for 09:00 and then fetches another for a school at 09:15 cannot, in the afternoon,
take the first home and be back at the second school before its pupils wait too long), so on the
sample only about a quarter of morning routes driven backwards fit the afternoon.

Each route of one session is therefore given one vehicle of the other session, of its fleet row
and assistant: the *twin* of every one of its pupils who also travels in the other session
(:func:`twin_vehicles`). The other session is then planned afresh with a price on each pupil
carried by any other vehicle (:func:`optimiser.routing.continuity.priced_twins`), so that its
construction and search keep a route's pupils together where that costs less than the price and
part them where it costs more. The planner does this in turns: the afternoon priced against the
morning, then the morning against that afternoon (``optimiser.planner._plan_both_ways``). It
then searches both sessions on from their routes, each priced on the twins the plan will link
(:func:`linked_twins`): the vehicle of the other session's route that keeps most of a route's
pupils, so that the price falls on exactly the changes the plan counts (:func:`changes`).

Measured on the sample (``benchmarks/README.md``): an afternoon built afresh under the price
keeps more pupils on their vehicle for its cost than one started from each morning route's
pupils kept together as far as the afternoon allows, and a second turn that bends the morning
too keeps more again for little more: the afternoon is the harder session to bend.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from scipy.optimize import linear_sum_assignment

from optimiser.routing.continuity import route_groups
from optimiser.routing.from_dataset import SessionModel, VehicleSlot
from optimiser.routing.problem import Solution


def twin_vehicles(
    kept: SessionModel, kept_solution: Solution, other: SessionModel
) -> dict[str, int]:
    """For every pupil of a route of ``kept_solution`` who also travels in ``other``'s session,
    the vehicle of ``other`` given to that route: one per route, of the route's fleet row and
    assistant, in the order of the kept session's vehicles. A route whose fleet row has no vehicle
    left in ``other`` gets none, and its pupils no twin."""
    in_other = {p for pupils in other.request_pupils for p in pupils}
    free: dict[VehicleSlot, list[int]] = defaultdict(list)
    for v, slot in enumerate(other.slots):
        free[slot].append(v)
    routes = sorted(kept_solution.routes, key=lambda r: r.vehicle)
    twin: dict[str, int] = {}
    for route, pupils in zip(routes, route_groups(kept, Solution(routes, [], 0)), strict=True):
        travelling = [p for p in pupils if p in in_other]
        vehicles = free[kept.slots[route.vehicle]]
        if travelling and vehicles:
            vehicle = vehicles.pop(0)
            twin.update(dict.fromkeys(travelling, vehicle))
    return twin


def _links(
    first: SessionModel, first_solution: Solution, second: SessionModel, second_solution: Solution
) -> list[tuple[int, int, set[str], set[str]]]:
    """Each route of ``first_solution`` linked to the route of ``second_solution`` that keeps the
    most pupils on one vehicle, as the plan links them
    (:func:`optimiser.plan.twins.link_twins`): within each fleet row and assistant, an assignment
    solved exactly. Each link is (first's vehicle, second's vehicle, first's pupils, second's)."""
    by_slot: dict[VehicleSlot, tuple[list[tuple[int, set[str]]], ...]] = defaultdict(
        lambda: ([], [])
    )
    for s, (model, solution) in enumerate(((first, first_solution), (second, second_solution))):
        for route, pupils in zip(solution.routes, route_groups(model, solution), strict=True):
            by_slot[model.slots[route.vehicle]][s].append((route.vehicle, set(pupils)))
    links = []
    for ones, twos in by_slot.values():
        if ones and twos:
            shared = np.array([[len(o[1] & t[1]) for t in twos] for o in ones], dtype=np.int64)
            rows, cols = linear_sum_assignment(shared, maximize=True)
            for r, c in zip(rows, cols, strict=True):
                (one, one_pupils), (two, two_pupils) = ones[r], twos[c]
                links.append((one, two, one_pupils, two_pupils))
    return links


def changes(
    am: SessionModel, am_solution: Solution, pm: SessionModel, pm_solution: Solution
) -> int:
    """How many pupils carried both ways ride two vehicles, counted as the plan counts them: each
    morning route linked to one afternoon route (:func:`_links`)."""
    morning: set[str] = set().union(*route_groups(am, am_solution))
    afternoon: set[str] = set().union(*route_groups(pm, pm_solution))
    kept = sum(len(one & two) for _, _, one, two in _links(am, am_solution, pm, pm_solution))
    return len(morning & afternoon) - kept


def linked_twins(
    kept: SessionModel, kept_solution: Solution, other: SessionModel, other_solution: Solution
) -> dict[str, int]:
    """For every pupil of a route of ``kept_solution`` who also travels in ``other``'s session,
    the vehicle of the route of ``other_solution`` linked to that route (:func:`_links`), or for
    a route linked to none, a vehicle of its fleet row and assistant that ``other_solution``
    leaves unused, while there is one. Priced on these twins, ``other``'s objective counts the
    changes the plan will count while the links hold (siblings of two routes aside), where
    :func:`twin_vehicles`, one vehicle given to each route in turn, counts more."""
    in_other = {p for pupils in other.request_pupils for p in pupils}
    twin: dict[str, int] = {}
    linked = set()
    for vehicle, other_vehicle, pupils, _ in _links(kept, kept_solution, other, other_solution):
        linked.add(vehicle)
        twin.update(dict.fromkeys(pupils & in_other, other_vehicle))
    used = {route.vehicle for route in other_solution.routes}
    free: dict[VehicleSlot, list[int]] = defaultdict(list)
    for v, slot in enumerate(other.slots):
        if v not in used:
            free[slot].append(v)
    for route, group in zip(kept_solution.routes, route_groups(kept, kept_solution), strict=True):
        spare = free[kept.slots[route.vehicle]]
        if route.vehicle not in linked and spare:
            twin.update(dict.fromkeys(set(group) & in_other, spare.pop(0)))
    return twin
