"""Benchmark readers, the independent check, and the engine on small instances of each set.

Tiny cuts of each set are in ``tests/data/bench`` (a fresh clone runs these tests); the checks
against published values on whole instances use ``../shared/bench`` and skip when it is absent.
Solves use a solution limit, not a time limit, so they are reproducible.
"""

from __future__ import annotations

import numpy as np
import pytest

from optimiser.routing import bench_readers as bm
from optimiser.solver.measures import typical_arc_cost
from optimiser.solver.params import SearchParameters
from optimiser.solver.progress import ProgressEvent
from optimiser.solver.solve import solve
from tests.helpers.paths import BENCH, BENCH_DATA

needs_shared = pytest.mark.skipif(not BENCH.is_dir(), reason="benchmark files not present")


def test_solomon_reader_c101():
    inst = bm.read_solomon(BENCH_DATA / "solomon" / "C101_25.txt")
    assert (inst.name, inst.customers, inst.fleet, inst.capacity) == ("C101_25", 25, 25, 200)
    # depot: 40 50, window 0..1236; customer 1: 45 68, demand 10, window 912..967, service 90
    assert list(inst.xy[0]) == [40, 50] and (inst.ready[0], inst.due[0]) == (0, 1236)
    assert list(inst.xy[1]) == [45, 68]
    assert (inst.demand[1], inst.ready[1], inst.due[1], inst.service[1]) == (10, 912, 967, 90)
    assert inst.demand.sum() == 460


@needs_shared
def test_solomon_reader_whole_c101():
    inst = bm.read_solomon(BENCH / "solomon" / "C101.txt")
    assert (inst.name, inst.customers, inst.fleet, inst.capacity) == ("C101", 100, 25, 200)
    assert inst.demand.sum() == 1810


def test_solomon_problem_dimacs_rule():
    inst = bm.read_solomon(BENCH_DATA / "solomon" / "C101_25.txt")
    problem = bm.to_problem(inst)
    assert problem.check() == []
    assert len(problem.requests) == 25 and len(problem.vehicles) == 25
    assert all(r.pickup is None for r in problem.requests)
    # depot (40, 50) to customer 1 (45, 68): sqrt(349) = 18.681..., truncated to 18.6 -> 186
    assert problem.distance_m[0, 1] == 186 and problem.time_s[0, 1] == 186
    first = problem.requests[0].dropoff
    assert (first.row, first.earliest_s, first.latest_s, first.service_s) == (1, 9120, 9670, 900)
    assert problem.vehicles[0].capacity == {bm.DIMENSION: 200}
    assert problem.vehicles[0].fixed_cost == 0


def test_lilim_reader_pairs_lc101():
    inst = bm.read_lilim(BENCH_DATA / "lilim" / "lc101_12.txt")
    assert (inst.customers, inst.fleet, inst.capacity, len(inst.pairs)) == (24, 25, 200, 12)
    rows = sorted(r for pair in inst.pairs for r in pair)
    assert rows == list(range(1, 25))  # every task in exactly one pair
    for p, d in inst.pairs:
        assert inst.demand[p] > 0 and inst.demand[d] == -inst.demand[p]
    assert (3, 23) in inst.pairs  # lc101's "3 42 66 10 65 146 90 0 75", its delivery renumbered
    problem = bm.to_problem(inst, fixed_cost=bm.HIERARCHICAL_FIXED_COST)
    assert problem.check() == []
    r = next(r for r in problem.requests if r.pickup.row == 3)
    assert r.dropoff.row == 23 and r.load == {bm.DIMENSION: 10}
    assert (r.pickup.earliest_s, r.pickup.latest_s, r.pickup.service_s) == (65000, 146000, 90000)


def test_checker_catches_a_delivery_before_its_pickup():
    inst = bm.read_lilim(BENCH_DATA / "lilim" / "lc101_12.txt")
    bad = [[d, p] for p, d in inst.pairs]
    assert any("not paired in order" in s for s in bm.check_routes(inst, bad))


def _bks(kind: str, table: str, name: str) -> tuple[int, float]:
    return bm.read_bks(BENCH / kind / table)[name]


@needs_shared
def test_engine_on_solomon_c101():
    inst = bm.read_solomon(BENCH / "solomon" / "C101.txt")
    solution = solve(bm.to_problem(inst), SearchParameters(time_limit_s=120, solution_limit=100))
    routes = bm.routes_as_rows(solution)
    assert solution.dropped == []
    assert bm.check_routes(inst, routes, dimacs=True) == []
    _, truncated = bm.route_distances(inst, routes)
    assert truncated <= 1.03 * _bks("solomon", "bks_distance_only.csv", "C101")[1]


