"""One pupil carried alone by one vehicle: depot, pickup, drop-off, depot, with the times.

The test of "could this vehicle have carried the journey": the planner's repair pass places
journeys with it, the planner's reasons name what stops it, and the validator checks with it that
no journey is left out while a vehicle stands idle. It uses the rules every stage uses: the depots'
hours (:data:`~optimiser.domain.times.SESSION_HOURS`), the school windows, the pupil's ride limit
and boarding time, and :func:`~optimiser.domain.rules.can_carry`.

Times are integer seconds after midnight. The ride is the drop-off's arrival minus the pickup's
departure, as the validator measures it; a solo ride never waits, so it is the direct journey.
"""

from __future__ import annotations

from dataclasses import dataclass

from optimiser.domain.entities import Dataset, Pupil, Session, VehicleType
from optimiser.domain.rules import can_carry, route_cost_pence
from optimiser.domain.times import SESSION_HOURS, format_hm
from optimiser.plan.document import Route, Stop, StopType
from optimiser.roads.travel import TravelData, depot_key, home_key, school_key


@dataclass(frozen=True)
class SoloSchedule:
    """The timetable of one solo journey (seconds after midnight) and its driven distance."""

    pupil_id: str
    session: Session
    fleet_key: str
    leave_depot_s: int
    pickup_arrive_s: int
    pickup_depart_s: int
    dropoff_arrive_s: int
    dropoff_depart_s: int
    back_at_depot_s: int
    distance_m: int


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min"


def _plan(
    pupil: Pupil, session: Session, vehicle_type: VehicleType, dataset: Dataset, travel: TravelData
) -> tuple[SoloSchedule | None, str]:
    """The schedule, or None and the first rule that forbids it (in words)."""
    if not can_carry(vehicle_type, pupil):
        return None, f"{vehicle_type.key} cannot carry this pupil"
    home = travel.row(home_key(pupil, session))
    school_row = travel.row(school_key(pupil.school_id))
    depot = travel.row(depot_key(vehicle_type))
    start, end = (home, school_row) if session is Session.AM else (school_row, home)
    times = travel.times(session)
    to_start, ride = int(times[depot, start]), int(times[start, end])
    back = int(times[end, depot])
    limit = dataset.max_ride_s(pupil)
    if ride > limit:
        return None, f"direct journey {_minutes(ride)} exceeds maximum ride {_minutes(limit)}"
    board = dataset.boarding_s(pupil)
    earliest, latest = SESSION_HOURS[session]
    school = dataset.schools[pupil.school_id]
    if session is Session.AM:
        # Arrive at school as early in its window as the depot's opening allows.
        arrive = max(school.am_arrive_from_s, earliest + to_start + board + ride)
        if arrive > school.am_arrive_by_s:
            return None, (
                f"from the depot of {vehicle_type.key} the earliest arrival at school is"
                f" {format_hm(arrive)}, after its window closes at"
                f" {format_hm(school.am_arrive_by_s)}"
            )
        pickup_depart = arrive - ride
        pickup_arrive = pickup_depart - board
    else:
        # Leave school as early in its window as the depot's opening allows.
        pickup_depart = max(school.pm_depart_from_s, earliest + to_start + board)
        if pickup_depart > school.pm_depart_by_s:
            return None, (
                f"from the depot of {vehicle_type.key} the earliest departure from school is"
                f" {format_hm(pickup_depart)}, after its window closes at"
                f" {format_hm(school.pm_depart_by_s)}"
            )
        pickup_arrive = pickup_depart - board
        arrive = pickup_depart + ride
    home_again = arrive + board + back
    if home_again > latest:
        return None, (
            f"a vehicle of {vehicle_type.key} would be back at its depot at"
            f" {format_hm(home_again)}, after the {session} session ends at {format_hm(latest)}"
        )
    d = travel.distance_m
    metres = int(d[depot, start]) + int(d[start, end]) + int(d[end, depot])
    schedule = SoloSchedule(
        pupil.pupil_id,
        session,
        vehicle_type.key,
        leave_depot_s=pickup_arrive - to_start,
        pickup_arrive_s=pickup_arrive,
        pickup_depart_s=pickup_depart,
        dropoff_arrive_s=arrive,
        dropoff_depart_s=arrive + board,
        back_at_depot_s=home_again,
        distance_m=metres,
    )
    return schedule, ""


