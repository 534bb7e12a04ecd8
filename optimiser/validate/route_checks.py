"""The plan checker's per-route half: each route on its own, recomputed from the matrices.

Trusts nothing a route states about times, distances or costs: reads its stop places, pupil ids and
fleet row, recomputes travel times, loads, ride times and cost from the dataset and its
:class:`~optimiser.roads.travel.TravelData`, and reports every broken rule as a :class:`Violation`
with one cause from :data:`CAUSES`. The rules that span routes, and the public entry point, are in
:mod:`optimiser.validate.validator`.

Stops are numbered from 1 in messages (stop 1 is the start depot).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from optimiser.domain.entities import Dataset, Pupil, Session, VehicleType
from optimiser.domain.rules import route_cost_pence
from optimiser.domain.times import format_hms
from optimiser.plan.document import Route, Stop
from optimiser.roads.travel import TravelData, depot_key, home_key, school_key

CAUSES = (
    "format",
    "seats",
    "wheelchair_spaces",
    "passenger_assistant",
    "solo",
    "not_with",
    "group",
    "max_ride",
    "detour",
    "schools_per_route",
    "school_window",
    "coverage",
    "avoidable_unplaced",
    "contradicted_reason",
    "fleet_count",
    "vehicle_overlap",
    "timing",
    "implausible_leg",
    "cost",
)
COORD_TOL_DEG = 1e-5  # a stop is at a place when both coordinates agree this closely
TIME_TOL_S = 1  # rounding of times to whole seconds
DISTANCE_TOL_KM = 0.05
COST_TOL_PENCE = 1
_PLACE_NAMES = {"home": "home", "pm_home": "afternoon address", "school": "school"}


@dataclass(frozen=True)
class Violation:
    """One broken rule: its cause (one of :data:`CAUSES`) and one sentence with the numbers."""

    cause: str
    message: str
    route_id: str | None = None
    pupil_id: str | None = None
    session: str | None = None


@dataclass
class RouteWalk:
    """What the checker recomputed for one route, for the checks that span routes."""

    route: Route
    fleet: VehicleType | None
    rows: list[int | None]  # matrix row of each stop, None where the place is unknown
    picked: dict[str, int] = field(default_factory=dict)  # pupil id -> pickup stop index
    dropped: dict[str, int] = field(default_factory=dict)  # pupil id -> drop-off stop index
    misplaced: set[tuple[int, str]] = field(default_factory=set)  # (stop index, pupil id)
    distance_m: int | None = None  # recomputed depot-to-depot distance

    def visit_of(self, index: int) -> int:
        """The first stop of the run of consecutive same-place, same-type stops holding ``index``.

        A planner may write two requests served back to back at one address as two stops; for
        the "picked up together" rule they count as one visit.
        """
        stops = self.route.stops
        while (
            index > 0
            and self.rows[index] is not None
            and self.rows[index - 1] == self.rows[index]
            and stops[index - 1].type == stops[index].type
        ):
            index -= 1
        return index


def stop_label(index: int, stop: Stop) -> str:
    """How messages name a stop: ``stop 3 (pickup P1, P2)``."""
    who = f" {', '.join(stop.pupil_ids)}" if stop.pupil_ids else ""
    return f"stop {index + 1} ({stop.type}{who})"


def walk_route(
    dataset: Dataset, travel: TravelData, route: Route, out: list[Violation]
) -> RouteWalk:
    """Check one route on its own and return what was recomputed for it."""
    fleet = _fleet_row(dataset, route, out)
    walk = RouteWalk(route, fleet, [None] * len(route.stops))
    _check_structure(route, out)
    _resolve_places(dataset, travel, walk, out)
    _walk_load(dataset, walk, out)
    _check_times(dataset, travel, walk, out)
    _check_rides(dataset, travel, walk, out)
    _check_schools(dataset, walk, out)
    _check_cost(dataset, travel, walk, out)
    return walk


def _add(
    out: list[Violation], cause: str, route: Route, message: str, pupil: str | None = None
) -> None:
    out.append(Violation(cause, message, route.route_id, pupil, str(route.session)))


def _fleet_row(dataset: Dataset, route: Route, out: list[Violation]) -> VehicleType | None:
    key = f"{route.operator}/{route.vehicle_type}"
    try:
        return dataset.vehicle_type(key)
    except KeyError:
        _add(out, "format", route, f"route {route.route_id} uses fleet row '{key}', not in fleet")
        return None


def _check_structure(route: Route, out: list[Violation]) -> None:
    stops = route.stops
    rid = route.route_id
    if len(stops) < 2 or stops[0].type != "depot" or stops[-1].type != "depot":
        _add(out, "format", route, f"route {rid} must start and end with a depot stop")
    for i, stop in enumerate(stops):
        inner = 0 < i < len(stops) - 1
        if stop.type == "depot" and inner:
            _add(out, "format", route, f"route {rid} has a depot stop in the middle (stop {i + 1})")
        if stop.type == "depot" and stop.pupil_ids:
            _add(out, "format", route, f"route {rid} {stop_label(i, stop)}: a depot has no pupils")
        if stop.type != "depot" and not stop.pupil_ids:
            _add(out, "format", route, f"route {rid} {stop_label(i, stop)} lists no pupils")


def _at(stop: Stop, travel: TravelData, key: str) -> bool:
    place = travel.location.get(key)
    return (
        place is not None
        and abs(place.lat - stop.lat) <= COORD_TOL_DEG
        and abs(place.lon - stop.lon) <= COORD_TOL_DEG
    )


def expected_key(pupil: Pupil, kind: str, session: Session) -> str:
    """Where a pupil must be at a pickup or drop-off: home (AM pickup, PM drop-off) or school."""
    at_home = (kind == "pickup") == (session is Session.AM)
    return home_key(pupil, session) if at_home else school_key(pupil.school_id)


def _resolve_places(
    dataset: Dataset, travel: TravelData, walk: RouteWalk, out: list[Violation]
) -> None:
    route = walk.route
    for i, stop in enumerate(route.stops):
        label = f"route {route.route_id} {stop_label(i, stop)}"
        key = None
        if stop.type == "depot" and walk.fleet is not None:
            if _at(stop, travel, depot_key(walk.fleet)):
                key = depot_key(walk.fleet)
            else:
                _add(out, "format", route, f"{label} is not at the depot of {walk.fleet.key}")
        elif stop.type != "depot":
            for pid in stop.pupil_ids:
                pupil = dataset.find_pupil(pid)
                if pupil is None:
                    continue
                wanted = expected_key(pupil, stop.type, route.session)
                if _at(stop, travel, wanted):
                    key = key or wanted
                else:
                    walk.misplaced.add((i, pid))
                    place = _PLACE_NAMES[wanted.partition(":")[0]]
                    _add(out, "format", route, f"{label} is not at {pid}'s {place}", pid)
        if stop.school_id is not None and not _at(stop, travel, school_key(stop.school_id)):
            _add(out, "format", route, f"{label} is not at school '{stop.school_id}'")
        if key is None:
            key = next((k for k in travel.location if _at(stop, travel, k)), None)
        if key is None or key not in travel.index:
            _add(out, "format", route, f"{label} at {stop.lat}, {stop.lon} is no known place")
        else:
            walk.rows[i] = travel.row(key)


def _walk_load(dataset: Dataset, walk: RouteWalk, out: list[Violation]) -> None:
    route, fleet = walk.route, walk.fleet
    rid = route.route_id
    onboard: dict[str, Pupil] = {}
    reported: set = set()
    for i, stop in enumerate(route.stops):
        label = f"route {rid} {stop_label(i, stop)}"
        for pid in stop.pupil_ids if stop.type != "depot" else ():
            pupil = dataset.find_pupil(pid)
            if pupil is None:
                _add(out, "format", route, f"{label} names unknown pupil {pid}", pid)
            elif stop.type == "pickup" and pid in walk.picked:
                first = walk.picked[pid] + 1
                _add(
                    out,
                    "format",
                    route,
                    f"{label} picks up {pid} again (first at stop {first})",
                    pid,
                )
            elif stop.type == "pickup":
                walk.picked[pid] = i
                onboard[pid] = pupil
                if pupil.passenger_assistant and not route.passenger_assistant:
                    msg = f"{label} picks up {pid}, who needs a passenger assistant; route has none"
                    _add(out, "passenger_assistant", route, msg, pid)
            elif pid not in onboard:
                _add(out, "format", route, f"{label} sets down {pid}, who is not on board", pid)
            else:
                walk.dropped[pid] = i
                del onboard[pid]
        if fleet is not None:
            _check_capacity(route, fleet, label, onboard, reported, out)
        _check_company(route, label, onboard, reported, out)
    for pid in onboard:
        msg = f"route {rid} picks up {pid} at stop {walk.picked[pid] + 1} and never sets them down"
        _add(out, "format", route, msg, pid)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _check_capacity(
    route: Route,
    fleet: VehicleType,
    label: str,
    onboard: dict[str, Pupil],
    reported: set,
    out: list[Violation],
) -> None:
    ambulant = sum(not p.wheelchair for p in onboard.values())
    chairs = len(onboard) - ambulant
    pa = 1 if route.passenger_assistant else 0
    if ambulant + pa > fleet.seats and "seats" not in reported:
        reported.add("seats")
        msg = (
            f"{label}: {_plural(ambulant, 'seated pupil')} and {pa} assistant need"
            f" {ambulant + pa} seats; {fleet.key} has {fleet.seats}"
        )
        _add(out, "seats", route, msg)
    if chairs > fleet.wheelchair_spaces and "chairs" not in reported:
        reported.add("chairs")
        msg = (
            f"{label}: {_plural(chairs, 'wheelchair user')} on board; {fleet.key} has"
            f" {_plural(fleet.wheelchair_spaces, 'wheelchair space')}"
        )
        _add(out, "wheelchair_spaces", route, msg)


def _check_company(
    route: Route, label: str, onboard: dict[str, Pupil], reported: set, out: list[Violation]
) -> None:
    for pid, pupil in onboard.items():
        if pupil.solo and len(onboard) > 1 and ("solo", pid) not in reported:
            reported.add(("solo", pid))
            others = ", ".join(o for o in onboard if o != pid)
            _add(out, "solo", route, f"{label}: solo pupil {pid} is on board with {others}", pid)
        for other in onboard:
            pair = tuple(sorted((pid, other)))
            apart = other in pupil.not_with or pid in onboard[other].not_with
            if other != pid and apart and ("not_with", pair) not in reported:
                reported.add(("not_with", pair))
                msg = f"{label}: {pair[0]} and {pair[1]}, to be kept apart, are on board together"
                _add(out, "not_with", route, msg, pair[0])


def _check_times(
    dataset: Dataset, travel: TravelData, walk: RouteWalk, out: list[Violation]
) -> None:
    route = walk.route
    stops = route.stops
    times = travel.times(route.session)
    for i, stop in enumerate(stops):
        label = f"route {route.route_id} {stop_label(i, stop)}"
        if i > 0 and stop.arrive is None:
            _add(out, "timing", route, f"{label} has no arrival time")
        if i < len(stops) - 1 and stop.depart is None:
            _add(out, "timing", route, f"{label} has no departure time")
        if stop.arrive is not None and stop.depart is not None:
            pupils = [dataset.find_pupil(p) for p in stop.pupil_ids]
            need = sum(dataset.boarding_s(p) for p in pupils if p) if stop.type != "depot" else 0
            if stop.depart + TIME_TOL_S < stop.arrive + need:
                msg = (
                    f"{label} arrives {format_hms(stop.arrive)} and departs"
                    f" {format_hms(stop.depart)}, but boarding takes {need} s"
                )
                _add(out, "timing", route, msg)
        if i == 0:
            continue
        prev, a, b = stops[i - 1], walk.rows[i - 1], walk.rows[i]
        if prev.depart is None or stop.arrive is None or a is None or b is None:
            continue
        drive = int(times[a, b])
        if stop.arrive + TIME_TOL_S < prev.depart + drive:
            msg = (
                f"{label} arrives {format_hms(stop.arrive)}, but the drive from stop {i}"
                f" (left {format_hms(prev.depart)}) takes {drive} s:"
                f" {format_hms(prev.depart + drive)} at the earliest"
            )
            _add(out, "timing", route, msg)


def _check_ride_limits(
    dataset: Dataset,
    travel: TravelData,
    walk: RouteWalk,
    pid: str,
    boarding: tuple[int, int],
    alighting: tuple[int, int],
    out: list[Violation],
) -> None:
    """A ride against the pupil's maximum and against the policy's fair detour."""
    route, pupil = walk.route, dataset.pupil(pid)
    (i, start), (j, end) = boarding, alighting
    ride = end - start
    where = (
        f"{pid} rides {ride / 60:.1f} min on route {route.route_id}"
        f" (stop {i + 1} at {format_hms(start)} to stop {j + 1} at {format_hms(end)})"
    )
    limit = dataset.max_ride_s(pupil)
    if ride > limit:
        _add(out, "max_ride", route, f"{where}, over their limit of {limit / 60:.1f} min", pid)
        return
    if walk.rows[i] is None or walk.rows[j] is None:
        return
    direct = travel.direct_s(pupil, route.session)
    fair = dataset.ride_limit_s(pupil, direct)
    if ride > fair + TIME_TOL_S:
        policy = dataset.settings.policy
        msg = (
            f"{where}, over the fair detour of {fair / 60:.1f} min"
            f" ({policy.detour_factor:g} x their direct {direct / 60:.1f} min"
            f" + {policy.detour_min:g} min)"
        )
        _add(out, "detour", route, msg, pid)


def _check_schools(dataset: Dataset, walk: RouteWalk, out: list[Violation]) -> None:
    """A route calls at no more schools than the policy allows."""
    schools = dict.fromkeys(s.school_id for s in walk.route.stops if s.school_id)
    limit = dataset.settings.policy.max_schools_per_route
    if len(schools) > limit:
        msg = (
            f"route {walk.route.route_id} calls at {len(schools)} schools"
            f" ({', '.join(schools)}), more than the policy's {limit}"
        )
        _add(out, "schools_per_route", walk.route, msg)


def _check_rides(
    dataset: Dataset, travel: TravelData, walk: RouteWalk, out: list[Violation]
) -> None:
    route = walk.route
    stops = route.stops
    checked: set[tuple[int, str]] = set()
    for pid, i in walk.picked.items():
        pupil = dataset.pupil(pid)
        j = walk.dropped.get(pid)
        start, end = stops[i].depart, stops[j].arrive if j is not None else None
        if j is not None and start is not None and end is not None:
            _check_ride_limits(dataset, travel, walk, pid, (i, start), (j, end), out)
        school_stop = j if route.session is Session.AM else i
        if school_stop is None or (school_stop, pid) in walk.misplaced:
            continue
        if (school_stop, pupil.school_id) in checked:
            continue
        checked.add((school_stop, pupil.school_id))
        _check_window(dataset, route, school_stop, pupil, out)


def _check_window(
    dataset: Dataset, route: Route, index: int, pupil: Pupil, out: list[Violation]
) -> None:
    school = dataset.schools.get(pupil.school_id)
    stop = route.stops[index]
    if route.session is Session.AM:
        when, verb = stop.arrive, "arrives"
        lo, hi = (school.am_arrive_from_s, school.am_arrive_by_s) if school else (0, 0)
    else:
        when, verb = stop.depart, "departs"
        lo, hi = (school.pm_depart_from_s, school.pm_depart_by_s) if school else (0, 0)
    if school is None or when is None or lo <= when <= hi:
        return
    msg = (
        f"route {route.route_id} {stop_label(index, stop)} {verb} {format_hms(when)} at school"
        f" {school.school_id}, outside its window {format_hms(lo)}-{format_hms(hi)}"
    )
    _add(out, "school_window", route, msg)


def recompute_distance_m(travel: TravelData, rows: list[int | None]) -> int | None:
    """Depot-to-depot road distance through the given matrix rows; None if a row is unknown."""
    if not rows or any(r is None for r in rows):
        return None
    return int(sum(int(travel.distance_m[a, b]) for a, b in zip(rows, rows[1:], strict=False)))


def _check_cost(
    dataset: Dataset, travel: TravelData, walk: RouteWalk, out: list[Violation]
) -> None:
    route = walk.route
    metres = walk.distance_m = recompute_distance_m(travel, walk.rows)
    if metres is None:
        return
    if abs(route.distance_km - metres / 1000) > DISTANCE_TOL_KM:
        msg = (
            f"route {route.route_id} states {route.distance_km:.2f} km; its stops are"
            f" {metres / 1000:.2f} km apart by road"
        )
        _add(out, "cost", route, msg)
    if walk.fleet is None:
        return
    expected = route_cost_pence(walk.fleet, metres, route.passenger_assistant, dataset)
    if abs(route.cost_pence - expected) > COST_TOL_PENCE:
        msg = (
            f"route {route.route_id} states cost £{route.cost_pence / 100:.2f}; the contract rule"
            f" gives £{expected / 100:.2f} for {metres / 1000:.2f} km"
        )
        _add(out, "cost", route, msg)
