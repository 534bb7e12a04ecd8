"""A part of a routing problem: some of its requests on some of its vehicles, solved on its own.

Large sessions are planned by decomposition (see :mod:`optimiser.solver.decomposition`): a
complete plan is built part by part, then improved by re-solving subproblems made of neighbouring
routes, the vehicles they use and some of the session's unused vehicles. A :class:`Subproblem` is
one such part. Its :class:`~optimiser.routing.problem.Problem` is compact (its matrices hold only
the rows its requests and vehicles visit), so it is cheap to send to another process or machine;
:meth:`Subproblem.to_global` maps a solution of it back to the numbering of the whole problem.

Fleet limits stay whole-problem limits: a fleet row's limit inside a subproblem is what the row
has left once the vehicles used outside the subproblem are counted, so no combination of accepted
subproblem solutions can use more vehicles of a row than the row has.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from optimiser.routing.decompose import proportional_shares
from optimiser.routing.problem import Problem, Solution, VehicleRoute, Visit, VisitTime

#: For each vehicle of a subproblem, its visits as (request, "pickup" | "dropoff"), in order,
#: in the subproblem's own numbering: the plan a search starts from.
StartPlan = list[list[tuple[int, str]]]


@dataclass(frozen=True)
class Subproblem:
    """Requests ``requests`` of a problem on its vehicles ``vehicles``, renumbered from 0.

    ``rows`` are the whole problem's matrix rows in the order of the compact matrices.
    """

    problem: Problem
    requests: tuple[int, ...]
    vehicles: tuple[int, ...]
    rows: tuple[int, ...]

    def start_plan(self, routes: Iterable[VehicleRoute]) -> StartPlan:
        """Routes of the whole problem (on this subproblem's vehicles) as a start plan."""
        local_request = {r: k for k, r in enumerate(self.requests)}
        local_vehicle = {v: k for k, v in enumerate(self.vehicles)}
        plan: StartPlan = [[] for _ in self.vehicles]
        for route in routes:
            k = local_vehicle[route.vehicle]
            plan[k] = [(local_request[v.request], v.kind) for v in route.visits]
        return plan

    def to_global(self, solution: Solution) -> tuple[list[VehicleRoute], list[int]]:
        """A solution of the subproblem as routes and dropped requests of the whole problem."""
        routes = [
            VehicleRoute(
                vehicle=self.vehicles[r.vehicle],
                depart_s=r.depart_s,
                visits=[
                    VisitTime(self.requests[v.request], v.kind, self.rows[v.row], v.start_s)
                    for v in r.visits
                ],
                return_s=r.return_s,
            )
            for r in solution.routes
        ]
        return routes, [self.requests[i] for i in solution.dropped]


def group_closure(problem: Problem, requests: Iterable[int]) -> list[int]:
    """``requests`` with every request that must share a vehicle with one of them, sorted."""
    chosen = set(requests)
    for group in problem.same_vehicle:
        if chosen.intersection(group):
            chosen.update(group)
    return sorted(chosen)


def fleet_rows(problem: Problem) -> list[int]:
    """For each vehicle, the index of the vehicle limit (fleet row) it belongs to, or -1."""
    row_of = [-1] * len(problem.vehicles)
    for k, (members, _) in enumerate(problem.vehicle_limits):
        for v in members:
            row_of[v] = k
    return row_of


def extract(
    problem: Problem,
    requests: Sequence[int],
    vehicles: Sequence[int],
    limits: Sequence[int],
) -> Subproblem:
    """The subproblem of ``requests`` (closed under same-vehicle groups) on ``vehicles``.

    Parameters
    ----------
    problem
        The whole problem.
    requests, vehicles
        Indices into the whole problem's requests and vehicles. Requests are taken with their
        same-vehicle groups; never-together pairs and consecutive visits are kept where both
        requests are inside (a request outside is on a vehicle outside, so it can never share
        one with a request inside).
    limits
        For each vehicle limit (fleet row) of the whole problem, how many of its vehicles the
        subproblem may use: the caller leaves out what is in use elsewhere, so that accepted
        solutions of subproblems never use more of a row than it has.
    """
    requests = group_closure(problem, requests)
    vehicles = sorted(vehicles)
    local_request = {r: k for k, r in enumerate(requests)}
    local_vehicle = {v: k for k, v in enumerate(vehicles)}
    rows = sorted(
        {problem.vehicles[v].start_row for v in vehicles}
        | {problem.vehicles[v].end_row for v in vehicles}
        | {visit.row for r in requests for visit in problem.requests[r].visits}
    )
    local_row = {row: k for k, row in enumerate(rows)}
    index = np.asarray(rows)

    def renumber_vehicles(allowed: tuple[int, ...] | None) -> tuple[int, ...] | None:
        if allowed is None:
            return None
        return tuple(local_vehicle[v] for v in allowed if v in local_vehicle)

    def relocate(visit: Visit | None) -> Visit | None:
        return None if visit is None else replace(visit, row=local_row[visit.row])

    def relocate_stay(stay: tuple[int, int] | None) -> tuple[int, int] | None:
        # Its vehicle outside: every vehicle inside costs the same, so the price goes.
        if stay is None or stay[0] not in local_vehicle:
            return None
        return local_vehicle[stay[0]], stay[1]

    sub_requests = tuple(
        replace(
            problem.requests[r],
            pickup=relocate(problem.requests[r].pickup),
            dropoff=relocate(problem.requests[r].dropoff),
            allowed_vehicles=renumber_vehicles(problem.requests[r].allowed_vehicles),
            stay=relocate_stay(problem.requests[r].stay),
        )
        for r in requests
    )
    sub_vehicles = tuple(
        replace(
            problem.vehicles[v],
            start_row=local_row[problem.vehicles[v].start_row],
            end_row=local_row[problem.vehicles[v].end_row],
        )
        for v in vehicles
    )
    sub_limits = []
    for (members, _), limit in zip(problem.vehicle_limits, limits, strict=True):
        inside = tuple(local_vehicle[v] for v in members if v in local_vehicle)
        if inside:
            sub_limits.append((inside, max(0, limit)))
    sub = replace(
        problem,
        name=f"{problem.name} [{len(requests)} requests, {len(vehicles)} vehicles]",
        time_s=problem.time_s[np.ix_(index, index)],
        distance_m=problem.distance_m[np.ix_(index, index)],
        requests=sub_requests,
        vehicles=sub_vehicles,
        vehicle_limits=tuple(sub_limits),
        same_vehicle=tuple(
            tuple(local_request[r] for r in group)
            for group in problem.same_vehicle
            if group[0] in local_request
        ),
        never_together=tuple(
            (local_request[a], local_request[b])
            for a, b in problem.never_together
            if a in local_request and b in local_request
        ),
        consecutive=tuple(
            (local_request[a], local_request[b], kind)
            for a, b, kind in problem.consecutive
            if a in local_request and b in local_request
        ),
    )
    return Subproblem(sub, tuple(requests), tuple(vehicles), tuple(rows))


def variants(problem: Problem, members: Sequence[int]) -> list[list[int]]:
    """A fleet row's vehicles split by variant (e.g. with and without a passenger assistant)."""
    by_kind: dict[tuple, list[int]] = {}
    for v in members:
        vehicle = problem.vehicles[v]
        key = (tuple(sorted(vehicle.capacity.items())), vehicle.fixed_cost, vehicle.cost_per_m)
        by_kind.setdefault(key, []).append(v)
    return list(by_kind.values())


def _may_use(problem: Problem, request: int, vehicles: set[int]) -> bool:
    allowed = problem.requests[request].allowed_vehicles
    return allowed is None or not vehicles.isdisjoint(allowed)


def construction_parts(problem: Problem, parts: Sequence[Sequence[int]]) -> list[Subproblem]:
    """Each part of a problem as a subproblem with its share of every fleet row: shared in
    proportion to the part's requests the row may carry, every variant of the row (e.g. with and
    without an assistant) alike, so that the parts together never use more than the row has."""
    vehicles: list[list[int]] = [[] for _ in parts]
    limits: list[list[int]] = [[0] * len(problem.vehicle_limits) for _ in parts]
    for k, (members, limit) in enumerate(problem.vehicle_limits):
        member_set = set(members)
        demand = [sum(_may_use(problem, r, member_set) for r in part) for part in parts]
        shares = proportional_shares(min(limit, len(members)), demand)
        for variant in variants(problem, members):
            taken = 0
            for p, share in enumerate(shares):
                vehicles[p] += variant[taken : taken + share]
                taken += share
        for p, share in enumerate(shares):
            limits[p][k] = share
    return [extract(problem, part, vehicles[p], limits[p]) for p, part in enumerate(parts) if part]


def plan_cost(problem: Problem, routes: Iterable[VehicleRoute], dropped: Iterable[int]) -> int:
    """What the solver's objective charges for routes and dropped requests, in millipence.

    Vehicle fixed costs, distance at each vehicle's price per metre, ride time at the problem's
    price (from the start of service at the pickup, as the model counts it), each dropped
    request's penalty, and twice the largest member's penalty for a same-vehicle group served
    on more than one vehicle: the figure subproblem solutions are compared on.
    """
    total = sum(problem.requests[i].penalty for i in dropped)
    vehicle_of: dict[int, int] = {}
    for route in routes:
        vehicle = problem.vehicles[route.vehicle]
        path = [vehicle.start_row, *(v.row for v in route.visits), vehicle.end_row]
        metres = sum(int(problem.distance_m[a, b]) for a, b in zip(path, path[1:], strict=False))
        total += vehicle.fixed_cost + vehicle.cost_per_m * metres
        picked: dict[int, int] = {}
        for v in route.visits:
            vehicle_of[v.request] = route.vehicle
            if v.kind == "pickup":
                picked[v.request] = v.start_s
            elif v.request in picked:
                total += problem.ride_cost_per_s * (v.start_s - picked[v.request])
    for group in problem.same_vehicle:
        if len({vehicle_of[i] for i in group if i in vehicle_of}) > 1:
            total += 2 * max(problem.requests[i].penalty for i in group)
    return total


def placement_penalty(problem: Problem, vehicle_of: Mapping[int, int]) -> int:
    """The part of :func:`plan_cost` that is penalty, not money, for a plan serving each request
    of ``vehicle_of`` on its vehicle: each request left out, and each same-vehicle group served
    on more than one vehicle."""
    total = sum(r.penalty for i, r in enumerate(problem.requests) if i not in vehicle_of)
    for group in problem.same_vehicle:
        if len({vehicle_of[i] for i in group if i in vehicle_of}) > 1:
            total += 2 * max(problem.requests[i].penalty for i in group)
    return total


def broken_consecutive(problem: Problem, routes: Iterable[VehicleRoute]) -> list[tuple[int, int]]:
    """The consecutive pairs ``(a, b)`` of ``problem`` that ``routes`` serve both of, but not with
    b's visit straight after a's on one vehicle (members of a sibling group at one address are
    picked up or set down together)."""
    position: dict[tuple[int, str], tuple[int, int]] = {}
    for route in routes:
        for i, visit in enumerate(route.visits):
            position[visit.request, str(visit.kind)] = (route.vehicle, i)
    broken = []
    for a, b, kind in problem.consecutive:
        at_a, at_b = position.get((a, str(kind))), position.get((b, str(kind)))
        if at_a is None or at_b is None:
            continue
        if at_a[0] != at_b[0] or at_b[1] != at_a[1] + 1:
            broken.append((a, b))
    return broken
