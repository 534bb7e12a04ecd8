"""Re-timing a fixed route: no child waits on board when the waiting can happen before boarding."""

from __future__ import annotations

import numpy as np

from optimiser.plan.retime import retime
from optimiser.routing.problem import Problem, Request, Vehicle, VehicleRoute, Visit, VisitTime

# Rows: 0 depot, 1 home A, 2 home B, 3 school. Travel 600 s between any two places.
T = np.full((4, 4), 600) - np.diag([600] * 4)
SCHOOL = (9 * 3600, 9 * 3600 + 900)


def _problem(max_ride_s=None):
    requests = tuple(
        Request(
            name,
            pickup=Visit(row, 6 * 3600, 11 * 3600, 60),
            dropoff=Visit(3, *SCHOOL, 60),
            load={"seats": 1},
            max_ride_s=max_ride_s,
        )
        for name, row in (("A", 1), ("B", 2))
    )
    vehicle = Vehicle("v", 0, 0, {"seats": 4}, 0, 1, 6 * 3600, 11 * 3600)
    return Problem("t", T, T * 10, requests, (vehicle,), ("seats",))


def _waiting_route():
    # The search's timetable: A boards at 07:00, B only at 08:30, school at 09:00.
    visits = [
        VisitTime(0, "pickup", 1, 7 * 3600),
        VisitTime(1, "pickup", 2, 8 * 3600 + 1800),
        VisitTime(0, "dropoff", 3, 9 * 3600),
        VisitTime(1, "dropoff", 3, 9 * 3600 + 60),
    ]
    return VehicleRoute(0, 7 * 3600 - 600, visits, 9 * 3600 + 720)


def test_waiting_moves_before_boarding():
    retimed = retime(_problem(), _waiting_route())
    pick_a, pick_b, drop_a, drop_b = (v.start_s for v in retimed.visits)
    assert pick_b - pick_a == 60 + 600  # A boards, then straight to B
    assert drop_a - pick_b == 60 + 600  # and straight to school
    assert SCHOOL[0] <= drop_a <= SCHOOL[1]
    assert retimed.depart_s == pick_a - 600
    assert retimed.return_s == drop_b + 60 + 600


def test_keeps_the_solver_timetable_when_nothing_fits():
    route = _waiting_route()
    # A ride limit nobody can meet: the programme is infeasible, the route is returned unchanged.
    assert retime(_problem(max_ride_s=10), route) is route


def test_closest_timetable_breaks_a_limit_nobody_can_meet_by_as_little_as_possible():
    from optimiser.plan.retime import retime_closest

    route = _waiting_route()
    timed = retime_closest(_problem(max_ride_s=10), route)
    pick_a, pick_b, drop_a, drop_b = (v.start_s for v in timed.visits)
    # the travel and boarding times are kept: a timetable a vehicle can drive
    assert pick_b >= pick_a + 60 + 600 and drop_a >= pick_b + 60 + 600 and drop_b >= drop_a + 60
    assert timed.depart_s <= pick_a - 600 and timed.return_s >= drop_b + 60 + 600
    # no waiting with a child on board, and the school window is kept
    assert pick_b - pick_a == 660 and drop_a - pick_b == 660
    assert SCHOOL[0] <= drop_a <= SCHOOL[1]


def test_closest_timetable_is_the_exact_one_when_every_limit_can_be_kept():
    from optimiser.plan.retime import retime_closest

    exact = retime(_problem(), _waiting_route())
    closest = retime_closest(_problem(), _waiting_route())
    assert [v.start_s for v in closest.visits] == [v.start_s for v in exact.visits]
