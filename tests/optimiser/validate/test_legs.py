"""The plausible-leg check on the plan checker's tiny hand-checkable day (see test_validate.py).

Places ``x`` km along the road are 0.01 degree of latitude apart per km: 1,112 m in a straight
line. Route R1 leaves P1's and P2's home (x = 2) at 08:12:00 and reaches P5's (x = 5, 3,336 m
away) at 08:18:00.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import tests.optimiser.validate.test_validator as day
from optimiser.domain.entities import Session
from optimiser.domain.times import parse_hms
from optimiser.plan.document import Route, Stop
from optimiser.validate.legs import MAX_LEG_SPEED_KPH, SAME_POINT_M, check_leg_speeds
from optimiser.validate.route_checks import CAUSES
from optimiser.validate.validator import validate_plan


def test_the_valid_plan_has_no_implausible_leg():
    assert "implausible_leg" in CAUSES
    assert validate_plan(day.DATASET, day.TRAVEL, day.valid_plan()) == []


def _arrive_p5_at(plan, hms: str) -> None:
    day.route(plan, "R1").stops[2].arrive = parse_hms(hms)


@pytest.mark.parametrize(
    ("arrive", "speed"), [("08:12:30", "400 km/h"), ("08:12:00", "an instant")]
)
def test_a_leg_faster_than_a_vehicle_can_drive_is_reported(arrive, speed):
    plan = day.valid_plan()
    _arrive_p5_at(plan, arrive)
    found = [v for v in validate_plan(day.DATASET, day.TRAVEL, plan) if v.cause != "timing"]
    [v] = found
    assert (v.cause, v.route_id, v.session) == ("implausible_leg", "R1", "AM")
    assert "stop 2 (pickup P1, P2)" in v.message and "stop 3 (pickup P5)" in v.message
    assert "3336 m" in v.message and speed in v.message


def test_travel_data_that_puts_two_homes_at_one_point_is_caught():
    # as when both homes were snapped to one road node: 0 s and 0 m apart, so the route is
    # timed and priced consistently with the matrices, and only this check can tell
    rows = [day.TRAVEL.row("home:P1"), day.TRAVEL.row("home:P5")]
    time_s, distance_m = day.TRAVEL.time_s.copy(), day.TRAVEL.distance_m.copy()
    time_s[np.ix_(rows, rows)] = distance_m[np.ix_(rows, rows)] = 0
    broken = dataclasses.replace(day.TRAVEL, time_s=time_s, distance_m=distance_m, _scaled={})
    plan = day.valid_plan()
    real = day.TRAVEL
    try:
        day.TRAVEL = broken  # build() times routes by the module's travel data
        day.put(plan, day.R1._replace(start="08:12"))  # 6 min saved: still on time at S1
    finally:
        day.TRAVEL = real
    found = validate_plan(day.DATASET, broken, plan)
    assert {v.cause for v in found} == {"implausible_leg"}, [v.message for v in found]
    assert "route R1" in found[0].message and "an instant" in found[0].message


def _leg(metres: float, seconds: int) -> Route:
    lat = 51.0 + metres / 111_195.0  # metres of latitude per degree on the mean sphere
    stops = [Stop("depot", 51.0, -1.5, depart=0), Stop("depot", lat, -1.5, arrive=seconds)]
    return Route("R", Session.AM, "V", "MPV", "Cab", False, stops)


@pytest.mark.parametrize(
    ("metres", "seconds", "flagged"),
    [
        (3000, 100, False),  # 108 km/h
        (3000, 90, True),  # 120 km/h
        (40, 1, False),  # 144 km/h over a 1 s rounded leg: within the rounding of times
        (SAME_POINT_M - 1, 0, False),  # the same point
        (20, 0, True),  # 20 m apart but 0 s
        (3000, -5, False),  # time running backwards: the timing checks report it
    ],
)
def test_straight_line_speed_bound(metres, seconds, flagged):
    out: list = []
    check_leg_speeds(_leg(metres, seconds), out)
    assert bool(out) == flagged
    assert MAX_LEG_SPEED_KPH == 113.0
