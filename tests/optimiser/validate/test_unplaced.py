"""Journeys left out: the validator's guarantee that none is left while an idle vehicle could carry
it alone, reasons the plan cannot contradict, and the planner's repair pass.

The world (:mod:`tests.worlds`: straight roads, 100 s per km, boarding 1 min, 5 min in a chair):

=======  =========  ==================================================================
place    km (E, N)  what is there
=======  =========  ==================================================================
depot    (0, 6)     Access/WAV (2 seats, 1 wheelchair space, 2 vehicles, £20 + £1.50/km)
                    and Cab/Taxi (4 seats, 1 vehicle); both rows at one depot
P0       (0, 5)     wheelchair user, school S1
P1       (0, 4)     wheelchair user, school S1 (or S2 in the window test)
S1       (0, 0)     arrive 08:30-08:50
S2       (1, 0)     arrive 06:35-06:40: before a vehicle leaving at 06:30 can get there
=======  =========  ==================================================================

P0's WAV route, by hand: leave the depot 08:15:00, 1 km (100 s) to P0, 5 min to board, depart
08:21:40, 5 km (500 s) to school at 08:30:00, 5 min to alight, 6 km (600 s) back by 08:45:00;
12 km, £20 + 12 x £1.50 = £38.
"""

from __future__ import annotations

import json

import pytest

from optimiser.domain.entities import Session
from optimiser.domain.errors import PlanFormatError
from optimiser.plan.document import FleetUse, Plan, Route, Stop, Unassigned, plan_from_json
from optimiser.plan.solo import solo_obstacle, solo_schedule
from optimiser.planner import plan_dataset
from optimiser.solver.params import SearchParameters
from optimiser.validate.validator import CAUSES, validate_plan
from tests.helpers.worlds import hm, pupil, school, vehicle, world

AM = Session.AM
PARAMS = SearchParameters(time_limit_s=30, solution_limit=100)
WAV = "Access/WAV"


def tiny(wavs: int = 2, group: str | None = None, **p1):
    """The world above; ``group`` puts P0 and P1 in one sibling group, ``p1`` overrides P1."""
    p1.setdefault("wheelchair", True)
    school_of_p1 = p1.pop("school", "S1")
    pupils = [
        pupil("P0", (0, 5), wheelchair=True, group=group),
        pupil("P1", (0, 4), school_of_p1, group=group, **p1),
    ]
    schools = [school("S1", (0, 0)), school("S2", (1, 0), am=("06:35", "06:40"))]
    fleet = [
        vehicle("WAV", (0, 6), seats=2, chairs=1, count=wavs, operator="Access"),
        vehicle("Taxi", (0, 6), seats=4, count=1, operator="Cab"),
    ]
    return world(pupils, schools, fleet)


def p0_route() -> Route:
    data, travel = tiny()
    depot, home, s1 = (travel.location[k] for k in ("depot:Access/WAV", "home:P0", "school:S1"))
    stops = [
        Stop("depot", depot.lat, depot.lon, depart=hm("08:15")),
        Stop("pickup", home.lat, home.lon, hm("08:16") + 40, hm("08:21") + 40, ("P0",)),
        Stop("dropoff", s1.lat, s1.lon, hm("08:30"), hm("08:35"), ("P0",), "S1"),
        Stop("depot", depot.lat, depot.lon, arrive=hm("08:45")),
    ]
    return Route("AM-001", AM, "AM-V001", "WAV", "Access", False, stops, 12.0, 30.0, 3800)


def plan_leaving_p1(reason="no WAV free", cause=None, rows=()) -> Plan:
    return Plan("test", [p0_route()], [Unassigned("P1", AM, reason, cause, rows)])


def causes(data_travel, plan) -> set[str]:
    data, travel = data_travel
    return {v.cause for v in validate_plan(data, travel, plan)}


def test_the_world_by_hand():
    data, travel = tiny()
    p0 = data.pupil("P0")
    schedule = solo_schedule(p0, AM, data.vehicle_type(WAV), data, travel)
    assert schedule is not None
    assert (schedule.leave_depot_s, schedule.dropoff_arrive_s) == (hm("08:15"), hm("08:30"))
    assert (schedule.back_at_depot_s, schedule.distance_m) == (hm("08:45"), 12000)
    assert solo_schedule(p0, AM, data.vehicle_type("Cab/Taxi"), data, travel) is None
    assert causes((data, travel), Plan("test", [p0_route()], [Unassigned("P1", AM, "x")])) == {
        "avoidable_unplaced"
    }


def test_new_causes_are_listed():
    assert {"avoidable_unplaced", "contradicted_reason"} <= set(CAUSES)


def test_a_free_suitable_vehicle_makes_leaving_out_avoidable():
    data, travel = tiny()
    [v] = validate_plan(data, travel, plan_leaving_p1())
    assert (v.cause, v.pupil_id, v.session) == ("avoidable_unplaced", "P1", "AM")
    assert WAV in v.message and "uses 1 of its 2" in v.message


def test_a_reason_claiming_a_fleet_row_full_is_contradicted_by_the_plan():
    plan = plan_leaving_p1("no WAV left", "fleet_used", (FleetUse(WAV, 2, 2),))
    data, travel = tiny()
    found = validate_plan(data, travel, plan)
    assert {v.cause for v in found} == {"avoidable_unplaced", "contradicted_reason"}
    [v] = [v for v in found if v.cause == "contradicted_reason"]
    assert "uses 1 of 2" in v.message


