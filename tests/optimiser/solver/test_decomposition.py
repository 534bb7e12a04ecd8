"""Route-based decomposition of large sessions over one shared fleet, on tiny worlds.

Sessions are forced into parts with ``max_pupils``; searches are bounded by solution limits and a
fixed number of improvement rounds, so runs are reproducible.
"""

from __future__ import annotations

import pytest

from optimiser.domain.entities import Session
from optimiser.planner import WHOLE_FLEET, plan_dataset
from optimiser.routing.decompose import request_positions
from optimiser.routing.from_dataset import build_session_model
from optimiser.routing.problem import Solution, VehicleRoute, VisitTime
from optimiser.routing.subproblem import broken_consecutive, extract, fleet_rows
from optimiser.solver.decomposition import DecompositionParameters, _Improver, _State
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


def _siblings_one_placed_one_left_out():
    """Siblings A and B at one address, to two schools (two requests that must share a vehicle
    and be picked up together); A rides vehicle 0 with E and F from 8 km east, B was left out;
    C and D, 2 km west, ride vehicle 1: the route nearest to B is not A's."""
    pupils = [
        pupil("A", (1, 0), school="S1", group="G1"),
        pupil("B", (1, 0), school="S2", group="G1"),
        pupil("C", (-1, 0), school="S1"),
        pupil("D", (-1, 0.5), school="S1"),
        pupil("E", (9, 0), school="S1"),
        pupil("F", (9, 0.5), school="S1"),
    ]
    schools = [school("S1", (0, 3)), school("S2", (0, -3))]
    data, travel = world(pupils, schools, [vehicle("Taxi", (0, 0), count=4)])
    model = build_session_model(data, travel, Session.AM, offer_boost=WHOLE_FLEET)
    problem = model.problem
    request = {model.request_pupils[i][0]: i for i in range(len(problem.requests))}

    def route(vehicle_index: int, *pids: str) -> VehicleRoute:
        visits = [
            VisitTime(request[p], kind, problem.requests[request[p]].visits[end].row, 0)
            for end, kind in ((0, "pickup"), (-1, "dropoff"))
            for p in pids
        ]
        return VehicleRoute(vehicle_index, 0, visits, 0)

    routes = {0: route(0, "A", "E", "F"), 1: route(1, "C", "D")}
    state = _State(problem, routes, {request["B"]}, fleet_rows(problem))
    xy, minutes = request_positions(data, Session.AM, model.request_pupils)
    return state, xy, minutes, request


def test_a_subproblem_takes_a_sibling_group_whole_and_batches_share_no_request():
    state, xy, minutes, request = _siblings_one_placed_one_left_out()
    # Subproblems of one request: the left-out sibling B seeds the first. Before, B came alone
    # (A's route stayed outside, so A could be placed twice) and the next subproblem took A's
    # route and B again.
    dparams = DecompositionParameters(subproblem_requests=2, spare_vehicles_per_row=1)
    improver = _Improver(state, xy, minutes, PARAMS, dparams)
    subs = improver.batch(3)
    seen: set[int] = set()
    for sub in subs:
        assert seen.isdisjoint(sub.requests)
        seen.update(sub.requests)
        on_its_vehicles = [state.routes[v] for v in sub.vehicles if v in state.routes]
        served_here = {visit.request for r in on_its_vehicles for visit in r.visits}
        served_anywhere = {visit.request for r in state.routes.values() for visit in r.visits}
        # Every request of the subproblem that is served is served on one of its vehicles.
        assert set(sub.requests) & served_anywhere <= served_here
    first = subs[0]
    assert {request["A"], request["B"]} <= set(first.requests)
    assert 0 in first.vehicles


def test_a_solution_serving_a_request_twice_or_splitting_siblings_is_refused():
    state, xy, minutes, request = _siblings_one_placed_one_left_out()
    a, b = request["A"], request["B"]
    # A subproblem of B alone on a spare vehicle, as batches used to make: its solution puts A
    # and B together on vehicle 2, while A still rides vehicle 0 outside it.
    sub = extract(state.problem, [b], [2], [len(state.problem.vehicles)])
    assert set(sub.requests) == {a, b}
    local = {r: k for k, r in enumerate(sub.requests)}
    together = VehicleRoute(
        0,
        0,
        [
            VisitTime(local[r], kind, 0, 0)
            for kind in ("pickup", "dropoff")
            for r in ((a, b) if kind == "pickup" else (b, a))
        ],
        0,
    )
    solution = Solution([together], [], 0)
    assert not state.apply(sub, solution)
    assert state.dropped == {b}
    assert a in {v.request for v in state.routes[0].visits}
    assert 2 not in state.routes


def test_broken_consecutive_names_siblings_not_picked_up_together():
    state, _, _, request = _siblings_one_placed_one_left_out()
    problem = state.problem
    a, b, c = request["A"], request["B"], request["C"]
    (pair,) = {(x, y) for x, y, _ in problem.consecutive}
    row = {r: problem.requests[r].visits[0].row for r in (a, b, c)}

    def pickups(*rs: int) -> list[VehicleRoute]:
        return [VehicleRoute(0, 0, [VisitTime(r, "pickup", row[r], 0) for r in rs], 0)]

    assert broken_consecutive(problem, pickups(*pair)) == []
    assert broken_consecutive(problem, pickups(pair[0], c, pair[1])) == [pair]
