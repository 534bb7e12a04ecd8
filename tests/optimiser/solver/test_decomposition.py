"""Route-based decomposition of large sessions over one shared fleet, on tiny worlds.

Sessions are forced into parts with ``max_pupils``; searches are bounded by solution limits and a
fixed number of improvement rounds, so runs are reproducible.
"""

from __future__ import annotations

import pytest

from optimiser.domain.entities import Session
from optimiser.planner import plan_dataset
from optimiser.solver.decomposition import DecompositionParameters
from optimiser.solver.params import SearchParameters
from tests.helpers.worlds import pupil, ring_of_pupils, school, vehicle, world

AM = frozenset({Session.AM})
PARAMS = SearchParameters(time_limit_s=60, solution_limit=50)
ROUNDS = DecompositionParameters(rounds=4, subproblem_requests=6, subproblem_time_s=30)


def _two_wheelchair_pupils_one_wav():
    """One WAV; two wheelchair users 2 km either side of one school with a wide window, so one
    WAV can take one, go back for the other and still be on time. Cut into two parts, each part
    holds one of them: a fixed share gives the only WAV to one part and leaves the other pupil
    at home; one shared fleet carries both."""
    pupils = [
        pupil("W1", (-2, 0), wheelchair=True, sessions=AM),
        pupil("W2", (2, 0), wheelchair=True, sessions=AM),
        pupil("A1", (-2, 0.5), sessions=AM),
        pupil("A2", (2, 0.5), sessions=AM),
    ]
    schools = [school("S1", (0, 0), am=("07:30", "09:30"))]
    fleet = [
        vehicle("WAV", (0, 1), seats=2, chairs=1, count=1, operator="Access"),
        vehicle("Taxi", (0, 1), seats=4, count=4, operator="Cars"),
    ]
    return world(pupils, schools, fleet)


def test_fixed_shares_leave_a_pupil_at_home_that_one_fleet_carries():
    data, travel = _two_wheelchair_pupils_one_wav()
    fixed = plan_dataset(
        data, travel=travel, params=PARAMS, workers=1, max_pupils=2, decomposition="fixed-share"
    ).plan
    assert {u.pupil_id for u in fixed.unassigned} & {"W1", "W2"}
    routes = plan_dataset(
        data,
        travel=travel,
        params=PARAMS,
        workers=1,
        max_pupils=2,
        decomposition_params=ROUNDS,
    ).plan  # validated: fleet counts, windows and ride limits hold
    assert not routes.unassigned
    wav = [r for r in routes.routes if r.vehicle_type == "WAV"]
    assert {p for r in wav for p in r.pupil_ids} >= {"W1", "W2"}
    assert len({r.vehicle_id for r in wav}) == 1


@pytest.mark.parametrize("max_pupils", [4, 7])
def test_decomposed_plan_is_one_valid_plan_over_the_whole_fleet(max_pupils):
    data, travel = ring_of_pupils(18)
    result = plan_dataset(
        data,
        travel=travel,
        params=PARAMS,
        workers=1,
        max_pupils=max_pupils,
        decomposition_params=ROUNDS,
    )
    plan = result.plan  # validated
    assert not plan.unassigned
    (solution,) = result.solutions[Session.AM]
    assert solution.status == "DECOMPOSED"
    assert len({r.vehicle_id for r in plan.routes}) <= 8
    ids = sorted(r.route_id for r in plan.routes)
    assert ids == [f"AM-{k:03d}" for k in range(1, len(ids) + 1)]


def test_improvement_never_costs_more_than_construction():
    data, travel = ring_of_pupils(18)
    costs = []
    for rounds in (0, 4):
        dparams = DecompositionParameters(
            rounds=rounds, subproblem_requests=9, subproblem_time_s=30
        )
        plan = plan_dataset(
            data,
            travel=travel,
            params=PARAMS,
            workers=1,
            max_pupils=4,
            decomposition_params=dparams,
        ).plan
        costs.append(sum(r.cost_pence for r in plan.routes))
    assert costs[1] <= costs[0]
