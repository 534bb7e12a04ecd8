"""Route-based decomposition: one plan for a large session, over one shared fleet.

One OR-Tools model over thousands of pickup–drop-off pairs is slow to build and slower to search,
so a large session is planned in parts, as the large-scale routing literature does (Santini,
Schneider, Vidal & Vigo, "Decomposition strategies for vehicle routing heuristics", INFORMS
J. Computing 2023; POPMUSIC, Taillard & Voss 2002):

1. **Construction.** The requests are cut into parts of neighbouring requests (the caller's
   order: by bell time, school and direction); each fleet row's vehicles are shared among the
   parts in proportion to what each part needs of that row; the parts are solved side by side.
   Together they are one complete plan of the whole session.
2. **Improvement.** Repeatedly, a subproblem is made of neighbouring routes (near in place and in
   time of day) together with the vehicles they use, the requests left out nearby and a few of
   the session's unused vehicles; it is solved from its current routes, and the result replaces
   them if it costs less (a placed request always outweighs any saving: see
   :func:`~optimiser.routing.subproblem.plan_cost`). Subproblems of one batch share no route,
   no request and no vehicle, so they run in parallel on the :mod:`executor
   <optimiser.solver.executor>`, and the vehicles of a fleet row still unused are shared out
   among them so that no combination of accepted results overdraws a row. Requests near a part's
   boundary can now share a vehicle with the other side (mixed loads across parts).

The result is a :class:`~optimiser.routing.problem.Solution` of the whole problem, exactly as a
single solve would return one.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from optimiser.routing.problem import Problem, Solution, VehicleRoute
from optimiser.routing.subproblem import (
    Subproblem,
    broken_consecutive,
    construction_parts,
    extract,
    fleet_rows,
    placement_penalty,
    plan_cost,
    variants,
)
from optimiser.solver.executor import Executor, InlineExecutor
from optimiser.solver.params import SearchParameters
from optimiser.solver.progress import FIRST_ROUTES, IMPROVING, Progress, ProgressEvent
from optimiser.solver.solve import solve


@dataclass(frozen=True)
class DecompositionParameters:
    """How a large session is cut and improved.

    Improvement runs until the session's time limit, or for ``rounds`` batches when that is
    set. Under a solution limit (a reproducible run) with no ``rounds``, it makes one batch per
    left-out request and one per route of the first plan, so that every route and every left-out
    request seeds a subproblem once: the same data then always gives the same plan.
    """

    construction_share: float = 0.3  # of the session's time limit, for building the first plan
    # Pupils per construction part: a first solution's time grows much faster than its size
    # (2,000 pupils: about 50 s for each part of 500), and improvement joins the parts up anyway.
    construction_pupils: int = 250
    subproblem_requests: int = 120  # requests in an improvement subproblem (about)
    subproblem_time_s: float = 6.0
    spare_vehicles_per_row: int = 2  # unused vehicles of each fleet row offered to a subproblem
    time_weight_km_per_min: float = 0.5  # a minute apart in bell time counts as this far apart
    rounds: int | None = None
    # Subproblems per batch; default: one per worker of the executor. Fix it to get the same
    # plan from any executor.
    batch_size: int | None = None

    def __post_init__(self) -> None:
        if not 0 < self.construction_share < 1:
            raise ValueError("construction_share must be between 0 and 1")
        if self.construction_pupils < 1:
            raise ValueError("construction parts need at least one pupil")
        if self.subproblem_requests < 2 or self.subproblem_time_s <= 0:
            raise ValueError("subproblems need at least 2 requests and some time")
        if self.spare_vehicles_per_row < 0 or (self.rounds is not None and self.rounds < 0):
            raise ValueError("spare vehicles and rounds cannot be negative")
        if self.batch_size is not None and self.batch_size < 1:
            raise ValueError("a batch holds at least one subproblem")


@dataclass(frozen=True)
class _Task:
    problem: Problem
    params: SearchParameters
    start: list[list[tuple[int, str]]] | None


def _solve_task(task: _Task) -> Solution:
    """One subproblem's search: a top-level function, so any executor can run it."""
    return solve(task.problem, task.params, None, task.start)


