"""Readers for the public Solomon (VRPTW), Li & Lim (PDPTW) and Cordeau dial-a-ride benchmarks.

They build the engine's own :class:`~optimiser.routing.problem.Problem`, so a benchmark run measures
exactly the model builder and search that plan SEND transport; there is no separate toy model.

Conventions (see ``bench/README.md`` of the shared benchmark folder):

- Euclidean distances between the coordinates; travel time equals distance; service times, time
  windows, capacity and fleet size as in the files; one capacity dimension, ``"load"``.
- Integers: every distance, time, window and service time is multiplied by ``scale``.
  ``rule="dimacs"`` (Solomon distance-only table, scale 10) *truncates* each arc to one decimal,
  the rule under which ``bks_distance_only.csv`` was computed, so the solver's objective divided by
  10 is directly comparable to that table. ``rule="round"`` (hierarchical tables, double precision;
  scale 1000) rounds the distance of each arc and rounds its travel time *up*, so a route the solver
  finds feasible is feasible in exact arithmetic too (conservative by at most 0.001 per arc).
- Objective: ``fixed_cost=0`` gives distance only; a fixed cost per vehicle larger than any total
  distance gives the hierarchical objective (fewest vehicles first, then distance).
- Cordeau's dial-a-ride set (``darp/README.md``): pickup–drop-off pairs with a ride limit per
  request (start of service at the drop-off minus the end of service at the pickup) and a maximum
  route duration per vehicle; distance only, ``rule="round"``, scale 1000. The end depot (the
  file's last node) is the start depot's place and window, so it is read as row 0.

Gaps are reported on distances recomputed from the coordinates (:func:`route_distances`), in
doubles, or truncated per arc under the DIMACS rule.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from optimiser.routing.problem import Problem, Request, Solution, Vehicle, Visit

DIMENSION = "load"
# Larger than any total distance of these sets at scale 1000 (about 1e8), far below the penalty
# for leaving a request out (1e12).
HIERARCHICAL_FIXED_COST = 10**9


@dataclass(frozen=True)
class Instance:
    """A benchmark instance as read from its file, in the file's own (unscaled) units."""

    name: str
    kind: str  # "solomon" | "lilim" | "darp"
    xy: np.ndarray  # (n + 1, 2) coordinates, row 0 = depot
    demand: np.ndarray  # (n + 1,) int; Li & Lim, DARP: + at pickups, - at deliveries
    ready: np.ndarray  # (n + 1,) int, earliest start of service
    due: np.ndarray  # (n + 1,) int, latest start of service (depot: latest return)
    service: np.ndarray  # (n + 1,) int
    capacity: int
    fleet: int
    pairs: tuple[tuple[int, int], ...] = ()  # Li & Lim, DARP: (pickup row, delivery row)
    max_ride: float | None = None  # DARP: longest ride of a request
    max_duration: float | None = None  # DARP: longest route, depot to depot

    @property
    def customers(self) -> int:
        return len(self.xy) - 1


def read_solomon(path: str | Path) -> Instance:
    """Read a Solomon ``.txt`` file (header with fleet size and capacity, then one row per node)."""
    lines = Path(path).read_text().splitlines()
    name = lines[0].strip()
    fleet = capacity = None
    rows = []
    for line in lines[1:]:
        parts = line.split()
        if len(parts) == 2 and fleet is None and all(p.isdigit() for p in parts):
            fleet, capacity = int(parts[0]), int(parts[1])
        elif len(parts) == 7 and all(p.lstrip("-").isdigit() for p in parts):
            rows.append([int(p) for p in parts])
    if fleet is None or capacity is None or not rows:
        raise ValueError(f"{path}: not a Solomon instance")
    a = np.asarray(rows, dtype=np.int64)
    if list(a[:, 0]) != list(range(len(a))):
        raise ValueError(f"{path}: customer numbers are not 0..n in order")
    return Instance(
        name=name,
        kind="solomon",
        xy=a[:, 1:3].astype(float),
        demand=a[:, 3],
        ready=a[:, 4],
        due=a[:, 5],
        service=a[:, 6],
        capacity=int(capacity),
        fleet=fleet,
    )


