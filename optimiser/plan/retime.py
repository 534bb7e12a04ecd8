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

from dataclasses import dataclass

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


@dataclass
class _Programme:
    """A route's timetable as differences of times: ``t[later] - t[earlier] >= gap``.

    Times are the depot departure, each visit's start of service and the depot return (``k`` of
    them). ``legs`` are the drives and boardings, which no timetable can break; ``limits`` the
    ride limits; ``rules`` siblings' shared stops and the route's longest duration; ``windows``
    each time's bounds; ``ride_cost`` the objective (pupils' ride seconds, then time away from
    the depot).
    """

    k: int
    legs: list[tuple[int, int, float]]
    limits: list[tuple[int, int, float]]
    rules: list[tuple[int, int, float]]
    windows: list[tuple[int, int]]
    ride_cost: np.ndarray


def _programme(problem: Problem, route: VehicleRoute) -> _Programme:
    visits = route.visits
    vehicle = problem.vehicles[route.vehicle]
    k = len(visits) + 2
    rows = [vehicle.start_row, *(v.row for v in visits), vehicle.end_row]
    service = [0, *(_visit(problem, v).service_s for v in visits), 0]
    legs = [
        (i + 1, i, float(service[i] + int(problem.time_s[rows[i], rows[i + 1]])))
        for i in range(k - 1)
    ]
    limits: list[tuple[int, int, float]] = []
    rules: list[tuple[int, int, float]] = []
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
            limits.append((i, j, -(limit + service[i])))  # t[j] - t[i] <= limit + service
    for a, b, kind in problem.consecutive:
        if (a, kind) in position and (b, kind) in position:
            i, j = position[a, kind], position[b, kind]
            rules += [(j, i, float(service[i])), (i, j, float(-service[i]))]
    if vehicle.max_duration_s is not None:
        rules.append((0, k - 1, float(-vehicle.max_duration_s)))  # t[end] - t[start] <= max
    windows = [(vehicle.earliest_start_s, vehicle.latest_end_s)]
    windows += [(_visit(problem, v).earliest_s, _visit(problem, v).latest_s) for v in visits]
    windows += [(vehicle.earliest_start_s, vehicle.latest_end_s)]
    return _Programme(k, legs, limits, rules, windows, ride_cost)


def _difference_rows(
    constraints: list[tuple[int, int, float]], width: int
) -> tuple[list[np.ndarray], list[float]]:
    """``t[later] - t[earlier] >= gap`` as rows of ``A_ub x <= b_ub``."""
    a_ub, b_ub = [], []
    for later, earlier, gap in constraints:
        row = np.zeros(width)
        row[earlier], row[later] = 1, -1
        a_ub.append(row)
        b_ub.append(-gap)
    return a_ub, b_ub


def _timed(route: VehicleRoute, times: list[int]) -> VehicleRoute:
    retimed = [
        VisitTime(v.request, v.kind, v.row, t)
        for v, t in zip(route.visits, times[1:-1], strict=True)
    ]
    return VehicleRoute(route.vehicle, times[0], retimed, times[-1])


TARGET_WEIGHT = 1e-4  # per second from a target time, against 1 per ride second: a tie-break


def retime(
    problem: Problem,
    route: VehicleRoute,
    targets: dict[int, tuple[int, int]] | None = None,
    target_weight: float = TARGET_WEIGHT,
) -> VehicleRoute:
    """The same route with each visit's start of service moved to the best timetable.

    ``targets`` (visit position -> earliest and latest start of service wanted) are met where
    the best timetable can meet them: each second outside one costs ``target_weight`` against
    1 per second of ride. The default makes them a tie-break among the timetables of least ride
    time (the minute a council states: a route often has room to run a few minutes earlier or
    later at no cost to anyone's ride); a re-plan weighs today's times above ride minutes.
    """
    if not route.visits:
        return route
    lp = _programme(problem, route)
    times = _least_ride(lp, {}, target_weight)
    if (
        times is not None
        and targets
        and not all(low <= times[p + 1] <= high for p, (low, high) in targets.items())
    ):
        times = _least_ride(lp, targets, target_weight) or times
    return route if times is None else _timed(route, times)


