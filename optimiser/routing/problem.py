"""The routing problem handed to the solver: one immutable, solver-agnostic object.

It knows nothing of pupils or councils: *requests* (a pickup–drop-off pair, or a single visit) with
loads on named capacity dimensions, time windows and ride limits, and *vehicles* with
capacities, costs and depots, over a local travel-time and distance matrix. The SEND planner and
the benchmark readers both build one, so both run exactly the same solver code.

Units: seconds, metres, and cost in *millipence* (1/1000 p), so that a per-km price in pence times
metres is already an integer cost.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

import numpy as np


class VisitKind(StrEnum):
    """Which end of a request a visit serves."""

    PICKUP = "pickup"
    DROPOFF = "dropoff"


@dataclass(frozen=True)
class Visit:
    """Where a request is served: a matrix row, a window on the start of service, a service time."""

    row: int
    earliest_s: int
    latest_s: int
    service_s: int
    # The site this visit is at when sites are counted (a school), or -1: see
    # ``Problem.max_sites_per_route``.
    site: int = -1


@dataclass(frozen=True)
class Request:
    """Something to carry: picked up at ``pickup`` (the depot if None), set down at ``dropoff``."""

    request_id: str
    dropoff: Visit | None
    pickup: Visit | None = None
    load: dict[str, int] = field(default_factory=dict)  # dimension -> units while on board
    max_ride_s: int | None = None  # from leaving the pickup to arriving at the drop-off
    allowed_vehicles: tuple[int, ...] | None = None  # None = any vehicle
    solo: bool = False  # no other load on board while this one is
    penalty: int = 10**12  # cost of leaving this request out (millipence)
    # (vehicle, cost): served by any vehicle but this one costs ``cost`` millipence (a re-plan's
    # price of changing the vehicle a pupil rides today); None: any vehicle at no extra cost.
    stay: tuple[int, int] | None = None
    # (pickup, drop-off): the starts of service to keep, either None (a re-plan's times run
    # today); a start further than the problem's ``keep_time_tolerance_s`` from it costs
    # ``keep_cost_per_s`` millipence a second, in place of the price of this request's ride.
    keep_times: tuple[int | None, int | None] | None = None
    keep_cost_per_s: int = 0

    @property
    def visits(self) -> tuple[Visit, ...]:
        return tuple(v for v in (self.pickup, self.dropoff) if v is not None)


@dataclass(frozen=True)
class Vehicle:
    vehicle_id: str
    start_row: int
    end_row: int
    capacity: dict[str, int]
    fixed_cost: int  # millipence per use
    cost_per_m: int  # millipence per metre
    earliest_start_s: int
    latest_end_s: int
    tag: str = ""  # the caller's label (e.g. the fleet row), carried through to the solution
    # Longest a route may last, from leaving the start depot to arriving at the end (None: only
    # earliest_start_s and latest_end_s bound it). Dial-a-ride's maximum route duration.
    max_duration_s: int | None = None


@dataclass(frozen=True)
class Problem:
    """A whole routing problem; :meth:`check` lists what is inconsistent."""

    name: str
    time_s: np.ndarray  # (k, k) int, row = origin
    distance_m: np.ndarray  # (k, k) int
    requests: tuple[Request, ...]
    vehicles: tuple[Vehicle, ...]
    dimensions: tuple[str, ...]  # capacity dimensions, e.g. ("seats", "wheelchairs")
    # At most ``limit`` of these vehicles may be used (a fleet row offered with and without PA).
    vehicle_limits: tuple[tuple[tuple[int, ...], int], ...] = ()
    same_vehicle: tuple[tuple[int, ...], ...] = ()  # request groups that share a vehicle
    never_together: tuple[tuple[int, int], ...] = ()  # request pairs never on board together
    # (request a, request b, VisitKind): b's visit comes straight after a's, if both served
    consecutive: tuple[tuple[int, int, str], ...] = ()
    ride_cost_per_s: int = 0  # millipence per second of ride time, summed over requests
    # At most this many arrivals at a site (``Visit.site``) per vehicle route; None: no limit.
    # Visits at one site in a row are one arrival.
    max_sites_per_route: int | None = None
    keep_time_tolerance_s: int = 60  # how far a request's ``keep_times`` may move at no cost

    @property
    def prices_times(self) -> bool:
        """Whether the objective prices the times of visits (soft bounds on their starts)."""
        return bool(self.ride_cost_per_s) or any(
            r.keep_times and r.keep_cost_per_s for r in self.requests
        )

    def check(self) -> list[str]:
        """Everything inconsistent about the problem, one line each (empty when it is sound)."""
        k = self.time_s.shape[0]
        problems = []
        if self.time_s.shape != (k, k) or self.distance_m.shape != (k, k):
            problems.append("matrices must be square and of the same size")
        for r in self.requests:
            problems += self._request_problems(r, k)
        for vehicle in self.vehicles:
            if not (0 <= vehicle.start_row < k and 0 <= vehicle.end_row < k):
                problems.append(f"vehicle {vehicle.vehicle_id} has a depot outside the matrix")
            if vehicle.max_duration_s is not None and vehicle.max_duration_s < 0:
                problems.append(f"vehicle {vehicle.vehicle_id} has a negative max_duration_s")
        n = len(self.requests)
        for a, b in self.never_together:
            if not (0 <= a < n and 0 <= b < n) or a == b:
                problems.append(f"never_together pair ({a}, {b}) is not two requests")
        if self.max_sites_per_route is not None and self.max_sites_per_route < 1:
            problems.append("max_sites_per_route must be at least 1")
        return problems + self._group_problems()

    def _request_problems(self, r: Request, k: int) -> list[str]:
        problems = [] if r.visits else [f"request {r.request_id} has no visit"]
        for v in r.visits:
            if not 0 <= v.row < k:
                problems.append(f"request {r.request_id} visits row {v.row} outside the matrix")
            if v.earliest_s > v.latest_s:
                problems.append(f"request {r.request_id} has a reversed window")
        if r.stay is not None and (not 0 <= r.stay[0] < len(self.vehicles) or r.stay[1] < 0):
            problems.append(f"request {r.request_id} stays on a non-vehicle or costs < 0")
        unknown = set(r.load) - set(self.dimensions)
        if unknown:
            problems.append(f"request {r.request_id} loads unknown dimensions {sorted(unknown)}")
        return problems

    def _group_problems(self) -> list[str]:
        # Sharing a vehicle is transitive: two groups with a request in common are one group.
        # Overlapping groups made the solver's regrouping place the shared request twice.
        problems = []
        n = len(self.requests)
        seen: dict[int, int] = {}
        for g, group in enumerate(self.same_vehicle):
            for i in group:
                if not 0 <= i < n:
                    problems.append(f"same_vehicle group {g} names request {i}, not a request")
                elif i in seen:
                    problems.append(
                        f"request {i} is in same_vehicle groups {seen[i]} and {g}: merge them"
                    )
                else:
                    seen[i] = g
        return problems

    def with_fleet(self, keep: tuple[int, ...]) -> Problem:
        """The same problem offering only the vehicles ``keep`` (indices into ``vehicles``).

        Vehicle indices in the result are positions in ``keep``: allowed vehicles and vehicle
        limits are renumbered, and a request none of whose allowed vehicles is kept can only be
        left out.
        """
        local = {v: k for k, v in enumerate(keep)}

        def renumber(vehicles: tuple[int, ...]) -> tuple[int, ...]:
            return tuple(local[v] for v in vehicles if v in local)

        def local_request(r: Request) -> Request:
            if r.allowed_vehicles is not None:
                r = replace(r, allowed_vehicles=renumber(r.allowed_vehicles))
            if r.stay is not None:
                # Its vehicle left out: every vehicle kept costs the same, so the price goes.
                r = replace(r, stay=(local[r.stay[0]], r.stay[1]) if r.stay[0] in local else None)
            return r

        requests = tuple(local_request(r) for r in self.requests)
        return replace(
            self,
            requests=requests,
            vehicles=tuple(self.vehicles[v] for v in keep),
            vehicle_limits=tuple(
                (renumber(members), limit) for members, limit in self.vehicle_limits
            ),
        )


@dataclass
class VisitTime:
    """One served visit in a solution: which request, pickup or drop-off, start of service."""

    request: int
    kind: str  # a VisitKind; the solver hands over plain strings, made the enum here
    row: int
    start_s: int

    def __post_init__(self) -> None:
        self.kind = VisitKind(self.kind)


@dataclass
class VehicleRoute:
    vehicle: int
    depart_s: int
    visits: list[VisitTime]
    return_s: int


@dataclass
class Solution:
    routes: list[VehicleRoute]
    dropped: list[int]  # request indices left out
    objective: int
    first_objective: int | None = None
    status: str = ""
    solutions_found: int = 0
    wall_s: float = 0.0
    # With SearchParameters.keep_routes: every distinct route of every plan the search reported,
    # as (vehicle, its visits as (request, kind) in order).
    routes_seen: list[tuple[int, tuple[tuple[int, str], ...]]] = field(default_factory=list)
