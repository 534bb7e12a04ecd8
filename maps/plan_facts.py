"""Facts every output reads off a plan: who rides where, for how long, in what vehicle.

The map, the operators' route sheets and the finance report all derive the same numbers here
(ride times, wheelchair spaces in use, each school's share of a route) so they never disagree.
Times are seconds after midnight, as in :mod:`optimiser.plan.document`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from optimiser.domain.entities import GUIDANCE_RIDE_MIN_SECONDARY, Dataset, VehicleType
from optimiser.plan.document import Plan, Route, Stop, StopType

# A pupil the dataset lacks is held to the longer (secondary-age) guidance, the lenient reading.
UNKNOWN_PUPIL_RIDE_S = GUIDANCE_RIDE_MIN_SECONDARY * 60


@dataclass(frozen=True)
class Ride:
    """One pupil's journey on one route: boards at ``pickup_s``, alights at ``dropoff_s``."""

    pupil_id: str
    route_id: str
    session: str
    pickup_s: int | None
    dropoff_s: int | None
    guidance_s: int
    limit_s: int

    @property
    def ride_s(self) -> int | None:
        if self.pickup_s is None or self.dropoff_s is None:
            return None
        return self.dropoff_s - self.pickup_s

    @property
    def over_guidance(self) -> bool:
        """Longer than the best-practice limit (``domain.entities.guidance_ride_min``)."""
        return self.ride_s is not None and self.ride_s > self.guidance_s


def vehicle_for(route: Route, dataset: Dataset) -> VehicleType | None:
    """The fleet row a route runs on, or ``None`` if the dataset no longer lists it.

    A route names its ``operator`` and ``vehicle_type`` separately; the fleet key is
    ``operator/vehicle_type``. A route whose ``vehicle_type`` is already a full key is accepted.
    """
    for key in (f"{route.operator}/{route.vehicle_type}", route.vehicle_type):
        try:
            return dataset.vehicle_type(key)
        except KeyError:
            continue
    return None


def _dropoff_index(route: Route, pupil_id: str, start: int, school_id: str | None) -> int | None:
    for j in range(start + 1, len(route.stops)):
        stop = route.stops[j]
        if stop.type != StopType.DROPOFF:
            continue
        if pupil_id in stop.pupil_ids:
            return j
        # a school stop that does not list who alights: the pupil's own school
        if not stop.pupil_ids and school_id is not None and stop.school_id == school_id:
            return j
    return None


def route_rides(route: Route, dataset: Dataset) -> list[Ride]:
    """Every pupil's ride on one route, in boarding order.

    Ride time is the arrival at the drop-off stop minus the departure from the pickup stop.
    """
    rides = []
    for i, stop in enumerate(route.stops):
        if stop.type != StopType.PICKUP:
            continue
        for pid in stop.pupil_ids:
            pupil = dataset.find_pupil(pid)
            school_id = pupil.school_id if pupil else None
            j = _dropoff_index(route, pid, i, school_id)
            dropoff = route.stops[j] if j is not None else None
            rides.append(
                Ride(
                    pupil_id=pid,
                    route_id=route.route_id,
                    session=str(route.session),
                    pickup_s=stop.depart if stop.depart is not None else stop.arrive,
                    dropoff_s=dropoff.arrive if dropoff is not None else None,
                    guidance_s=dataset.guidance_ride_s(pupil) if pupil else UNKNOWN_PUPIL_RIDE_S,
                    limit_s=dataset.max_ride_s(pupil) if pupil else UNKNOWN_PUPIL_RIDE_S,
                )
            )
    return rides


def plan_rides(plan: Plan, dataset: Dataset) -> list[Ride]:
    """Every pupil journey in the plan (a pupil riding AM and PM counts twice)."""
    return [ride for route in plan.routes for ride in route_rides(route, dataset)]


def wheelchair_spaces_used(route: Route, dataset: Dataset) -> int:
    """Most wheelchair users on board at once: the wheelchair spaces the route needs."""
    on_board: set[str] = set()
    most = 0
    for stop in route.stops:
        if stop.type == StopType.PICKUP:
            on_board.update(stop.pupil_ids)
        elif stop.type == StopType.DROPOFF:
            on_board.difference_update(stop.pupil_ids)
        users = sum(1 for p in on_board if (pupil := dataset.find_pupil(p)) and pupil.wheelchair)
        most = max(most, users)
    return most


def carries_wheelchair(route: Route, dataset: Dataset) -> bool:
    """Whether any wheelchair user rides this route."""
    return any(
        (pupil := dataset.find_pupil(p)) is not None and pupil.wheelchair for p in route.pupil_ids
    )


def school_pupil_counts(route: Route, dataset: Dataset) -> dict[str, int]:
    """Pupils carried per school (a pupil the dataset lacks counts under ``"unknown"``)."""
    counts: dict[str, int] = defaultdict(int)
    for pid in route.pupil_ids:
        pupil = dataset.find_pupil(pid)
        counts[pupil.school_id if pupil else "unknown"] += 1
    return dict(counts)


def split_pence(total: int, weights: dict[str, int]) -> dict[str, int]:
    """Split ``total`` pence in proportion to ``weights``; the parts add up to ``total`` exactly.

    Largest-remainder rounding, ties broken by key, so the split is deterministic.
    """
    weight_sum = sum(weights.values())
    if weight_sum <= 0:
        return {}
    exact = {k: total * w / weight_sum for k, w in weights.items()}
    parts = {k: int(v // 1) for k, v in exact.items()}
    left = total - sum(parts.values())
    for k in sorted(exact, key=lambda k: (-(exact[k] - parts[k]), k))[:left]:
        parts[k] += 1
    return parts


def depot_stops(route: Route) -> tuple[Stop | None, Stop | None]:
    """The route's first and last stop when they are depot stops."""
    first = route.stops[0] if route.stops and route.stops[0].type == StopType.DEPOT else None
    last = route.stops[-1] if route.stops and route.stops[-1].type == StopType.DEPOT else None
    return first, last


def plan_date(plan: Plan) -> str:
    """The plan's date (``YYYY-MM-DD``) from ``generated_at``, or the text as given."""
    match = re.match(r"\d{4}-\d{2}-\d{2}", plan.generated_at or "")
    return match[0] if match else (plan.generated_at or "undated")


#: Characters of a name kept in a file name: with the plan's prefix and a suffix, far within the
#: 255 bytes a file system allows, whatever the operator is called.
SLUG_MAX = 80


def slug(text: str) -> str:
    """A file-name-safe form of an operator's name, at most :data:`SLUG_MAX` characters."""
    cleaned = re.sub(r"[^A-Za-z0-9-]+", "_", text).strip("_")[:SLUG_MAX].rstrip("_")
    return cleaned or "operator"
