"""Property: on any small random day, the planner's plan passes the independent validator,
covers every journey (carried once or listed with a reason), and a solution-limited search is
reproducible."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimiser.domain.entities import Session
from optimiser.planner import plan_dataset
from optimiser.solver.params import SearchParameters
from optimiser.validate.validator import validate_plan
from tests.helpers.worlds import pupil, school, vehicle, world

PARAMS = SearchParameters(time_limit_s=30, solution_limit=60)
SESSIONS = [frozenset({Session.AM}), frozenset({Session.PM}), frozenset({Session.AM, Session.PM})]


@st.composite
def days(draw):
    n = draw(st.integers(min_value=1, max_value=7))
    ids = [f"P{i}" for i in range(n)]
    pupils = []
    for pid in ids:
        others = [o for o in ids if o != pid]
        pupils.append(
            pupil(
                pid,
                (draw(st.floats(-8, 8)), draw(st.floats(-8, 8))),
                school=draw(st.sampled_from(["S1", "S2"])),
                age=draw(st.integers(4, 18)),
                sessions=draw(st.sampled_from(SESSIONS)),
                wheelchair=draw(st.booleans()),
                passenger_assistant=draw(st.booleans()),
                solo=draw(st.integers(0, 9)) == 0,
                max_ride_min=draw(st.one_of(st.none(), st.integers(10, 60))),
                group=draw(st.sampled_from([None, None, None, "G1"])),
                not_with=tuple(draw(st.lists(st.sampled_from(others), max_size=1)))
                if others
                else (),
            )
        )
    schools = [
        school("S1", (0, 0)),
        school("S2", (4, 3), am=("09:00", "09:15"), pm=("15:15", "15:30")),
    ]
    fleet = [
        vehicle("Taxi", (1, 1), count=draw(st.integers(1, 4))),
        vehicle(
            "WAV",
            (-1, 2),
            seats=4,
            chairs=draw(st.integers(1, 2)),
            count=draw(st.integers(1, 2)),
            per_session=30,
        ),
    ]
    return world(pupils, schools, fleet)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(days())
def test_every_plan_validates_and_covers_every_journey(day):
    data, travel = day
    plan = plan_dataset(data, travel=travel, params=PARAMS, workers=1).plan
    assert validate_plan(data, travel, plan) == []
    for session in Session:
        carried = [pid for r in plan.routes_in(session) for pid in r.pupil_ids]
        unplaced = [u.pupil_id for u in plan.unassigned if u.session is session]
        assert all(u.reason for u in plan.unassigned)
        expected = sorted(p.pupil_id for p in data.pupils_in(session))
        assert sorted(carried + unplaced) == expected


def test_solution_limited_search_is_reproducible():
    pupils = [
        pupil(f"P{i}", (i * 1.3 - 4, (i * 7) % 5 - 2), school="S1" if i % 2 else "S2")
        for i in range(8)
    ]
    schools = [school("S1", (0, 0)), school("S2", (4, 3), am=("09:00", "09:15"))]
    data, travel = world(pupils, schools, [vehicle("Taxi", (1, 1), count=4)])
    one = plan_dataset(data, travel=travel, params=PARAMS, workers=1).plan
    two = plan_dataset(data, travel=travel, params=PARAMS, workers=1).plan
    assert [r.to_json() for r in one.routes] == [r.to_json() for r in two.routes]
