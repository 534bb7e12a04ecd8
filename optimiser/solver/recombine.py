"""The same crew both ways chosen from every route the planner found: set partitioning.

The planner finds several plans of each session while it plans the morning and the afternoon
with each other in view (:mod:`optimiser.solver.both_ways`): the sessions planned alone, each
turn's, each search on from a pair's routes. Every route of every one of them holds on its own:
time windows, ride limits, seats and wheelchair spaces, schools per route, siblings and pupils
never to ride together are all matters within one route. A plan of a session is therefore any
choice of those routes that carries each journey once, within the fleet's counts of each
vehicle type.

:func:`recombine` chooses a morning and an afternoon together, from every route found: least in
cost (vehicles, assistants, distance and the price of ride time) plus the settings' price for
each pupil who rides two vehicles, where each morning route is linked to at most one afternoon
route of the same fleet row and assistant and keeps the pupils they share (as the plan links
twins, :func:`optimiser.plan.twins.link_twins`), within a budget on what the routes cost. It is
a 0-1 programme over the routes (set partitioning with the links), solved by HiGHS through
:func:`scipy.optimize.milp`: a morning route of one pair can meet the afternoon route of
another that keeps its pupils, and a dear route give way to a cheaper one that carries the same
pupils. The candidates are the routes of every plan the searches reported, not only their last
(``SearchParameters.keep_routes``): on the sample about 1,200 a session, solved to optimality in
a few seconds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_matrix

from optimiser.routing.from_dataset import SessionModel, VehicleSlot
from optimiser.routing.problem import Problem, Solution, VehicleRoute, VisitKind

# A journey placed by the starting pair must stay placed; one it leaves out is worth this much
# placed (millipence: £100,000, far above any route).
_PLACED = 10**10


def route_money(problem: Problem, route: VehicleRoute) -> int:
    """What one route costs a day (millipence): its vehicle's fixed cost (with its assistant) and
    its distance, as :func:`optimiser.domain.rules.route_cost_pence` prices them."""
    vehicle = problem.vehicles[route.vehicle]
    rows = [vehicle.start_row, *(v.row for v in route.visits), vehicle.end_row]
    metres = int(problem.distance_m[rows[:-1], rows[1:]].sum())
    return vehicle.fixed_cost + vehicle.cost_per_m * metres


def route_ride(problem: Problem, route: VehicleRoute) -> int:
    """The price of the ride time of one route's pupils (millipence): the problem's price of a
    second on board times each journey's time from pick-up to set-down."""
    picked: dict[int, int] = {}
    ride = 0
    for visit in route.visits:
        if visit.kind == VisitKind.PICKUP:
            picked[visit.request] = visit.start_s
        elif visit.request in picked:
            ride += visit.start_s - picked[visit.request]
    return problem.ride_cost_per_s * ride


def money(model: SessionModel, solution: Solution) -> int:
    """What a session's routes cost a day (millipence)."""
    return sum(route_money(model.problem, route) for route in solution.routes)


def value(model: SessionModel, solution: Solution) -> int:
    """What a session's routes cost a day with the price of their ride time (millipence): the
    measure :func:`recombine` minimises, with the price of changes."""
    problem = model.problem
    return sum(route_money(problem, r) + route_ride(problem, r) for r in solution.routes)


@dataclass(frozen=True)
class _Column:
    """One route found, as a candidate of the programme."""

    route: VehicleRoute
    slot: VehicleSlot
    requests: frozenset[int]
    pupils: frozenset[str]
    money: int
    value: int


def _columns(model: SessionModel, routes: Sequence[VehicleRoute]) -> list[_Column]:
    """Every distinct route of ``routes`` (the same stops in the same order on the same fleet
    row and assistant count once: the first of them)."""
    seen: dict[tuple[VehicleSlot, tuple[tuple[int, str], ...]], _Column] = {}
    problem = model.problem
    for route in routes:
        key = _key(model.slots[route.vehicle], route)
        if key in seen or not route.visits:
            continue
        requests = frozenset(v.request for v in route.visits)
        pupils = frozenset(p for i in requests for p in model.request_pupils[i])
        cost = route_money(problem, route)
        seen[key] = _Column(
            route, key[0], requests, pupils, cost, cost + route_ride(problem, route)
        )
    return list(seen.values())


def _key(slot: VehicleSlot, route: VehicleRoute) -> tuple[VehicleSlot, tuple[tuple[int, str], ...]]:
    return slot, tuple((v.request, str(v.kind)) for v in route.visits)