@needs_shared
def test_engine_on_lilim_lc101():
    inst = bm.read_lilim(BENCH / "lilim" / "lc101.txt")
    problem = bm.to_problem(inst, fixed_cost=bm.HIERARCHICAL_FIXED_COST)
    solution = solve(problem, SearchParameters(time_limit_s=120, solution_limit=100))
    routes = bm.routes_as_rows(solution)
    assert solution.dropped == []
    assert bm.check_routes(inst, routes) == []
    vehicles, distance = _bks("lilim", "bks.csv", "lc101")
    exact, _ = bm.route_distances(inst, routes)
    assert len(routes) == vehicles
    assert exact <= 1.03 * distance


def _small(inst: bm.Instance, n: int) -> bm.Instance:
    """The depot and the first ``n`` customers of a Solomon instance."""
    keep = slice(0, n + 1)
    return bm.Instance(
        inst.name,
        inst.kind,
        inst.xy[keep],
        inst.demand[keep],
        inst.ready[keep],
        inst.due[keep],
        inst.service[keep],
        inst.capacity,
        inst.fleet,
    )


def test_fixed_cost_as_span_charges_the_same_objective():
    inst = _small(bm.read_solomon(BENCH_DATA / "solomon" / "R105_25.txt"), 20)
    problem = bm.to_problem(inst, fixed_cost=10**6)
    for as_span in (False, True):
        params = SearchParameters(time_limit_s=60, solution_limit=30, fixed_cost_as_span=as_span)
        solution = solve(problem, params)
        routes = bm.routes_as_rows(solution)
        assert solution.dropped == [] and bm.check_routes(inst, routes) == []
        travel = sum(
            int(problem.distance_m[a, b])
            for route in routes
            for a, b in zip([0, *route], [*route, 0], strict=True)
        )
        assert solution.objective == 10**6 * len(routes) + travel


def test_warm_start_from_vroom_is_loaded_and_improved_on():
    pytest.importorskip("vroom")
    inst = bm.read_lilim(BENCH_DATA / "lilim" / "lc101_12.txt")
    problem = bm.to_problem(inst, fixed_cost=bm.HIERARCHICAL_FIXED_COST)
    params = SearchParameters(time_limit_s=60, solution_limit=20, warm_start="vroom")
    solution = solve(problem, params)
    routes = bm.routes_as_rows(solution)
    assert solution.dropped == [] and bm.check_routes(inst, routes) == []
    # the search started from VROOM's plan (every request placed) and kept or improved it
    assert solution.first_objective is not None
    assert solution.first_objective < 10 * bm.HIERARCHICAL_FIXED_COST
    assert solution.objective <= solution.first_objective


@needs_shared
def test_iterated_local_search_beats_guided_local_search_on_the_same_solution_count():
    """Ruin and recreate escapes the local optima guided local search is still circling."""
    inst = bm.read_solomon(BENCH / "solomon" / "R105.txt")
    problem = bm.to_problem(inst)
    results = {}
    for metaheuristic in ("ITERATED_LOCAL_SEARCH", "GUIDED_LOCAL_SEARCH"):
        events: list[ProgressEvent] = []
        params = SearchParameters(time_limit_s=120, solution_limit=300, metaheuristic=metaheuristic)
        solution = solve(problem, params, progress=events.append)
        routes = bm.routes_as_rows(solution)
        assert solution.dropped == [] and bm.check_routes(inst, routes, dimacs=True) == []
        assert solution.objective < solution.first_objective
        # progress is reported throughout, and the plan returned is the best one reported
        assert len(events) > 10
        assert solution.objective == min(e.objective for e in events)
        results[metaheuristic] = solution.objective
    assert results["ITERATED_LOCAL_SEARCH"] < results["GUIDED_LOCAL_SEARCH"]


def test_annealing_temperatures_follow_the_problems_scale():
    inst = bm.read_solomon(BENCH_DATA / "solomon" / "R105_25.txt")
    coarse = typical_arc_cost(bm.to_problem(inst, scale=10, rule="dimacs"))
    fine = typical_arc_cost(bm.to_problem(inst, scale=1000, rule="round"))
    assert fine == pytest.approx(100 * coarse, rel=0.01)


def _darp(name: str = "a2-16") -> bm.Instance:
    return bm.read_darp(BENCH_DATA / "darp" / name)


def test_darp_reader_a2_16():
    inst = _darp()
    assert (inst.name, inst.kind, inst.fleet, inst.capacity) == ("a2-16", "darp", 2, 3)
    assert (inst.max_duration, inst.max_ride) == (480, 30)
    assert inst.customers == 32  # 16 pickups and their drop-offs; the end depot is row 0
    assert inst.pairs[0] == (1, 17) and inst.pairs[-1] == (16, 32)
    # request 9: picked up at (7.976, -9.000) in [276, 291]; set down anywhere in [0, 1440]
    assert list(inst.xy[9]) == [7.976, -9.0] and (inst.ready[9], inst.due[9]) == (276, 291)
    assert (inst.demand[9], inst.demand[25], inst.service[9]) == (1, -1, 3)
    assert (inst.ready[0], inst.due[0], inst.service[0]) == (0, 480, 0)


