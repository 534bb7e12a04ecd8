"""Travel groups that share a stop: sharing a vehicle is transitive, so they become one group.

Pupils at one address going to one school share a request whatever their travel groups. Before
the groups were merged, such a request sat in two same-vehicle groups, and the solver's
regrouping of split groups put it on two routes at once (OR-Tools: "Index N is used multiple
times"; seen at 5,000 pupils, where homes share postcodes).
"""

from __future__ import annotations

from optimiser.domain.entities import Session
from optimiser.planner import plan_dataset
from optimiser.routing.from_dataset import build_session_model
from optimiser.solver.params import SearchParameters
from tests.helpers.worlds import pupil, school, vehicle, world

AM = frozenset({Session.AM})


def _two_groups_sharing_an_address():
    """G1 = P0 (at 0,0) + P1 (at 2,0); G2 = P2 (at 0,0, so bundled with P0) + P3 (at 0,2)."""
    pupils = [
        pupil("P0", (0, 0), group="G1", sessions=AM),
        pupil("P1", (2, 0), group="G1", sessions=AM),
        pupil("P2", (0, 0), group="G2", sessions=AM),
        pupil("P3", (0, 2), group="G2", sessions=AM),
    ]
    schools = [school("S1", (5, 0), am=("08:00", "09:30"))]
    fleet = [vehicle("MPV", (4, 0), seats=6, count=3)]
    return world(pupils, schools, fleet)


def test_groups_with_a_request_in_common_are_merged():
    data, travel = _two_groups_sharing_an_address()
    model = build_session_model(data, travel, Session.AM)
    assert model.problem.check() == []
    groups = model.problem.same_vehicle
    assert len(groups) == 1 and len(groups[0]) == 3  # P0+P2's stop, P1's and P3's
    requests_of = {p for g in groups for i in g for p in model.request_pupils[i]}
    assert requests_of == {"P0", "P1", "P2", "P3"}


def test_overlapping_groups_are_an_inconsistent_problem():
    from dataclasses import replace

    data, travel = _two_groups_sharing_an_address()
    problem = build_session_model(data, travel, Session.AM).problem
    (merged,) = problem.same_vehicle
    split = replace(problem, same_vehicle=(merged[:2], merged[:1] + merged[2:]))
    assert any("merge them" in line for line in split.check())


def test_both_groups_ride_one_vehicle():
    data, travel = _two_groups_sharing_an_address()
    params = SearchParameters(time_limit_s=30, solution_limit=100)
    plan = plan_dataset(data, travel=travel, params=params, workers=1).plan  # validated
    assert not plan.unassigned
    (vehicle_id,) = {r.vehicle_id for r in plan.routes}
    assert vehicle_id
