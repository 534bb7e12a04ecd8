"""The OR-Tools routing model: the only module that imports ``ortools``.

It turns a :class:`~optimiser.problem.Problem` into a ``RoutingModel`` and a search, and translates
the answer straight back into a :class:`~optimiser.problem.Solution` of request indices and times:
solver node indices never leave this module.

Model shape (facts checked on ortools 9.15, see the style notes):
- travel times and arc costs are registered as precomputed matrices, not Python callbacks;
- every request is optional with a large penalty, so an over-constrained day still returns a plan
  and the requests that could not be placed;
- allowed vehicles are set through ``VehicleVar(i).SetValues([-1, *allowed])``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from google.protobuf import text_format
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from .problem import Problem, Solution, VehicleRoute, VisitTime

Progress = Callable[[dict], None]


@dataclass(frozen=True)
class SearchParameters:
    """How hard to search. ``solution_limit`` makes a run reproducible; a time limit does not."""

    time_limit_s: float = 30.0
    solution_limit: int | None = None
    first_solution: str = "PARALLEL_CHEAPEST_INSERTION"
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"
    log_search: bool = False
    # Protocol-buffer text merged last into OR-Tools' RoutingSearchParameters, for experiments
    # (e.g. "guided_local_search_lambda_coefficient: 0.2"); empty in normal use.
    search_text: str = ""
    # Charge each vehicle's fixed cost through a "used" dimension's span cost instead of OR-Tools'
    # arc-based fixed cost (see _Model._fixed_costs).
    fixed_cost_as_span: bool = False
    # "vroom": start the search from VROOM's plan (pyvroom, optional), built in at most
    # warm_start_share of the time limit, the rest going to the OR-Tools search;
    # "none": OR-Tools' own first-solution heuristic only.
    warm_start: str = "none"
    warm_start_share: float = 0.5


@dataclass
class _Nodes:
    """Node layout: depots first, then each request's pickup and drop-off."""

    rows: list[int]  # matrix row of each node
    service: list[int]
    depot_node: dict[int, int]  # matrix row -> node
    pickup: list[int | None]  # request -> node
    dropoff: list[int | None]
    owner: list[tuple[int, str] | None]  # node -> (request, kind)


def _layout(problem: Problem) -> _Nodes:
    rows: list[int] = []
    service: list[int] = []
    owner: list[tuple[int, str] | None] = []
    depot_node: dict[int, int] = {}
    for v in problem.vehicles:
        for row in (v.start_row, v.end_row):
            if row not in depot_node:
                depot_node[row] = len(rows)
                rows.append(row)
                service.append(0)
                owner.append(None)
    pickup: list[int | None] = []
    dropoff: list[int | None] = []
    for i, r in enumerate(problem.requests):
        for visit, kind, out in ((r.pickup, "pickup", pickup), (r.dropoff, "dropoff", dropoff)):
            if visit is None:
                out.append(None)
                continue
            out.append(len(rows))
            rows.append(visit.row)
            service.append(visit.service_s)
            owner.append((i, kind))
    return _Nodes(rows, service, depot_node, pickup, dropoff, owner)


