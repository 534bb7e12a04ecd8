"""The invented fleet of the synthetic Isle of Wight sample, and the arithmetic behind its prices.

Operators are made up; depots sit at real, live Isle of Wight postcodes in the towns named. Counts
are given for a cohort of :data:`BASE_PUPILS` pupils and scale with the cohort. Prices are set so
that one pupil carried alone by saloon taxi costs about £10,000 a year, close to the DfE 2025/26
unit cost of a SEND pupil in a taxi (about £10,700; :func:`solo_taxi_cost_per_year`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from optimiser.dataset.loading import REQUIRED_COLUMNS

# The columns fleet.csv requires, in the loader's order, then the optional ones the sample fills.
FLEET_COLUMNS = [*REQUIRED_COLUMNS["fleet"], "co2_g_per_km", "depot_postcode"]

BASE_PUPILS = 500  # the cohort size the counts below are written for

SESSIONS_PER_YEAR = 190 * 2  # school days a year, AM and PM
# Distance a saloon taxi drives for one pupil carried alone in one session: depot to home, home to
# school, school back to the depot. In the 500-pupil sample the median of that trip in straight
# lines (nearest taxi depot) is about 15 km; roads add about 30%, so about 20 km
# (docs/sample_data.md).
TYPICAL_SOLO_SESSION_KM = 20.0


@dataclass(frozen=True)
class FleetOffer:
    """One row of ``fleet.csv``; money in pence, ``count`` for :data:`BASE_PUPILS` pupils."""

    vehicle_type: str
    operator: str
    seats: int
    wheelchair_spaces: int
    count: int
    cost_per_session_pence: int
    cost_per_km_pence: int
    co2_g_per_km: int
    depot_postcode: str


# fmt: off
FLEET: tuple[FleetOffer, ...] = (
    # Saloon taxis and MPVs from three private-hire firms at opposite ends of the island.
    FleetOffer("saloon taxi", "Island Taxis", 4, 0, 180, 1000, 80, 150, "PO30 2EL"),  # Newport
    FleetOffer("MPV", "Island Taxis", 6, 0, 24, 1300, 95, 175, "PO30 2EL"),
    FleetOffer("saloon taxi", "Wight Cars", 4, 0, 165, 950, 80, 150, "PO33 1EE"),  # Ryde
    FleetOffer("MPV", "Wight Cars", 7, 0, 22, 1300, 95, 180, "PO33 1EE"),
    FleetOffer("saloon taxi", "West Wight Private Hire", 4, 0, 60, 1100, 85, 150, "PO40 9JW"),
    FleetOffer("MPV", "West Wight Private Hire", 6, 0, 8, 1400, 100, 175, "PO40 9JW"),
    # Wheelchair-accessible vehicles: one chair, or two with fewer seats in use.
    FleetOffer("WAV", "Access Wight", 4, 1, 40, 1600, 105, 200, "PO36 9LN"),  # Lake/Sandown
    FleetOffer("WAV (2 chairs)", "Access Wight", 4, 2, 15, 1800, 115, 210, "PO36 9LN"),
    FleetOffer("accessible minibus", "Access Wight", 12, 3, 6, 3400, 140, 270, "PO36 9LN"),
    # Minibuses with drivers, tail-lift on the accessible ones.
    FleetOffer("minibus", "Solent Minibus Co", 16, 0, 20, 2800, 120, 260, "PO31 7EL"),  # Cowes
    FleetOffer("accessible minibus", "Solent Minibus Co", 12, 3, 10, 3400, 140, 270, "PO31 7EL"),
    # The council's own fleet: cheaper per run (no operator margin), fewer vehicles.
    FleetOffer("accessible minibus", "Council Fleet", 12, 3, 12, 2600, 100, 270, "PO30 5NB"),
    FleetOffer("minibus", "Council Fleet", 16, 0, 8, 2200, 90, 260, "PO30 5NB"),
    FleetOffer("WAV", "Council Fleet", 4, 1, 10, 1300, 80, 200, "PO30 5NB"),
)
# fmt: on


def _pounds(pence: int) -> str:
    return f"{pence // 100}.{pence % 100:02d}"


def fleet_rows(scale: float = 1.0) -> list[dict[str, str]]:
    """The fleet as ``fleet.csv`` rows, counts multiplied by ``scale`` and rounded up.

    Rounding up keeps every vehicle type available (at least one) in small cohorts and keeps the
    margin over the cohort's needs when it is scaled.
    """
    if scale <= 0:
        raise ValueError(f"fleet scale must be positive, got {scale}")
    return [
        {
            "vehicle_type": o.vehicle_type,
            "operator": o.operator,
            "seats": str(o.seats),
            "wheelchair_spaces": str(o.wheelchair_spaces),
            # Round first so that float noise (0.5 * 20 = 10.000000001) cannot add a vehicle.
            "count": str(max(1, math.ceil(round(o.count * scale, 6)))),
            "cost_per_session": _pounds(o.cost_per_session_pence),
            "cost_per_km": _pounds(o.cost_per_km_pence),
            "co2_g_per_km": str(o.co2_g_per_km),
            "depot_postcode": o.depot_postcode,
        }
        for o in FLEET
    ]


def solo_taxi_cost_per_year(
    row: dict[str, str], *, session_km: float = TYPICAL_SOLO_SESSION_KM
) -> float:
    """Yearly cost (£) of carrying one pupil alone, AM and PM, with the vehicle in ``row``.

    ``(cost_per_session + cost_per_km x session_km) x 190 days x 2 sessions``, without a passenger
    assistant. With the saloon taxi rows and the typical 20 km this is £9,690 to £10,640.
    """
    per_session = float(row["cost_per_session"]) + float(row["cost_per_km"]) * session_km
    return per_session * SESSIONS_PER_YEAR
