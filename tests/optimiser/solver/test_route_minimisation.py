"""Route minimisation and the plans kept across the searches of one solve.

Where vehicles have a fixed cost, the iterated search tries to do without one vehicle at a time on
a smaller fleet; plans move between models of different fleets in the problem's own vehicle
numbering. Uses the first 12 requests of Li & Lim's lc101 (``tests/data/bench``).
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import pytest

from optimiser.routing import bench_readers as bm
from optimiser.routing.problem import Problem, Request, Vehicle, Visit
from optimiser.solver.measures import vehicle_kinds
from optimiser.solver.model import _Model
from optimiser.solver.ortools_parameters import routing_search_parameters
from optimiser.solver.params import SearchParameters
from optimiser.solver.progress import ProgressEvent
from optimiser.solver.search import _Search
from optimiser.solver.solve import solve
from tests.helpers.paths import BENCH_DATA

# A time limit no search here reaches: each stops at its solution limit, reproducibly.
NEVER_S = 600.0


def _lc101() -> tuple[bm.Instance, Problem]:
    inst = bm.read_lilim(BENCH_DATA / "lilim" / "lc101_12.txt")
    return inst, bm.to_problem(inst, fixed_cost=bm.HIERARCHICAL_FIXED_COST)


def _used(plan) -> int:
    return sum(1 for route in plan if route)


def test_with_fleet_renumbers_vehicles_and_limits():
    visit = Visit(row=1, earliest_s=0, latest_s=100, service_s=0)
    vehicles = tuple(
        Vehicle(str(k), 0, 0, {"seats": 4}, fixed_cost=10, cost_per_m=1, earliest_start_s=0,
                latest_end_s=100)
        for k in range(4)
    )  # fmt: skip
    problem = Problem(
        name="fleet",
        time_s=np.zeros((2, 2), dtype=int),
        distance_m=np.zeros((2, 2), dtype=int),
        requests=(
            Request("any", dropoff=visit),
            Request("two-or-three", dropoff=visit, allowed_vehicles=(2, 3)),
            Request("only-one", dropoff=visit, allowed_vehicles=(1,)),
        ),
        vehicles=vehicles,
        dimensions=("seats",),
        vehicle_limits=(((1, 2, 3), 1),),
    )
    # Vehicles 2 and 3 are interchangeable; 1 takes a request they may not; 0 has no limit.
    assert vehicle_kinds(problem) == [0, 1, 2, 2]
    assert vehicle_kinds(replace(problem, vehicle_limits=())) == [0, 1, 2, 2]
    assert vehicle_kinds(replace(problem, requests=problem.requests[:1])) == [0, 1, 1, 1]
    assert vehicle_kinds(replace(problem, requests=problem.requests[:1], vehicle_limits=())) == [
        0,
        0,
        0,
        0,
    ]
    smaller = problem.with_fleet((3, 0))
    assert [v.vehicle_id for v in smaller.vehicles] == ["3", "0"]
    assert smaller.requests[0].allowed_vehicles is None
    assert smaller.requests[1].allowed_vehicles == (0,)  # vehicle 3 is now the first
    assert smaller.requests[2].allowed_vehicles == ()  # its only vehicle is not offered
    assert smaller.vehicle_limits == (((0,), 1),)
    assert smaller.check() == []


def _two_deliveries() -> Problem:
    """One vehicle from the depot (row 0) to two places 10 s away from it and 30 s apart; each
    delivery is due by 15 s, so one vehicle can make only one of them on time."""
    time_s = np.array([[0, 10, 10], [10, 0, 30], [10, 30, 0]])
    due = Visit(row=1, earliest_s=0, latest_s=15, service_s=0)
    return Problem(
        name="two deliveries",
        time_s=time_s,
        distance_m=time_s * 5,
        requests=(
            Request("a", dropoff=due, load={"seats": 1}, penalty=10**9),
            Request("b", dropoff=replace(due, row=2), load={"seats": 1}, penalty=10**9),
        ),
        vehicles=(
            Vehicle(
                "v",
                0,
                0,
                {"seats": 4},
                fixed_cost=1000,
                cost_per_m=1,
                earliest_start_s=0,
                latest_end_s=100,
            ),
        ),  # fmt: skip
        dimensions=("seats",),
    )


def test_soft_windows_place_what_hard_windows_cannot_and_on_time_tells():
    problem = _two_deliveries()
    params = SearchParameters(time_limit_s=5, solution_limit=50)
    hard = _Model(problem)
    hard.routing.CloseModelWithParameters(routing_search_parameters(params))
    both = [[(0, "dropoff"), (1, "dropoff")]]
    assert hard.assignment_of(both) is None  # b would be 25 s late
    assert hard.assignment_of([[(0, "dropoff")]]) is not None

    soft = _Model(problem, lateness_cost=7)
    soft.routing.CloseModelWithParameters(routing_search_parameters(params))
    late = soft.assignment_of(both)
    assert late is not None
    routes = soft.routes_of(late)
    assert len(routes[0]) == 2 and not soft.on_time(routes)
    # travel 10 + 30 + 10 s at 5 m/s and 1 per metre, no fixed cost, 25 s late at 7 a second
    assert late.ObjectiveValue() == 50 * 5 + 25 * 7
    assert soft.on_time(soft.routes_of(soft.assignment_of([[(1, "dropoff")]])))

    # what route minimisation does with a soft-window plan: the full model rejects a late one
    run = _Search(problem, params, None)
    assert run.checked(both, (0,)) is None
    cost, _ = run.checked([[(0, "dropoff")]], (0,))
    assert cost == 1000 + 20 * 5 + 10**9  # fixed cost, travel, b left out


def test_route_minimisation_takes_back_a_split_off_route():
    inst, problem = _lc101()
    solution = solve(problem, SearchParameters(time_limit_s=120, solution_limit=100))
    plan: list[list[tuple[int, str]]] = [[] for _ in problem.vehicles]
    for route in solution.routes:
        plan[route.vehicle] = [(v.request, v.kind) for v in route.visits]
    assert _used(plan) == 3  # as few as the fleet can do it on
    # Split two requests off the longest route onto a spare vehicle: one vehicle too many.
    longest = max(range(len(plan)), key=lambda v: len(plan[v]))
    moved = {request for request, _ in plan[longest][-4:]}
    moved = {r for r in moved if sum(1 for q, _ in plan[longest] if q == r) == 2}
    spare = next(v for v, route in enumerate(plan) if not route)
    plan[spare] = [visit for visit in plan[longest] if visit[0] in moved]
    plan[longest] = [visit for visit in plan[longest] if visit[0] not in moved]
    assert moved and _used(plan) == 4

    # Every repair and run stops at the solution limit (the time given is never reached), so
    # the outcome is the same on any machine.
    params = SearchParameters(time_limit_s=NEVER_S, solution_limit=50)
    run = _Search(problem, params, None)
    repaired: list[object] = []
    soft_repair = run.soft_repair

    def recording(plan, fleet, seconds):
        repaired.append(soft_repair(plan, fleet, seconds))
        return repaired[-1]

    run.soft_repair = recording  # type: ignore[method-assign]
    model = run.model()
    model.routing.CloseModelWithParameters(routing_search_parameters(params))
    start = model.assignment_of(plan)
    assert start is not None
    before = (start.ObjectiveValue(), plan)
    after = run.fewer_vehicles(before, search_s=NEVER_S, deadline=time.perf_counter() + NEVER_S)
    assert after[0] < before[0]
    assert _used(after[1]) == 3
    assert repaired[0] is not None  # soft windows put the spare route's requests back
    served = sorted(request for route in after[1] for request, kind in route if kind == "pickup")
    assert served == list(range(len(problem.requests)))
    # the plan is in the problem's own vehicle numbering: it loads into the whole fleet's model
    assert model.assignment_of(after[1]).ObjectiveValue() == after[0]


def test_a_timed_solve_returns_the_best_plan_it_reported():
    """After a search stops on its clock, the best plan must still load into the model."""
    inst, problem = _lc101()
    events: list[ProgressEvent] = []
    solution = solve(problem, SearchParameters(time_limit_s=6), progress=events.append)
    routes = bm.routes_as_rows(solution)
    assert solution.dropped == [] and bm.check_routes(inst, routes) == []
    assert solution.objective == min(e.objective for e in events)
    assert solution.status == "SUCCESS"


def _minimisations_and_fleets(monkeypatch, problem: Problem) -> tuple[int, list[int]]:
    """How often a timed solve of ``problem`` enters route minimisation, and the size of every
    fleet it builds a model for (0: the whole fleet). Route minimisation itself is stubbed
    out: whether it is entered is decided by the problem, not by how much time is left."""
    built: list[int] = []
    entered: list[int] = []
    original = _Search.model

    def counting(self, fleet=None, lateness_cost=0):
        built.append(0 if fleet is None else len(fleet))
        return original(self, fleet, lateness_cost)

    def entering(self, best, search_s, deadline):
        entered.append(1)
        return best

    monkeypatch.setattr(_Search, "model", counting)
    monkeypatch.setattr(_Search, "fewer_vehicles", entering)
    solve(problem, SearchParameters(time_limit_s=4))
    return len(entered), built


def test_route_minimisation_is_off_without_fixed_costs(monkeypatch):
    """Distance-only problems spend the whole search on distance: no smaller fleet is tried."""
    inst, problem = _lc101()
    assert _minimisations_and_fleets(monkeypatch, problem)[0] == 1  # with fixed costs
    problem = replace(problem, vehicles=tuple(replace(v, fixed_cost=0) for v in problem.vehicles))
    monkeypatch.undo()
    assert _minimisations_and_fleets(monkeypatch, problem) == (0, [0])


def test_each_later_run_on_a_fleet_starts_elsewhere(monkeypatch):
    """Iterated local search takes no seed: a second run on a fleet from the same start would
    retrace the first, so later runs on a fleet take the next start (heuristic and ruin size)
    in turn; a smaller fleet begins with the restarts."""
    import optimiser.solver.search as search

    inst, problem = _lc101()
    starts: list[tuple[str, int]] = []
    original = search.routing_search_parameters

    def recording(params, arc_cost=1.0, soft=False):
        if params.solution_limit != 1:  # not the reset after each run
            starts.append((params.first_solution, params.ils_removed))
        return original(params, arc_cost, soft)

    monkeypatch.setattr(search, "routing_search_parameters", recording)
    # Each run stops at the solution limit, long before the time it is given.
    params = SearchParameters(time_limit_s=NEVER_S, solution_limit=5)
    run = _Search(problem, params, None)
    whole = run.model()
    found = [run.iterate(whole, NEVER_S) for _ in range(5)]
    found.append(run.iterate(run.model(tuple(range(12))), NEVER_S))
    # Other vehicles of the same kind, as many: the same fleet to the search, which goes on.
    found.append(run.iterate(run.model(tuple(range(12, 24))), NEVER_S))
    assert starts == [
        (params.first_solution, params.ils_removed),
        *params.restarts,
        *params.restarts[:2],  # a smaller fleet starts with the restarts
    ]
    assert len(set(starts[:5])) == 5

    for best in found:  # every start builds a complete plan that the whole fleet's model takes
        assert best is not None
        served = sorted(r for route in best[1] for r, kind in route if kind == "pickup")
        assert served == list(range(len(problem.requests)))
        assert whole.assignment_of(best[1]) is not None


@pytest.mark.parametrize(("left_out", "runs"), [(1, 2), (3, 1)])
def test_a_close_miss_gets_one_more_run_from_another_start(monkeypatch, left_out, runs):
    """An attempt on a smaller fleet whose run afresh leaves only ``route_min_close_miss``
    requests out gets a second run on that fleet; one that leaves more out ends there."""
    inst, problem = _lc101()
    plan = [[] for _ in problem.vehicles]
    for r in range(len(problem.requests)):  # every request on one of two vehicles
        plan[r % 2] += [(r, "pickup"), (r, "dropoff")]
    best = (2 * 10**9, plan)
    calls: list[tuple[int, ...]] = []

    def short_of(self, model, seconds):
        calls.append(model.fleet)
        kept = [[(r, k) for r, k in route if r >= left_out] for route in plan]
        return (10**12, kept)  # requests left out: worse than the best

    monkeypatch.setattr(_Search, "soft_repair", lambda self, plan, fleet, seconds: None)
    monkeypatch.setattr(_Search, "iterate", short_of)
    run = _Search(problem, SearchParameters(time_limit_s=10), None)
    after = run.fewer_vehicles(best, search_s=10, deadline=time.perf_counter() + 10)
    assert after is best
    # both routes have 12 requests: the first of the smallest goes, vehicle 1 stays
    assert calls == [(1,)] * runs
