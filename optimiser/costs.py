"""What a route costs, and what carrying every pupil alone would cost (the solo baseline).

The cost rule is the council's contract rule, stated once here:
``cost_per_session + cost_per_km x driven km (depot to depot) + passenger assistant per session``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Dataset, Pupil, Session, VehicleType
from .travel import TravelData, depot_key, home_key, school_key


def route_cost_pence(
    vehicle: VehicleType, distance_m: float, passenger_assistant: bool, dataset: Dataset
) -> int:
    """Daily cost of one vehicle-session, in pence."""
    pa = dataset.settings.passenger_assistant_per_session_pence if passenger_assistant else 0
    return (
        int(round(vehicle.cost_per_session_pence + vehicle.cost_per_km_pence * distance_m / 1000))
        + pa
    )


def can_carry(vehicle: VehicleType, pupil: Pupil) -> bool:
    """Whether a vehicle type can carry this pupil at all (alone, with a PA if they need one)."""
    if pupil.wheelchair:
        room = vehicle.wheelchair_spaces >= 1
        pa_room = vehicle.seats >= 1
    else:
        room = vehicle.seats >= 1
        pa_room = vehicle.seats >= 2
    return vehicle.count > 0 and room and (pa_room or not pupil.passenger_assistant)


@dataclass(frozen=True)
class SoloJourney:
    pupil_id: str
    session: Session
    vehicle_key: str
    distance_m: int
    cost_pence: int


def solo_journey(
    pupil: Pupil, session: Session, dataset: Dataset, travel: TravelData
) -> SoloJourney | None:
    """The cheapest way to carry this pupil alone: depot -> pickup -> drop-off -> depot."""
    home = travel.row(home_key(pupil, session))
    school = travel.row(school_key(pupil.school_id))
    start, end = (home, school) if session is Session.AM else (school, home)
    best: SoloJourney | None = None
    for vt in dataset.fleet:
        if not can_carry(vt, pupil):
            continue
        depot = travel.row(depot_key(vt))
        d = travel.distance_m
        metres = int(d[depot, start] + d[start, end] + d[end, depot])
        cost = route_cost_pence(vt, metres, pupil.passenger_assistant, dataset)
        if best is None or cost < best.cost_pence:
            best = SoloJourney(pupil.pupil_id, session, vt.key, metres, cost)
    return best


def solo_baseline_pence(
    dataset: Dataset, travel: TravelData, journeys: list[tuple[Pupil, Session]]
) -> int:
    """Every journey carried alone in the cheapest suitable vehicle type (counts ignored)."""
    total = 0
    for pupil, session in journeys:
        solo = solo_journey(pupil, session, dataset, travel)
        if solo is not None:
            total += solo.cost_pence
    return total
