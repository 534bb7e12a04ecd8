"""Re-planning from current routes: what is kept, what is placed, what changes and why; on tiny
worlds under solution limits (reproducible)."""

from __future__ import annotations

from dataclasses import replace

from optimiser.dataset.tables import read_csv_text
from optimiser.plan.current import current_plan
from optimiser.replan import replan
from optimiser.solver.params import SearchParameters
from tests.helpers.worlds import at, pupil, school, vehicle, world

PARAMS = SearchParameters(time_limit_s=60, solution_limit=50)
HEADER = "route_id,session,operator,vehicle_type,passenger_assistant,pupil_id,pickup_order"
SCHOOL = school("S1", (0, 5), am=("08:00", "09:30"))
FLEET = [vehicle("taxi", (0, 0), seats=4, count=4, per_session=20)]


def _current(data, travel, *rows: str):
    return current_plan(read_csv_text("routes.csv", "\n".join([HEADER, *rows])), data, travel).plan


def _two_taxis():
    """A and B, 500 m apart, 5 km south of their school, each alone in a taxi today: one taxi
    for both saves £20 a day and more."""
    data, travel = world([pupil("A", (0, 0)), pupil("B", (0.5, 0))], [SCHOOL], FLEET)
    current = _current(data, travel, "R1,AM,Test Cars,taxi,no,A,1", "R2,AM,Test Cars,taxi,no,B,1")
    return data, travel, current


def _vehicles(plan) -> dict[str, str]:
    return {pid: r.route_id for r in plan.routes for pid in r.pupil_ids}


def test_a_saving_is_taken_only_when_it_pays_more_than_the_price_per_change():
    data, travel, current = _two_taxis()
    cheap = replan(data, current, travel=travel, params=PARAMS, price_pence=0)
    assert len(cheap.plan.routes) == 1  # one taxi: worth it at no price
    # one moves to the other's taxi; the other keeps it, with a new fellow passenger
    assert sorted(c.reason for c in cheap.changes) == ["improvement", "knock_on"]
    dear = replan(data, current, travel=travel, params=PARAMS, price_pence=10_000)  # £100
    assert _vehicles(dear.plan) == {"A": "R1", "B": "R2"}  # route ids kept
    assert dear.changes == [] and dear.stability().keep_vehicle == 2


def test_a_locked_pupil_stays_on_the_vehicle_of_their_current_route():
    data, travel, current = _two_taxis()
    result = replan(data, current, travel=travel, params=PARAMS, price_pence=0, locked=["A", "B"])
    assert _vehicles(result.plan) == {"A": "R1", "B": "R2"}
    assert result.locked == ("A", "B")


def test_new_moved_and_leaving_pupils_are_placed_and_each_change_has_its_reason():
    pupils = [pupil("A", (0, 0)), pupil("B", (0.5, 0)), pupil("C", (3, 0)), pupil("D", (3.5, 0))]
    before, travel0 = world(pupils, [SCHOOL], FLEET)
    current = _current(
        before,
        travel0,
        "R1,AM,Test Cars,taxi,no,A,1",
        "R1,AM,Test Cars,taxi,no,B,2",
        "R2,AM,Test Cars,taxi,no,C,1",
        "R2,AM,Test Cars,taxi,no,D,2",
    )
    moved = replace(pupils[1], home=at(3.2, 1))  # B moves next to C and D
    today = [pupils[0], moved, pupils[2], pupil("N", (0.2, 0.5))]  # D leaves, N is new
    data, travel = world(today, [SCHOOL], FLEET)
    result = replan(data, current, travel=travel, params=PARAMS, price_pence=10_000)
    assert not result.plan.unassigned  # validated, and everyone carried
    reasons = {c.change.pupil_id: c.reason for c in result.changes}
    assert reasons["B"] == "moved_house" and reasons["D"] == "leaver"
    assert reasons["N"] == "new_pupil"
    assert result.affected == {"B": "moved_house", "D": "leaver", "N": "new_pupil"}
    assert result.stability().unaffected == 2 and result.stability().keep_vehicle == 2
    assert "reason" in result.csv_text().splitlines()[0]


def test_a_route_that_breaks_a_rule_with_todays_data_is_repaired_and_says_so():
    """A is picked up first and rides past B: fine under 45 minutes, not under A's new limit of
    9 minutes (A's direct ride is 8 min 20 s)."""
    pupils = [pupil("A", (0, 0)), pupil("B", (0, 1))]
    before, travel0 = world(pupils, [SCHOOL], FLEET)
    current = _current(
        before, travel0, "R1,AM,Test Cars,taxi,no,A,1", "R1,AM,Test Cars,taxi,no,B,2"
    )
    data, travel = world([replace(pupils[0], max_ride_min=9), pupils[1]], [SCHOOL], FLEET)
    result = replan(data, current, travel=travel, params=PARAMS, price_pence=10_000)
    assert result.broken_routes == frozenset({"R1"})
    assert result.changes and {c.reason for c in result.changes} == {"route_broke"}
    assert result.affected == {}


def test_a_new_pupil_joins_a_route_and_the_pupil_already_on_it_keeps_their_times():
    """N, new, lives 1 km further from school than A on the same road: it joins A's taxi, picked
    up first, and A is picked up and set down when A is today; only A's fellow passenger
    changes."""
    a = pupil("A", (0, 0))
    before, travel0 = world([a], [SCHOOL], FLEET)
    current = _current(before, travel0, "R1,AM,Test Cars,taxi,no,A,1")
    data, travel = world([a, pupil("N", (0, -1))], [SCHOOL], FLEET)
    result = replan(data, current, travel=travel, params=PARAMS, price_pence=10_000)
    assert _vehicles(result.plan) == {"A": "R1", "N": "R1"}
    (change,) = [c for c in result.changes if c.change.pupil_id == "A"]
    assert change.change.changes == ("fellow_passengers",)
    assert result.stability().own_journey_kept == 1 and result.stability().no_change == 0
