"""The plan checker on a tiny hand-checkable day.

Every place lies on one straight road: place ``x`` km along it is at latitude ``51 + x/100``.
Driving takes 120 s per km in the morning (speed factor 1.0) and 150 s per km in the afternoon
(speed factor 0.8). Boarding takes 60 s per pupil, 300 s for a wheelchair user.

======  ===  =========================================================================
place   x    what is there
======  ===  =========================================================================
D1      0    depot of Cab/MPV (4 seats, no wheelchair space, 3 vehicles, £30 + £1.50/km)
D2      1    depot of Access/WAV (2 seats, 1 wheelchair space, 1 vehicle, £40 + £2/km)
H1      2    P1 (9, S1) and P2 (12, S2): siblings, group G
H3      3    P3 (14, S2): wheelchair, needs a passenger assistant (£25), rides at most 21 min
H4      4    P4 (10, S1): travels solo
H5      5    P5 (10, S1): never with P6
H6      6    P6 (13, S1); afternoon address 7 km along
H7      8    P7 (12, S2)
S1      10   school S1: arrive 08:30-08:50, leave 15:10-15:25
S2      12   school S2: arrive 08:35-09:00, leave 15:20-15:40
======  ===  =========================================================================

Only P3 and P6 travel in the afternoon; P3 is left unassigned then (the direct journey home, 9 km at
150 s per km, is 22.5 min: over P3's limit, so no vehicle could carry it).
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from dataclasses import replace
from typing import NamedTuple

import numpy as np
import pytest
from rich.console import Console

from optimiser.domain.entities import (
    Dataset,
    Location,
    Policy,
    Pupil,
    School,
    Session,
    Settings,
    VehicleType,
)
from optimiser.domain.rules import route_cost_pence
from optimiser.domain.times import parse_hms
from optimiser.plan.document import Plan, Route, Stop, Unassigned, plan_from_json
from optimiser.roads.travel import TravelData, dataset_locations, depot_key
from optimiser.validate.validator import CAUSES, plan_costs, validate_plan, violations_by_cause
from send_routes.validate import report_validation
from tests.helpers.paths import REPO

AM, PM = Session.AM, Session.PM


def at(x: float) -> Location:
    return Location(51.0 + x / 100, -1.5)


def _pupil(pid, age, school, x, *, sessions=(AM,), **kw) -> Pupil:
    return Pupil(pid, f"Pupil {pid}", school, age, frozenset(sessions), at(x), **kw)


_PA_21_MIN = {"passenger_assistant": True, "max_ride_min": 21}
DATASET = Dataset(
    name="tiny",
    pupils=(
        _pupil("P1", 9, "S1", 2, group="G"),
        _pupil("P2", 12, "S2", 2, group="G"),
        _pupil("P3", 14, "S2", 3, sessions=(AM, PM), wheelchair=True, **_PA_21_MIN),
        _pupil("P4", 10, "S1", 4, solo=True),
        _pupil("P5", 10, "S1", 5, not_with=("P6",)),
        _pupil("P6", 13, "S1", 6, sessions=(AM, PM), pm_home=at(7)),
        _pupil("P7", 12, "S2", 8),
    ),
    schools={
        "S1": School("S1", "Brook Primary", at(10), 30600, 31800, 54600, 55500),
        "S2": School("S2", "Oak Special", at(12), 30900, 32400, 55200, 56400),
    },
    fleet=(
        VehicleType("MPV", "Cab", 4, 0, 3, 3000, 150, 150, at(0)),
        VehicleType("WAV", "Access", 2, 1, 1, 4000, 200, 200, at(1)),
    ),
    # The hand-built plans below are timed against this fair-detour rule (1.6 x direct + 10 min).
    settings=Settings(
        am_speed_factor=1.0,
        pm_speed_factor=0.8,
        policy=Policy(detour_factor=1.6, detour_min=10, max_schools_per_route=3),
    ),
)


def _travel() -> TravelData:
    places = dataset_locations(DATASET)
    keys = tuple(places)
    x = np.array([round((places[k].lat - 51.0) * 100) for k in keys])
    apart = np.abs(x[:, None] - x[None, :])
    return TravelData(
        keys=keys,
        index={k: i for i, k in enumerate(keys)},
        location=places,
        snap_m=dict.fromkeys(keys, 0.0),
        node_positions=np.arange(len(keys)),
        time_s=apart * 120,
        distance_m=apart * 1000,
        speed_factors={AM: 1.0, PM: 0.8},
    )


TRAVEL = _travel()


def _s(kind, x, pupils=(), arrive=None, depart=None, school=None) -> dict:
    stop = {"type": kind, "lat": 51.0 + x / 100, "lon": -1.5, "pupil_ids": list(pupils)}
    stop.update({"arrive": arrive, "depart": depart, "school_id": school})
    return {k: v for k, v in stop.items() if v is not None}


def _r(rid, session, vehicle, fleet, pa, km, cost, stops) -> dict:
    operator, vehicle_type = fleet.split("/")
    fields = (rid, session, vehicle, operator, vehicle_type, pa, stops, km, cost)
    names = ("route_id", "session", "vehicle_id", "operator", "vehicle_type")
    names += ("passenger_assistant", "stops", "distance_km", "cost")
    return dict(zip(names, fields, strict=True))


# fmt: off
# The valid plan, worked out by hand (times, kilometres, pounds).
VALID_JSON = {
    "dataset": "tiny",
    "routes": [
        _r("R1", "AM", "V-cab-1", "Cab/MPV", False, 24.0, 66.00, [
            _s("depot", 0, depart="08:06:00"),
            _s("pickup", 2, ["P1", "P2"], "08:10:00", "08:12:00"),
            _s("pickup", 5, ["P5"], "08:18:00", "08:19:00"),
            _s("pickup", 8, ["P7"], "08:25:00", "08:26:00"),
            _s("dropoff", 10, ["P1", "P5"], "08:30:00", "08:32:00", "S1"),
            _s("dropoff", 12, ["P2", "P7"], "08:36:00", "08:38:00", "S2"),
            _s("depot", 0, arrive="09:02:00"),
        ]),
        _r("R2", "AM", "V-wav-1", "Access/WAV", True, 22.0, 109.00, [  # £84 + £25 assistant
            _s("depot", 1, depart="08:06:00"),
            _s("pickup", 3, ["P3"], "08:10:00", "08:15:00"),
            _s("pickup", 6, ["P6"], "08:21:00", "08:22:00"),
            _s("dropoff", 10, ["P6"], "08:30:00", "08:31:00", "S1"),
            _s("dropoff", 12, ["P3"], "08:35:00", "08:40:00", "S2"),
            _s("depot", 1, arrive="09:02:00"),
        ]),
        _r("R3", "AM", "V-cab-2", "Cab/MPV", False, 20.0, 60.00, [
            _s("depot", 0, depart="08:14:00"),
            _s("pickup", 4, ["P4"], "08:22:00", "08:23:00"),
            _s("dropoff", 10, ["P4"], "08:35:00", "08:36:00", "S1"),
            _s("depot", 0, arrive="08:56:00"),
        ]),
        _r("R4", "PM", "V-cab-1", "Cab/MPV", False, 20.0, 60.00, [  # 150 s per km
            _s("depot", 0, depart="14:50:00"),
            _s("pickup", 10, ["P6"], "15:15:00", "15:16:00", "S1"),
            _s("dropoff", 7, ["P6"], "15:23:30", "15:24:30"),
            _s("depot", 0, arrive="15:42:00"),
        ]),
    ],
    "unassigned": [{"pupil_id": "P3", "session": "PM", "reason": "no WAV free after school"}],
    "summary": {"cost_per_day": 295.00},
}
# fmt: on


class Spec(NamedTuple):
    """A route as its visits (kind, location key, pupils); times and costs are derived."""

    route_id: str
    session: Session
    vehicle_id: str
    fleet: str
    pa: bool
    start: str
    visits: tuple
    waits: tuple = ()  # (visit number, extra seconds waited after boarding)
    depot: str | None = None  # another depot's fleet key, to start and end somewhere else


def up(place: str, *pupils: str) -> tuple:
    return ("pickup", place, pupils)


def down(place: str, *pupils: str) -> tuple:
    return ("dropoff", place, pupils)


# fmt: off
R1 = Spec("R1", AM, "V-cab-1", "Cab/MPV", False, "08:06", (
    up("home:P1", "P1", "P2"), up("home:P5", "P5"), up("home:P7", "P7"),
    down("school:S1", "P1", "P5"), down("school:S2", "P2", "P7"),
))
R2 = Spec("R2", AM, "V-wav-1", "Access/WAV", True, "08:06", (
    up("home:P3", "P3"), up("home:P6", "P6"),
    down("school:S1", "P6"), down("school:S2", "P3"),
))
R3 = Spec("R3", AM, "V-cab-2", "Cab/MPV", False, "08:14", (
    up("home:P4", "P4"), down("school:S1", "P4"),
))
R4 = Spec("R4", PM, "V-cab-1", "Cab/MPV", False, "14:50", (
    up("school:S1", "P6"), down("pm_home:P6", "P6"),
))
# fmt: on


def build(spec: Spec) -> Route:
    """Drive a spec at the earliest times the matrices allow, and price it."""
    fleet = DATASET.vehicle_type(spec.fleet)
    depot = depot_key(DATASET.vehicle_type(spec.depot or spec.fleet))
    times, waits = TRAVEL.times(spec.session), dict(spec.waits)
    keys = [depot, *(key for _, key, _ in spec.visits), depot]
    t = parse_hms(spec.start)
    stops = [Stop("depot", TRAVEL.location[depot].lat, TRAVEL.location[depot].lon, depart=t)]
    for n, (kind, key, pupils) in enumerate(spec.visits, start=1):
        t += int(times[TRAVEL.row(keys[n - 1]), TRAVEL.row(key)])
        arrive = t
        t += sum(DATASET.boarding_s(DATASET.pupil(p)) for p in pupils) + waits.get(n, 0)
        school = key.split(":")[1] if key.startswith("school:") else None
        place = TRAVEL.location[key]
        stops.append(Stop(kind, place.lat, place.lon, arrive, t, tuple(pupils), school))
    t += int(times[TRAVEL.row(keys[-2]), TRAVEL.row(depot)])
    stops.append(Stop("depot", TRAVEL.location[depot].lat, TRAVEL.location[depot].lon, arrive=t))
    rows = [TRAVEL.row(k) for k in keys]
    metres = int(sum(TRAVEL.distance_m[a, b] for a, b in zip(rows, rows[1:], strict=False)))
    cost = route_cost_pence(fleet, metres, spec.pa, DATASET)
    return Route(
        route_id=spec.route_id,
        session=spec.session,
        vehicle_id=spec.vehicle_id,
        vehicle_type=fleet.vehicle_type,
        operator=fleet.operator,
        passenger_assistant=spec.pa,
        stops=stops,
        distance_km=metres / 1000,
        cost_pence=cost,
    )


def resum(plan: Plan) -> None:
    plan.summary = {"cost_per_day": sum(r.cost_pence for r in plan.routes) / 100}


def put(plan: Plan, spec: Spec) -> None:
    """Replace (or add) the route of this spec's id, keeping the stated total consistent."""
    plan.routes = [r for r in plan.routes if r.route_id != spec.route_id] + [build(spec)]
    resum(plan)


