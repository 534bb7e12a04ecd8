"""The OR-Tools model of a :class:`~optimiser.routing.problem.Problem`, and plans in and out of it.

A model lays out nodes (depots first, then each request's pickup and drop-off), builds a
``RoutingModel`` over them, and translates between its assignments and plans of request indices:
solver node indices never leave the solver package.

Model shape (facts checked on ortools 9.15, see the style notes):
- travel times and arc costs are registered as precomputed matrices, not Python callbacks;
- every request is optional with a large penalty, so an over-constrained day still returns a plan
  and the requests that could not be placed;
- allowed vehicles are set through ``VehicleVar(i).SetValues([-1, *allowed])``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from optimiser.routing.problem import Problem, Request, VehicleRoute, Visit, VisitTime
from optimiser.routing.subproblem import extract

# A plan in the problem's own vehicle numbering: for each vehicle, its visits in order as
# (request, "pickup" | "dropoff").
InitialPlan = list[list[tuple[int, str]]]
SOFT_HORIZON = 4  # with soft time windows, routes may end up to this many times the horizon
LOCKED_LOAD_LIMIT_S = 30.0  # bound on loading a plan by a locked search (see read_routes)


@dataclass
class _Nodes:
    """Node layout: depots first, then each request's pickup and drop-off."""

    rows: list[int]  # matrix row of each node
    service: list[int]
    depot_node: dict[int, int]  # matrix row -> node
    pickup: list[int | None]  # request -> node
    dropoff: list[int | None]
    owner: list[tuple[int, str] | None]  # node -> (request, kind)

    def visit_nodes(self, request: int) -> list[int]:
        """The nodes of a request's visits: pickup then drop-off, those it has."""
        return [n for n in (self.pickup[request], self.dropoff[request]) if n is not None]

    def node_of(self, request: int, kind: str) -> int:
        """The node of a request's pickup or drop-off (``kind``)."""
        node = (self.pickup if kind == "pickup" else self.dropoff)[request]
        if node is None:
            raise ValueError(f"request {request} has no {kind}")
        return node

    def request_of(self, node: int) -> tuple[int, str]:
        """The (request, kind) a visit node serves; depot nodes serve none."""
        owner = self.owner[node]
        if owner is None:
            raise ValueError(f"node {node} is a depot, not a visit")
        return owner


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

    def __init__(
        self,
        problem: Problem,
        fixed_cost_as_span: bool = False,
        fleet: tuple[int, ...] | None = None,
        lateness_cost: int = 0,
    ) -> None:
        # ``fleet``: build the model with only these of the problem's vehicles. Plans passed in and
        # out (plan_of, assignment_of) always number vehicles as ``problem`` does.
        # ``lateness_cost`` > 0: time windows become soft (every unit of time late at a visit or
        # back at the depot costs this much) and vehicles have no fixed cost; route minimisation
        # searches such a model for a plan that is on time on a smaller fleet (on_time tells).
        self.lateness_cost = lateness_cost
        self.fleet_size = len(problem.vehicles)
        self.fleet = tuple(range(self.fleet_size)) if fleet is None else fleet
        if fleet is not None:
            problem = problem.with_fleet(fleet)
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
        travel = problem.time_s[np.ix_(rows, rows)].astype(np.int64)
        self.transit = travel + np.asarray(nodes.service, dtype=np.int64)[:, None]
        self._arc_costs(problem.distance_m[np.ix_(rows, rows)].astype(np.int64))
        if not lateness_cost:
            self._fixed_costs(fixed_cost_as_span)
        self._time_dimension()
        self._capacities()
        self._requests()
        self._relations()
        self._sites()
        self._stay_costs()
        for v_index in range(len(vehicles)):
            # Leave the depot as late and come back as early as the plan allows.
            routing.AddVariableMaximizedByFinalizer(self.time.CumulVar(routing.Start(v_index)))
            routing.AddVariableMinimizedByFinalizer(self.time.CumulVar(routing.End(v_index)))

    def _arc_costs(self, dist: np.ndarray) -> None:
        """Travel costs: one evaluator per distinct price per metre (vehicles of one price share
        it)."""
        routing = self.routing
        evaluators: dict[int, int] = {}
        for v_index, v in enumerate(self.problem.vehicles):
            if v.cost_per_m not in evaluators:
                evaluators[v.cost_per_m] = routing.RegisterTransitMatrix(
                    (dist * v.cost_per_m).tolist()
                )
            routing.SetArcCostEvaluatorOfVehicle(evaluators[v.cost_per_m], v_index)

    def _stay_costs(self) -> None:
        """Each request with a ``stay`` vehicle costs its price on any other vehicle: a dimension
        that counts, per vehicle, the price of every such request it picks up, its span costed.
        """
        problem, nodes, routing = self.problem, self.nodes, self.routing
        staying = [(i, r.stay) for i, r in enumerate(problem.requests) if r.stay is not None]
        if not staying:
            return
        evaluators: dict[tuple[int, ...], int] = {}
        per_vehicle = []
        for v_index in range(len(problem.vehicles)):
            price = [0] * len(nodes.rows)
            for i, (home, cost) in staying:
                if home != v_index:
                    price[nodes.visit_nodes(i)[0]] = int(cost)
            key = tuple(price)
            if key not in evaluators:
                evaluators[key] = routing.RegisterUnaryTransitVector(price)
            per_vehicle.append(evaluators[key])
        total = sum(int(cost) for _, (_, cost) in staying) + 1
        routing.AddDimensionWithVehicleTransits(per_vehicle, 0, total, True, "stay")
        routing.GetDimensionOrDie("stay").SetSpanCostCoefficientForAllVehicles(1)

    def _time_dimension(self) -> None:
        """The time dimension (travel plus service) and each vehicle's hours."""
        routing, vehicles, lateness_cost = self.routing, self.problem.vehicles, self.lateness_cost
        horizon = int(max(v.latest_end_s for v in vehicles)) if vehicles else 86400
        # With soft windows a plan may run late: room for that beyond the latest window.
        self.horizon = horizon * (SOFT_HORIZON if lateness_cost else 1)
        time_cb = routing.RegisterTransitMatrix(self.transit.tolist())
        routing.AddDimension(time_cb, self.horizon, self.horizon, False, "time")
        self.time = time_dim = routing.GetDimensionOrDie("time")
        for v_index, v in enumerate(vehicles):
            time_dim.CumulVar(routing.Start(v_index)).SetRange(v.earliest_start_s, v.latest_end_s)
            end = routing.End(v_index)
            if lateness_cost:
                time_dim.CumulVar(end).SetRange(v.earliest_start_s, self.horizon)
                time_dim.SetCumulVarSoftUpperBound(end, v.latest_end_s, lateness_cost)
            else:
                time_dim.CumulVar(end).SetRange(v.earliest_start_s, v.latest_end_s)
            if v.max_duration_s is not None:
                # A bound on end minus start of the route, checked by the dimension's filters.
                time_dim.SetSpanUpperBoundForVehicle(int(v.max_duration_s), v_index)

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
        """The solver index of a node."""
        return self.manager.NodeToIndex(node)

    def visit(self, node: int) -> Visit:
        """The visit a request node stands for."""
        request, kind = self.nodes.request_of(node)
        visits = self.problem.requests[request].visits
        return visits[0] if kind == "pickup" else visits[-1]

    def _capacities(self) -> None:
        routing, problem, nodes = self.routing, self.problem, self.nodes
        self.capacity_dims = []
        for name in problem.dimensions:
            demand = [0] * len(nodes.rows)
            for i, r in enumerate(problem.requests):
                units = r.load.get(name, 0)
                p, d = nodes.pickup[i], nodes.dropoff[i]
                if p is not None:
                    demand[p] += units
                    if d is not None:
                        demand[d] -= units
                elif d is not None:
                    demand[d] += units  # loaded at the depot, counted up
            callback = routing.RegisterUnaryTransitVector(demand)
            caps = [int(v.capacity.get(name, 0)) for v in problem.vehicles]
            routing.AddDimensionWithVehicleCapacity(callback, 0, caps, True, name)
            self.capacity_dims.append(routing.GetDimensionOrDie(name))
        if any(r.solo for r in problem.requests):
            # Solo as a capacity: a solo request fills the whole guard, every other request takes
            # one unit of it, so nothing shares the vehicle while a solo request is on board.
            # Capacities are checked by the routing filters, far faster than a CP constraint.
            guard = [0] * len(nodes.rows)
            full = len(problem.requests) + 1
            for i, r in enumerate(problem.requests):
                p, d = nodes.pickup[i], nodes.dropoff[i]
                if p is None or d is None:
                    continue
                units = full if r.solo else 1
                guard[p] += units
                guard[d] -= units
            callback = routing.RegisterUnaryTransitVector(guard)
            routing.AddDimension(callback, 0, full, True, "solo_guard")

    def _requests(self) -> None:
        routing, problem, nodes = self.routing, self.problem, self.nodes
        solver = routing.solver()
        for i, r in enumerate(problem.requests):
            visit_nodes = nodes.visit_nodes(i)
            for node, visit in zip(visit_nodes, r.visits, strict=True):
                idx = self.index(node)
                if self.lateness_cost:
                    self.time.CumulVar(idx).SetRange(visit.earliest_s, self.horizon)
                    self.time.SetCumulVarSoftUpperBound(idx, visit.latest_s, self.lateness_cost)
                else:
                    self.time.CumulVar(idx).SetRange(visit.earliest_s, visit.latest_s)
                if r.allowed_vehicles is not None:
                    routing.VehicleVar(idx).SetValues([-1, *r.allowed_vehicles])
                routing.AddDisjunction([idx], r.penalty // len(visit_nodes))
            if len(visit_nodes) == 2:
                p, d = self.index(visit_nodes[0]), self.index(visit_nodes[1])
                routing.AddPickupAndDelivery(p, d)
                solver.Add(routing.VehicleVar(p) == routing.VehicleVar(d))
                if r.max_ride_s is not None:
                    # cumul(pickup) >= cumul(drop-off) - limit, as a node precedence of the time
                    # dimension: checked by the routing filters, where an equivalent CP
                    # constraint per request made insertion and local search crawl.
                    limit = r.max_ride_s + r.visits[0].service_s  # the pickup's service
                    self.time.AddNodePrecedence(d, p, -limit)
                if self._keep_times(r, (p, d)):
                    continue
                if problem.ride_cost_per_s:
                    c = problem.ride_cost_per_s
                    self.time.SetCumulVarSoftUpperBound(d, 0, c)
                    self.time.SetCumulVarSoftLowerBound(p, 86400, c)

    def ride_price_offset(self, served: Iterable[int]) -> int:
        """The constant the price of ride time adds to the objective for the ``served`` requests:
        it is charged as ``c * drop-off + c * (86400 - pickup)`` (one soft bound on each visit),
        which is ``c * ride`` plus ``c * 86400`` per request priced so; what a report of the
        plan's cost takes off."""
        c = self.problem.ride_cost_per_s
        if not c:
            return 0
        priced = 0
        for i in served:
            r = self.problem.requests[i]
            kept = r.keep_times is not None and r.keep_cost_per_s and not self.lateness_cost
            if r.pickup is not None and r.dropoff is not None and not kept:
                priced += 1
        return c * 86400 * priced

    def _keep_times(self, request: Request, indices: tuple[int, int]) -> bool:
        """Soft bounds around a request's times to keep (not in a model with soft windows, whose
        upper bounds price lateness); whether it has any, in place of its ride's price."""
        cost, tolerance = request.keep_cost_per_s, self.problem.keep_time_tolerance_s
        if request.keep_times is None or not cost or self.lateness_cost:
            return False
        for idx, target in zip(indices, request.keep_times, strict=True):
            if target is not None:
                self.time.SetCumulVarSoftUpperBound(idx, target + tolerance, cost)
                self.time.SetCumulVarSoftLowerBound(idx, max(0, target - tolerance), cost)
        return True

    def _sites(self) -> None:
        """At most ``max_sites_per_route`` site arrivals per route: a dimension counting one on
        every arc into a site's visit from anywhere but that site (a matrix callback, checked by
        the routing filters)."""
        limit = self.problem.max_sites_per_route
        if limit is None:
            return
        site = np.full(len(self.nodes.rows), -1)
        for node, owner in enumerate(self.nodes.owner):
            if owner is not None:
                site[node] = self.visit(node).site
        arrives = ((site[None, :] >= 0) & (site[:, None] != site[None, :])).astype(np.int64)
        callback = self.routing.RegisterTransitMatrix(arrives.tolist())
        self.routing.AddDimension(callback, 0, int(limit), True, "sites")

    def _relations(self) -> None:
        routing, problem, nodes = self.routing, self.problem, self.nodes
        solver = routing.solver()

        def first(i: int) -> int:
            return self.index(nodes.visit_nodes(i)[0])

        for group in problem.same_vehicle:
            # A soft constraint costing more than leaving a member out, so a group is never
            # split: a hard equality of vehicle variables is a CP constraint that made
            # insertion crawl (measured: minutes instead of seconds on the sample).
            split_cost = 2 * max(problem.requests[i].penalty for i in group)
            routing.AddSoftSameVehicleConstraint([first(i) for i in group], split_cost)
        for k, (a, b) in enumerate(problem.never_together):
            # A dimension per pair counting which of the two is on board, capped at one.
            demand = [0] * len(nodes.rows)
            for i in (a, b):
                p, d = nodes.pickup[i], nodes.dropoff[i]
                if p is not None and d is not None:
                    demand[p] += 1
                    demand[d] -= 1
            callback = routing.RegisterUnaryTransitVector(demand)
            routing.AddDimension(callback, 0, 1, True, f"apart_{k}")
        for a, b, kind in problem.consecutive:
            table = nodes.pickup if kind == "pickup" else nodes.dropoff
            node_a, node_b = table[a], table[b]
            if node_a is not None and node_b is not None:
                # b starts exactly when a's service ends: with no time to drive anywhere or
                # wait, nothing can come between them. Two node precedences of the time
                # dimension, which the routing filters check fast.
                na, nb = self.index(node_a), self.index(node_b)
                service = nodes.service[node_a]
                self.time.AddNodePrecedence(na, nb, service)
                self.time.AddNodePrecedence(nb, na, -service)
        for members, limit in problem.vehicle_limits:
            if len(members) > limit:
                solver.Add(solver.Sum([routing.ActiveVehicleVar(v) for v in members]) <= limit)

    def routes_of(self, assignment: Any = None) -> list[list[int]]:
        """Each vehicle's visits (solver indices) in ``assignment``, or, without one, in the
        solution being reported right now (inside a solution callback)."""
        routing, routes = self.routing, []
        value = (lambda var: var.Value()) if assignment is None else assignment.Value
        for v_index in range(len(self.problem.vehicles)):
            route, idx = [], value(routing.NextVar(routing.Start(v_index)))
            while not routing.IsEnd(idx):
                route.append(idx)
                idx = value(routing.NextVar(idx))
            routes.append(route)
        return routes

    def on_time(self, routes: list[list[int]]) -> bool:
        """Whether routes (solver indices per vehicle) keep every hard time window.

        Each visit is served as early as its window and the route before it allow, which is
        the schedule least likely to be late anywhere.
        """
        nodes, problem, transit = self.nodes, self.problem, self.transit
        for v_index, route in enumerate(routes):
            if not route:
                continue
            v = problem.vehicles[v_index]
            at, t = nodes.depot_node[v.start_row], v.earliest_start_s
            for idx in route:
                node = self.manager.IndexToNode(idx)
                visit = self.visit(node)
                t = max(t + int(transit[at, node]), visit.earliest_s)
                if t > visit.latest_s:
                    return False
                at = node
            if t + int(transit[at, nodes.depot_node[v.end_row]]) > v.latest_end_s:
                return False
        return True

    def plan_of(self, routes: list[list[int]]) -> InitialPlan:
        """Routes of solver indices as a plan: (request, kind) visits for every problem vehicle."""
        plan: InitialPlan = [[] for _ in range(self.fleet_size)]
        for v_index, route in enumerate(routes):
            plan[self.fleet[v_index]] = [
                self.nodes.request_of(self.manager.IndexToNode(i)) for i in route
            ]
        return plan

    def assignment_of(self, plan: InitialPlan) -> Any:
        """A plan as an assignment of this (closed) model, or None if the model rejects it.

        Visits planned on vehicles outside this model's fleet are left out; vehicles past the end
        of the plan get no route.
        """
        nodes = self.nodes
        routes = [
            [
                self.index(nodes.node_of(i, kind))
                for i, kind in (plan[vehicle] if vehicle < len(plan) else [])
            ]
            for vehicle in self.fleet
        ]
        return self.read_routes(routes)

    def complete(self, plan: InitialPlan, search: Any) -> Any:
        """A plan's routes kept as they are, every visit they leave out inserted by the
        first-solution heuristic of ``search`` (a first-solution search from the routes locked
        but open at their ends): a complete first solution that keeps a partial plan. None if
        the search finds none."""
        routes = [
            [self.index(self.nodes.node_of(i, kind)) for i, kind in plan[v]]
            if v < len(plan)
            else []
            for v in self.fleet
        ]
        routing = self.routing
        if not routing.ApplyLocksToAllVehicles(routes, False):
            return None
        try:
            return routing.SolveWithParameters(search)
        finally:
            routing.ApplyLocksToAllVehicles([[] for _ in routes], False)

    def read_routes(self, routes: list[list[int]]) -> Any:
        """Routes of solver indices, one per vehicle of the model, as an assignment (None if the
        model rejects them).

        With a price on ride time or kept times (soft bounds on the time cumuls)
        ReadAssignmentFromRoutes searches the cumuls for the cheapest timing and took whole time
        limits (measured: 5 s of 5 s loading one route of 4 pupils); a first-solution search
        from the routes locked
        takes milliseconds and times them as any first solution is. Visits on no route are then
        inserted by that search (local cheapest insertion: the strategy that leaves every visit
        out failed to load feasible routes).
        """
        if not self.problem.prices_times:
            return self.routing.ReadAssignmentFromRoutes(routes, True)
        routing = self.routing
        search = pywrapcp.DefaultRoutingSearchParameters()
        search.first_solution_strategy = (
            routing_enums_pb2.FirstSolutionStrategy.LOCAL_CHEAPEST_INSERTION
        )
        search.solution_limit = 1
        search.time_limit.FromMilliseconds(int(LOCKED_LOAD_LIMIT_S * 1000))
        if not routing.ApplyLocksToAllVehicles(routes, True):
            return None
        try:
            found = routing.SolveWithParameters(search)
        finally:
            routing.ApplyLocksToAllVehicles([[] for _ in routes], False)
        if found is None:
            return None
        got = self.routes_of(found)
        if any(got[v][: len(route)] != route for v, route in enumerate(routes) if route):
            return None
        return found

    def extract(self, assignment: Any) -> tuple[list[VehicleRoute], list[int]]:
        """An assignment as routes of request visits with their times, and the requests left
        out."""
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
                request, kind = nodes.request_of(node)
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


def fits_alone(problem: Problem, vehicle: int, visits: list[tuple[int, str]]) -> bool:
    """Whether ``vehicle`` of ``problem`` can serve ``visits`` ((request, kind) in order) as its
    whole route: every window, ride limit, capacity and allowed vehicle of the requests and the
    vehicle's hours, checked in a model of just that vehicle and those requests (milliseconds,
    where loading a route into a model of a whole session's fleet takes a quarter of a second
    at 600 vehicles). Fleet limits are the caller's to count."""
    requests = sorted({r for r, _ in visits})
    sub = extract(problem, requests, [vehicle], [limit for _, limit in problem.vehicle_limits])
    # Without the price on ride time, a load needs no search (see _Model.read_routes).
    free = tuple(replace(r, keep_cost_per_s=0) for r in sub.problem.requests)
    probe = _Model(replace(sub.problem, ride_cost_per_s=0, requests=free))
    probe.routing.CloseModelWithParameters(pywrapcp.DefaultRoutingSearchParameters())
    local = {r: k for k, r in enumerate(sub.requests)}
    return probe.assignment_of([[(local[r], kind) for r, kind in visits]]) is not None