@pytest.mark.parametrize("cause", ["no_solo_fit", "set_aside", "group"])
def test_reasons_denying_a_solo_fit_or_naming_a_group_are_contradicted(cause):
    assert causes(tiny(), plan_leaving_p1("no", cause)) == {
        "avoidable_unplaced",
        "contradicted_reason",
    }


def test_a_full_row_with_the_wrong_numbers_is_contradicted():
    plan = plan_leaving_p1("no WAV left", "fleet_used", (FleetUse(WAV, 3, 3),))
    assert causes(tiny(wavs=1), plan) == {"contradicted_reason"}


def test_no_violation_when_the_row_is_really_used():
    plan = plan_leaving_p1("no WAV left", "fleet_used", (FleetUse(WAV, 1, 1),))
    assert causes(tiny(wavs=1), plan) == set()


def test_no_violation_when_the_ride_limit_is_shorter_than_the_direct_journey():
    # P1's direct journey is 4 km, 400 s: over a 5-minute limit, with two WAVs standing idle.
    data, travel = tiny(max_ride_min=5)
    why = solo_obstacle(data.pupil("P1"), AM, data.vehicle_type(WAV), data, travel)
    assert why == "direct journey 7 min exceeds maximum ride 5 min"
    assert causes((data, travel), plan_leaving_p1(why, "no_solo_fit")) == set()


def test_no_violation_when_the_school_window_is_unreachable():
    # Leaving at 06:30: 2 km to P1 (200 s), 5 min to board, 412 s to S2: 06:45:12 > 06:40.
    data, travel = tiny(school="S2")
    why = solo_obstacle(data.pupil("P1"), AM, data.vehicle_type(WAV), data, travel)
    assert why is not None and "06:45" in why and "06:40" in why
    assert causes((data, travel), plan_leaving_p1(why, "no_solo_fit")) == set()


def test_a_group_member_left_out_while_a_vehicle_could_carry_them_alone_is_avoidable():
    # A group no vehicle was found for travels apart rather than leave P1 at home: the free WAV
    # could take P1 alone, so leaving P1 out is avoidable whatever the group.
    assert causes(tiny(group="G"), plan_leaving_p1("with group G", "group")) == {
        "avoidable_unplaced"
    }


def test_causes_and_fleet_rows_round_trip_and_old_plans_still_load():
    plan = plan_leaving_p1("no WAV left", "fleet_used", (FleetUse(WAV, 1, 1),))
    again = plan_from_json(json.loads(plan.dumps()))
    assert again.unassigned == plan.unassigned
    old = json.loads(plan.dumps())
    for entry in old["unassigned"]:
        del entry["cause"], entry["fleet_rows"]
    assert plan_from_json(old).unassigned == [Unassigned("P1", AM, "no WAV left")]
    old["unassigned"][0]["cause"] = "tired"
    with pytest.raises(PlanFormatError, match="cause 'tired'"):
        plan_from_json(old)


def split_world():
    """Two pupils, two parts of one pupil each (``max_pupils=1``), one taxi in each of two rows.

    The split gives each row's one vehicle to the first part, so the second part has no vehicle
    at all: before the repair pass its pupil was left out while a taxi stood unused.
    """
    pupils = [pupil("P0", (0, 5)), pupil("P1", (2, 5))]
    fleet = [
        vehicle("Taxi", (0, 6), count=1, operator="North Cars"),
        vehicle("Taxi", (0, 6), count=1, per_session=25, operator="South Cars"),
    ]
    return world(pupils, [school("S1", (0, 0))], fleet)


def test_the_planner_places_a_journey_its_part_had_no_vehicle_for():
    """Fixed fleet shares leave the second part without a vehicle; the repair pass places it."""
    data, travel = split_world()
    result = plan_dataset(
        data, travel=travel, params=PARAMS, workers=1, max_pupils=1, decomposition="fixed-share"
    )
    plan = result.plan
    assert plan.unassigned == []
    assert sorted(pid for r in plan.routes for pid in r.pupil_ids) == ["P0", "P1"]
    assert {r.operator for r in plan.routes} == {"North Cars", "South Cars"}
    assert sorted(r.route_id for r in plan.routes) == ["AM-001", "AM-002"]
    assert len({r.vehicle_id for r in plan.routes}) == 2
    assert validate_plan(data, travel, plan) == []


def test_the_planners_reason_names_the_full_row_with_its_numbers():
    pupils = [pupil("P0", (0, 5), wheelchair=True), pupil("P1", (0.2, -5), wheelchair=True)]
    fleet = [vehicle("WAV", (0, 6), seats=4, chairs=1, count=1), vehicle("Taxi", (0, 6))]
    data, travel = world(pupils, [school("S1", (0, 0), am=("08:30", "08:35"))], fleet)
    plan = plan_dataset(data, travel=travel, params=PARAMS, workers=1).plan
    [entry] = plan.unassigned
    assert entry.cause == "fleet_used"
    assert entry.fleet_rows == (FleetUse("Test Cars/WAV", 1, 1),)
    assert "Test Cars/WAV: 1 of 1 in use" in entry.reason
    assert validate_plan(data, travel, plan) == []