def _fleet_groups(model: SessionModel) -> list[tuple[set[VehicleSlot], int]] | None:
    """Each vehicle limit as the fleet rows and assistants it covers, and how many of them may
    run; None where a limit covers part of a row's vehicles (the routes could not then be given
    vehicles by row alone)."""
    copies: dict[VehicleSlot, set[int]] = defaultdict(set)
    for v, slot in enumerate(model.slots):
        copies[slot].add(v)
    groups = []
    for members, limit in model.problem.vehicle_limits:
        slots = {model.slots[v] for v in members}
        if set().union(*(copies[s] for s in slots)) != set(members):
            return None
        groups.append((slots, limit))
    return groups


def _placed(solution: Solution, model: SessionModel) -> set[int]:
    dropped = set(solution.dropped)
    return {i for i in range(len(model.request_pupils)) if i not in dropped}


class _Programme:
    """The 0-1 programme, as a sparse matrix for HiGHS (:func:`scipy.optimize.milp`): a variable
    per route found (chosen or not), then one per link of a morning route to an afternoon route
    of the same fleet row and assistant that shares pupils with it."""

    def __init__(self) -> None:
        self.columns: list[list[_Column]] = []
        self.cost: list[float] = []  # pence, per variable
        self.rows: list[int] = []
        self.cols: list[int] = []
        self.coefs: list[float] = []
        self.lower: list[float] = []
        self.upper: list[float] = []

    def _row(self, entries: Iterable[tuple[int, float]], lower: float, upper: float) -> None:
        row = len(self.lower)
        for col, coef in entries:
            self.rows.append(row)
            self.cols.append(col)
            self.coefs.append(coef)
        self.lower.append(lower)
        self.upper.append(upper)

    def add_session(self, model: SessionModel, columns: list[_Column], first: Solution) -> bool:
        """The routes of one session: each journey ``first`` places carried once, any other at
        most once (and worth far more carried), within the fleet's counts. False where the
        fleet's limits do not follow its rows."""
        groups = _fleet_groups(model)
        if groups is None:
            return False
        offset = len(self.cost)
        self.columns.append(columns)
        self.cost.extend(col.value / 1000 for col in columns)
        by_request: dict[int, list[int]] = defaultdict(list)
        for n, col in enumerate(columns):
            for i in col.requests:
                by_request[i].append(offset + n)
        required = _placed(first, model)
        for i, variables in by_request.items():
            self._row(((v, 1.0) for v in variables), 1.0 if i in required else 0.0, 1.0)
            if i not in required:
                for v in variables:
                    self.cost[v] -= _PLACED / 1000
        copies: dict[VehicleSlot, int] = defaultdict(int)
        for slot in model.slots:
            copies[slot] += 1
        for slots, limit in [({slot}, count) for slot, count in copies.items()] + groups:
            members = [offset + n for n, col in enumerate(columns) if col.slot in slots]
            self._row(((v, 1.0) for v in members), 0.0, float(limit))
        return True

    def add_links(self, pence: float) -> None:
        """Each morning route linked to at most one afternoon route of its fleet row and
        assistant, and back, and only where both are chosen; each link earns ``pence`` for each
        pupil the two share."""
        mornings, afternoons = self.columns
        by_pupil: dict[str, list[int]] = defaultdict(list)
        for s, col in enumerate(afternoons):
            for pupil in col.pupils:
                by_pupil[pupil].append(s)
        of_morning: dict[int, list[int]] = defaultdict(list)
        of_afternoon: dict[int, list[int]] = defaultdict(list)
        for r, col in enumerate(mornings):
            kept: dict[int, int] = defaultdict(int)
            for pupil in col.pupils:
                for s in by_pupil.get(pupil, ()):
                    if afternoons[s].slot == col.slot:
                        kept[s] += 1
            for s, shared in kept.items():
                z = len(self.cost)
                self.cost.append(-pence * shared)
                of_morning[r].append(z)
                of_afternoon[s].append(z)
        # sum of a route's links <= whether it is chosen
        for r, links in of_morning.items():
            self._row([*((z, 1.0) for z in links), (r, -1.0)], -np.inf, 0.0)
        for s, links in of_afternoon.items():
            self._row([*((z, 1.0) for z in links), (len(mornings) + s, -1.0)], -np.inf, 0.0)

    def add_budget(self, max_money: int) -> None:
        """The routes chosen cost at most ``max_money`` (millipence) a day."""
        routes = [col for cols in self.columns for col in cols]
        self._row(
            ((v, col.money / 1000) for v, col in enumerate(routes)), -np.inf, max_money / 1000
        )

    def solve(self, time_limit_s: float) -> list[list[bool]] | None:
        """Which routes of each session are chosen, or None where no plan was found in time."""
        n = len(self.cost)
        matrix = csr_matrix((self.coefs, (self.rows, self.cols)), shape=(len(self.lower), n))
        result = milp(
            np.array(self.cost),
            constraints=LinearConstraint(matrix, self.lower, self.upper),
            integrality=np.ones(n),
            bounds=Bounds(0, 1),
            options={"time_limit": max(0.1, time_limit_s), "mip_rel_gap": 1e-4},
        )
        if result.x is None:
            return None
        chosen, start = [], 0
        for cols in self.columns:
            chosen.append([bool(x > 0.5) for x in result.x[start : start + len(cols)]])
            start += len(cols)
        return chosen


