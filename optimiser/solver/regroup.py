"""Sibling groups put back together in a first solution, before the improving search.

Insertion heuristics add one request at a time, so they scatter a same-vehicle group over several
vehicles, and local search cannot bring it back together in one move. Here each split group is
taken out of its routes and given a spare vehicle of its own that can carry it, where that is
feasible; the model's soft same-vehicle cost then keeps it together.
"""

from __future__ import annotations

from itertools import permutations
from typing import Any

from optimiser.solver.model import _Model


def regroup(model: _Model, assignment: Any) -> Any:
    """The first solution with every split same-vehicle group moved onto a vehicle of its own.

    Parameters
    ----------
    model : _Model
        The model ``assignment`` belongs to.
    assignment : Assignment
        A solution of ``model``'s routing model.

    Returns
    -------
    Assignment or None
        A solution in which each split group rides a spare vehicle (pickups, then drop-offs by
        the end of their window, or the reverse) where one can carry it; None when no group was
        split.
    """
    problem, nodes, routing = model.problem, model.nodes, model.routing
    routes = []
    for v in range(len(problem.vehicles)):
        route, index = [], assignment.Value(routing.NextVar(routing.Start(v)))
        while not routing.IsEnd(index):
            route.append(model.manager.IndexToNode(index))
            index = assignment.Value(routing.NextVar(index))
        routes.append(route)
    vehicle_of = {n: v for v, route in enumerate(routes) for n in route}
    split = []
    for group in problem.same_vehicle:
        members = {n for i in group for n in nodes.visit_nodes(i)}
        if len({vehicle_of.get(n, -1) for n in members}) > 1:
            split.append((group, members))
    if not split:
        return None
    for _, taken in split:
        routes = [[n for n in route if n not in taken] for route in routes]
    for group, _ in split:
        _place_group(model, group, routes)
    return model.read_routes(routes)


def _place_group(model: _Model, group: tuple[int, ...], routes: list[list[int]]) -> None:
    """Give ``group`` the first spare vehicle, cheapest first, on which some order of its visits
    is feasible; ``routes`` (nodes per vehicle) changes in place."""
    problem, nodes = model.problem, model.nodes
    load = {d: sum(problem.requests[i].load.get(d, 0) for i in group) for d in problem.dimensions}
    candidates = sorted(
        (v.fixed_cost + v.cost_per_m, k)
        for k, v in enumerate(problem.vehicles)
        if not routes[k] and all(v.capacity.get(d, 0) >= n for d, n in load.items())
    )
    pickups = [n for n in (nodes.pickup[i] for i in group) if n is not None]
    drops = [n for n in (nodes.dropoff[i] for i in group) if n is not None]
    # Groups are small (siblings): try every order of pickups and of drop-offs, earliest
    # windows first.
    orders = sorted(
        ([*p, *d] for p in permutations(pickups) for d in permutations(drops)),
        key=lambda order: [(model.visit(n).latest_s, n) for n in order],
    )[:24]
    for _, vehicle in candidates[:10]:
        for order in orders:
            routes[vehicle] = order
            if model.read_routes(routes) is not None:
                return
            routes[vehicle] = []