@dataclass
class _State:
    """The whole session's current plan: each used vehicle's route and the requests left out."""

    problem: Problem
    routes: dict[int, VehicleRoute]
    dropped: set[int]
    row_of_vehicle: list[int]

    def used_per_row(self) -> list[int]:
        used = [0] * len(self.problem.vehicle_limits)
        for v in self.routes:
            if self.row_of_vehicle[v] >= 0:
                used[self.row_of_vehicle[v]] += 1
        return used

    def apply(self, sub: Subproblem, solution: Solution) -> bool:
        """Replace the subproblem's routes with its solution if that costs less; say if it did.

        A solution is refused, whatever it costs, if the subproblem reached a request served on
        a vehicle outside it (the request would then be served twice) or if it breaks a
        consecutive visit of a sibling group: the plan stays one plan, each request served once.
        """
        inside = set(sub.vehicles)
        outside = {
            visit.request
            for v, route in self.routes.items()
            if v not in inside
            for visit in route.visits
        }
        if not outside.isdisjoint(sub.requests):
            return False
        before = plan_cost(
            self.problem,
            [self.routes[v] for v in sub.vehicles if v in self.routes],
            [r for r in sub.requests if r in self.dropped],
        )
        routes, dropped = sub.to_global(solution)
        if broken_consecutive(self.problem, routes):
            return False
        if plan_cost(self.problem, routes, dropped) >= before:
            return False
        for v in sub.vehicles:
            self.routes.pop(v, None)
        self.routes.update({r.vehicle: r for r in routes})
        self.dropped.difference_update(sub.requests)
        self.dropped.update(dropped)
        return True

    def solution(self, started: float, solutions: int) -> Solution:
        routes = sorted(self.routes.values(), key=lambda r: r.vehicle)
        dropped = sorted(self.dropped)
        return Solution(
            routes=routes,
            dropped=dropped,
            objective=plan_cost(self.problem, routes, dropped),
            status="DECOMPOSED",
            solutions_found=solutions,
            wall_s=time.perf_counter() - started,
        )


def _centroids(
    state: _State, request_xy: np.ndarray, request_min: np.ndarray
) -> tuple[list[tuple[str, int]], np.ndarray]:
    """Every route and every dropped request as a point (x km, y km, minutes of day)."""
    items: list[tuple[str, int]] = []
    points = []
    for v, route in state.routes.items():
        served = sorted({visit.request for visit in route.visits})
        items.append(("route", v))
        points.append([*request_xy[served].mean(axis=0), request_min[served].mean()])
    for r in sorted(state.dropped):
        items.append(("request", r))
        points.append([*request_xy[r], request_min[r]])
    return items, np.asarray(points, dtype=float).reshape(-1, 3)