def route(plan: Plan, route_id: str) -> Route:
    return next(r for r in plan.routes if r.route_id == route_id)


def valid_plan() -> Plan:
    return plan_from_json(copy.deepcopy(VALID_JSON))


def test_hand_built_plan_is_valid():
    assert validate_plan(DATASET, TRAVEL, valid_plan()) == []
    written = plan_from_json(json.loads(valid_plan().dumps()))  # coordinates rounded to 6 places
    assert validate_plan(DATASET, TRAVEL, written) == []


def test_builder_reproduces_the_hand_built_plan():
    """The mutations below are built by ``build``; it must agree with the hand arithmetic."""
    hand = valid_plan()
    for spec in (R1, R2, R3, R4):
        built, expected = build(spec), route(hand, spec.route_id)
        assert built.stops == expected.stops
        assert (built.distance_km, built.cost_pence) == (expected.distance_km, expected.cost_pence)


# Each mutation breaks one rule and keeps the rest of the plan consistent (times, costs, total).
# fmt: off
def _solo(plan):  # P5 moves into solo P4's car
    put(plan, R1._replace(start="08:07", visits=(
        up("home:P1", "P1", "P2"), up("home:P7", "P7"),
        down("school:S1", "P1"), down("school:S2", "P2", "P7"),
    )))
    put(plan, R3._replace(visits=(
        up("home:P4", "P4"), up("home:P5", "P5"), down("school:S1", "P4", "P5"),
    )))


