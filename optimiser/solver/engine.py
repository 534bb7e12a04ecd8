"""The OR-Tools routing model: the only module that imports ``ortools``.

It turns a :class:`~optimiser.routing.problem.Problem` into a ``RoutingModel`` and a search, and
translates the answer straight back into a :class:`~optimiser.routing.problem.Solution` of request
indices and times: solver node indices never leave this module.

Model shape (facts checked on ortools 9.15, see the style notes):
- travel times and arc costs are registered as precomputed matrices, not Python callbacks;
- every request is optional with a large penalty, so an over-constrained day still returns a plan
  and the requests that could not be placed;
- allowed vehicles are set through ``VehicleVar(i).SetValues([-1, *allowed])``.

Search: a complete first solution (local cheapest insertion), then improvement. Where that first
solution is quick and no sibling groups must share a vehicle, the improvement is OR-Tools'
iterated local search (``SolveWithIteratedLocalSearch``: string removals after Christiaens and
Vanden Berghe's SISR, re-insertion, greedy descent, simulated-annealing acceptance); setting
``use_iterated_local_search`` alone does nothing on the other solve methods of this wheel, and its
default parameters have no ruin strategy. Where vehicles have a fixed cost, the iterated search
also tries smaller fleets (route minimisation). Elsewhere, guided local search from the first
solution.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from itertools import permutations

import numpy as np
from google.protobuf import text_format
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from optimiser.routing.problem import Problem, Solution, VehicleRoute, VisitTime

log = logging.getLogger(__name__)
Progress = Callable[[dict], None]
InitialPlan = list[list[tuple[int, str]]]
ITERATED_LOCAL_SEARCH = "ITERATED_LOCAL_SEARCH"
# Iterated local search only where a first solution takes at most this share of the budget: each
# of its iterations re-inserts visits with the first-solution heuristic, so where that heuristic
# is slow (a few hundred SEND stops with pupils that fit nowhere: seconds per insertion) it makes
# too few iterations to help, and guided local search from phase 1's solution does better.
ITERATED_FIRST_SHARE = 0.01
FIRST_SOLUTION_LIMIT_S = 900.0  # the first complete plan may take longer than the search budget
MIN_SEARCH_S = 2.0  # improvement always gets at least this long
SOFT_HORIZON = 4  # with soft time windows, routes may end up to this many times the horizon
_STATUS = {
    number: name.removeprefix("ROUTING_")
    for name, number in routing_enums_pb2.RoutingSearchStatus.Value.items()
}


@dataclass(frozen=True)
class SearchParameters:
    """How hard to search. ``solution_limit`` makes a run reproducible; a time limit does not."""

    time_limit_s: float = 30.0
    solution_limit: int | None = None
    first_solution: str = "LOCAL_CHEAPEST_INSERTION"
    # ITERATED_LOCAL_SEARCH: OR-Tools' ruin-and-recreate iterated local search (SISR ruin, local
    # cheapest insertion, greedy descent, simulated-annealing acceptance); or any of OR-Tools'
    # LocalSearchMetaheuristic names, e.g. GUIDED_LOCAL_SEARCH.
    metaheuristic: str = ITERATED_LOCAL_SEARCH
    # Iterated local search: visits removed per ruin on average, and the annealing temperatures
    # as multiples of a typical arc's cost (see _typical_arc_cost).
    ils_removed: int = 10
    ils_start_temperature: float = 14.0
    ils_final_temperature: float = 0.14
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
    # Route minimisation in iterated local search where vehicles have fixed costs (see
    # _Search.fewer_vehicles): the share of the search time before it, the share each attempt
    # gets, and how many failed attempts in a row end it.
    route_min: bool = True
    route_min_first: float = 0.15
    route_min_slice: float = 0.15
    route_min_failures: int = 1
    # Each attempt searches with soft time windows: a unit of time late costs this many times
    # what a unit of travel time costs (see _lateness_cost); 0 keeps the windows hard.
    # Measured on 10 s repairs of lr104, lrc106, lr112, lrc202: at 1 none was on time, at 10
    # and 100 lr104 and lrc106 were.
    route_min_lateness: float = 10.0
    # Where later iterated runs start: (construction heuristic, visits removed per ruin), in
    # turn. OR-Tools' iterated local search takes no seed and always starts from its
    # first-solution heuristic, so two runs on the same fleet with the same settings retrace each
    # other; another start or ruin size sends a run elsewhere (30 s on the whole fleet: lc203
    # stays at 642.26 from local cheapest insertion and reaches the best-known 591.17 from
    # parallel cheapest insertion or savings; 20 s on lc103's nine vehicles: parallel cheapest
    # insertion leaves a request out removing 10 visits per ruin, and places all removing 15).
    # The whole fleet's first run uses ``first_solution`` and ``ils_removed``; a smaller fleet
    # starts with these. Fleets of the same make-up count as one (see _vehicle_kinds).
    # Empty: every run from ``first_solution`` and ``ils_removed``.
    restarts: tuple[tuple[str, int], ...] = (
        ("PARALLEL_CHEAPEST_INSERTION", 10),
        ("LOCAL_CHEAPEST_INSERTION", 15),
        ("PARALLEL_CHEAPEST_INSERTION", 15),
        ("SAVINGS", 15),
    )
    # Route minimisation: an attempt whose run afresh leaves at most this many requests out gets
    # one more run on the same fleet, from the next start (lc103's nine routes: parallel cheapest
    # insertion leaves one request out in 9 s, local cheapest insertion places all).
    route_min_close_miss: int = 1


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
        dist = problem.distance_m[np.ix_(rows, rows)].astype(np.int64)
        travel = problem.time_s[np.ix_(rows, rows)].astype(np.int64)
        self.transit = transit = travel + np.asarray(nodes.service, dtype=np.int64)[:, None]

        # Arc costs: one evaluator per distinct price per metre (vehicles of one price share it).
        evaluators: dict[int, int] = {}
        for v_index, v in enumerate(vehicles):
            if v.cost_per_m not in evaluators:
                evaluators[v.cost_per_m] = routing.RegisterTransitMatrix(
                    (dist * v.cost_per_m).tolist()
                )
            routing.SetArcCostEvaluatorOfVehicle(evaluators[v.cost_per_m], v_index)
        if not lateness_cost:
            self._fixed_costs(fixed_cost_as_span)

        horizon = int(max(v.latest_end_s for v in vehicles)) if vehicles else 86400
        # With soft windows a plan may run late: room for that beyond the latest window.
        self.horizon = horizon * (SOFT_HORIZON if lateness_cost else 1)
        time_cb = routing.RegisterTransitMatrix(transit.tolist())
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
        if any(r.solo for r in problem.requests):
            # Solo as a capacity: a solo request fills the whole guard, every other request takes
            # one unit of it, so nothing shares the vehicle while a solo request is on board.
            # Capacities are checked by the routing filters, far faster than a CP constraint.
            guard = [0] * len(nodes.rows)
            full = len(problem.requests) + 1
            for i, r in enumerate(problem.requests):
                if nodes.pickup[i] is None or nodes.dropoff[i] is None:
                    continue
                units = full if r.solo else 1
                guard[nodes.pickup[i]] += units
                guard[nodes.dropoff[i]] -= units
            callback = routing.RegisterUnaryTransitVector(guard)
            routing.AddDimension(callback, 0, full, True, "solo_guard")

    def _requests(self) -> None:
        routing, problem, nodes = self.routing, self.problem, self.nodes
        solver = routing.solver()
        for i, r in enumerate(problem.requests):
            visit_nodes = [n for n in (nodes.pickup[i], nodes.dropoff[i]) if n is not None]
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
                    limit = r.max_ride_s + r.pickup.service_s  # type: ignore[union-attr]
                    self.time.AddNodePrecedence(d, p, -limit)
                if problem.ride_cost_per_s:
                    c = problem.ride_cost_per_s
                    self.time.SetCumulVarSoftUpperBound(d, 0, c)
                    self.time.SetCumulVarSoftLowerBound(p, 86400, c)

    def _relations(self) -> None:
        routing, problem, nodes = self.routing, self.problem, self.nodes
        solver = routing.solver()

        def first(i: int) -> int:
            node = nodes.pickup[i] if nodes.pickup[i] is not None else nodes.dropoff[i]
            return self.index(node)  # type: ignore[arg-type]

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
                if nodes.pickup[i] is not None and nodes.dropoff[i] is not None:
                    demand[nodes.pickup[i]] += 1
                    demand[nodes.dropoff[i]] -= 1
            callback = routing.RegisterUnaryTransitVector(demand)
            routing.AddDimension(callback, 0, 1, True, f"apart_{k}")
        for a, b, kind in problem.consecutive:
            table = nodes.pickup if kind == "pickup" else nodes.dropoff
            if table[a] is not None and table[b] is not None:
                # b starts exactly when a's service ends: with no time to drive anywhere or
                # wait, nothing can come between them. Two node precedences of the time
                # dimension, which the routing filters check fast.
                na, nb = self.index(table[a]), self.index(table[b])  # type: ignore[arg-type]
                service = nodes.service[table[a]]  # type: ignore[index]
                self.time.AddNodePrecedence(na, nb, service)
                self.time.AddNodePrecedence(nb, na, -service)
        for members, limit in problem.vehicle_limits:
            if len(members) > limit:
                solver.Add(solver.Sum([routing.ActiveVehicleVar(v) for v in members]) <= limit)

    def regroup(self, assignment):
        """The first solution with every split same-vehicle group moved onto a vehicle of its own.

        Insertion heuristics add one request at a time, so they scatter a group over several
        vehicles, and local search cannot bring it back together in one move. So each split
        group is taken out of its routes and given a spare vehicle that can carry it (pickups,
        then drop-offs by the end of their window, or the reverse), where that is feasible; the
        soft same-vehicle cost then keeps it together. Returns None when no group was split.
        """
        problem, nodes, routing = self.problem, self.nodes, self.routing
        routes = []
        for v in range(len(problem.vehicles)):
            route, index = [], assignment.Value(routing.NextVar(routing.Start(v)))
            while not routing.IsEnd(index):
                route.append(self.manager.IndexToNode(index))
                index = assignment.Value(routing.NextVar(index))
            routes.append(route)
        vehicle_of = {n: v for v, route in enumerate(routes) for n in route}
        split = []
        for group in problem.same_vehicle:
            members = [
                n for i in group for n in (nodes.pickup[i], nodes.dropoff[i]) if n is not None
            ]
            if len({vehicle_of.get(n, -1) for n in members}) > 1:
                split.append((group, set(members)))
        if not split:
            return None
        for _, members in split:
            routes = [[n for n in route if n not in members] for route in routes]
        for group, _ in split:
            self._place_group(group, routes)
        return routing.ReadAssignmentFromRoutes(routes, True)

    def _place_group(self, group: tuple[int, ...], routes: list[list[int]]) -> None:
        problem, nodes = self.problem, self.nodes
        load = {
            d: sum(problem.requests[i].load.get(d, 0) for i in group) for d in problem.dimensions
        }
        candidates = sorted(
            (v.fixed_cost + v.cost_per_m, k)
            for k, v in enumerate(problem.vehicles)
            if not routes[k] and all(v.capacity.get(d, 0) >= n for d, n in load.items())
        )
        pickups = [nodes.pickup[i] for i in group if nodes.pickup[i] is not None]
        drops = [nodes.dropoff[i] for i in group if nodes.dropoff[i] is not None]
        # Groups are small (siblings): try every order of pickups and of drop-offs, earliest
        # windows first.
        by_window = lambda n: (self._visit_window(n), n)  # noqa: E731
        orders = sorted(
            ([*p, *d] for p in permutations(pickups) for d in permutations(drops)),
            key=lambda order: [by_window(n) for n in order],
        )[:24]
        for _, vehicle in candidates[:10]:
            for order in orders:
                routes[vehicle] = order  # type: ignore[assignment]
                if self.routing.ReadAssignmentFromRoutes(routes, True) is not None:
                    return
                routes[vehicle] = []

    def _visit_window(self, node: int) -> int:
        request, kind = self.nodes.owner[node]  # type: ignore[misc]
        r = self.problem.requests[request]
        visit = r.pickup if kind == "pickup" else r.dropoff
        return visit.latest_s  # type: ignore[union-attr]

    def routes_of(self, assignment=None) -> list[list[int]]:
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
                request, kind = nodes.owner[node]  # type: ignore[misc]
                r = problem.requests[request]
                visit = r.pickup if kind == "pickup" else r.dropoff
                t = max(t + int(transit[at, node]), visit.earliest_s)  # type: ignore[union-attr]
                if t > visit.latest_s:  # type: ignore[union-attr]
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
                self.nodes.owner[self.manager.IndexToNode(i)]  # type: ignore[misc]
                for i in route
            ]
        return plan

    def assignment_of(self, plan: InitialPlan):
        """A plan as an assignment of this (closed) model, or None if the model rejects it.

        Visits planned on vehicles outside this model's fleet are left out; vehicles past the end
        of the plan get no route.
        """
        nodes = self.nodes
        routes = [
            [
                self.index((nodes.pickup if kind == "pickup" else nodes.dropoff)[i])  # type: ignore[arg-type]
                for i, kind in (plan[vehicle] if vehicle < len(plan) else [])
            ]
            for vehicle in self.fleet
        ]
        return self.routing.ReadAssignmentFromRoutes(routes, True)

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


def _suits_iterated_search(problem: Problem, first_s: float, params: SearchParameters) -> bool:
    """Where iterated local search has done better than guided local search, as measured.

    - the first solution took at most ITERATED_FIRST_SHARE of the budget (see there);
    - no sibling groups: they are regrouped in a solution before the search, and ruin and
      recreate splits them again;
    - no ride-time limits: on SEND sessions (every pupil has one) it left plans dearer than guided
      local search at the same budget (60 pupils, 20 s: 14% dearer), while on the benchmarks,
      which have none, it halves the gap.
    """
    return (
        first_s <= ITERATED_FIRST_SHARE * params.time_limit_s
        and not problem.same_vehicle
        and all(r.max_ride_s is None for r in problem.requests)
    )


def _vehicle_kinds(problem: Problem) -> list[int]:
    """A number per vehicle; vehicles with the same number are interchangeable: same depots,
    capacities, costs, hours, the same requests allowed, and the same vehicle limits."""
    barred = [set() for _ in problem.vehicles]
    for i, r in enumerate(problem.requests):
        if r.allowed_vehicles is not None:
            allowed = set(r.allowed_vehicles)
            for v in range(len(problem.vehicles)):
                if v not in allowed:
                    barred[v].add(i)
    limits = [
        tuple(k for k, (members, _) in enumerate(problem.vehicle_limits) if v in members)
        for v in range(len(problem.vehicles))
    ]
    numbers: dict[tuple, int] = {}
    kinds = []
    for v, vehicle in enumerate(problem.vehicles):
        key = (
            vehicle.start_row,
            vehicle.end_row,
            tuple(sorted(vehicle.capacity.items())),
            vehicle.fixed_cost,
            vehicle.cost_per_m,
            vehicle.earliest_start_s,
            vehicle.latest_end_s,
            tuple(sorted(barred[v])),
            limits[v],
        )
        kinds.append(numbers.setdefault(key, len(numbers)))
    return kinds


def _typical_arc_cost(problem: Problem, k: int = 5) -> float:
    """The cost of a typical short arc: mean distance from each place to its k nearest others.

    Annealing temperatures scale with it, so one setting serves benchmark distances, metres and
    millipence alike.
    """
    rows = sorted(
        {v.row for r in problem.requests for v in r.visits}
        | {v.start_row for v in problem.vehicles}
    )
    dist = problem.distance_m[np.ix_(rows, rows)].astype(float)
    dist[dist <= 0] = np.inf
    near = np.sort(dist, axis=1)[:, :k]
    near = near[np.isfinite(near).all(axis=1)]
    metres = float(near.mean()) if near.size else 1.0
    return max(1.0, metres * float(np.median([v.cost_per_m for v in problem.vehicles])))


def _lateness_cost(problem: Problem, weight: float) -> int:
    """The cost of a unit of lateness in a soft-window model: ``weight`` times the travel cost of
    a unit of time (the median price per metre times the mean speed over the matrix)."""
    if weight <= 0:
        return 0
    rows = sorted({v.row for r in problem.requests for v in r.visits})
    time_s = problem.time_s[np.ix_(rows, rows)].astype(float)
    speed = float(problem.distance_m[np.ix_(rows, rows)].sum() / max(1.0, time_s.sum()))
    per_m = float(np.median([v.cost_per_m for v in problem.vehicles]))
    return max(1, round(weight * per_m * speed))


def _iterated_search_text(params: SearchParameters, arc_cost: float, recreate: str) -> str:
    return f"""
        use_iterated_local_search: true
        iterated_local_search_parameters {{
          perturbation_strategy: RUIN_AND_RECREATE
          ruin_recreate_parameters {{
            ruin_strategies {{ sisr {{
              max_removed_sequence_size: 10
              avg_num_removed_visits: {params.ils_removed}
              bypass_factor: 0.01
            }} }}
            ruin_composition_strategy: RUN_ONE_RANDOMLY
            recreate_strategy {{ heuristic: {recreate} }}
          }}
          improve_perturbed_solution: true
          reference_solution_acceptance_strategy {{ simulated_annealing {{
            cooling_schedule_strategy: EXPONENTIAL
            initial_temperature: {params.ils_start_temperature * arc_cost}
            final_temperature: {params.ils_final_temperature * arc_cost}
            automatic_temperatures: false
          }} }}
          best_solution_acceptance_strategy {{ greedy_descent {{}} }}
        }}"""


def _search_parameters(params: SearchParameters, arc_cost: float = 1.0, soft: bool = False):
    """OR-Tools' search parameters for ``params``. ``soft``: for a model with soft time windows,
    whose insertions must weigh lateness: local cheapest insertion prices an insertion by its
    arcs alone and piles every request onto two routes hours late (measured on lc109), so the
    first solution and each recreate use the cost-based variant, which prices the whole
    objective."""
    search = pywrapcp.DefaultRoutingSearchParameters()
    insertion = "LOCAL_CHEAPEST_COST_INSERTION" if soft else "LOCAL_CHEAPEST_INSERTION"
    search.first_solution_strategy = getattr(
        routing_enums_pb2.FirstSolutionStrategy, insertion if soft else params.first_solution
    )
    iterated = params.metaheuristic == ITERATED_LOCAL_SEARCH
    search.local_search_metaheuristic = getattr(
        routing_enums_pb2.LocalSearchMetaheuristic,
        "GREEDY_DESCENT" if iterated else params.metaheuristic,
    )
    if iterated:
        text_format.Merge(_iterated_search_text(params, arc_cost, insertion), search)
    search.time_limit.FromMilliseconds(int(params.time_limit_s * 1000))
    if params.solution_limit is not None:
        search.solution_limit = params.solution_limit
    search.log_search = params.log_search
    if params.search_text:
        text_format.Merge(params.search_text, search)
    return search


def _warm_start(model: _Model, params: SearchParameters):
    """VROOM's plan loaded into the model, or None if there is none or the model rejects it."""
    from optimiser.solver.warmstart import vroom_plan

    plan = vroom_plan(model.problem, timeout_s=params.time_limit_s * params.warm_start_share)
    return None if plan is None else _load_plan(model, params, plan)


