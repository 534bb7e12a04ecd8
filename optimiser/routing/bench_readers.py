"""Readers for the public Solomon (VRPTW) and Li & Lim (PDPTW) benchmarks.

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
    kind: str  # "solomon" | "lilim"
    xy: np.ndarray  # (n + 1, 2) coordinates, row 0 = depot
    demand: np.ndarray  # (n + 1,) int; Li & Lim: + at pickups, - at deliveries
    ready: np.ndarray  # (n + 1,) int, earliest start of service
    due: np.ndarray  # (n + 1,) int, latest start of service (depot: latest return)
    service: np.ndarray  # (n + 1,) int
    capacity: int
    fleet: int
    pairs: tuple[tuple[int, int], ...] = ()  # Li & Lim: (pickup row, delivery row)

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
        requests = tuple(
            Request(
                f"{p}-{d}", pickup=visit(p), dropoff=visit(d), load={DIMENSION: int(inst.demand[p])}
            )
            for p, d in inst.pairs
        )
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
    """Everything wrong with ``routes`` for ``inst``: coverage, capacity, windows, pairing.

    Times are exact doubles, or truncated to one decimal per arc with ``dimacs=True``.
    """
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


def _prefix(inst: Instance, route: list[int]) -> list[int]:
    return list(np.cumsum([0, *(int(inst.demand[r]) for r in route)]))


def read_bks(path: str | Path) -> dict[str, tuple[int, float]]:
    """A best-known table: instance name -> (vehicles, distance)."""
    with open(path, newline="") as f:
        return {
            row["instance"]: (int(row["vehicles"]), float(row["distance"]))
            for row in csv.DictReader(f)
        }
