"""The solver's one entry point: :func:`solve` a routing problem with given search parameters.

Phase 1 finds a complete first solution (local cheapest insertion by default), or loads a given
plan or VROOM's. Phase 2 improves it in the remaining time: iterated local search with restarts
and route minimisation where it has done better (:mod:`optimiser.solver.search`), guided local
search from the first solution elsewhere. The answer comes back as a
:class:`~optimiser.routing.problem.Solution` of request indices and times.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from ortools.constraint_solver import routing_enums_pb2

from optimiser.routing.problem import Problem, Solution
from optimiser.solver.model import InitialPlan, _Model, fits_alone
from optimiser.solver.ortools_parameters import routing_search_parameters
from optimiser.solver.params import (
    FIRST_SOLUTION_LIMIT_S,
    ITERATED_FIRST_SHARE,
    ITERATED_LOCAL_SEARCH,
    MIN_SEARCH_S,
    SearchParameters,
)
from optimiser.solver.progress import Progress
from optimiser.solver.regroup import regroup
from optimiser.solver.search import _iterated_phase, _Search

log = logging.getLogger(__name__)

_STATUS = {
    number: name.removeprefix("ROUTING_")
    for name, number in routing_enums_pb2.RoutingSearchStatus.Value.items()
}


def solve(
    problem: Problem,
    params: SearchParameters,
    progress: Progress | None = None,
    initial: InitialPlan | None = None,
) -> Solution:
    """Build the model for ``problem``, search, and return the best solution found.

    Parameters
    ----------
    problem : Problem
        The routing problem; it must pass its own consistency check.
    params : SearchParameters
        How long and how to search.
    progress : callable, optional
        Called with a :class:`~optimiser.solver.progress.ProgressEvent` for each plan found.
    initial : list of list of (int, str), optional
        A starting plan: for each vehicle, its visits as (request, "pickup" or "dropoff") in
        order; the search starts from it (or, when the model rejects it whole, from those of its
        routes it accepts) instead of building a first solution.

    Returns
    -------
    Solution
        The routes, the requests left out, the objective and how the search went.

    Raises
    ------
    ValueError
        If ``problem`` is inconsistent.
    """
    issues = problem.check()
    if issues:
        raise ValueError("inconsistent routing problem: " + "; ".join(issues))
    if not problem.requests or not problem.vehicles:
        dropped = list(range(len(problem.requests)))
        return Solution([], dropped, sum(r.penalty for r in problem.requests), status="EMPTY")
    run = _Search(problem, params, progress)
    model = run.model()
    run.build_s = run.elapsed()
    assignment, seeded, first_s = _first_solution(run, model, initial)
    if assignment is not None and params.solution_limit != 1:
        model, assignment = _improve(run, model, assignment, seeded, first_s)
    status_name = _STATUS.get(int(model.routing.status()), str(model.routing.status()))
    if assignment is None:
        dropped = list(range(len(problem.requests)))
        return Solution([], dropped, 0, status=status_name, wall_s=run.elapsed())
    routes, dropped = model.extract(assignment)
    return Solution(
        routes=routes,
        dropped=dropped,
        objective=int(assignment.ObjectiveValue()),
        first_objective=run.found[0] if run.found else None,
        status=status_name,
        solutions_found=len(run.found),
        wall_s=run.elapsed(),
        routes_seen=list(run.routes_seen),
    )


def _first_solution(
    run: _Search, model: _Model, initial: InitialPlan | None
) -> tuple[Any, bool, float]:
    """Phase 1: a complete first solution, however long it takes (a plan with every pupil left
    out because the clock ran out mid-construction helps nobody), or another engine's plan.

    With ``complete_start``, a start plan that loads whole but with requests it does not hold
    still left out (loading places them on unused vehicles only, by local cheapest insertion,
    briefly) is completed by the first-solution heuristic as a plan that does not load is, and
    the completion kept if it leaves fewer requests out: an afternoon started from the
    morning's groups loaded with 88 of 457 requests out, which the search never put back, where
    the completion placed them all.

    Returns the assignment (None if there is none), whether it was given rather than built (the
    iterated search would start afresh: not for these), and the seconds building it took.
    """
    params = run.params
    assignment = run.load(model, initial) if initial is not None else None
    if initial is not None and (assignment is None or params.complete_start):
        left_out = _left_out(model, assignment)
        if left_out:
            first = replace(
                params,
                solution_limit=1,
                time_limit_s=max(params.time_limit_s, FIRST_SOLUTION_LIMIT_S),
            )
            search = routing_search_parameters(first, run.arc_cost)
            completed = _load_what_fits(model, initial, search)
            if completed is not None and _left_out(model, completed) < left_out:
                assignment = completed
    if initial is not None and assignment is None:
        log.warning(
            "%s: the start plan given does not load, even in part; the search starts from a "
            "first solution of its own",
            run.problem.name,
        )
    if assignment is None and params.warm_start == "vroom":
        assignment = _warm_start(run, model)
    seeded = assignment is not None
    first_s = 0.0
    if assignment is None:
        first = replace(
            params,
            solution_limit=1,
            time_limit_s=max(params.time_limit_s, FIRST_SOLUTION_LIMIT_S),
            first_solution=construction(run.problem, params),
        )
        search = routing_search_parameters(first, run.arc_cost)
        assignment = model.routing.SolveWithParameters(search)
        first_s = run.elapsed() - run.build_s
    return assignment, seeded, first_s


def construction(problem: Problem, params: SearchParameters) -> str:
    """The heuristic that builds a first solution afresh: ``send_first_solution`` where requests
    have ride limits and vehicles cost to use (a SEND session), ``first_solution`` elsewhere (the
    public benchmarks it was chosen on: Solomon, Li & Lim, dial-a-ride). Iterated local search
    builds its own from its run's heuristic (see search._Search.start)."""
    ride_limits = any(r.max_ride_s is not None for r in problem.requests)
    fixed_costs = any(v.fixed_cost > 0 for v in problem.vehicles)
    return params.send_first_solution if ride_limits and fixed_costs else params.first_solution


