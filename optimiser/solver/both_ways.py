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
morning, then the morning against that afternoon (``optimiser.planner._plan_both_ways``).

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


def changes(
    am: SessionModel, am_solution: Solution, pm: SessionModel, pm_solution: Solution
) -> int:
    """How many pupils carried both ways ride two vehicles, counted as the plan counts them
    (:func:`optimiser.plan.twins.link_twins`): within each fleet row and assistant, each morning
    route linked to the afternoon route that keeps the most pupils on one vehicle, an assignment
    solved exactly."""
    by_slot: dict[VehicleSlot, tuple[list[set[str]], list[set[str]]]] = defaultdict(
        lambda: ([], [])
    )
    carried: list[set[str]] = [set(), set()]
    for s, (model, solution) in enumerate(((am, am_solution), (pm, pm_solution))):
        for route, pupils in zip(solution.routes, route_groups(model, solution), strict=True):
            by_slot[model.slots[route.vehicle]][s].append(set(pupils))
            carried[s].update(pupils)
    kept = 0
    for morning, afternoon in by_slot.values():
        if morning and afternoon:
            shared = np.array([[len(a & p) for p in afternoon] for a in morning], dtype=np.int64)
            rows, cols = linear_sum_assignment(shared, maximize=True)
            kept += int(shared[rows, cols].sum())
    return len(carried[0] & carried[1]) - kept