class _Improver:
    """The improvement rounds over one session's plan."""

    def __init__(
        self,
        state: _State,
        request_xy: np.ndarray,
        request_min: np.ndarray,
        params: SearchParameters,
        dparams: DecompositionParameters,
    ) -> None:
        self.state, self.xy, self.minutes = state, request_xy, request_min
        self.params, self.dparams = params, dparams
        self.rng = np.random.default_rng(0)
        self.seed_queue: list[tuple[str, int]] = []
        self.tried: set[tuple[str, int]] = set()  # dropped requests already used as a seed
        # Each request of a same-vehicle group: the group's other members.
        self.partners: dict[int, tuple[int, ...]] = {
            r: tuple(m for m in group if m != r)
            for group in state.problem.same_vehicle
            for r in group
        }

    def _next_seed(
        self, items: list[tuple[str, int]], taken: set[tuple[str, int]]
    ) -> tuple[str, int] | None:
        """Dropped requests first (placing them matters most), each once until the plan around
        it changes; then routes in a shuffled cycle."""
        for item in items:
            if item[0] == "request" and item not in taken and item not in self.tried:
                self.tried.add(item)
                return item
        for _ in range(2):
            while self.seed_queue:
                item = self.seed_queue.pop()
                if item in items and item not in taken:
                    return item
            routes = [item for item in items if item[0] == "route"]
            self.seed_queue = [routes[i] for i in self.rng.permutation(len(routes))]
        return None

    def batch(self, size: int) -> list[Subproblem]:
        """Up to ``size`` subproblems sharing no route, request or vehicle."""
        state, dp = self.state, self.dparams
        items, points = _centroids(state, self.xy, self.minutes)
        if not items:
            return []
        scale = np.array([1.0, 1.0, dp.time_weight_km_per_min])
        taken: set[tuple[str, int]] = set()
        where = {visit.request: v for v, route in state.routes.items() for visit in route.visits}
        used_vehicles = set(state.routes)
        spare_taken: set[int] = set()
        used = state.used_per_row()
        left = [limit - u for (_, limit), u in zip(state.problem.vehicle_limits, used, strict=True)]
        subs = []
        for _ in range(size):
            seed = self._next_seed(items, taken)
            if seed is None:
                break
            origin = points[items.index(seed)]
            near = np.argsort(np.abs((points - origin) * scale).sum(axis=1), kind="stable")
            order = [items[i] for i in near]
            if seed[0] == "request":
                # A request left out needs a vehicle that may carry it: the nearest routes of such
                # vehicles (and requests left out that need the same) come first, for up to half
                # of the subproblem, then whatever is nearest.
                fits = self._fits(seed[1])
                order = [item for item in order if fits(item)][
                    : dp.subproblem_requests // 2
                ] + order
            requests: list[int] = []
            vehicles: list[int] = []
            for item in order:
                # An item comes with the items holding its sibling groups' other members, or not
                # at all: a group is re-planned whole, in one subproblem.
                cluster = self._with_partners(item, where)
                if not taken.isdisjoint(cluster):
                    continue
                taken.update(cluster)
                for kind, k in cluster:
                    if kind == "route":
                        vehicles.append(k)
                        requests += sorted({v.request for v in state.routes[k].visits})
                    else:
                        requests.append(k)
                if len(requests) >= dp.subproblem_requests:
                    break
            limits = self._spares(vehicles, left, used_vehicles | spare_taken, spare_taken)
            subs.append(extract(state.problem, requests, vehicles, limits))
        return subs

    def _with_partners(self, item: tuple[str, int], where: dict[int, int]) -> list[tuple[str, int]]:
        """``item`` and every route or left-out request holding a member of a same-vehicle group
        one of its requests belongs to, and so on: what a subproblem must take together.
        ``where`` maps each request served to its vehicle."""
        cluster, queue = [item], [item]
        while queue:
            kind, k = queue.pop()
            held = {v.request for v in self.state.routes[k].visits} if kind == "route" else {k}
            for r in held:
                for partner in self.partners.get(r, ()):
                    other = ("route", where[partner]) if partner in where else ("request", partner)
                    if other not in cluster:
                        cluster.append(other)
                        queue.append(other)
        return cluster

    def _fits(self, request: int) -> Callable[[tuple[str, int]], bool]:
        """Whether a route's vehicle could carry ``request`` (it may, and has room for its load:
        a wheelchair space, an assistant), or a left-out request has the same needs."""
        problem = self.state.problem
        wanted = problem.requests[request]

        def needs(r: int) -> tuple[bool, ...]:
            load = problem.requests[r].load
            return tuple(load.get(d, 0) > 0 for d in problem.dimensions)

        mine = needs(request)

        def fits(item: tuple[str, int]) -> bool:
            kind, k = item
            if kind == "request":
                return needs(k) == mine
            vehicle = problem.vehicles[k]
            allowed = wanted.allowed_vehicles is None or k in wanted.allowed_vehicles
            return allowed and all(vehicle.capacity.get(d, 0) >= n for d, n in wanted.load.items())

        return fits

    def _spares(
        self, vehicles: list[int], left: list[int], unavailable: set[int], spare_taken: set[int]
    ) -> list[int]:
        """Add unused vehicles to ``vehicles``; the subproblem's limit of each fleet row."""
        problem, row_of = self.state.problem, self.state.row_of_vehicle
        limits = [0] * len(problem.vehicle_limits)
        for v in vehicles:
            if row_of[v] >= 0:
                limits[row_of[v]] += 1
        for k, (members, _) in enumerate(problem.vehicle_limits):
            extra = min(self.dparams.spare_vehicles_per_row, left[k])
            if extra <= 0:
                continue
            for variant in variants(problem, members):
                free = [v for v in variant if v not in unavailable][:extra]
                vehicles += free
                spare_taken.update(free)
            left[k] -= extra
            limits[k] += extra
        return limits

    def round(self, executor: Executor) -> tuple[int, int]:
        """One batch of subproblems, solved side by side; returns (solved, improved)."""
        subs = self.batch(self.dparams.batch_size or executor.workers)
        budget = replace(self.params, time_limit_s=self.dparams.subproblem_time_s)
        tasks = [_Task(sub.problem, budget, sub.start_plan(self._routes_on(sub))) for sub in subs]
        results = executor.run(_solve_task, tasks)
        improved = 0
        for sub, solution in zip(subs, results, strict=True):
            if self.state.apply(sub, solution):
                improved += 1
                # The plan changed here: its dropped requests may fit now.
                self.tried.difference_update(("request", r) for r in sub.requests)
        return len(subs), improved

    def _routes_on(self, sub: Subproblem) -> list[VehicleRoute]:
        return [self.state.routes[v] for v in sub.vehicles if v in self.state.routes]


