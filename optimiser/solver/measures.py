"""What the search measures of a problem before it starts.

The scale of a typical arc (annealing temperatures follow it), the price of lateness in a
soft-window model, and which vehicles are interchangeable (restarts count runs per make-up of
fleet). Plain numpy on the :class:`~optimiser.routing.problem.Problem`; no ``ortools`` here.
"""

from __future__ import annotations

import numpy as np

from optimiser.routing.problem import Problem


def vehicle_kinds(problem: Problem) -> list[int]:
    """A number per vehicle, the same for interchangeable vehicles.

    Parameters
    ----------
    problem : Problem
        The routing problem.

    Returns
    -------
    list of int
        One number per vehicle of ``problem``, counted from 0 in order of first appearance.
        Vehicles share a number when they have the same depots, capacities, costs and hours,
        may take the same requests, and are in the same vehicle limits.
    """
    barred: list[set[int]] = [set() for _ in problem.vehicles]
    for i, r in enumerate(problem.requests):
        if r.allowed_vehicles is not None:
            allowed = set(r.allowed_vehicles)
            for v in range(len(problem.vehicles)):
                if v not in allowed:
                    barred[v].add(i)
    limits = [
        tuple(k for k, (members, _) in enumerate(problem.vehicle_limits) if v in members)
        for v in range(len(problem.vehicles))
    ]
    numbers: dict[tuple, int] = {}
    kinds = []
    for v, vehicle in enumerate(problem.vehicles):
        key = (
            vehicle.start_row,
            vehicle.end_row,
            tuple(sorted(vehicle.capacity.items())),
            vehicle.fixed_cost,
            vehicle.cost_per_m,
            vehicle.earliest_start_s,
            vehicle.latest_end_s,
            vehicle.max_duration_s,
            tuple(sorted(barred[v])),
            limits[v],
        )
        kinds.append(numbers.setdefault(key, len(numbers)))
    return kinds


def typical_arc_cost(problem: Problem, k: int = 5) -> float:
    """The cost of a typical short arc.

    Annealing temperatures scale with it, so one setting serves benchmark distances, metres and
    millipence alike.

    Parameters
    ----------
    problem : Problem
        The routing problem.
    k : int
        How many nearest places count around each place.

    Returns
    -------
    float
        The mean distance from each visited place or start depot to its ``k`` nearest others,
        times the median price per metre of the vehicles; at least 1.
    """
    rows = sorted(
        {v.row for r in problem.requests for v in r.visits}
        | {v.start_row for v in problem.vehicles}
    )
    dist = problem.distance_m[np.ix_(rows, rows)].astype(float)
    dist[dist <= 0] = np.inf
    near = np.sort(dist, axis=1)[:, :k]
    near = near[np.isfinite(near).all(axis=1)]
    metres = float(near.mean()) if near.size else 1.0
    return max(1.0, metres * float(np.median([v.cost_per_m for v in problem.vehicles])))


def lateness_cost(problem: Problem, weight: float) -> int:
    """The cost of a unit of lateness in a soft-window model.

    Parameters
    ----------
    problem : Problem
        The routing problem.
    weight : float
        How many times the travel cost of a unit of time a unit of lateness costs.

    Returns
    -------
    int
        ``weight`` times the travel cost of a unit of time (the median price per metre times
        the mean speed over the visited places' matrix), at least 1; 0 when ``weight`` is not
        positive (the time windows stay hard).
    """
    if weight <= 0:
        return 0
    rows = sorted({v.row for r in problem.requests for v in r.visits})
    time_s = problem.time_s[np.ix_(rows, rows)].astype(float)
    speed = float(problem.distance_m[np.ix_(rows, rows)].sum() / max(1.0, time_s.sum()))
    per_m = float(np.median([v.cost_per_m for v in problem.vehicles]))
    return max(1, round(weight * per_m * speed))