def _seats(plan):  # P7 moves into the WAV: assistant + P6 + P7 on 2 seats
    put(plan, R1._replace(start="08:07", visits=(
        up("home:P1", "P1", "P2"), up("home:P5", "P5"),
        down("school:S1", "P1", "P5"), down("school:S2", "P2"),
    )))
    put(plan, R2._replace(start="08:05", visits=(
        up("home:P3", "P3"), up("home:P6", "P6"), up("home:P7", "P7"),
        down("school:S1", "P6"), down("school:S2", "P3", "P7"),
    )))


def _wheelchair(plan):  # the WAV's run done by a car, and the car's by the WAV
    put(plan, R2._replace(vehicle_id="V-cab-2", fleet="Cab/MPV", start="08:04"))
    put(plan, R3._replace(vehicle_id="V-wav-1", fleet="Access/WAV", start="08:16"))


def _not_with(plan):  # P6 and P7 swap vehicles: P6 rides with P5
    put(plan, R1._replace(visits=(
        up("home:P1", "P1", "P2"), up("home:P5", "P5"), up("home:P6", "P6"),
        down("school:S1", "P1", "P5", "P6"), down("school:S2", "P2"),
    )))
    put(plan, R2._replace(start="08:12", visits=(
        up("home:P3", "P3"), up("home:P7", "P7"), down("school:S2", "P3", "P7"),
    )))


