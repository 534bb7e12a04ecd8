"""The council's rules about vehicles: what a route costs, and which vehicle can carry whom.

The cost rule is the council's contract rule, stated once here:
``cost_per_session + cost_per_km x driven km (depot to depot) + passenger assistant per session``.
"""

from __future__ import annotations

from optimiser.domain.entities import Dataset, Pupil, VehicleType


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
