"""Tiny hand-checkable worlds for planner tests: places on a plane, straight-line roads.

Coordinates are given in kilometres east/north of a point on the Isle of Wight; travel time is
distance at 36 km/h (100 s per km), distance is straight-line metres. So a pupil 3 km from school
is 300 s (5 min) away: easy to check by hand.
"""

from __future__ import annotations

import math

import numpy as np

from optimiser.domain.entities import (
    Dataset,
    Location,
    Pupil,
    School,
    Session,
    Settings,
    VehicleType,
)
from optimiser.roads.travel import TravelData, dataset_locations

ORIGIN = (50.70, -1.30)
KM_PER_DEG_LAT = 111.2


def at(east_km: float, north_km: float) -> Location:
    lat = ORIGIN[0] + north_km / KM_PER_DEG_LAT
    lon = ORIGIN[1] + east_km / (KM_PER_DEG_LAT * math.cos(math.radians(ORIGIN[0])))
    return Location(round(lat, 7), round(lon, 7))


def _km(a: Location, b: Location) -> float:
    dy = (a.lat - b.lat) * KM_PER_DEG_LAT
    dx = (a.lon - b.lon) * KM_PER_DEG_LAT * math.cos(math.radians(ORIGIN[0]))
    return math.hypot(dx, dy)


def hm(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 3600 + int(m) * 60


def pupil(pid: str, home: tuple[float, float], school: str = "S1", age: int = 12, **kw) -> Pupil:
    kw.setdefault("sessions", frozenset({Session.AM}))
    return Pupil(
        pupil_id=pid, name=f"Test {pid} Example", school_id=school, age=age, home=at(*home), **kw
    )


def school(
    sid: str, where: tuple[float, float], am=("08:30", "08:50"), pm=("15:10", "15:25")
) -> School:
    return School(sid, f"School {sid}", at(*where), hm(am[0]), hm(am[1]), hm(pm[0]), hm(pm[1]))


def vehicle(
    kind: str,
    depot: tuple[float, float],
    *,
    seats=4,
    chairs=0,
    count=5,
    per_session=20.0,
    per_km=1.5,
    operator="Test Cars",
) -> VehicleType:
    return VehicleType(
        vehicle_type=kind,
        operator=operator,
        seats=seats,
        wheelchair_spaces=chairs,
        count=count,
        cost_per_session_pence=int(per_session * 100),
        cost_per_km_pence=int(per_km * 100),
        co2_g_per_km=150,
        depot=at(*depot),
    )


def world(
    pupils: list[Pupil], schools: list[School], fleet: list[VehicleType], **settings
) -> tuple[Dataset, TravelData]:
    data = Dataset(
        name="test",
        pupils=tuple(pupils),
        schools={s.school_id: s for s in schools},
        fleet=tuple(fleet),
        settings=Settings(**settings),
    )
    places = dataset_locations(data)
    keys = tuple(places)
    # One matrix row per distinct place, as the road graph would give one node per place.
    distinct = list(dict.fromkeys(places.values()))
    row = {p: i for i, p in enumerate(distinct)}
    km = np.array([[_km(a, b) for b in distinct] for a in distinct])
    travel = TravelData(
        keys=keys,
        index={k: row[places[k]] for k in keys},
        location=places,
        snap_m={k: 0.0 for k in keys},
        node_positions=np.arange(len(distinct)),
        time_s=np.rint(km * 100).astype(np.int64),
        distance_m=np.rint(km * 1000).astype(np.int64),
        speed_factors={
            Session.AM: data.settings.am_speed_factor,
            Session.PM: data.settings.pm_speed_factor,
        },
    )
    return data, travel


def ring_of_pupils(n: int) -> tuple[Dataset, TravelData]:
    """``n`` pupils on a 6-wide grid around a depot, alternately to two schools 8 km apart with
    bell times 15 minutes apart; eight 6-seat MPVs."""
    pupils = [
        pupil(
            f"P{k:02d}",
            ((k % 6) - 2.5, (k // 6) - 1.5),
            school=f"S{k % 2}",
            sessions=frozenset({Session.AM}),
        )
        for k in range(n)
    ]
    schools = [
        school("S0", (4, 0), am=("08:00", "09:00")),
        school("S1", (-4, 0), am=("08:15", "09:15")),
    ]
    fleet = [vehicle("MPV", (0, 0), seats=6, count=8)]
    return world(pupils, schools, fleet)