def read_lilim(path: str | Path) -> Instance:
    """Read a Li & Lim file: ``fleet capacity speed``, then ``id x y demand ready due service p d``.

    A pickup row (positive demand) names its delivery sibling in the last column; a delivery row
    names its pickup in the one before.
    """
    path = Path(path)
    lines = [ln.split() for ln in path.read_text().splitlines() if ln.strip()]
    fleet, capacity = int(lines[0][0]), int(lines[0][1])
    a = np.asarray([[int(float(p)) for p in ln[:9]] for ln in lines[1:]], dtype=np.int64)
    if list(a[:, 0]) != list(range(len(a))):
        raise ValueError(f"{path}: task numbers are not 0..n in order")
    pairs = []
    for row in a[1:]:
        i, demand, pick, deliver = int(row[0]), int(row[3]), int(row[7]), int(row[8])
        if pick == 0:  # a pickup
            if a[deliver, 7] != i or a[deliver, 3] != -demand:
                raise ValueError(f"{path}: task {i} and its delivery {deliver} do not match")
            pairs.append((i, deliver))
        elif a[pick, 8] != i:
            raise ValueError(f"{path}: delivery {i} is not named by its pickup {pick}")
    return Instance(
        name=path.stem,
        kind="lilim",
        xy=a[:, 1:3].astype(float),
        demand=a[:, 3],
        ready=a[:, 4],
        due=a[:, 5],
        service=a[:, 6],
        capacity=capacity,
        fleet=fleet,
        pairs=tuple(pairs),
    )


def read_darp(path: str | Path) -> Instance:
    """Read a Cordeau dial-a-ride file: ``K n T Q L``, then ``id x y service load earliest latest``
    for the start depot, n pickups, their n drop-offs (pickup i's at n + i) and the end depot."""
    path = Path(path)
    lines = [ln.split() for ln in path.read_text().splitlines() if ln.strip()]
    fleet, n, capacity = int(lines[0][0]), int(lines[0][1]), int(lines[0][3])
    duration, ride = float(lines[0][2]), float(lines[0][4])
    a = np.asarray([[float(p) for p in ln[:7]] for ln in lines[1:]])
    if len(a) != 2 * n + 2 or list(a[:, 0]) != list(range(2 * n + 2)):
        raise ValueError(f"{path}: expected nodes 0..{2 * n + 1} in order")
    if list(a[-1, 1:]) != list(a[0, 1:]):
        raise ValueError(f"{path}: the end depot differs from the start depot")
    a = a[:-1]
    for i in range(1, n + 1):
        if a[n + i, 4] != -a[i, 4] or a[i, 4] <= 0:
            raise ValueError(f"{path}: request {i} does not set down what it picks up")
    return Instance(
        name=path.stem,
        kind="darp",
        xy=a[:, 1:3],
        demand=a[:, 4].astype(np.int64),
        ready=a[:, 5].astype(np.int64),
        due=a[:, 6].astype(np.int64),
        service=a[:, 3].astype(np.int64),
        capacity=capacity,
        fleet=fleet,
        pairs=tuple((i, n + i) for i in range(1, n + 1)),
        max_ride=ride,
        max_duration=duration,
    )


def euclidean(xy: np.ndarray) -> np.ndarray:
    diff = xy[:, None, :] - xy[None, :, :]
    return np.sqrt((diff**2).sum(axis=2))


def scaled_matrices(inst: Instance, scale: int, rule: str) -> tuple[np.ndarray, np.ndarray]:
    """Integer (distance, travel time) matrices; see the module notes for the two rules."""
    exact = euclidean(inst.xy) * scale
    if rule == "dimacs":
        # One decimal truncated (scale 10); the epsilon absorbs float noise on exact decimals.
        dist = np.floor(exact + 1e-9).astype(np.int64)
        return dist, dist.copy()
    if rule == "round":
        return np.rint(exact).astype(np.int64), np.ceil(exact - 1e-9).astype(np.int64)
    raise ValueError(f"unknown rule {rule!r}")


