"""Which search a solve runs, by problem class, on the tiny dial-a-ride instance in the repository.

Iterated local search wherever the first solution is quick and no sibling groups must share a
vehicle, ride limits or not (a SEND session has them, and so has Cordeau's dial-a-ride set);
guided local search otherwise. Solves stop at a solution limit, so they are reproducible.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

import optimiser.solver.solve as solve_module
from optimiser.routing import bench_readers as bm
from optimiser.solver.model import _Model
from optimiser.solver.params import SearchParameters
from optimiser.solver.progress import ProgressEvent
from tests.helpers.paths import BENCH_DATA

NEVER_S = 600.0  # a time limit no search here reaches


@pytest.fixture
def iterated_runs(monkeypatch) -> list[int]:
    """One entry per solve that took the iterated search."""
    runs: list[int] = []
    original = solve_module._iterated_phase

    def counting(*args, **kwargs):
        runs.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(solve_module, "_iterated_phase", counting)
    return runs


def _a2_16() -> tuple[bm.Instance, object]:
    inst = bm.read_darp(BENCH_DATA / "darp" / "a2-16")
    return inst, bm.to_problem(inst)


@pytest.mark.parametrize(
    ("metaheuristic", "groups", "iterated"),
    [
        ("ITERATED_LOCAL_SEARCH", (), True),  # ride limits do not stop it
        ("ITERATED_LOCAL_SEARCH", ((13, 14),), False),  # sibling groups do
        ("GUIDED_LOCAL_SEARCH", (), False),
    ],
)
def test_the_search_with_ride_limits(iterated_runs, metaheuristic, groups, iterated):
    inst, problem = _a2_16()
    problem = replace(problem, same_vehicle=groups)
    assert all(r.max_ride_s is not None for r in problem.requests)
    params = SearchParameters(time_limit_s=NEVER_S, solution_limit=100, metaheuristic=metaheuristic)
    solution = solve_module.solve(problem, params)
    routes = bm.routes_as_rows(solution)
    assert solution.dropped == [] and bm.check_routes(inst, routes) == []
    assert solution.objective < solution.first_objective
    assert iterated_runs == ([1] if iterated else [])
    for group in groups:  # a group rides one vehicle
        vehicles = {r.vehicle for r in solution.routes for v in r.visits if v.request in group}
        assert len(vehicles) == 1


def test_the_best_plan_comes_back_in_a_fresh_model_when_the_search_model_refuses_it(monkeypatch):
    """After runs on smaller fleets the whole fleet's model has refused a plan a fresh model
    takes; the solve must still return its best plan, not its first."""
    inst, problem = _a2_16()
    original = _Model.assignment_of
    refusing: list[_Model] = []

    def refuse_in_the_first_model(self, plan):
        if not refusing:
            refusing.append(self)
        return None if self is refusing[0] else original(self, plan)

    monkeypatch.setattr(_Model, "assignment_of", refuse_in_the_first_model)
    events: list[ProgressEvent] = []
    params = SearchParameters(time_limit_s=NEVER_S, solution_limit=100)
    solution = solve_module.solve(problem, params, progress=events.append)
    routes = bm.routes_as_rows(solution)
    assert solution.dropped == [] and bm.check_routes(inst, routes) == []
    assert solution.objective == min(e.objective for e in events) < solution.first_objective
    assert solution.status == "SUCCESS"


def test_where_vehicles_cost_nothing_guided_search_polishes_the_iterated_best(monkeypatch):
    """Dial-a-ride (ride limits, vehicles free to use): the last ``ils_polish_share`` of the time
    goes to guided local search from the iterated run's best plan, and the solve keeps whichever
    is cheaper. Where vehicles cost something to use (a SEND session), no polish."""
    import optimiser.solver.search as search_module

    repairs: list[float] = []
    original = search_module._Search.repair

    def counting(self, model, plan, seconds):
        repairs.append(seconds)
        return original(self, model, plan, seconds)

    monkeypatch.setattr(search_module._Search, "repair", counting)
    inst, problem = _a2_16()
    assert all(v.fixed_cost == 0 for v in problem.vehicles)
    params = SearchParameters(time_limit_s=NEVER_S, solution_limit=100)
    assert params.ils_polish_share == 0.3
    alone = solve_module.solve(problem, replace(params, ils_polish_share=0.0))
    assert repairs == []
    polished = solve_module.solve(problem, params)
    assert len(repairs) == 1 and repairs[0] > 0.25 * NEVER_S
    assert polished.dropped == [] and bm.check_routes(inst, bm.routes_as_rows(polished)) == []
    assert polished.objective <= alone.objective

    priced = [replace(v, fixed_cost=1) for v in problem.vehicles]
    solve_module.solve(replace(problem, vehicles=priced), params)
    assert len(repairs) == 1


@pytest.mark.parametrize(
    ("fixed_cost", "ride_limits", "built_by"),
    [
        (500, True, "PARALLEL_CHEAPEST_INSERTION"),  # a SEND session's shape: send_first_solution
        (0, True, "LOCAL_CHEAPEST_INSERTION"),  # dial-a-ride: vehicles cost nothing to use
        (500, False, "LOCAL_CHEAPEST_INSERTION"),  # no ride limits (Li & Lim's shape)
    ],
)
def test_a_send_session_is_built_by_its_own_heuristic(
    monkeypatch, fixed_cost, ride_limits, built_by
):
    """The first solution built afresh: ``send_first_solution`` where requests have ride limits
    and vehicles cost to use, ``first_solution`` elsewhere (seen in the search parameters the
    model is solved with)."""
    inst, problem = _a2_16()
    vehicles = tuple(replace(v, fixed_cost=fixed_cost) for v in problem.vehicles)
    requests = (
        problem.requests
        if ride_limits
        else tuple(replace(r, max_ride_s=None) for r in problem.requests)
    )
    problem = replace(problem, vehicles=vehicles, requests=requests)
    params = SearchParameters(
        time_limit_s=NEVER_S,
        solution_limit=1,
        metaheuristic="GUIDED_LOCAL_SEARCH",
        first_solution="LOCAL_CHEAPEST_INSERTION",
        send_first_solution="PARALLEL_CHEAPEST_INSERTION",
    )
    assert solve_module.construction(problem, params) == built_by
    strategies: list[str] = []
    original = solve_module.routing_search_parameters

    def seen(p, *args, **kwargs):
        strategies.append(p.first_solution)
        return original(p, *args, **kwargs)

    monkeypatch.setattr(solve_module, "routing_search_parameters", seen)
    solution = solve_module.solve(problem, params)
    assert strategies == [built_by]
    assert solution.routes
