"""Timing a route whose order is fixed: children on board as briefly as the rules allow.

The search decides who rides with whom and in what order; the times it returns are only one
feasible timetable, and it is free to leave a vehicle parked with a child on board for half an
hour before the next pickup. Given the order, the best timetable is a small linear programme:
minimise the pupils' total ride time (then the vehicle's time away from the depot) subject to
travel and boarding times, time windows, ride limits, and siblings' shared stops. All data are
whole seconds and every constraint is a difference of two times, so the optimum is whole seconds.
The solver's own timetable is a feasible point, and is kept if the programme fails for any reason.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog

from optimiser.routing.problem import Problem, VehicleRoute, Visit, VisitKind, VisitTime

DURATION_WEIGHT = 1e-3  # per second away from the depot, against 1 per second of pupil ride


def _visit(problem: Problem, v: VisitTime) -> Visit:
    request = problem.requests[v.request]
    visit = request.pickup if v.kind == VisitKind.PICKUP else request.dropoff
    if visit is None:  # a solution never serves a visit its request lacks
        raise ValueError(f"request {request.request_id} has no {v.kind} visit")
    return visit


def retime(problem: Problem, route: VehicleRoute) -> VehicleRoute:
    """The same route with each visit's start of service moved to the best timetable."""
    visits = route.visits
    n = len(visits)
    if n == 0:
        return route
    vehicle = problem.vehicles[route.vehicle]
    # Variables: depot departure, each visit's start of service, depot return.
    k = n + 2
    rows = [vehicle.start_row, *(v.row for v in visits), vehicle.end_row]
    service = [0, *(_visit(problem, v).service_s for v in visits), 0]
    a_ub: list[np.ndarray] = []
    b_ub: list[float] = []

    def at_least(later: int, earlier: int, gap: float) -> None:  # t[later] - t[earlier] >= gap
        row = np.zeros(k)
        row[earlier], row[later] = 1, -1
        a_ub.append(row)
        b_ub.append(-gap)

    for i in range(k - 1):
        at_least(i + 1, i, service[i] + int(problem.time_s[rows[i], rows[i + 1]]))
    position = {(v.request, v.kind): i + 1 for i, v in enumerate(visits)}
    cost = np.zeros(k)
    cost[0], cost[-1] = -DURATION_WEIGHT, DURATION_WEIGHT
    for (request, kind), i in position.items():
        if kind != VisitKind.PICKUP or (request, VisitKind.DROPOFF) not in position:
            continue
        j = position[request, VisitKind.DROPOFF]
        cost[j] += 1
        cost[i] -= 1
        limit = problem.requests[request].max_ride_s
        if limit is not None:
            at_least(i, j, -(limit + service[i]))  # t[j] - t[i] <= limit + service
    for a, b, kind in problem.consecutive:
        if (a, kind) in position and (b, kind) in position:
            i, j = position[a, kind], position[b, kind]
            at_least(j, i, service[i])
            at_least(i, j, -service[i])
    if vehicle.max_duration_s is not None:
        at_least(0, k - 1, -vehicle.max_duration_s)  # t[end] - t[start] <= max duration
    bounds = [(vehicle.earliest_start_s, vehicle.latest_end_s)]
    bounds += [(_visit(problem, v).earliest_s, _visit(problem, v).latest_s) for v in visits]
    bounds += [(vehicle.earliest_start_s, vehicle.latest_end_s)]
    result = linprog(cost, A_ub=np.array(a_ub), b_ub=np.array(b_ub), bounds=bounds, method="highs")
    if not result.success:
        return route
    times = np.rint(result.x).astype(int)
    low = np.array([b[0] for b in bounds])
    high = np.array([b[1] for b in bounds])
    feasible = np.all(np.array(a_ub) @ times <= np.array(b_ub)) and np.all(low <= times)
    if not (feasible and np.all(times <= high)):
        return route
    retimed = [
        VisitTime(v.request, v.kind, v.row, int(t))
        for v, t in zip(visits, times[1:-1], strict=True)
    ]
    return VehicleRoute(route.vehicle, int(times[0]), retimed, int(times[-1]))