def to_problem(
    inst: Instance, *, scale: int | None = None, rule: str | None = None, fixed_cost: int = 0
) -> Problem:
    """The engine's :class:`Problem` for ``inst``: depot at row 0, one vehicle per fleet slot."""
    if rule is None:
        rule = "dimacs" if inst.kind == "solomon" and fixed_cost == 0 else "round"
    if scale is None:
        scale = 10 if rule == "dimacs" else 1000
    dist, travel = scaled_matrices(inst, scale, rule)

    def visit(row: int) -> Visit:
        return Visit(
            row=row,
            earliest_s=int(inst.ready[row]) * scale,
            latest_s=int(inst.due[row]) * scale,
            service_s=int(inst.service[row]) * scale,
        )

    if inst.kind == "solomon":
        requests = tuple(
            Request(str(i), dropoff=visit(i), load={DIMENSION: int(inst.demand[i])})
            for i in range(1, len(inst.xy))
        )
    else:
        ride = None if inst.max_ride is None else math.floor(inst.max_ride * scale + 1e-9)
        requests = tuple(
            Request(
                f"{p}-{d}",
                pickup=visit(p),
                dropoff=visit(d),
                load={DIMENSION: int(inst.demand[p])},
                max_ride_s=ride,
            )
            for p, d in inst.pairs
        )
    duration = None if inst.max_duration is None else math.floor(inst.max_duration * scale + 1e-9)
    vehicles = tuple(
        Vehicle(
            vehicle_id=str(k),
            start_row=0,
            end_row=0,
            capacity={DIMENSION: inst.capacity},
            fixed_cost=fixed_cost,
            cost_per_m=1,
            earliest_start_s=int(inst.ready[0]) * scale,
            latest_end_s=int(inst.due[0]) * scale,
            max_duration_s=duration,
        )
        for k in range(inst.fleet)
    )
    return Problem(
        name=inst.name,
        time_s=travel,
        distance_m=dist,
        requests=requests,
        vehicles=vehicles,
        dimensions=(DIMENSION,),
    )


def routes_as_rows(solution: Solution) -> list[list[int]]:
    """Each used route as the list of matrix rows it visits (depot excluded)."""
    return [[v.row for v in r.visits] for r in solution.routes if r.visits]


def route_distances(inst: Instance, routes: list[list[int]]) -> tuple[float, float]:
    """Total distance of ``routes`` (rows, depot excluded): exact doubles, and DIMACS-truncated."""
    d = euclidean(inst.xy)
    exact = truncated = 0.0
    for route in routes:
        path = [0, *route, 0]
        for a, b in zip(path, path[1:], strict=False):
            exact += d[a, b]
            truncated += math.floor(d[a, b] * 10 + 1e-9) / 10
    return exact, truncated


def check_routes(inst: Instance, routes: list[list[int]], *, dimacs: bool = False) -> list[str]:
    """Everything wrong with ``routes`` for ``inst``: coverage, capacity, windows, pairing, and
    for dial-a-ride the ride limits and the route duration.

    Times are exact doubles, or truncated to one decimal per arc with ``dimacs=True``. Without
    ride limits each visit is served as early as possible, which keeps every window if any
    schedule does. With them, waiting may have to move (later departures shorten rides), so a
    route is checked for *some* schedule keeping every rule: :func:`_schedule_problem`.
    """
    if inst.kind == "darp":
        return _pairing_problems(inst, routes) + [
            f"route {k}: {issue}"
            for k, route in enumerate(routes)
            if (issue := _schedule_problem(inst, route, euclidean(inst.xy)))
        ]
    d = euclidean(inst.xy)
    if dimacs:
        d = np.floor(d * 10 + 1e-9) / 10
    problems = []
    seen = [row for route in routes for row in route]
    if sorted(seen) != list(range(1, len(inst.xy))):
        problems.append("not every customer visited exactly once")
    partner = {p: dl for p, dl in inst.pairs}
    for k, route in enumerate(routes):
        t, load, peak, prev, where = float(inst.ready[0]), 0, 0, 0, {}
        for pos, row in enumerate(route):
            t = max(t + d[prev, row], float(inst.ready[row]))
            if t > inst.due[row] + 1e-6:
                problems.append(f"route {k}: row {row} served at {t:.3f} after {inst.due[row]}")
            load += int(inst.demand[row])
            peak = max(peak, load)
            where[row] = pos
            t += float(inst.service[row])
            prev = row
        if t + d[prev, 0] > inst.due[0] + 1e-6:
            problems.append(f"route {k}: back at the depot after {inst.due[0]}")
        if peak > inst.capacity or (inst.kind == "lilim" and min(_prefix(inst, route)) < 0):
            problems.append(f"route {k}: load out of range")
        for p, dl in partner.items():
            if (p in where) != (dl in where) or (p in where and where[p] > where[dl]):
                problems.append(f"route {k}: pickup {p} and delivery {dl} not paired in order")
    return problems