def solve_by_decomposition(
    problem: Problem,
    parts: Sequence[Sequence[int]],
    request_xy: np.ndarray,
    request_min: np.ndarray,
    params: SearchParameters,
    *,
    dparams: DecompositionParameters | None = None,
    executor: Executor | None = None,
    progress: Progress | None = None,
) -> Solution:
    """Plan a whole problem part by part, then improve it by re-solving neighbourhoods of routes.

    Parameters
    ----------
    problem
        The whole session, with every vehicle the fleet has (its vehicle limits are the fleet
        rows' counts).
    parts
        Request indices of each part for the construction, in a sensible order (each part holds
        neighbouring requests; same-vehicle groups are never cut).
    request_xy, request_min
        For each request, a position in kilometres (x east, y north) and its school's bell time
        in minutes: what "neighbouring" means in the improvement.
    params
        The search budget of the whole session: ``time_limit_s`` bounds construction plus
        improvement; a ``solution_limit`` applies to every subproblem's search.
    dparams
        How to cut and improve (see :class:`DecompositionParameters`).
    executor
        Where subproblems are solved (default: one after another in this process).
    progress
        Called with a :class:`~optimiser.solver.progress.ProgressEvent` after construction and
        after each improvement round (``solutions`` counts them; ``objective`` is the whole
        session's, penalties included, and ``penalty`` and ``unplaced`` say how much of it is
        for requests left out; ``build_s`` is the construction's time).
    """
    started = time.perf_counter()
    dparams = dparams or DecompositionParameters()
    executor = executor or InlineExecutor()
    # Parts are built by ``first_solution`` (local cheapest insertion), not by a SEND session's
    # ``send_first_solution``: parallel insertion made 2,000 pupils 1.8% cheaper (£12.84 against
    # £13.07 per placed journey) but took 5,000 pupils' peak memory from 7.7 GB to 8.1 GB, past
    # the 8 GB a county run is held to (benchmarks/README.md).
    params = replace(params, send_first_solution=params.first_solution)
    subs = construction_parts(problem, parts)
    waves = math.ceil(len(subs) / executor.workers)
    part_s = max(1.0, params.time_limit_s * dparams.construction_share / max(1, waves))
    budget = replace(params, time_limit_s=part_s)
    results = executor.run(_solve_task, [_Task(s.problem, budget, None) for s in subs])
    state = _State(problem, {}, set(range(len(problem.requests))), fleet_rows(problem))
    for sub, solution in zip(subs, results, strict=True):
        routes, dropped = sub.to_global(solution)
        state.routes.update({r.vehicle: r for r in routes})
        state.dropped.difference_update(sub.requests)
        state.dropped.update(dropped)
    solutions = 1

    built_s = round(time.perf_counter() - started, 1)

    def report() -> None:
        if progress is not None:
            objective = plan_cost(problem, list(state.routes.values()), state.dropped)
            vehicle_of = {v.request: r.vehicle for r in state.routes.values() for v in r.visits}
            elapsed = round(time.perf_counter() - started, 1)
            progress(
                ProgressEvent(
                    problem.name,
                    solutions,
                    objective,
                    elapsed,
                    built_s,
                    penalty=placement_penalty(problem, vehicle_of),
                    unplaced=len(state.dropped),
                    dropped=tuple(sorted(state.dropped)),
                    phase=FIRST_ROUTES if solutions == 1 else IMPROVING,
                )
            )

    report()
    improver = _Improver(state, request_xy, request_min, params, dparams)
    rounds, limit = 0, dparams.rounds
    if limit is None and params.solution_limit is not None:
        batch = dparams.batch_size or executor.workers
        limit = math.ceil((len(state.routes) + len(state.dropped)) / batch)
    while True:
        if limit is not None:
            if rounds >= limit:
                break
        elif time.perf_counter() - started + dparams.subproblem_time_s > params.time_limit_s:
            break
        solved, _ = improver.round(executor)
        if not solved:
            break
        rounds += 1
        solutions += 1
        report()
    return state.solution(started, solutions)