SOFT_WEIGHT = 1e3  # per second outside a window or over a ride limit, against 1 per ride second


def retime_closest(problem: Problem, route: VehicleRoute) -> VehicleRoute:
    """The timetable that breaks the time windows and ride limits least, for an order that
    cannot keep them all (a council's current route, say).

    The same programme as :func:`retime`, with every window and ride limit made soft: each second
    outside a window or over a limit costs :data:`SOFT_WEIGHT`. Travel and boarding times stay
    hard, so the timetable is one a vehicle can drive; what it breaks the validator reports.
    """
    visits = route.visits
    n = len(visits)
    if n == 0:
        return route
    vehicle = problem.vehicles[route.vehicle]
    k = n + 2
    rows = [vehicle.start_row, *(v.row for v in visits), vehicle.end_row]
    service = [0, *(_visit(problem, v).service_s for v in visits), 0]
    hard: list[tuple[int, int, float]] = []  # t[later] - t[earlier] >= gap
    soft: list[tuple[int, int, float]] = []
    for i in range(k - 1):
        hard.append((i + 1, i, service[i] + int(problem.time_s[rows[i], rows[i + 1]])))
    position = {(v.request, v.kind): i + 1 for i, v in enumerate(visits)}
    ride_cost = np.zeros(k)
    ride_cost[0], ride_cost[-1] = -DURATION_WEIGHT, DURATION_WEIGHT
    for (request, kind), i in position.items():
        if kind != VisitKind.PICKUP or (request, VisitKind.DROPOFF) not in position:
            continue
        j = position[request, VisitKind.DROPOFF]
        ride_cost[j] += 1
        ride_cost[i] -= 1
        limit = problem.requests[request].max_ride_s
        if limit is not None:
            soft.append((i, j, -(limit + service[i])))
    windows = [(vehicle.earliest_start_s, vehicle.latest_end_s)]
    windows += [(_visit(problem, v).earliest_s, _visit(problem, v).latest_s) for v in visits]
    windows += [(vehicle.earliest_start_s, vehicle.latest_end_s)]
    # Variables: k times, then one slack per soft limit, then a low and a high slack per time.
    m = len(soft)
    width = k + m + 2 * k
    a_ub, b_ub = [], []
    for later, earlier, gap in hard:
        row = np.zeros(width)
        row[earlier], row[later] = 1, -1
        a_ub.append(row)
        b_ub.append(-gap)
    for s, (later, earlier, gap) in enumerate(soft):
        row = np.zeros(width)
        row[earlier], row[later], row[k + s] = 1, -1, -1
        a_ub.append(row)
        b_ub.append(-gap)
    for i, (low, high) in enumerate(windows):
        row = np.zeros(width)
        row[i], row[k + m + i] = -1, -1  # t >= low - slack
        a_ub.append(row)
        b_ub.append(-low)
        row = np.zeros(width)
        row[i], row[k + m + k + i] = 1, -1  # t <= high + slack
        a_ub.append(row)
        b_ub.append(high)
    cost = np.concatenate([ride_cost, np.full(m + 2 * k, SOFT_WEIGHT)])
    bounds = [(0, 2 * 86_400)] * k + [(0, None)] * (m + 2 * k)
    result = linprog(cost, A_ub=np.array(a_ub), b_ub=np.array(b_ub), bounds=bounds, method="highs")
    if not result.success:
        return route
    times = [int(t) for t in np.rint(result.x[:k])]
    for later, earlier, gap in hard:  # rounding must never make a leg faster than the road
        times[later] = max(times[later], times[earlier] + int(np.ceil(gap)))
    retimed = [
        VisitTime(v.request, v.kind, v.row, t) for v, t in zip(visits, times[1:-1], strict=True)
    ]
    return VehicleRoute(route.vehicle, times[0], retimed, times[-1])