def solo_schedule(
    pupil: Pupil, session: Session, vehicle_type: VehicleType, dataset: Dataset, travel: TravelData
) -> SoloSchedule | None:
    """The timetable of one vehicle of a fleet row carrying this pupil alone, if it can.

    Depot -> pickup -> drop-off -> depot, leaving and returning within the session's depot hours,
    arriving at school (AM) or leaving it (PM) as early in the school's window as those hours
    allow, boarding and alighting taking the pupil's boarding time, the ride (the direct journey)
    within the pupil's limit. Fleet counts are not considered: whether a vehicle of the row is
    free is the caller's question.

    Parameters
    ----------
    pupil : Pupil
        The pupil (their needs, school, ride limit and boarding time).
    session : Session
        AM (home to school) or PM (school to home, at the afternoon address if any).
    vehicle_type : VehicleType
        The fleet row whose vehicle would make the journey, from its depot.
    dataset : Dataset
        Schools and settings (ride limits, boarding times).
    travel : TravelData
        Travel times and distances of the dataset.

    Returns
    -------
    SoloSchedule or None
        The stop times and driven distance, or None if the row cannot carry the pupil or a time
        rule (ride limit, school window, depot hours) cannot be met.
    """
    return _plan(pupil, session, vehicle_type, dataset, travel)[0]


def solo_obstacle(
    pupil: Pupil, session: Session, vehicle_type: VehicleType, dataset: Dataset, travel: TravelData
) -> str | None:
    """Why :func:`solo_schedule` finds no schedule for this row, in words; None if it finds one."""
    schedule, why = _plan(pupil, session, vehicle_type, dataset, travel)
    return None if schedule is not None else why


def solo_route(
    schedule: SoloSchedule,
    pupil: Pupil,
    vehicle_type: VehicleType,
    dataset: Dataset,
    travel: TravelData,
    *,
    route_id: str,
    vehicle_id: str,
) -> Route:
    """The :class:`Route` of a solo schedule, priced by the contract rule."""
    session = schedule.session
    home, school = home_key(pupil, session), school_key(pupil.school_id)
    start, end = (home, school) if session is Session.AM else (school, home)
    first, second = travel.location[start], travel.location[end]
    at_school = pupil.school_id
    depot = vehicle_type.depot
    stops = [
        Stop(StopType.DEPOT, depot.lat, depot.lon, depart=schedule.leave_depot_s),
        Stop(
            StopType.PICKUP,
            first.lat,
            first.lon,
            schedule.pickup_arrive_s,
            schedule.pickup_depart_s,
            (pupil.pupil_id,),
            at_school if session is Session.PM else None,
        ),
        Stop(
            StopType.DROPOFF,
            second.lat,
            second.lon,
            schedule.dropoff_arrive_s,
            schedule.dropoff_depart_s,
            (pupil.pupil_id,),
            at_school if session is Session.AM else None,
        ),
        Stop(StopType.DEPOT, depot.lat, depot.lon, arrive=schedule.back_at_depot_s),
    ]
    assistant = pupil.passenger_assistant
    return Route(
        route_id=route_id,
        session=session,
        vehicle_id=vehicle_id,
        vehicle_type=vehicle_type.vehicle_type,
        operator=vehicle_type.operator,
        passenger_assistant=assistant,
        stops=stops,
        distance_km=round(schedule.distance_m / 1000, 3),
        duration_min=round((schedule.back_at_depot_s - schedule.leave_depot_s) / 60, 1),
        cost_pence=route_cost_pence(vehicle_type, schedule.distance_m, assistant, dataset),
    )
