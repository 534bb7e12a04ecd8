"""A sibling group no vehicle can carry together travels apart, and the plan says so.

Siblings at one home go to schools 12 km apart whose windows close five minutes after they open:
no vehicle can set both down in time, so the group cannot share one. Rather than leave both at
home, each travels alone, and the plan lists the group as travelling apart with the reason.
"""

from __future__ import annotations

import json
from dataclasses import replace

from optimiser.domain.entities import Session
from optimiser.plan.document import SplitGroup, plan_from_json
from optimiser.planner import plan_dataset
from optimiser.routing.from_dataset import build_session_model
from optimiser.solver.params import SearchParameters
from optimiser.solver.regroup import groups_no_vehicle_carries, release_groups
from optimiser.validate.validator import validate_plan
from tests.helpers.worlds import pupil, school, vehicle, world

PARAMS = SearchParameters(time_limit_s=60, solution_limit=100)
AM = Session.AM


OPPOSITE = (("S1", (6, 0), ("08:30", "08:35")), ("S2", (-6, 0), ("08:30", "08:35")))


def _siblings(schools=OPPOSITE, others=(), taxis=3):
    """Siblings P0 (to S1) and P1 (to S2) at one home, with ``others``, and ``taxis`` taxis; by
    default the schools are 12 km apart with windows five minutes long."""
    pupils = [
        pupil("P0", (0, 0), school="S1", group="G1"),
        pupil("P1", (0, 0), school="S2", group="G1"),
        *others,
    ]
    places = [school(sid, where, am=am) for sid, where, am in schools]
    return world(pupils, places, [vehicle("Taxi", (0, 1), count=taxis)])


def _planned():
    data, travel = _siblings()
    return data, travel, plan_dataset(data, travel=travel, params=PARAMS, workers=1).plan


def test_a_group_no_vehicle_can_carry_together_travels_apart_and_the_plan_says_why():
    _, _, plan = _planned()  # validated
    assert plan.unassigned == []
    assert len({r.vehicle_id for r in plan.routes}) == 2
    (split,) = plan.split_groups
    assert (split.group, split.session) == ("G1", AM)
    assert "P0, P1" in split.reason and "travel apart" in split.reason
    again = plan_from_json(json.loads(plan.dumps()))
    assert again.split_groups == plan.split_groups


def test_a_split_the_plan_does_not_list_is_a_violation():
    data, travel, plan = _planned()
    unlisted = replace(plan, split_groups=[])
    causes = {v.cause for v in validate_plan(data, travel, unlisted)}
    assert causes == {"group"}


def test_a_group_listed_apart_must_be_apart():
    data, travel = world(
        [pupil("P0", (0, 0), group="G1"), pupil("P1", (0, 0), group="G1")],
        [school("S1", (5, 0), am=("08:00", "09:00"))],
        [vehicle("Taxi", (0, 1), count=2)],
    )
    plan = plan_dataset(data, travel=travel, params=PARAMS, workers=1).plan
    assert plan.split_groups == [] and len({r.vehicle_id for r in plan.routes}) == 1
    claimed = replace(plan, split_groups=[SplitGroup("G1", AM, "said to travel apart")])
    messages = [v.message for v in validate_plan(data, travel, claimed) if v.cause == "group"]
    assert messages == ["group G1 is listed as travelling apart in AM but shares a vehicle"]


def test_a_group_carried_apart_shares_routes_with_other_pupils():
    """With two taxis and four pupils, the siblings can only travel if each shares a taxi with a
    neighbour going to the same school. The search is given the group apart (no vehicle can
    carry it together), so both siblings ride; before, it left the group out whole and no taxi
    was idle to carry them alone."""
    neighbours = (pupil("P2", (0.5, 0), school="S1"), pupil("P3", (-0.5, 0), school="S2"))
    data, travel = _siblings(others=neighbours, taxis=2)
    plan = plan_dataset(data, travel=travel, params=PARAMS, workers=1).plan  # validated
    assert plan.unassigned == []
    riders = sorted(sorted(r.pupil_ids) for r in plan.routes)
    assert riders == [["P0", "P2"], ["P1", "P3"]]
    assert [(s.group, s.session) for s in plan.split_groups] == [("G1", AM)]


def test_only_groups_no_vehicle_can_carry_together_are_given_apart():
    second = (
        pupil("P2", (2, 0), school="S1", group="G2"),
        pupil("P3", (2.5, 0), school="S1", group="G2"),
    )
    data, travel = _siblings(others=second, taxis=4)
    model = build_session_model(data, travel, AM)
    unfit = groups_no_vehicle_carries(model.problem)
    groups = [
        sorted(p for i in model.problem.same_vehicle[g] for p in model.request_pupils[i])
        for g in unfit
    ]
    assert groups == [["P0", "P1"]]
    released = release_groups(model.problem)
    assert len(model.problem.same_vehicle) == 2 and len(released.same_vehicle) == 1
    kept = {p for g in released.same_vehicle for i in g for p in model.request_pupils[i]}
    assert "P0" not in kept and "P1" not in kept


def test_a_group_given_apart_may_ride_one_vehicle_at_different_stops_and_the_plan_says_so():
    """Riding together, the younger sibling's trip past the far school breaks its ride limit, and
    the far school's window closes before the near one opens: no vehicle can carry both from one
    stop. One taxi can still carry both, coming back for the second; the plan lists the group as
    travelling apart, since they do not board together (seen at 5,000 pupils)."""
    schools = (("S1", (4, 0), ("08:00", "08:10")), ("S2", (-1, 0), ("08:30", "08:40")))
    data, travel = _siblings(schools, taxis=1)
    plan = plan_dataset(data, travel=travel, params=PARAMS, workers=1).plan  # validated
    assert plan.unassigned == []
    (route,) = plan.routes
    boarding = [s.pupil_ids for s in route.stops if s.type == "pickup"]
    assert boarding == [("P0",), ("P1",)]
    (split,) = plan.split_groups
    assert f"board {route.vehicle_id} at different stops" in split.reason
    together = replace(plan, split_groups=[])
    assert {v.cause for v in validate_plan(data, travel, together)} == {"group"}
