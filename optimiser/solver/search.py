"""The search of one solve: its clock, its progress reports, and the runs it makes.

Where a first solution is quick and no sibling groups must share a vehicle, the improvement is
OR-Tools' iterated local search (``SolveWithIteratedLocalSearch``: string removals after
Christiaens and Vanden Berghe's SISR, re-insertion, greedy descent, simulated-annealing
acceptance). OR-Tools' iterated local search takes no seed, so later runs on a fleet start from
other construction heuristics in turn (restarts). Where vehicles have a fixed cost it also tries
smaller fleets (route minimisation). SEND sessions take it too where their first solution is
quick and they have no sibling groups; larger sessions and those with groups take guided local
search (see :mod:`optimiser.solver.solve`).

A solve may build several models (route minimisation works on smaller fleets); every model
reports to the one :class:`_Search`, and plans are kept in the problem's own vehicle numbering.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import Any

from optimiser.routing.problem import Problem
from optimiser.routing.subproblem import placement_penalty
from optimiser.solver.measures import lateness_cost, typical_arc_cost, vehicle_kinds
from optimiser.solver.model import InitialPlan, _Model
from optimiser.solver.ortools_parameters import routing_search_parameters
from optimiser.solver.params import FIRST_SOLUTION_LIMIT_S, MIN_SEARCH_S, SearchParameters
from optimiser.solver.progress import FIRST_ROUTES, IMPROVING, Progress, ProgressEvent

log = logging.getLogger(__name__)

Best = tuple[int, InitialPlan]  # objective and plan


def _described(best: Best | None) -> str:
    """A plan in a debug log line: its objective, routes and visits."""
    if best is None:
        return "no plan"
    routes = [r for r in best[1] if r]
    return f"objective {best[0]}, {len(routes)} routes, {sum(map(len, routes))} visits"


class _Search:
    """One call of :func:`~optimiser.solver.solve.solve`: its clock, its progress reports and
    the best plan of a run."""

    def __init__(
        self, problem: Problem, params: SearchParameters, progress: Progress | None
    ) -> None:
        self.problem, self.params, self.progress = problem, params, progress
        self.started = time.perf_counter()
        self.build_s = 0.0
        self.found: list[int] = []
        self.arc_cost = typical_arc_cost(problem)
        # Iterated local search returns its last accepted solution, not always its best: while
        # one runs, the routes of each new best are kept as they are reported.
        self.recording: _Model | None = None
        self.run_best: Best | None = None
        self.muted = False
        # Iterated runs so far on each make-up of fleet (vehicles of a kind are interchangeable,
        # so two fleets of three such vehicles are one): a later run starts elsewhere.
        self.kinds = vehicle_kinds(problem)
        self.runs: dict[tuple[int, ...], int] = {}
        # With params.keep_routes: every distinct route of every plan reported, in order found.
        self.routes_seen: dict[tuple[int, tuple[tuple[int, str], ...]], None] = {}

    def elapsed(self) -> float:
        """Seconds since the solve began."""
        return time.perf_counter() - self.started

    def model(self, fleet: tuple[int, ...] | None = None, lateness_cost: int = 0) -> _Model:
        """A model of ``fleet`` (default: every vehicle) that reports its solutions here."""
        model = _Model(self.problem, self.params.fixed_cost_as_span, fleet, lateness_cost)
        model.routing.AddAtSolutionCallback(lambda: self._on_solution(model))
        return model

    def load(self, model: _Model, plan: InitialPlan) -> Any:
        """A plan given as (request, "pickup" | "dropoff") visits per vehicle, as an assignment
        of ``model`` (closed here), or None if the model rejects it."""
        model.routing.CloseModelWithParameters(
            routing_search_parameters(self.params, typical_arc_cost(model.problem))
        )
        return model.assignment_of(plan)

    def _on_solution(self, model: _Model) -> None:
        cost_var = model.routing.CostVar()
        if self.muted or not cost_var.Bound():  # iterated local search reports inner searches
            return
        if model.lateness_cost and not model.on_time(model.routes_of()):
            return  # a soft-window plan running late: not a plan anyone can use
        cost = cost_var.Value()
        self.found.append(cost)
        if self.recording is model and (self.run_best is None or cost < self.run_best[0]):
            self.run_best = (cost, model.plan_of(model.routes_of()))
        if self.params.keep_routes:
            for vehicle, visits in enumerate(model.plan_of(model.routes_of())):
                if visits:
                    self.routes_seen[vehicle, tuple((r, str(k)) for r, k in visits)] = None
        if self.progress is not None:
            plan = model.plan_of(model.routes_of())
            vehicle_of = {r: v for v, route in enumerate(plan) for r, _ in route}
            self.progress(
                ProgressEvent(
                    problem=self.problem.name,
                    solutions=len(self.found),
                    objective=cost - model.ride_price_offset(vehicle_of),
                    elapsed_s=round(self.elapsed(), 1),
                    build_s=round(self.build_s, 1),
                    penalty=placement_penalty(self.problem, vehicle_of),
                    unplaced=len(self.problem.requests) - len(vehicle_of),
                    dropped=tuple(
                        r for r in range(len(self.problem.requests)) if r not in vehicle_of
                    ),
                    phase=FIRST_ROUTES if len(self.found) == 1 else IMPROVING,
                )
            )

    def start(self, fleet: tuple[int, ...]) -> tuple[str, int]:
        """Where the next iterated run on ``fleet`` starts: its construction heuristic and the
        visits it removes per ruin.

        On the whole fleet: ``first_solution`` and ``ils_removed``, then ``restarts`` in turn.
        On a smaller fleet (route minimisation, or a plan's own vehicles): ``restarts`` first.
        Local cheapest insertion on a plan's own vehicles tends to rebuild the plan the whole
        fleet's run ended at (lc204: 739.49 in 16.5 s, where parallel cheapest insertion
        reached 599.83).
        """
        make_up = tuple(sorted(self.kinds[v] for v in fleet))
        runs = self.runs.get(make_up, 0)
        self.runs[make_up] = runs + 1
        order = [(self.params.first_solution, self.params.ils_removed), *self.params.restarts]
        if len(fleet) < len(self.problem.vehicles):
            order = order[1:] + order[:1]
        return order[runs % len(order)]

    def iterate(self, model: _Model, seconds: float) -> Best | None:
        """Iterated local search on ``model`` for ``seconds``: the best plan it reported.

        OR-Tools' iterated local search always starts from its first-solution heuristic: it
        ignores a first-solution hint, and routes applied as locks hold the search back (measured:
        fewer best-known vehicle counts on Li & Lim than starting afresh). It takes no seed
        either, so the second and later runs on a fleet start from the heuristics of
        ``restarts`` in turn rather than retrace the first.
        """
        self.run_best = None
        heuristic, removed = self.start(model.fleet)
        params = replace(
            self.params, time_limit_s=seconds, first_solution=heuristic, ils_removed=removed
        )
        search = routing_search_parameters(params, self.arc_cost, bool(model.lateness_cost))
        self.recording = model
        last = model.routing.SolveWithIteratedLocalSearch(search)
        self.recording = None
        best = self.run_best
        if last is not None:
            routes = model.routes_of(last)
            usable = not model.lateness_cost or model.on_time(routes)
            if usable and (best is None or last.ObjectiveValue() < best[0]):
                best = (last.ObjectiveValue(), model.plan_of(routes))
            # The search leaves the model's time limit expired, and with it every later
            # ReadAssignmentFromRoutes fails. A search from ``last`` stopped at its first
            # solution (``last`` itself, restored: milliseconds) sets a fresh limit.
            self.muted = True
            reset = replace(self.params, solution_limit=1, time_limit_s=FIRST_SOLUTION_LIMIT_S)
            model.routing.SolveFromAssignmentWithParameters(
                last, routing_search_parameters(replace(reset, metaheuristic="GREEDY_DESCENT"))
            )
            self.muted = False
        log.debug(
            "%.1f s: %s, %d per ruin, on %d vehicles, %.1f s: %s",
            self.elapsed(),
            heuristic,
            removed,
            len(model.fleet),
            seconds,
            _described(best),
        )
        return best

    def repair(self, model: _Model, plan: InitialPlan, seconds: float) -> Best | None:
        """Guided local search on ``model`` for ``seconds``, from ``plan`` with the visits of
        vehicles outside the model's fleet left out for the search to put back: the best plan
        it reported (with soft windows, the best that is on time)."""
        self.run_best = None
        params = replace(self.params, time_limit_s=seconds, metaheuristic="GUIDED_LOCAL_SEARCH")
        search = routing_search_parameters(params, self.arc_cost, bool(model.lateness_cost))
        model.routing.CloseModelWithParameters(search)
        start = model.assignment_of(plan)
        if start is None:
            return None
        self.recording = model
        model.routing.SolveFromAssignmentWithParameters(start, search)
        self.recording = None
        return self.run_best

    def soft_repair(self, plan: InitialPlan, fleet: tuple[int, ...], seconds: float) -> Best | None:
        """:meth:`repair` on ``fleet`` with soft time windows (``route_min_lateness``; 0: hard),
        the plan found checked in the full model of that fleet: its objective there."""
        lateness = lateness_cost(self.problem, self.params.route_min_lateness)
        found = self.repair(self.model(fleet, lateness), plan, seconds)
        log.debug(
            "%.1f s: soft repair on %d vehicles, %.1f s: %s",
            self.elapsed(),
            len(fleet),
            seconds,
            _described(found),
        )
        return self.checked(found[1], fleet) if found is not None and lateness else found

    def checked(self, plan: InitialPlan, fleet: tuple[int, ...]) -> Best | None:
        """A plan found with soft windows, loaded into the full model of ``fleet`` (every rule
        hard, fixed costs charged): its objective there, or None if that model rejects it."""
        model = self.model(fleet)
        assignment = self.load(model, plan)
        return None if assignment is None else (assignment.ObjectiveValue(), plan)

    def missing(self, best: Best) -> int:
        """How many requests ``best`` leaves out."""
        placed = {r for route in best[1] for r, _ in route}
        return len(self.problem.requests) - len(placed)

    def fewer_vehicles(self, best: Best, search_s: float, deadline: float) -> Best:
        """Route minimisation: try to do without one vehicle at a time.

        The fleet is cut to the vehicles the best plan uses less the one with the fewest visits,
        and guided local search runs on that fleet for a slice of the time, starting from the
        best plan with that vehicle's requests left out, and with soft time windows
        (``route_min_lateness``): the requests can then go back in anywhere, late, and the search
        works the lateness away, rather than hunting for room on routes with none. If that
        finds no plan on time, iterated local search tries the same fleet afresh for another
        slice, and once more from another start if it came close (``route_min_close_miss``).
        A plan that is on time, and does better in the full model (every request placed,
        one vehicle fewer), becomes the best and the next vehicle is tried; a failure tries the
        next smallest route, up to ``route_min_failures`` in a row.
        """
        params = self.params
        tried: set[int] = set()
        while len(tried) < params.route_min_failures:
            slice_s = params.route_min_slice * search_s
            left = deadline - time.perf_counter()
            used = [v for v, route in enumerate(best[1]) if route]
            candidates = sorted((len(best[1][v]), v) for v in used if v not in tried)
            if left < slice_s / 2 or len(used) < 2 or not candidates:
                break
            drop = candidates[0][1]
            fleet = tuple(v for v in used if v != drop)
            found = self.soft_repair(best[1], fleet, min(slice_s, left))
            left = deadline - time.perf_counter()
            if (found is None or found[0] >= best[0]) and left >= slice_s / 2:
                # Repair failed: iterated local search afresh on the same fleet, which finds
                # others (lc103's nine routes; lr203's three at the best-known distance).
                found = self.iterate(self.model(fleet), min(slice_s, left))
                left = deadline - time.perf_counter()
                close = found is not None and self.missing(found) <= params.route_min_close_miss
                if found is not None and close and found[0] >= best[0] and left >= slice_s / 2:
                    found = self.iterate(self.model(fleet), min(slice_s, left))
            if found is not None and found[0] < best[0]:
                best, tried = found, set()
            else:
                tried.add(drop)
        return best


def _iterated_phase(
    run: _Search, model: _Model, assignment: Any, search_s: float, first_s: float
) -> tuple[_Model, Any]:
    """Iterated local search, with route minimisation where vehicles cost to use.

    Without fixed costs (or under a solution limit, which must stay reproducible): one run for
    the whole time. With them: a run for ``route_min_first`` of the time, route minimisation
    (:meth:`_Search.fewer_vehicles`), then a run on the whole fleet for half of what is left and
    one on the best plan's own vehicles for the other half; the best plan of them all is kept.
    Returns the best plan as an assignment of ``model``, or of a fresh model of the whole fleet
    where ``model`` no longer takes it, or ``assignment`` if no plan was better.
    """
    params = run.params
    deadline = time.perf_counter() + search_s + first_s
    minimise = (
        params.route_min
        and params.solution_limit is None
        and any(v.fixed_cost > 0 for v in run.problem.vehicles)
    )
    # The first run builds its own first solution again (the same one: the heuristic is
    # deterministic), so it gets that time again.
    start = (assignment.ObjectiveValue(), model.plan_of(model.routes_of(assignment)))
    # Guided local search from the iterated run's best, for the last share of the time: measured
    # on dial-a-ride (ride limits, vehicles free to use) only, so only there (benchmarks/README.md).
    free = not any(v.fixed_cost > 0 for v in run.problem.vehicles)
    ride_limits = any(r.max_ride_s is not None for r in run.problem.requests)
    polish = params.ils_polish_share * search_s if free and ride_limits else 0.0
    first_run = (params.route_min_first * search_s if minimise else search_s - polish) + first_s
    best = min(start, run.iterate(model, first_run) or start, key=lambda b: b[0])
    if polish >= MIN_SEARCH_S:
        seconds = deadline - time.perf_counter()
        polished = run.repair(model, best[1], seconds) if seconds >= MIN_SEARCH_S else None
        best = min(best, polished or best, key=lambda b: b[0])
    if minimise:
        best = run.fewer_vehicles(best, search_s, deadline)
        # The time left: half to a run on the whole fleet, half to a run on the best plan's own
        # vehicles, each from a start not yet used on its fleet (see _Search.start). The whole
        # fleet's run finds shorter plans where there is room to spare (lr210, lrc208), and now
        # and then one as small as a plan route minimisation found late and long (lrc203: the
        # best-known 1089.07 on three vehicles, where a run giving all the time to the late
        # plan's own three left it at 1413.73). The own vehicles' run shortens a late plan
        # (lr203, lc103), sometimes does without one more vehicle (lr204 and lrc108: 2 and 10
        # routes from 3 and 11), or leaves a rut the whole fleet's runs keep coming back to
        # (lc204: 599.83 where the whole fleet stays at 644.34).
        for share in (2, 1):
            seconds = (deadline - time.perf_counter()) / share
            if seconds < MIN_SEARCH_S:
                continue
            own = tuple(v for v, route in enumerate(best[1]) if route)
            found = run.iterate(model if share == 2 else run.model(own), seconds)
            if found is not None and found[0] < best[0]:
                best = found
    loaded = model.assignment_of(best[1])
    if loaded is None and best[0] < assignment.ObjectiveValue():
        # After runs on models of smaller fleets, the whole fleet's model has been seen to
        # refuse a plan a fresh model of the same fleet takes (ROUTING_FAIL; a 60-pupil
        # afternoon session of the sample: the solve returned its first solution, 17% dearer
        # than the best plan reported). The plan then comes back in a fresh model.
        fresh = run.model()
        loaded = run.load(fresh, best[1])
        if loaded is not None:
            return fresh, loaded
    return model, loaded or assignment