def _left_out(model: _Model, assignment: Any) -> float:
    """How many requests ``assignment`` leaves out (infinitely many if there is none)."""
    return float("inf") if assignment is None else len(model.extract(assignment)[1])


def _load_what_fits(model: _Model, plan: InitialPlan, search: Any) -> Any:
    """As much of a start plan as the (closed) model accepts, completed: each route tried on its
    own, in a model of just its vehicle and requests (milliseconds, where a try in the whole
    model took about a second at 500 pupils); the routes that fit kept as they are and the
    requests of the others inserted by the first-solution heuristic of ``search`` (left for the
    improving search instead, 337 of 457 afternoon requests of the sample were still out after
    10 s of it). None if no route fits."""
    kept: InitialPlan = [
        visits if visits and fits_alone(model.problem, vehicle, visits) else []
        for vehicle, visits in enumerate(plan)
    ]
    return model.complete(kept, search) if any(kept) else None


def _improve(
    run: _Search, model: _Model, assignment: Any, seeded: bool, first_s: float
) -> tuple[_Model, Any]:
    """Phase 2: improve ``assignment`` with the remaining time; the best assignment found, and
    the model it belongs to."""
    problem, params = run.problem, run.params
    remaining = max(MIN_SEARCH_S, params.time_limit_s - run.elapsed())
    iterated = params.metaheuristic == ITERATED_LOCAL_SEARCH
    if iterated and not seeded and _suits_iterated_search(problem, first_s, params):
        return _iterated_phase(run, model, assignment, remaining, first_s)
    # From a given start (another plan, or sibling groups regrouped): guided local search.
    start = (regroup(model, assignment) if problem.same_vehicle else None) or assignment
    local = replace(params, time_limit_s=remaining)
    if iterated:
        local = replace(local, metaheuristic="GUIDED_LOCAL_SEARCH")
    search = routing_search_parameters(local, run.arc_cost)
    return model, model.routing.SolveFromAssignmentWithParameters(start, search) or start


def _suits_iterated_search(problem: Problem, first_s: float, params: SearchParameters) -> bool:
    """Where iterated local search has done better than guided local search, as measured.

    - the first solution took at most ITERATED_FIRST_SHARE of the budget (see there): on large
      sessions a complete insertion pass is too slow for ruin and recreate to iterate (the
      sample's morning session, 464 stops: none finished in two minutes);
    - no sibling groups: they are regrouped in a solution before the search, and ruin and
      recreate splits them again.

    Ride limits do not exclude it (they did until the dial-a-ride benchmark was added). On
    Cordeau's dial-a-ride instances, which have ride limits and route durations, at 10 s
    (a3-30, a4-40, a5-50, a6-60, a7-70, a8-96; ``benchmarks/README.md``): mean gap to the
    optimum 3.32% against 4.40% for guided local search, better on four, equal on one, worse on
    one (a4-40: 2.06% against 1.77%). On 60-pupil sessions of the sample without sibling
    groups (fixed costs, so route minimisation runs too), 10 s: morning 0.7% cheaper, afternoon
    1.8% dearer; two guided searches of one 120-pupil session differ by 0.6%. The earlier
    finding that iterated search left such a session where it started was a plan the whole
    fleet's model refused after route minimisation (now loaded into a fresh model,
    :func:`~optimiser.solver.search._iterated_phase`).
    """
    return first_s <= ITERATED_FIRST_SHARE * params.time_limit_s and not problem.same_vehicle


def _warm_start(run: _Search, model: _Model) -> Any:
    """VROOM's plan loaded into the model, or None if there is none or the model rejects it."""
    # pyvroom is optional (the bench extra): imported only when a warm start is asked for.
    from optimiser.solver.warmstart import vroom_plan

    params = run.params
    plan = vroom_plan(model.problem, timeout_s=params.time_limit_s * params.warm_start_share)
    return None if plan is None else run.load(model, plan)