def _group(plan):  # P2 leaves her brother's car for a third car
    put(plan, R1._replace(start="08:07", visits=(
        up("home:P1", "P1"), up("home:P5", "P5"), up("home:P7", "P7"),
        down("school:S1", "P1", "P5"), down("school:S2", "P7"),
    )))
    put(plan, Spec("R5", AM, "V-cab-3", "Cab/MPV", False, "08:15", (
        up("home:P2", "P2"), down("school:S2", "P2"),
    )))
# fmt: on


def _cost_stated(plan):
    route(plan, "R1").cost_pence += 500
    resum(plan)


def _early_arrival(plan):
    route(plan, "R3").stops[1].arrive -= 120  # 4 km from the depot cannot take 6 min


def _no_boarding(plan):
    stop = route(plan, "R1").stops[1]
    stop.depart = stop.arrive  # two pupils board in no time


def _drop_r3(plan):  # P4 is neither carried nor listed unassigned
    plan.routes = [r for r in plan.routes if r.route_id != "R3"]
    resum(plan)


def _unassigned(plan, pupil_id, session, reason):
    plan.unassigned.append(Unassigned(pupil_id, session, reason))


MUTATIONS = {
    "solo": (_solo, {"solo"}),
    "seats": (_seats, {"seats"}),
    "wheelchair_spaces": (_wheelchair, {"wheelchair_spaces"}),
    "passenger_assistant": (lambda p: put(p, R2._replace(pa=False)), {"passenger_assistant"}),
    "not_with": (_not_with, {"not_with"}),
    "group": (_group, {"group"}),
    "max_ride": (lambda p: put(p, R2._replace(waits=((2, 660),))), {"max_ride"}),
    # 18 min 20 s waited after P7 boards: P1 rides 36.3 min against a direct 16 (fair: 1.6 x 16
    # + 10 = 35.6), within their 45; P2, P5 and P7 likewise over their fair detours.
    "detour": (lambda p: put(p, R1._replace(waits=((3, 1100),))), {"detour"}),
    "school_window_am": (lambda p: put(p, R3._replace(start="08:34")), {"school_window"}),
    "school_window_pm": (lambda p: put(p, R4._replace(start="15:06")), {"school_window"}),
    "coverage_missing": (_drop_r3, {"coverage"}),
    "coverage_no_reason": (lambda p: setattr(p.unassigned[0], "reason", " "), {"coverage"}),
    "coverage_twice": (lambda p: _unassigned(p, "P4", AM, "ill"), {"coverage"}),
    "coverage_unknown": (lambda p: _unassigned(p, "P99", AM, "moved away"), {"coverage"}),
    "fleet_count": (
        lambda p: put(p, R3._replace(vehicle_id="V-wav-2", fleet="Access/WAV", start="08:16")),
        {"fleet_count"},
    ),
    "vehicle_in_two_fleet_rows": (  # the WAV back at its depot 09:02, then an empty car run
        lambda p: put(p, Spec("R5", AM, "V-wav-1", "Cab/MPV", False, "09:02:30", ())),
        {"fleet_count", "vehicle_overlap"},
    ),
    "vehicle_overlap": (lambda p: put(p, R3._replace(vehicle_id="V-cab-1")), {"vehicle_overlap"}),
    "cost_stated": (_cost_stated, {"cost"}),
    "distance_stated": (lambda p: setattr(route(p, "R1"), "distance_km", 25.0), {"cost"}),
    "summary_stated": (lambda p: p.summary.update(cost_per_day=300.0), {"cost"}),
    "timing_travel": (_early_arrival, {"timing"}),
    "timing_boarding": (_no_boarding, {"timing"}),
    "timing_missing": (lambda p: setattr(route(p, "R3").stops[2], "arrive", None), {"timing"}),
}


@pytest.mark.parametrize("name", MUTATIONS)
def test_each_broken_rule_is_reported_by_its_cause(name):
    mutate, expected = MUTATIONS[name]
    plan = valid_plan()
    mutate(plan)
    found = validate_plan(DATASET, TRAVEL, plan)
    assert {v.cause for v in found} == expected, [v.message for v in found]
    assert all(v.message for v in found)


