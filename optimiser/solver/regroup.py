"""Sibling groups put back together in a first solution, before the improving search.

Insertion heuristics add one request at a time, so they scatter a same-vehicle group over several
vehicles, and local search cannot bring it back together in one move. Here each split group is
taken out of its routes and given a spare vehicle of its own that can carry it, where that is
feasible; the model's soft same-vehicle cost then keeps it together.
"""

from __future__ import annotations

import dataclasses
from itertools import permutations
from typing import Any

from optimiser.routing.problem import Problem, Vehicle
from optimiser.solver.model import _Model, fits_alone


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
    placer = _Placer(model, routes)
    for group, _ in split:
        placer.place(group)
    return model.read_routes([[model.index(n) for n in route] for route in routes])


class _Placer:
    """Puts split groups on spare vehicles of a first solution's ``routes`` (nodes per vehicle,
    changed in place), within every fleet row's limit.

    Each try is checked on its own vehicle (:func:`~optimiser.solver.model.fits_alone`), not by
    loading the whole plan into the model: at 600 vehicles a load took 0.27 s, and trying 24
    orders on 10 vehicles for each of 8 split groups took 98 s of a 13 s budget. Vehicles alike
    in all but their name are tried once.
    """

    def __init__(self, model: _Model, routes: list[list[int]]) -> None:
        self.model, self.routes = model, routes
        problem = model.problem
        self.rows = [(set(members), limit) for members, limit in problem.vehicle_limits]
        self.tried: dict[tuple, list[int] | None] = {}

    def _room(self, vehicle: int) -> bool:
        """Whether every fleet row ``vehicle`` belongs to has a vehicle to spare."""
        for members, limit in self.rows:
            if vehicle in members:
                used = sum(1 for v in members if self.routes[v])
                if used >= limit:
                    return False
        return True

    def place(self, group: tuple[int, ...]) -> None:
        """Give ``group`` the first spare vehicle, cheapest first, on which some order of its
        visits is feasible."""
        model, routes = self.model, self.routes
        problem, nodes = model.problem, model.nodes
        load = {
            d: sum(problem.requests[i].load.get(d, 0) for i in group) for d in problem.dimensions
        }
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
        looked = 0
        for _, vehicle in candidates:
            if looked == 10:
                break
            if not self._room(vehicle):
                continue
            looked += 1
            alike = (_kind(problem.vehicles[vehicle]), group)
            if not _may_carry(problem, vehicle, group):
                continue
            if alike not in self.tried:
                self.tried[alike] = next(
                    (
                        order
                        for order in orders
                        if fits_alone(problem, vehicle, [nodes.request_of(n) for n in order])
                    ),
                    None,
                )
            order = self.tried[alike]
            if order is not None:
                routes[vehicle] = order
                return


MAX_ORDERS = 120  # orders of a group's visits tried on each kind of vehicle (5 siblings: 14,400)


def groups_no_vehicle_carries(problem: Problem) -> list[int]:
    """The same-vehicle groups of ``problem`` (indices into ``problem.same_vehicle``) that no
    vehicle can carry together, as a route of their own: for each kind of vehicle the fleet has
    (depot, capacity, hours; a row with a limit of none left out) that may carry every member
    and has room for them all, every order of their pick-ups and of their drop-offs is tried
    (up to ``MAX_ORDERS``, earliest deadlines first) against every window, ride limit and the
    vehicle's hours. Such a group travels apart rather than not at all; any other can always
    be placed whole on a vehicle of its own while one is spare."""
    usable = {v for members, limit in problem.vehicle_limits if limit > 0 for v in members}
    limited = {v for members, _ in problem.vehicle_limits for v in members}
    vehicles = [k for k in range(len(problem.vehicles)) if k in usable or k not in limited]
    kinds: dict[tuple, int] = {}
    for k in vehicles:
        kinds.setdefault(_kind(problem.vehicles[k]), k)
    out = []
    for g, group in enumerate(problem.same_vehicle):
        load = {
            d: sum(problem.requests[i].load.get(d, 0) for i in group) for d in problem.dimensions
        }
        visits = [
            [(i, "pickup") for i in group if problem.requests[i].pickup is not None],
            [(i, "dropoff") for i in group if problem.requests[i].dropoff is not None],
        ]

        def deadline(visit: tuple[int, str]) -> int:
            request = problem.requests[visit[0]]
            where = request.pickup if visit[1] == "pickup" else request.dropoff
            return where.latest_s if where is not None else 0

        orders = sorted(
            ([*p, *d] for p in permutations(visits[0]) for d in permutations(visits[1])),
            key=lambda order: [deadline(v) for v in order],
        )[:MAX_ORDERS]
        carried = False
        for k in kinds.values():
            vehicle = problem.vehicles[k]
            if any(vehicle.capacity.get(d, 0) < n for d, n in load.items()):
                continue
            if not _may_carry(problem, k, group):
                continue
            if any(fits_alone(problem, k, order) for order in orders):
                carried = True
                break
        if not carried:
            out.append(g)
    return out


def _may_carry(problem: Problem, vehicle: int, group: tuple[int, ...]) -> bool:
    """Whether every request of ``group`` allows ``vehicle``."""
    for i in group:
        allowed = problem.requests[i].allowed_vehicles
        if allowed is not None and vehicle not in allowed:
            return False
    return True


def _kind(vehicle: Vehicle) -> tuple:
    """What of a vehicle bears on which routes it can run: vehicles alike in this are one kind."""
    return (
        vehicle.start_row,
        vehicle.end_row,
        tuple(sorted(vehicle.capacity.items())),
        vehicle.earliest_start_s,
        vehicle.latest_end_s,
        vehicle.max_duration_s,
    )


def release_groups(problem: Problem) -> Problem:
    """``problem`` with the same-vehicle groups no vehicle can carry together
    (:func:`groups_no_vehicle_carries`) let go, with their visits at one stop: their members
    are then routed as any other pupils, so they travel apart, sharing routes, rather than not
    at all (a group's soft constraint costs more than leaving a member out, so the search left
    such a group out whole and it went by solo taxis). The plan lists each group carried apart,
    with the reason."""
    unfit = set(groups_no_vehicle_carries(problem))
    if not unfit:
        return problem
    released = {i for g in unfit for i in problem.same_vehicle[g]}
    return dataclasses.replace(
        problem,
        same_vehicle=tuple(g for k, g in enumerate(problem.same_vehicle) if k not in unfit),
        consecutive=tuple(c for c in problem.consecutive if c[0] not in released),
    )