def test_darp_problem_has_ride_limits_and_route_duration():
    problem = bm.to_problem(_darp())
    assert problem.check() == []
    assert len(problem.requests) == 16 and len(problem.vehicles) == 2
    assert {r.max_ride_s for r in problem.requests} == {30_000}
    assert {(v.max_duration_s, v.fixed_cost) for v in problem.vehicles} == {(480_000, 0)}
    r = problem.requests[8]
    assert (r.pickup.row, r.dropoff.row, r.pickup.service_s) == (9, 25, 3000)
    assert bm.read_optimal(BENCH_DATA / "darp" / "optimal.csv")["a2-16"] == (2, 294.25)


def _line(n: int, ride: float, duration: float, due: int = 1000) -> bm.Instance:
    """A hand-checkable dial-a-ride instance: the depot at 0 and n requests along a line, request
    i picked up at 10 i and set down at 10 i + 5; no service times, capacity 2."""
    xs = [0.0] + [10.0 * i for i in range(1, n + 1)] + [10.0 * i + 5 for i in range(1, n + 1)]
    k = len(xs)
    return bm.Instance(
        name="line",
        kind="darp",
        xy=np.array([[x, 0.0] for x in xs]),
        demand=np.array([0] + [1] * n + [-1] * n),
        ready=np.zeros(k, dtype=int),
        due=np.full(k, due),
        service=np.zeros(k, dtype=int),
        capacity=2,
        fleet=2,
        pairs=tuple((i, n + i) for i in range(1, n + 1)),
        max_ride=ride,
        max_duration=duration,
    )


@pytest.mark.parametrize(
    ("route", "ride", "duration", "due", "issue"),
    [
        # [1, 3, 2, 4]: 0 -> 10 -> 15 -> 20 -> 25 -> 0, rides of 5, 50 in all
        ([1, 3, 2, 4], 5, 50, 1000, ""),
        ([1, 3, 2, 4], 5, 49.9, 1000, "route duration"),
        ([1, 3, 2, 4], 5, 100, 49, "time windows"),  # back at the depot at 50 at the earliest
        # [1, 2, 3, 4]: both on board together, rides of 15
        ([1, 2, 3, 4], 15, 100, 1000, ""),
        ([1, 2, 3, 4], 14.9, 100, 1000, "ride limit"),
    ],
)
def test_checker_finds_the_rule_no_schedule_keeps(route, ride, duration, due, issue):
    found = bm.check_routes(_line(2, ride, duration, due), [route])
    assert found == ([f"route 0: no schedule keeps the {issue}"] if issue else [])


def test_checker_lets_a_route_wait_so_a_ride_stays_short():
    """A pickup open from 0 and a drop-off that opens at 100: leaving at once, the passenger
    would wait on board; the check finds the schedule that picks up at 90 instead."""
    inst = _line(1, ride=20, duration=1000)
    inst.ready[2] = 100  # request 1's drop-off (x = 15), 5 from its pickup
    assert bm.check_routes(inst, [[1, 2]]) == []
    inst.ready[1], inst.due[1] = 0, 50  # the pickup must now happen by 50: a ride of at least 50
    assert bm.check_routes(inst, [[1, 2]]) == ["route 0: no schedule keeps the ride limit"]


def test_checker_counts_capacity_coverage_and_fleet():
    inst = _line(3, ride=100, duration=1000)
    assert "route 0: load out of range" in bm.check_routes(inst, [[1, 2, 3, 4, 5, 6]])
    assert "not every customer visited exactly once" in bm.check_routes(inst, [[1, 4]])
    split = [[1, 4], [2, 5], [3, 6]]
    assert bm.check_routes(inst, split) == ["3 routes for 2 vehicles"]


@pytest.mark.parametrize("metaheuristic", ["ITERATED_LOCAL_SEARCH", "GUIDED_LOCAL_SEARCH"])
@pytest.mark.parametrize(("name", "optimal"), [("a2-16", 294.25), ("a4-16", 282.68)])
def test_engine_reaches_the_optimum_of_small_dial_a_ride_instances(name, optimal, metaheuristic):
    inst = _darp(name)
    params = SearchParameters(time_limit_s=600, solution_limit=300, metaheuristic=metaheuristic)
    solution = solve(bm.to_problem(inst), params)
    routes = bm.routes_as_rows(solution)
    assert solution.dropped == [] and bm.check_routes(inst, routes) == []
    exact, _ = bm.route_distances(inst, routes)
    assert exact == pytest.approx(optimal, abs=0.005)