def _solution(model: SessionModel, columns: list[_Column], chosen: list[bool]) -> Solution | None:
    """The routes chosen of one session, each given a vehicle of its fleet row and assistant
    (None where a vehicle so given may not carry one of its route's requests)."""
    free: dict[VehicleSlot, list[int]] = defaultdict(list)
    for v, slot in enumerate(model.slots):
        free[slot].append(v)
    routes = []
    for col, taken in zip(columns, chosen, strict=True):
        if taken:
            vehicle = free[col.slot].pop(0)
            if not _allowed(model.problem, vehicle, col.requests):
                return None
            routes.append(
                VehicleRoute(vehicle, col.route.depart_s, col.route.visits, col.route.return_s)
            )
    served = {v.request for r in routes for v in r.visits}
    dropped = [i for i in range(len(model.request_pupils)) if i not in served]
    solution = Solution(sorted(routes, key=lambda r: r.vehicle), dropped, 0, status="recombined")
    solution.objective = value(model, solution)
    return solution


def _allowed(problem: Problem, vehicle: int, requests: frozenset[int]) -> bool:
    """Whether ``vehicle`` may carry every one of ``requests`` (vehicles of one fleet row and
    assistant may carry the same: a route moves between them freely)."""
    for i in requests:
        allowed = problem.requests[i].allowed_vehicles
        if allowed is not None and vehicle not in allowed:
            return False
    return True


def recombine(
    am: SessionModel,
    am_routes: Sequence[VehicleRoute],
    pm: SessionModel,
    pm_routes: Sequence[VehicleRoute],
    start: tuple[Solution, Solution],
    pence: float,
    max_money: int | None,
    time_limit_s: float,
) -> tuple[Solution, Solution] | None:
    """A morning and an afternoon made of the routes ``am_routes`` and ``pm_routes``.

    Parameters
    ----------
    am, pm : SessionModel
        The two sessions' models (one model each; their vehicles and requests as in the
        solutions, whichever price of changes the solutions were searched under).
    am_routes, pm_routes : sequence of VehicleRoute
        Routes of each session that each hold on their own (of plans the search found), timed
        as they would run: the candidates.
    start : (Solution, Solution)
        The pair found so far: every journey it places stays placed, and its routes are among
        the candidates (the first of ``am_routes`` or ``pm_routes`` with the same stops stands
        for each), so that the programme's optimum is worth at least as much.
    pence : float
        The price of each pupil carried both ways on two vehicles.
    max_money : int or None
        The most the two sessions' routes may cost a day, millipence (None: no budget).
    time_limit_s : float
        HiGHS's time limit (its best plan by then is returned).

    Returns
    -------
    (Solution, Solution) or None
        The morning's and the afternoon's plan (vehicles given afresh within each fleet row and
        assistant), or None where the programme found nothing in time or the fleet's limits do
        not follow its rows.
    """
    programme = _Programme()
    for model, routes, first in ((am, am_routes, start[0]), (pm, pm_routes, start[1])):
        if not programme.add_session(model, _columns(model, [*routes, *first.routes]), first):
            return None
    programme.add_links(pence)
    if max_money is not None:
        programme.add_budget(max_money)
    chosen = programme.solve(time_limit_s)
    if chosen is None:
        return None
    morning, afternoon = (
        _solution(model, cols, taken)
        for model, cols, taken in zip((am, pm), programme.columns, chosen, strict=True)
    )
    if morning is None or afternoon is None:
        return None
    return morning, afternoon