def _pairing_problems(inst: Instance, routes: list[list[int]]) -> list[str]:
    """Coverage, capacity and pickup-before-delivery on one route, for paired instances."""
    problems = []
    seen = [row for route in routes for row in route]
    if sorted(seen) != list(range(1, len(inst.xy))):
        problems.append("not every customer visited exactly once")
    if len(routes) > inst.fleet:
        problems.append(f"{len(routes)} routes for {inst.fleet} vehicles")
    for k, route in enumerate(routes):
        loads = _prefix(inst, route)
        if max(loads) > inst.capacity or min(loads) < 0:
            problems.append(f"route {k}: load out of range")
        where = {row: pos for pos, row in enumerate(route)}
        for p, d in inst.pairs:
            if (p in where) != (d in where) or (p in where and where[p] > where[d]):
                problems.append(f"route {k}: pickup {p} and delivery {d} not paired in order")
    return problems


def _schedule_problem(inst: Instance, route: list[int], d: np.ndarray) -> str:
    """Which rule no schedule of ``route`` can keep ("" if one keeps them all).

    The start times are a system of difference constraints (t[b] - t[a] <= w): travel between
    consecutive stops, windows against a zero node, ride limits, route duration. It has a
    solution exactly when its graph has no negative cycle (Bellman-Ford), in doubles with a
    tolerance of 1e-6. Rules are added in turn to name the first one that cannot be kept.
    """
    path = [0, *route, 0]  # node k: path[k]; node len(path): the zero time
    zero = len(path)
    base = [(zero, k, float(inst.due[row])) for k, row in enumerate(path)]
    base += [(k, zero, -float(inst.ready[row])) for k, row in enumerate(path)]
    base += [
        (k + 1, k, -float(inst.service[path[k]] + d[path[k], path[k + 1]]))
        for k in range(len(path) - 1)
    ]
    where = {row: k for k, row in enumerate(path) if 0 < k < len(path) - 1}
    rides = [
        (where[p], where[q], float(inst.max_ride) + float(inst.service[p]))
        for p, q in inst.pairs
        if p in where and q in where and inst.max_ride is not None
    ]
    span = [] if inst.max_duration is None else [(0, len(path) - 1, float(inst.max_duration))]
    for name, edges in (
        ("time windows", base),
        ("ride limit", base + rides),
        ("route duration", base + rides + span),
    ):
        if not _consistent(zero + 1, edges):
            return f"no schedule keeps the {name}"
    return ""


def _consistent(nodes: int, edges: list[tuple[int, int, float]]) -> bool:
    """Whether t[b] - t[a] <= w for every edge (a, b, w) has a solution: no negative cycle."""
    dist = [0.0] * nodes
    for _ in range(nodes):
        changed = False
        for a, b, w in edges:
            if dist[a] + w < dist[b] - 1e-6:
                dist[b] = dist[a] + w
                changed = True
        if not changed:
            return True
    return False


def _prefix(inst: Instance, route: list[int]) -> list[int]:
    return list(np.cumsum([0, *(int(inst.demand[r]) for r in route)]))


def read_bks(path: str | Path) -> dict[str, tuple[int, float]]:
    """A best-known table: instance name -> (vehicles, distance)."""
    with open(path, newline="") as f:
        return {
            row["instance"]: (int(row["vehicles"]), float(row["distance"]))
            for row in csv.DictReader(f)
        }


def read_optimal(path: str | Path) -> dict[str, tuple[int, float]]:
    """Cordeau's ``optimal.csv``: instance name -> (vehicles offered, optimal cost)."""
    with open(path, newline="") as f:
        return {
            row["instance"]: (int(row["vehicles"]), float(row["optimal_cost"]))
            for row in csv.DictReader(f)
        }
