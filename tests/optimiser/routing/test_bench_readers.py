"""Benchmark readers, and the engine on one easy instance of each public set.

The files live outside the repository, in ``../shared/bench`` from its root; the tests skip when
that folder is absent. Solves use a solution limit, not a time limit, so they are reproducible.
"""

from __future__ import annotations

import pytest

from optimiser.routing import bench_readers as bm
from optimiser.solver.measures import typical_arc_cost
from optimiser.solver.params import SearchParameters
from optimiser.solver.progress import ProgressEvent
from optimiser.solver.solve import solve
from tests.helpers.paths import BENCH

pytestmark = pytest.mark.skipif(not BENCH.is_dir(), reason="benchmark files not present")


def test_solomon_reader_c101():
    inst = bm.read_solomon(BENCH / "solomon" / "C101.txt")
    assert (inst.name, inst.customers, inst.fleet, inst.capacity) == ("C101", 100, 25, 200)
    # depot: 40 50, window 0..1236; customer 1: 45 68, demand 10, window 912..967, service 90
    assert list(inst.xy[0]) == [40, 50] and (inst.ready[0], inst.due[0]) == (0, 1236)
    assert list(inst.xy[1]) == [45, 68]
    assert (inst.demand[1], inst.ready[1], inst.due[1], inst.service[1]) == (10, 912, 967, 90)
    assert inst.demand.sum() == 1810


def test_solomon_problem_dimacs_rule():
    inst = bm.read_solomon(BENCH / "solomon" / "C101.txt")
    problem = bm.to_problem(inst)
    assert problem.check() == []
    assert len(problem.requests) == 100 and len(problem.vehicles) == 25
    assert all(r.pickup is None for r in problem.requests)
    # depot (40, 50) to customer 1 (45, 68): sqrt(349) = 18.681..., truncated to 18.6 -> 186
    assert problem.distance_m[0, 1] == 186 and problem.time_s[0, 1] == 186
    first = problem.requests[0].dropoff
    assert (first.row, first.earliest_s, first.latest_s, first.service_s) == (1, 9120, 9670, 900)
    assert problem.vehicles[0].capacity == {bm.DIMENSION: 200}
    assert problem.vehicles[0].fixed_cost == 0


def test_lilim_reader_pairs_lc101():
    inst = bm.read_lilim(BENCH / "lilim" / "lc101.txt")
    assert (inst.customers, inst.fleet, inst.capacity, len(inst.pairs)) == (106, 25, 200, 53)
    rows = sorted(r for pair in inst.pairs for r in pair)
    assert rows == list(range(1, 107))  # every task in exactly one pair
    for p, d in inst.pairs:
        assert inst.demand[p] > 0 and inst.demand[d] == -inst.demand[p]
    assert (3, 75) in inst.pairs  # "3 42 66 10 65 146 90 0 75"
    problem = bm.to_problem(inst, fixed_cost=bm.HIERARCHICAL_FIXED_COST)
    assert problem.check() == []
    r = next(r for r in problem.requests if r.pickup.row == 3)
    assert r.dropoff.row == 75 and r.load == {bm.DIMENSION: 10}
    assert (r.pickup.earliest_s, r.pickup.latest_s, r.pickup.service_s) == (65000, 146000, 90000)


def test_checker_catches_a_delivery_before_its_pickup():
    inst = bm.read_lilim(BENCH / "lilim" / "lc101.txt")
    bad = [[d, p] for p, d in inst.pairs]
    assert any("not paired in order" in s for s in bm.check_routes(inst, bad))


def _bks(kind: str, table: str, name: str) -> tuple[int, float]:
    return bm.read_bks(BENCH / kind / table)[name]


def test_engine_on_solomon_c101():
    inst = bm.read_solomon(BENCH / "solomon" / "C101.txt")
    solution = solve(bm.to_problem(inst), SearchParameters(time_limit_s=120, solution_limit=100))
    routes = bm.routes_as_rows(solution)
    assert solution.dropped == []
    assert bm.check_routes(inst, routes, dimacs=True) == []
    _, truncated = bm.route_distances(inst, routes)
    assert truncated <= 1.03 * _bks("solomon", "bks_distance_only.csv", "C101")[1]


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
    inst = _small(bm.read_solomon(BENCH / "solomon" / "R101.txt"), 25)
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
    inst = bm.read_lilim(BENCH / "lilim" / "lc101.txt")
    problem = bm.to_problem(inst, fixed_cost=bm.HIERARCHICAL_FIXED_COST)
    params = SearchParameters(time_limit_s=60, solution_limit=20, warm_start="vroom")
    solution = solve(problem, params)
    routes = bm.routes_as_rows(solution)
    assert solution.dropped == [] and bm.check_routes(inst, routes) == []
    # the search started from VROOM's plan, which already has the best-known 10 vehicles
    assert solution.first_objective is not None
    assert solution.first_objective // bm.HIERARCHICAL_FIXED_COST == 10
    assert solution.objective <= solution.first_objective


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
    inst = bm.read_solomon(BENCH / "solomon" / "R105.txt")
    coarse = typical_arc_cost(bm.to_problem(inst, scale=10, rule="dimacs"))
    fine = typical_arc_cost(bm.to_problem(inst, scale=1000, rule="round"))
    assert fine == pytest.approx(100 * coarse, rel=0.01)
