"""Every SEND rule, each on a tiny instance where breaking the rule would be cheaper.

If the rule were missing from the model, the solver would take the cheaper, wrong plan and the
test would fail. Searches are bounded by a solution count, not a clock, so runs are reproducible.
"""

from __future__ import annotations

import pytest

from optimiser.domain.entities import Policy, Session
from optimiser.plan.totals import ride_times_s
from optimiser.planner import plan_dataset
from optimiser.solver.params import SearchParameters
from tests.helpers.worlds import pupil, school, vehicle, world

PARAMS = SearchParameters(time_limit_s=30, solution_limit=300)
AM = frozenset({Session.AM})
BOTH = frozenset({Session.AM, Session.PM})


def run(data_travel):
    data, travel = data_travel
    result = plan_dataset(data, travel=travel, params=PARAMS, workers=1)
    return result.plan


def onboard_sets(route):
    """The set of pupils on board after each stop."""
    on: set[str] = set()
    out = []
    for stop in route.stops:
        if stop.type == "pickup":
            on |= set(stop.pupil_ids)
        elif stop.type == "dropoff":
            on -= set(stop.pupil_ids)
        out.append(set(on))
    return out


def route_of(plan, pid, session=Session.AM):
    return next(r for r in plan.routes if r.session is session and pid in r.pupil_ids)


def test_seats_capacity():
    pupils = [pupil(f"P{i}", (i * 0.2, 5)) for i in range(6)]
    plan = run(world(pupils, [school("S1", (0, 0))], [vehicle("Taxi", (0, 6), seats=4, count=3)]))
    assert not plan.unassigned
    assert all(len(s) <= 4 for r in plan.routes for s in onboard_sets(r))
    assert len(plan.routes) == 2


def test_passenger_assistant_takes_a_seat_and_is_on_board():
    pupils = [pupil(f"P{i}", (i * 0.2, 5)) for i in range(4)]
    pupils[0] = pupil("P0", (0, 5), passenger_assistant=True)
    plan = run(
        world(
            pupils,
            [school("S1", (0, 0))],
            [vehicle("Taxi", (0, 6), seats=4, count=3)],
            passenger_assistant_per_session_pence=2500,
        )
    )
    assert not plan.unassigned
    pa_route = route_of(plan, "P0")
    assert pa_route.passenger_assistant
    assert all(len(s) <= 3 for s in onboard_sets(pa_route))  # the PA takes the fourth seat


def test_wheelchair_user_gets_a_wheelchair_space():
    pupils = [pupil("P0", (0, 5), wheelchair=True), pupil("P1", (0.1, 5))]
    fleet = [
        vehicle("Taxi", (0, 6), seats=4, count=2, per_session=10),
        vehicle("WAV", (0, 6), seats=4, chairs=1, count=1, per_session=40),
    ]
    plan = run(world(pupils, [school("S1", (0, 0))], fleet))
    assert not plan.unassigned
    assert route_of(plan, "P0").vehicle_type == "WAV"
    stop = next(s for s in route_of(plan, "P0").stops if "P0" in s.pupil_ids and s.type == "pickup")
    assert stop.depart - stop.arrive >= 300  # five minutes to board in a chair


def test_solo_pupil_travels_alone():
    pupils = [pupil("P0", (0, 5), solo=True), pupil("P1", (0.1, 5)), pupil("P2", (0.2, 5))]
    plan = run(
        world(
            pupils,
            [school("S1", (0, 0), am=("08:00", "09:30"))],
            [vehicle("Taxi", (0, 6), count=3)],
        )
    )
    assert not plan.unassigned
    for r in plan.routes:
        for on in onboard_sets(r):
            assert "P0" not in on or on == {"P0"}


def test_never_together():
    pupils = [pupil("P0", (0, 5), not_with=("P1",)), pupil("P1", (0.1, 5)), pupil("P2", (0.2, 5))]
    plan = run(world(pupils, [school("S1", (0, 0))], [vehicle("Taxi", (0, 6), count=3)]))
    assert not plan.unassigned
    for r in plan.routes:
        for on in onboard_sets(r):
            assert not {"P0", "P1"} <= on


def test_group_shares_a_vehicle_and_one_stop():
    # Siblings at one address, schools in opposite directions, a depot beside each school: two
    # vehicles would be cheaper, but the group must travel together.
    pupils = [
        pupil("P0", (0, 0), school="S1", group="G1", sessions=BOTH),
        pupil("P1", (0, 0), school="S2", group="G1", sessions=BOTH),
    ]
    schools = [
        school("S1", (6, 0), am=("08:00", "09:30")),
        school("S2", (-6, 0), am=("08:00", "09:30"), pm=("15:00", "16:00")),
    ]
    fleet = [
        vehicle("Taxi", (6, 0.5), count=1, per_session=5, per_km=3, operator="East"),
        vehicle("Taxi", (-6, 0.5), count=1, per_session=5, per_km=3, operator="West"),
    ]
    # One vehicle for both means a 12 km detour for one of them: allowed by a loose detour rule
    # (under the default, 1.6 x direct + 10 min, the group would travel apart, and say so).
    loose = Policy(detour_factor=5, detour_min=60)
    plan = run(world(pupils, schools, fleet, policy=loose))
    assert not plan.unassigned
    for session in Session:
        r0, r1 = route_of(plan, "P0", session), route_of(plan, "P1", session)
        assert r0.vehicle_id == r1.vehicle_id
        kind = "pickup" if session is Session.AM else "dropoff"
        home_stops = [s for s in r0.stops if s.type == kind and {"P0", "P1"} & set(s.pupil_ids)]
        assert len(home_stops) == 1 and set(home_stops[0].pupil_ids) == {"P0", "P1"}