def _least_ride(
    lp: _Programme, targets: dict[int, tuple[int, int]], target_weight: float
) -> list[int] | None:
    """The programme's optimum in whole seconds: ride time plus ``target_weight`` a second
    outside ``targets``; None if there is none or rounding broke it."""
    k = lp.k
    width = k + 2 * len(targets)
    a_ub, b_ub = _difference_rows(lp.legs + lp.limits + lp.rules, width)
    rules = len(a_ub)
    for n, (position, (low, high)) in enumerate(sorted(targets.items())):
        i = position + 1  # the depot's departure is time 0
        row = np.zeros(width)
        row[i], row[k + 2 * n] = 1, -1  # t - over <= high
        a_ub.append(row)
        b_ub.append(high)
        row = np.zeros(width)
        row[i], row[k + 2 * n + 1] = -1, -1  # -t - under <= -low
        a_ub.append(row)
        b_ub.append(-low)
    cost = np.concatenate([lp.ride_cost, np.full(width - k, target_weight)])
    bounds = list(lp.windows) + [(0, None)] * (width - k)
    result = linprog(cost, A_ub=np.array(a_ub), b_ub=np.array(b_ub), bounds=bounds, method="highs")
    if not result.success:
        return None
    times = np.rint(result.x[:k]).astype(int)
    rows = np.array([row[:k] for row in a_ub[:rules]])
    lows = np.array([b[0] for b in lp.windows])
    highs = np.array([b[1] for b in lp.windows])
    feasible = np.all(rows @ times <= np.array(b_ub[:rules])) and np.all(lows <= times)
    if not (feasible and np.all(times <= highs)):
        return None
    return [int(t) for t in times]


SOFT_WEIGHT = 1e3  # per second outside a window or over a ride limit, against 1 per ride second


def retime_closest(problem: Problem, route: VehicleRoute) -> VehicleRoute:
    """The timetable that breaks the time windows and ride limits least, for an order that
    cannot keep them all (a council's current route, say).

    The same programme as :func:`retime`, with every window and ride limit made soft: each
    second outside a window or over a limit costs :data:`SOFT_WEIGHT`. Travel and boarding times
    stay hard, so the timetable is one a vehicle can drive; what it breaks the validator reports.
    """
    if not route.visits:
        return route
    lp = _programme(problem, route)
    k, m = lp.k, len(lp.limits)
    # Variables: k times, then one slack per ride limit, then a low and a high slack per time.
    width = k + m + 2 * k
    a_ub, b_ub = _difference_rows(lp.legs + lp.limits, width)
    for s in range(m):
        a_ub[len(lp.legs) + s][k + s] = -1
    for i, (low, high) in enumerate(lp.windows):
        row = np.zeros(width)
        row[i], row[k + m + i] = -1, -1  # t >= low - slack
        a_ub.append(row)
        b_ub.append(-low)
        row = np.zeros(width)
        row[i], row[k + m + k + i] = 1, -1  # t <= high + slack
        a_ub.append(row)
        b_ub.append(high)
    cost = np.concatenate([lp.ride_cost, np.full(m + 2 * k, SOFT_WEIGHT)])
    bounds = [(0, 2 * 86_400)] * k + [(0, None)] * (m + 2 * k)
    result = linprog(cost, A_ub=np.array(a_ub), b_ub=np.array(b_ub), bounds=bounds, method="highs")
    if not result.success:
        return route
    times = [int(t) for t in np.rint(result.x[:k])]
    for later, earlier, gap in lp.legs:  # rounding must never make a leg faster than the road
        times[later] = max(times[later], times[earlier] + int(np.ceil(gap)))
    return _timed(route, times)