# fmt: off
FORMAT = {
    "unknown_pupil": lambda p: setattr(route(p, "R1").stops[1], "pupil_ids", ("P1", "P2", "P99")),
    "unknown_fleet_row": lambda p: setattr(route(p, "R3"), "vehicle_type", "Limousine"),
    "wrong_address": lambda p: put(p, R3._replace(visits=(
        up("home:P5", "P4"), down("school:S1", "P4"),
    ))),
    "dropoff_before_pickup": lambda p: put(p, R3._replace(start="08:04", visits=(
        down("school:S1", "P4"), up("home:P4", "P4"),
    ))),
    "wrong_depot": lambda p: put(p, R3._replace(depot="Access/WAV", start="08:16")),
    "picked_up_twice": lambda p: put(p, R3._replace(start="08:10", visits=(
        up("home:P4", "P4"), up("home:P4", "P4"), down("school:S1", "P4"),
    ))),
    "pm_dropoff_at_morning_home": lambda p: put(p, R4._replace(visits=(
        up("school:S1", "P6"), down("home:P6", "P6"),
    ))),
    "am_dropoff_at_home": lambda p: put(p, R3._replace(start="08:14", visits=(
        up("home:P4", "P4"), down("home:P4", "P4"),
    ))),
}
# fmt: on


@pytest.mark.parametrize("name", FORMAT)
def test_format_problems_are_reported(name):
    plan = valid_plan()
    FORMAT[name](plan)
    found = validate_plan(DATASET, TRAVEL, plan)
    assert {v.cause for v in found} == {"format"}, [v.message for v in found]


def test_messages_name_route_pupils_and_numbers():
    plan = valid_plan()
    put(plan, R2._replace(waits=((2, 660),)))
    [v] = validate_plan(DATASET, TRAVEL, plan)
    assert (v.route_id, v.pupil_id, v.session) == ("R2", "P3", "AM")
    assert "31.0 min" in v.message and "21.0 min" in v.message


def test_violations_by_cause_follows_causes_order():
    plan = valid_plan()
    _no_boarding(plan)
    put(plan, R2._replace(pa=False))
    grouped = violations_by_cause(validate_plan(DATASET, TRAVEL, plan))
    assert list(grouped) == ["passenger_assistant", "timing"]
    assert set(CAUSES) >= set(grouped)


def test_plan_costs_by_hand():
    costs = plan_costs(DATASET, TRAVEL, valid_plan())
    assert costs["cost_per_day_pence"] == 29500
    assert costs["cost_per_year_gbp"] == 56050.00  # 190 school days
    assert costs["km_per_day"] == 86.0
    assert costs["co2_kg_per_day"] == 14.0  # 64 km x 150 g + 22 km x 200 g
    assert costs["vehicles"] == {"AM": 3, "PM": 1}
    assert costs["pupils_carried"] == {"AM": 7, "PM": 1}
    assert costs["by_operator"]["Access"]["cost_per_day_pence"] == 10900
    assert costs["by_vehicle_type"]["MPV"]["vehicles"] == {"AM": 2, "PM": 1}
    assert costs["unpriced_routes"] == []


def test_report_prints_causes_and_returns_exit_code():
    console = Console(record=True, width=200)
    assert report_validation(DATASET, TRAVEL, valid_plan(), console) == 0
    plan = valid_plan()
    put(plan, R2._replace(pa=False))
    console = Console(record=True, width=200)
    assert report_validation(DATASET, TRAVEL, plan, console) == 1
    text = console.export_text()
    assert "passenger_assistant (1)" in text and "P3" in text and "cost per day" in text


def test_checker_never_imports_the_solver():
    code = "import sys, optimiser.validate.validator; assert 'ortools' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


def test_a_route_calling_at_more_schools_than_the_policy_allows_is_reported():
    one_school = replace(
        DATASET,
        settings=replace(
            DATASET.settings, policy=replace(DATASET.settings.policy, max_schools_per_route=1)
        ),
    )
    found = validate_plan(one_school, TRAVEL, valid_plan())
    assert {v.cause for v in found} == {"schools_per_route"}
    assert sorted(v.route_id for v in found) == ["R1", "R2"]
    assert "calls at 2 schools (S1, S2), more than the policy's 1" in found[0].message


def test_the_detour_message_names_the_direct_drive_and_the_rule():
    plan = valid_plan()
    put(plan, R1._replace(waits=((3, 1100),)))
    p1 = next(v for v in validate_plan(DATASET, TRAVEL, plan) if v.pupil_id == "P1")
    assert "over the fair detour of 35.6 min (1.6 x their direct 16.0 min + 10 min)" in p1.message