def _load_plan(model: _Model, params: SearchParameters, plan: InitialPlan):
    """A plan given as (request, "pickup" | "dropoff") visits per vehicle, as an assignment."""
    model.routing.CloseModelWithParameters(
        _search_parameters(params, _typical_arc_cost(model.problem))
    )
    return model.assignment_of(plan)


Best = tuple[int, InitialPlan]  # objective and plan


def _described(best: Best | None) -> str:
    """A plan in a debug log line: its objective, routes and visits."""
    if best is None:
        return "no plan"
    routes = [r for r in best[1] if r]
    return f"objective {best[0]}, {len(routes)} routes, {sum(map(len, routes))} visits"


class _Search:
    """One call of :func:`solve`: its clock, its progress reports and the best plan of a run.

    A solve may build several models (route minimisation works on smaller fleets); every model
    reports here, and plans are kept in the problem's own vehicle numbering.
    """

    def __init__(self, problem: Problem, params: SearchParameters, progress: Progress | None):
        self.problem, self.params, self.progress = problem, params, progress
        self.started = time.perf_counter()
        self.build_s = 0.0
        self.found: list[int] = []
        self.arc_cost = _typical_arc_cost(problem)
        # Iterated local search returns its last accepted solution, not always its best: while
        # one runs, the routes of each new best are kept as they are reported.
        self.recording: _Model | None = None
        self.run_best: Best | None = None
        self.muted = False
        # Iterated runs so far on each make-up of fleet (vehicles of a kind are interchangeable,
        # so two fleets of three such vehicles are one): a later run starts elsewhere.
        self.kinds = _vehicle_kinds(problem)
        self.runs: dict[tuple[int, ...], int] = {}

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def model(self, fleet: tuple[int, ...] | None = None, lateness_cost: int = 0) -> _Model:
        model = _Model(self.problem, self.params.fixed_cost_as_span, fleet, lateness_cost)
        model.routing.AddAtSolutionCallback(lambda: self._on_solution(model))
        return model

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
        if self.progress is not None:
            self.progress(
                {
                    "problem": self.problem.name,
                    "solutions": len(self.found),
                    "objective": cost,
                    "elapsed_s": round(self.elapsed(), 1),
                    "build_s": round(self.build_s, 1),
                }
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
        search = _search_parameters(params, self.arc_cost, bool(model.lateness_cost))
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
                last, _search_parameters(replace(reset, metaheuristic="GREEDY_DESCENT"))
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
        search = _search_parameters(params, self.arc_cost, bool(model.lateness_cost))
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
        lateness = _lateness_cost(self.problem, self.params.route_min_lateness)
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
        assignment = _load_plan(model, self.params, plan)
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
                if close and found[0] >= best[0] and left >= slice_s / 2:
                    found = self.iterate(self.model(fleet), min(slice_s, left))
            if found is not None and found[0] < best[0]:
                best, tried = found, set()
            else:
                tried.add(drop)
        return best


def solve(
    problem: Problem,
    params: SearchParameters,
    progress: Progress | None = None,
    initial: InitialPlan | None = None,
) -> Solution:
    """Build the model for ``problem``, search, and return the best solution found.

    ``initial`` is a starting plan: for each vehicle, its visits as (request, "pickup" or
    "dropoff") in order; when the model accepts it, the search starts from it instead of
    building a first solution.
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
    # Phase 1: a complete first solution, however long it takes (a plan with every pupil left
    # out because the clock ran out mid-construction helps nobody), or another engine's plan.
    assignment = _load_plan(model, params, initial) if initial is not None else None
    if assignment is None and params.warm_start == "vroom":
        assignment = _warm_start(model, params)
    seeded = assignment is not None  # the iterated search would start afresh: not for these
    first_s = 0.0
    if assignment is None:
        first = replace(
            params, solution_limit=1, time_limit_s=max(params.time_limit_s, FIRST_SOLUTION_LIMIT_S)
        )
        assignment = model.routing.SolveWithParameters(_search_parameters(first, run.arc_cost))
        first_s = run.elapsed() - run.build_s
    # Phase 2: improve with the remaining time.
    if assignment is not None and params.solution_limit != 1:
        remaining = max(MIN_SEARCH_S, params.time_limit_s - run.elapsed())
        iterated = params.metaheuristic == ITERATED_LOCAL_SEARCH
        if iterated and not seeded and _suits_iterated_search(problem, first_s, params):
            assignment = _iterated_phase(run, model, assignment, remaining, first_s)
        else:
            # From a given start (another plan, or sibling groups regrouped): guided local search.
            start = (model.regroup(assignment) if problem.same_vehicle else None) or assignment
            local = replace(params, time_limit_s=remaining)
            if iterated:
                local = replace(local, metaheuristic="GUIDED_LOCAL_SEARCH")
            search = _search_parameters(local, run.arc_cost)
            assignment = model.routing.SolveFromAssignmentWithParameters(start, search) or start
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
    )


def _iterated_phase(run: _Search, model: _Model, assignment, search_s: float, first_s: float):
    """Iterated local search, with route minimisation where vehicles cost to use.

    Without fixed costs (or under a solution limit, which must stay reproducible): one run for
    the whole time. With them: a run for ``route_min_first`` of the time, route minimisation
    (:meth:`_Search.fewer_vehicles`), then a run on the whole fleet for half of what is left and
    one on the best plan's own vehicles for the other half; the best plan of them all is kept.
    Returns an assignment of ``model``: the best plan, or ``assignment`` if none was better.
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
    first_run = (params.route_min_first * search_s if minimise else search_s) + first_s
    best = min(start, run.iterate(model, first_run) or start, key=lambda b: b[0])
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
    return model.assignment_of(best[1]) or assignment