def test_maximum_ride_time():
    # P0 lives 8 km north, P1 8 km south. Sharing saves a vehicle, but whoever is picked up first
    # would ride 24 km (40 min) against their own 15-minute limit.
    pupils = [pupil("P0", (0, 8), max_ride_min=15), pupil("P1", (0, -8), max_ride_min=15)]
    plan = run(
        world(
            pupils,
            [school("S1", (0.5, 0))],
            [vehicle("Taxi", (0, 9), count=2, per_session=30, per_km=0.5)],
        )
    )
    assert not plan.unassigned
    for r in plan.routes:
        for pid, ride in ride_times_s(r).items():
            assert ride <= (15 * 60 if pid == "P0" else 75 * 60)
    assert route_of(plan, "P0").vehicle_id != route_of(plan, "P1").vehicle_id


def test_school_windows_and_consecutive_runs():
    # One vehicle: first run to S1 (08:30-08:40), second run to S2 (09:10-09:20).
    pupils = [pupil("P0", (0, 3), school="S1"), pupil("P1", (5, 3), school="S2")]
    schools = [
        school("S1", (0, 0), am=("08:30", "08:40")),
        school("S2", (5, 0), am=("09:10", "09:20")),
    ]
    plan = run(world(pupils, schools, [vehicle("Taxi", (2, 2), count=1)]))
    assert not plan.unassigned
    assert len(plan.routes) == 1
    drops = {s.school_id: s.arrive for s in plan.routes[0].stops if s.type == "dropoff"}
    assert 8 * 3600 + 30 * 60 <= drops["S1"] <= 8 * 3600 + 40 * 60
    assert 9 * 3600 + 10 * 60 <= drops["S2"] <= 9 * 3600 + 20 * 60


def test_fleet_count_and_unplaced_reason():
    # Two wheelchair users needing the only WAV at the same time: one cannot be placed.
    pupils = [pupil("P0", (0, 5), wheelchair=True), pupil("P1", (0.2, -5), wheelchair=True)]
    fleet = [vehicle("WAV", (0, 6), seats=4, chairs=1, count=1), vehicle("Taxi", (0, 6), count=4)]
    plan = run(world(pupils, [school("S1", (0, 0), am=("08:30", "08:35"))], fleet))
    assert len(plan.routes) == 1
    assert len(plan.unassigned) == 1
    assert "no wheelchair-accessible vehicle left" in plan.unassigned[0].reason


def test_direct_journey_longer_than_limit_is_explained():
    pupils = [pupil("P0", (0, 40), age=8), pupil("P1", (0, 2))]
    plan = run(world(pupils, [school("S1", (0, 0))], [vehicle("Taxi", (0, 1), count=2)]))
    assert [u.pupil_id for u in plan.unassigned] == ["P0"]
    assert plan.unassigned[0].reason == "direct journey 67 min exceeds maximum ride 45 min"


def test_afternoon_address_is_used():
    from optimiser.roads.travel import home_key

    pm_home = pupil("X", (3, 3)).home
    pupils = [pupil("P0", (0, 5), sessions=BOTH, pm_home=pm_home)]
    data, travel = world(pupils, [school("S1", (0, 0))], [vehicle("Taxi", (0, 6), count=1)])
    plan = run((data, travel))
    pm = route_of(plan, "P0", Session.PM)
    drop = next(s for s in pm.stops if s.type == "dropoff")
    assert (drop.lat, drop.lon) == (pm_home.lat, pm_home.lon)
    assert home_key(data.pupils[0], Session.PM) == "pm_home:P0"


@pytest.mark.parametrize("weight", [0.0, 50.0])
def test_costs_add_up(weight):
    pupils = [pupil(f"P{i}", (i, 4)) for i in range(3)]
    data, travel = world(
        pupils,
        [school("S1", (0, 0))],
        [vehicle("Taxi", (0, 6), count=3)],
        ride_time_weight_pence_per_min=weight,
    )
    plan = run((data, travel))
    assert plan.summary["cost_per_day"] == pytest.approx(
        sum(r.cost_pence for r in plan.routes) / 100
    )
    assert plan.summary["baseline_cost_per_day"] > plan.summary["cost_per_day"]


def test_more_vehicles_are_offered_when_the_first_offer_runs_short():
    # Twelve pupils round a school, each 8 km out with a 15-minute limit and a 5-minute window:
    # nobody can share, so twelve taxis are needed. The first offer (by a pessimistic estimate of
    # shared stops) is eight; the planner must notice and offer more from the fleet of twenty.
    import math

    pupils = [
        pupil(
            f"P{i:02d}",
            (8 * math.cos(i * math.pi / 6), 8 * math.sin(i * math.pi / 6)),
            max_ride_min=15,
        )
        for i in range(12)
    ]
    fleet = [vehicle("Taxi", (0, 0.5), count=20)]
    plan = run(world(pupils, [school("S1", (0, 0), am=("08:30", "08:35"))], fleet))
    assert not plan.unassigned
    assert len(plan.routes) == 12
