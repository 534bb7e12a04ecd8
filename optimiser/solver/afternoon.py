"""The afternoon planned with the morning in view: each morning route's pupils given one
afternoon vehicle, their *twin*.

For children with autism or anxiety the same driver, passenger assistant and fellow passengers
both ways matter as much as the time on board. A morning route's pupils cannot simply be driven
home backwards: afternoon bells do not mirror morning ones (a vehicle that takes one pupil to a
special school for 09:00 and then fetches another for a school at 09:15 cannot, in the afternoon,
take the first home and be back at the second school before its pupils wait too long), so on the
sample only about a quarter of morning routes driven backwards fit the afternoon. Each morning
route is therefore given one afternoon vehicle of its fleet row and assistant, the twin of every
one of its pupils who also travels in the afternoon; the afternoon is then planned afresh with a
price on each pupil taken home on any other vehicle
(:func:`optimiser.routing.continuity.priced_twins`), so that the construction and the search
keep a morning's pupils together where that costs less than the price and part them where it
costs more.

Measured on the sample (``benchmarks/README.md``): an afternoon built afresh under the price
keeps more pupils on their vehicle for its cost than one started from each morning route's
pupils kept together as far as the afternoon allows (the groups' leftovers took vehicles of
their own that no search gave back).
"""

from __future__ import annotations

from collections import defaultdict

from optimiser.routing.continuity import route_groups
from optimiser.routing.from_dataset import SessionModel, VehicleSlot
from optimiser.routing.problem import Solution


def twin_vehicles(am: SessionModel, am_solution: Solution, pm: SessionModel) -> dict[str, int]:
    """For every pupil of a morning route who also travels in the afternoon, the afternoon
    vehicle given to that route: one per route, of the route's fleet row and assistant, in the
    order of the morning's vehicles. A morning route whose fleet row has no afternoon vehicle
    left gets none, and its pupils no twin."""
    in_pm = {p for pupils in pm.request_pupils for p in pupils}
    free: dict[VehicleSlot, list[int]] = defaultdict(list)
    for v, slot in enumerate(pm.slots):
        free[slot].append(v)
    routes = sorted(am_solution.routes, key=lambda r: r.vehicle)
    twin: dict[str, int] = {}
    for route, pupils in zip(routes, route_groups(am, Solution(routes, [], 0)), strict=True):
        going_home = [p for p in pupils if p in in_pm]
        vehicles = free[am.slots[route.vehicle]]
        if going_home and vehicles:
            vehicle = vehicles.pop(0)
            twin.update(dict.fromkeys(going_home, vehicle))
    return twin
