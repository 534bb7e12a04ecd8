"""A start plan given to the solver: taken whole, or route by route when part of it is refused;
and loaded quickly and faithfully when pupils' ride time has a price."""

from __future__ import annotations

from dataclasses import replace

from optimiser.domain.entities import Session
from optimiser.routing.from_dataset import build_session_model
from optimiser.solver.params import SearchParameters
from optimiser.solver.solve import solve
from tests.helpers.worlds import pupil, school, vehicle, world

FIRST_ONLY = SearchParameters(time_limit_s=30, solution_limit=1)


def _six_pupils():
    pupils = [pupil(f"P{k}", (k - 2.5, 1), school="S1") for k in range(6)]
    schools = [school("S1", (0, 4), am=("08:30", "08:50"))]
    data, travel = world(pupils, schools, [vehicle("Car", (0, 0), seats=4, count=3)])
    model = build_session_model(data, travel, Session.AM)
    index = {model.request_pupils[i][0]: i for i in range(len(model.problem.requests))}
    return model.problem, index


def _route(index: dict[str, int], *pids: str) -> list[tuple[int, str]]:
    return [(index[p], "pickup") for p in pids] + [(index[p], "dropoff") for p in pids]


def _served(solution) -> list[list[tuple[int, str]]]:
    return [[(v.request, str(v.kind)) for v in r.visits] for r in solution.routes]


def test_a_start_plan_with_a_refused_route_keeps_the_others():
    problem, index = _six_pupils()
    good = _route(index, "P0", "P1", "P2")
    five = _route(index, "P3", "P4", "P5", "P0")  # P0 twice, and five on four seats: refused
    plan = [good, five, []]
    solution = solve(problem, FIRST_ONLY, None, plan)
    # The accepted route is kept as it is; the refused one's pupils are inserted by the first-
    # solution heuristic (before, the whole start was dropped and a plan built afresh).
    assert _served(solution)[0][: len(good)] == good
    assert solution.dropped == []


def test_a_start_plan_loads_as_given_when_ride_time_has_a_price():
    problem, index = _six_pupils()
    priced = replace(problem, ride_cost_per_s=83)  # 5p a minute
    plan = [_route(index, "P0", "P1", "P2"), _route(index, "P3", "P4", "P5"), []]
    solution = solve(priced, replace(FIRST_ONLY, time_limit_s=5), None, plan)
    # Loaded by a search from the routes locked: ReadAssignmentFromRoutes searched the timing
    # for the whole time limit on such models.
    assert _served(solution) == plan[:2]


def _kept(problem, request: int, pickup: int, dropoff: int, cost: int):
    requests = list(problem.requests)
    requests[request] = replace(
        requests[request], keep_times=(pickup, dropoff), keep_cost_per_s=cost
    )
    return replace(problem, requests=tuple(requests), keep_time_tolerance_s=60)


def test_a_kept_time_holds_where_the_route_has_room_and_costs_beyond_its_tolerance():
    """P0 alone; today the taxi picks P0 up five minutes earlier than it needs to. With P0's
    times kept (priced beyond a minute) the route keeps them, where the price of ride time alone
    picks P0 up as late as the school's window allows."""
    problem, index = _six_pupils()
    problem = replace(problem, ride_cost_per_s=83)  # 5p a minute
    plan = [_route(index, "P0"), [], []]
    free = solve(problem, FIRST_ONLY, None, plan)
    starts = {str(v.kind): v.start_s for v in free.routes[0].visits}
    pickup, dropoff = starts["pickup"] - 300, starts["dropoff"]
    kept = _kept(problem, index["P0"], pickup, dropoff, 1000)
    solution = solve(kept, FIRST_ONLY, None, plan)
    starts = {str(v.kind): v.start_s for v in solution.routes[0].visits}
    assert abs(starts["pickup"] - pickup) <= 60 and abs(starts["dropoff"] - dropoff) <= 60
    # a kept time the windows cannot meet (before the school opens) is paid for, not refused
    early = _kept(problem, index["P0"], pickup - 3600, dropoff - 3600, 1000)
    forced = solve(early, FIRST_ONLY, None, plan)
    assert index["P0"] not in forced.dropped
    assert forced.objective >= 1000 * (3600 - 60)


def test_a_start_plan_that_loads_with_requests_out_is_completed_where_asked():
    """Two cars; the start plan holds four of six pupils, both cars in use. Loading places the
    others on unused vehicles only, so they stay out; with ``complete_start`` the first-solution
    heuristic completes the plan (the afternoon from the morning's groups relies on it)."""
    pupils = [pupil(f"P{k}", (k - 2.5, 1), school="S1") for k in range(6)]
    schools = [school("S1", (0, 4), am=("08:30", "08:50"))]
    data, travel = world(pupils, schools, [vehicle("Car", (0, 0), seats=4, count=2)])
    model = build_session_model(data, travel, Session.AM)
    index = {model.request_pupils[i][0]: i for i in range(len(model.problem.requests))}
    problem = replace(model.problem, ride_cost_per_s=83)  # 5p a minute
    plan = [_route(index, "P0", "P1", "P2"), _route(index, "P3")]
    as_loaded = solve(problem, FIRST_ONLY, None, plan)
    assert sorted(as_loaded.dropped) == sorted([index["P4"], index["P5"]])
    completed = solve(problem, replace(FIRST_ONLY, complete_start=True), None, plan)
    assert completed.dropped == []
    served = _served(completed)
    assert [route[: len(start)] for route, start in zip(served, plan, strict=True)] == plan
