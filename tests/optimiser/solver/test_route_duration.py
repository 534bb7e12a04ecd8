"""A vehicle's maximum route duration (dial-a-ride's T): a bound on return minus departure."""

from __future__ import annotations

import numpy as np
import pytest

from optimiser.routing.problem import Problem, Request, Vehicle, Visit
from optimiser.solver.params import SearchParameters
from optimiser.solver.solve import solve


def _early_and_late(max_duration_s: int | None, vehicles: int) -> Problem:
    """Two drop-offs 10 s from the depot and 20 s apart, one due in [0, 20], the other in
    [100, 120]: one vehicle serves both in a route of at least 100 s (out at 10, back at 110)."""
    time_s = np.array([[0, 10, 10], [10, 0, 20], [10, 20, 0]])
    return Problem(
        name="early and late",
        time_s=time_s,
        distance_m=time_s,
        requests=(
            Request("early", dropoff=Visit(1, 0, 20, 0), load={"seats": 1}, penalty=10**6),
            Request("late", dropoff=Visit(2, 100, 120, 0), load={"seats": 1}, penalty=10**6),
        ),
        vehicles=tuple(
            Vehicle(
                str(k),
                0,
                0,
                {"seats": 4},
                fixed_cost=1000,
                cost_per_m=1,
                earliest_start_s=0,
                latest_end_s=1000,
                max_duration_s=max_duration_s,
            )
            for k in range(vehicles)
        ),  # fmt: skip
        dimensions=("seats",),
    )


@pytest.mark.parametrize(
    ("max_duration_s", "vehicles", "routes", "dropped"),
    [
        (None, 1, 1, 0),
        (100, 1, 1, 0),  # out at 10, early at 20, late at 100, back at 110
        (99, 1, 1, 1),  # too short for both: one is left out
        (99, 2, 2, 0),  # a second vehicle takes the other
    ],
)
def test_a_route_lasts_no_longer_than_its_vehicle_allows(max_duration_s, vehicles, routes, dropped):
    problem = _early_and_late(max_duration_s, vehicles)
    assert problem.check() == []
    solution = solve(problem, SearchParameters(time_limit_s=600, solution_limit=20))
    assert len(solution.dropped) == dropped
    assert len([r for r in solution.routes if r.visits]) == routes
    for r in solution.routes:
        if max_duration_s is not None:
            assert r.return_s - r.depart_s <= max_duration_s