class _Model:
    """A built OR-Tools model for one :class:`Problem`."""

    def __init__(self, problem: Problem, fixed_cost_as_span: bool = False) -> None:
        self.problem = problem
        self.nodes = nodes = _layout(problem)
        vehicles = problem.vehicles
        self.manager = pywrapcp.RoutingIndexManager(
            len(nodes.rows),
            len(vehicles),
            [nodes.depot_node[v.start_row] for v in vehicles],
            [nodes.depot_node[v.end_row] for v in vehicles],
        )
        self.routing = routing = pywrapcp.RoutingModel(self.manager)
        rows = np.asarray(nodes.rows)
        dist = problem.distance_m[np.ix_(rows, rows)].astype(np.int64)
        travel = problem.time_s[np.ix_(rows, rows)].astype(np.int64)
        transit = travel + np.asarray(nodes.service, dtype=np.int64)[:, None]

        # Arc costs: one evaluator per distinct price per metre (vehicles of one price share it).
        evaluators: dict[int, int] = {}
        for v_index, v in enumerate(vehicles):
            if v.cost_per_m not in evaluators:
                evaluators[v.cost_per_m] = routing.RegisterTransitMatrix(
                    (dist * v.cost_per_m).tolist()
                )
            routing.SetArcCostEvaluatorOfVehicle(evaluators[v.cost_per_m], v_index)
        self._fixed_costs(fixed_cost_as_span)

        horizon = int(max(v.latest_end_s for v in vehicles)) if vehicles else 86400
        time_cb = routing.RegisterTransitMatrix(transit.tolist())
        routing.AddDimension(time_cb, horizon, horizon, False, "time")
        self.time = time_dim = routing.GetDimensionOrDie("time")
        for v_index, v in enumerate(vehicles):
            time_dim.CumulVar(routing.Start(v_index)).SetRange(v.earliest_start_s, v.latest_end_s)
            time_dim.CumulVar(routing.End(v_index)).SetRange(v.earliest_start_s, v.latest_end_s)
        self._capacities()
        self._requests()
        self._relations()
        for v_index in range(len(vehicles)):
            # Leave the depot as late and come back as early as the plan allows.
            routing.AddVariableMaximizedByFinalizer(time_dim.CumulVar(routing.Start(v_index)))
            routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(routing.End(v_index)))

    def _fixed_costs(self, as_span: bool) -> None:
        """Charge each used vehicle its fixed cost.

        OR-Tools' own fixed cost sits on the arc leaving the start. Guided local search penalises
        the arcs of highest cost, so with a fixed cost far above any travel cost (the usual case:
        a vehicle-day against metres) it spends its penalties on those first arcs and never on
        travel. ``as_span`` instead counts one unit on any arc leaving a depot node for a request
        node, in a dimension whose span cost per unit is the fixed cost: the same objective, with
        arc costs that are travel only.
        """
        routing, vehicles = self.routing, self.problem.vehicles
        if not any(v.fixed_cost for v in vehicles):
            return
        if not as_span:
            for v_index, v in enumerate(vehicles):
                routing.SetFixedCostOfVehicle(int(v.fixed_cost), v_index)
            return
        n = len(self.nodes.rows)
        depots = np.zeros(n, dtype=bool)
        depots[list(self.nodes.depot_node.values())] = True
        leaves = (depots[:, None] & ~depots[None, :]).astype(np.int64)
        callback = routing.RegisterTransitMatrix(leaves.tolist())
        routing.AddDimension(callback, 0, 1, True, "used")
        used = routing.GetDimensionOrDie("used")
        for v_index, v in enumerate(vehicles):
            used.SetSpanCostCoefficientForVehicle(int(v.fixed_cost), v_index)

    def index(self, node: int) -> int:
        return self.manager.NodeToIndex(node)

    def _capacities(self) -> None:
        routing, problem, nodes = self.routing, self.problem, self.nodes
        self.capacity_dims = []
        for name in problem.dimensions:
            demand = [0] * len(nodes.rows)
            for i, r in enumerate(problem.requests):
                units = r.load.get(name, 0)
                if nodes.pickup[i] is not None:
                    demand[nodes.pickup[i]] += units
                    if nodes.dropoff[i] is not None:
                        demand[nodes.dropoff[i]] -= units
                elif nodes.dropoff[i] is not None:
                    demand[nodes.dropoff[i]] += units  # loaded at the depot, counted up
            callback = routing.RegisterUnaryTransitVector(demand)
            caps = [int(v.capacity.get(name, 0)) for v in problem.vehicles]
            routing.AddDimensionWithVehicleCapacity(callback, 0, caps, True, name)
            self.capacity_dims.append(routing.GetDimensionOrDie(name))

    def _requests(self) -> None:
        routing, problem, nodes = self.routing, self.problem, self.nodes
        solver = routing.solver()
        for i, r in enumerate(problem.requests):
            visit_nodes = [n for n in (nodes.pickup[i], nodes.dropoff[i]) if n is not None]
            for node, visit in zip(visit_nodes, r.visits, strict=True):
                idx = self.index(node)
                self.time.CumulVar(idx).SetRange(visit.earliest_s, visit.latest_s)
                if r.allowed_vehicles is not None:
                    routing.VehicleVar(idx).SetValues([-1, *r.allowed_vehicles])
                routing.AddDisjunction([idx], r.penalty // len(visit_nodes))
            if len(visit_nodes) == 2:
                p, d = self.index(visit_nodes[0]), self.index(visit_nodes[1])
                routing.AddPickupAndDelivery(p, d)
                solver.Add(routing.VehicleVar(p) == routing.VehicleVar(d))
                solver.Add(self.time.CumulVar(p) <= self.time.CumulVar(d))
                if r.max_ride_s is not None:
                    limit = r.max_ride_s + r.pickup.service_s  # type: ignore[union-attr]
                    solver.Add(self.time.CumulVar(d) - self.time.CumulVar(p) <= limit)
                if r.solo:
                    # Nothing else on board when they board, and straight to their drop-off.
                    for dim in self.capacity_dims:
                        solver.Add(dim.CumulVar(p) == 0)
                    self._next_if_active(p, d)
                if problem.ride_cost_per_s:
                    c = problem.ride_cost_per_s
                    self.time.SetCumulVarSoftUpperBound(d, 0, c)
                    self.time.SetCumulVarSoftLowerBound(p, 86400, c)

    def _next_if_active(self, a: int, b: int) -> None:
        solver = self.routing.solver()
        is_next = solver.IsEqualCstVar(self.routing.NextVar(a), b)
        solver.Add(is_next + (1 - self.routing.ActiveVar(a)) >= 1)

    def _relations(self) -> None:
        routing, problem, nodes = self.routing, self.problem, self.nodes
        solver = routing.solver()

        def first(i: int) -> int:
            node = nodes.pickup[i] if nodes.pickup[i] is not None else nodes.dropoff[i]
            return self.index(node)  # type: ignore[arg-type]

        # Relations between two requests bind only when both are served: insertion heuristics add
        # one request at a time, and a hard pairing would make every group impossible to insert.
        def both_active_or(a: int, b: int):
            return (1 - routing.ActiveVar(a)) + (1 - routing.ActiveVar(b))

        for group in problem.same_vehicle:
            for other in group[1:]:
                a, b = first(group[0]), first(other)
                same = solver.IsEqualVar(routing.VehicleVar(a), routing.VehicleVar(b))
                solver.Add(same + both_active_or(a, b) >= 1)
        for k, (a, b) in enumerate(problem.never_together):
            # A dimension per pair counting which of the two is on board, capped at one.
            demand = [0] * len(nodes.rows)
            for i in (a, b):
                if nodes.pickup[i] is not None and nodes.dropoff[i] is not None:
                    demand[nodes.pickup[i]] += 1
                    demand[nodes.dropoff[i]] -= 1
            callback = routing.RegisterUnaryTransitVector(demand)
            routing.AddDimension(callback, 0, 1, True, f"apart_{k}")
        for a, b, kind in problem.consecutive:
            table = nodes.pickup if kind == "pickup" else nodes.dropoff
            if table[a] is not None and table[b] is not None:
                na, nb = self.index(table[a]), self.index(table[b])  # type: ignore[arg-type]
                is_next = solver.IsEqualCstVar(routing.NextVar(na), nb)
                solver.Add(is_next + both_active_or(na, nb) >= 1)
        for members, limit in problem.vehicle_limits:
            if len(members) > limit:
                solver.Add(solver.Sum([routing.ActiveVehicleVar(v) for v in members]) <= limit)

    def extract(self, assignment) -> tuple[list[VehicleRoute], list[int]]:
        routing, nodes = self.routing, self.nodes
        routes = []
        served = set()
        for v_index in range(len(self.problem.vehicles)):
            idx = routing.Start(v_index)
            if routing.IsEnd(assignment.Value(routing.NextVar(idx))):
                continue
            depart = assignment.Value(self.time.CumulVar(idx))
            visits = []
            idx = assignment.Value(routing.NextVar(idx))
            while not routing.IsEnd(idx):
                node = self.manager.IndexToNode(idx)
                request, kind = nodes.owner[node]  # type: ignore[misc]
                served.add(request)
                visits.append(
                    VisitTime(
                        request, kind, nodes.rows[node], assignment.Value(self.time.CumulVar(idx))
                    )
                )
                idx = assignment.Value(routing.NextVar(idx))
            routes.append(
                VehicleRoute(v_index, depart, visits, assignment.Value(self.time.CumulVar(idx)))
            )
        dropped = [i for i in range(len(self.problem.requests)) if i not in served]
        return routes, dropped


def _search_parameters(params: SearchParameters):
    search = pywrapcp.DefaultRoutingSearchParameters()
    search.first_solution_strategy = getattr(
        routing_enums_pb2.FirstSolutionStrategy, params.first_solution
    )
    search.local_search_metaheuristic = getattr(
        routing_enums_pb2.LocalSearchMetaheuristic, params.metaheuristic
    )
    search.time_limit.FromMilliseconds(int(params.time_limit_s * 1000))
    if params.solution_limit is not None:
        search.solution_limit = params.solution_limit
    search.log_search = params.log_search
    if params.search_text:
        text_format.Merge(params.search_text, search)
    return search


def _warm_start(model: _Model, params: SearchParameters):
    """VROOM's plan loaded into the model, or None if there is none or the model rejects it."""
    from .warmstart import vroom_plan

    plan = vroom_plan(model.problem, timeout_s=params.time_limit_s * params.warm_start_share)
    if plan is None:
        return None
    nodes = model.nodes
    routes = [
        [
            model.index((nodes.pickup if kind == "pickup" else nodes.dropoff)[i])  # type: ignore[arg-type]
            for i, kind in route
        ]
        for route in plan
    ]
    model.routing.CloseModelWithParameters(_search_parameters(params))
    return model.routing.ReadAssignmentFromRoutes(routes, True)


def solve(problem: Problem, params: SearchParameters, progress: Progress | None = None) -> Solution:
    """Build the model for ``problem``, search, and return the best solution found."""
    issues = problem.check()
    if issues:
        raise ValueError("inconsistent routing problem: " + "; ".join(issues))
    started = time.perf_counter()
    if not problem.requests or not problem.vehicles:
        dropped = list(range(len(problem.requests)))
        return Solution([], dropped, sum(r.penalty for r in problem.requests), status="EMPTY")
    model = _Model(problem, params.fixed_cost_as_span)
    build_s = time.perf_counter() - started
    found: list[int] = []

    def on_solution() -> None:
        cost = model.routing.CostVar().Value()
        found.append(cost)
        if progress is not None:
            progress(
                {
                    "problem": problem.name,
                    "solutions": len(found),
                    "objective": cost,
                    "elapsed_s": round(time.perf_counter() - started, 1),
                    "build_s": round(build_s, 1),
                }
            )

    search = _search_parameters(params)
    start = None
    if params.warm_start == "vroom":
        start = _warm_start(model, params)
        left_s = params.time_limit_s - (time.perf_counter() - started)
        search.time_limit.FromMilliseconds(max(100, int(left_s * 1000)))
    model.routing.AddAtSolutionCallback(on_solution)
    if start is not None:
        assignment = model.routing.SolveFromAssignmentWithParameters(start, search)
    else:
        assignment = model.routing.SolveWithParameters(search)
    status = model.routing.status()
    status_name = {
        0: "NOT_SOLVED",
        1: "SUCCESS",
        2: "FAIL",
        3: "FAIL_TIMEOUT",
        4: "INVALID",
        5: "INFEASIBLE",
        6: "OPTIMAL",
    }.get(int(status), str(status))
    if assignment is None:
        dropped = list(range(len(problem.requests)))
        return Solution([], dropped, 0, status=status_name, wall_s=time.perf_counter() - started)
    routes, dropped = model.extract(assignment)
    return Solution(
        routes=routes,
        dropped=dropped,
        objective=int(assignment.ObjectiveValue()),
        first_objective=found[0] if found else None,
        status=status_name,
        solutions_found=len(found),
        wall_s=time.perf_counter() - started,
    )
