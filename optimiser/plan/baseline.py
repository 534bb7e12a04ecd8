"""What carrying every pupil alone would cost: the solo baseline a plan's saving is measured
against."""

from __future__ import annotations

from dataclasses import dataclass

from optimiser.domain.entities import Dataset, Pupil, Session
from optimiser.domain.rules import can_carry, route_cost_pence
from optimiser.roads.travel import TravelData, depot_key, home_key, school_key


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
