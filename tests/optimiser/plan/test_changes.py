"""Two plans compared pupil by pupil: routes matched by the pupils they carry, not their ids."""

from __future__ import annotations

import gzip
import json
from copy import deepcopy
from dataclasses import replace

import pytest

from optimiser.domain.entities import Session
from optimiser.plan.changes import compare_by_pupil, match_routes, route_journeys
from optimiser.plan.document import Plan, Route, Stop, StopType, plan_from_json
from tests.helpers.paths import TESTS


@pytest.fixture(scope="module")
def sample() -> Plan:
    raw = gzip.decompress((TESTS / "data" / "sample_plan.json.gz").read_bytes())
    return plan_from_json(json.loads(raw))


def renumbered(plan: Plan) -> Plan:
    """The same routes with every route and vehicle id changed, in another order (a new solve)."""
    out = deepcopy(plan)
    out.routes.reverse()
    for n, route in enumerate(out.routes, start=1):
        route.route_id, route.vehicle_id = f"{route.session}-{n:03d}x", f"{route.session}-V{n}x"
    return out


def test_renumbered_routes_change_nothing_for_any_pupil(sample):
    result = compare_by_pupil(sample, renumbered(sample))
    assert result.pupils_affected == 0 and result.changes == []
    assert result.routes_unchanged == len(sample.routes) and result.routes_changed == 0
    assert result.routes_new == () and result.routes_withdrawn == ()
    assert result.journeys == sum(len(r.pupil_ids) for r in sample.routes)
    assert "Pupils affected: 0 of" in result.text()


def _moved(plan: Plan) -> tuple[Plan, str, set[str]]:
    """``plan`` renumbered, with one pupil taken off a shared AM route onto a new route of their
    own at the same times; returns the plan, the pupil and their fellow passengers before."""
    out = renumbered(plan)
    route = next(
        r
        for r in out.routes
        if r.session is Session.AM
        and len(r.pupil_ids) > 2
        and any(s.type is StopType.PICKUP and len(s.pupil_ids) == 1 for s in r.stops)
    )
    pid = next(
        s.pupil_ids[0] for s in route.stops if s.type is StopType.PICKUP and len(s.pupil_ids) == 1
    )
    fellows = set(route_journeys(route)[pid].fellow_passengers)
    mine = [
        replace(s, pupil_ids=(pid,))
        for s in route.stops
        if pid in s.pupil_ids or s.type is StopType.DEPOT
    ]
    route.stops = [
        replace(s, pupil_ids=tuple(p for p in s.pupil_ids if p != pid))
        for s in route.stops
        if s.pupil_ids != (pid,)
    ]
    out.routes.append(
        Route("AM-NEW", Session.AM, "AM-VNEW", route.vehicle_type, route.operator, False, mine)
    )
    return out, pid, fellows


def test_a_pupil_moved_is_reported_with_the_fellow_passengers_it_leaves(sample):
    moved, pid, fellows = _moved(sample)
    result = compare_by_pupil(sample, moved)
    by_pupil = {c.pupil_id: c for c in result.changes}
    assert set(by_pupil) == {pid, *fellows}
    assert result.pupils_affected == 1 + len(fellows)
    change = by_pupil[pid]
    assert "route" in change.changes and "fellow_passengers" in change.changes
    assert change.after is not None and change.after.route_id == "AM-NEW"
    assert set(change.left) == fellows and change.joined == ()
    assert change.pickup_shift_min == 0.0  # same times: no time change reported
    for other in fellows:
        assert by_pupil[other].changes == ("fellow_passengers",)
        assert by_pupil[other].left == (pid,)
    assert result.routes_new == ("AM-NEW",) and result.routes_changed == 1
    rows = result.csv_text().splitlines()
    assert len(rows) == 1 + len(result.changes)
    assert f"{pid},AM,route;" in result.csv_text()


def test_times_moved_are_reported_in_minutes_earlier_or_later(sample):
    later = renumbered(sample)
    route = next(r for r in later.routes if r.session is Session.PM)
    route.stops = [
        replace(
            s,
            arrive=None if s.arrive is None else s.arrive + 300,
            depart=None if s.depart is None else s.depart + 300,
        )
        for s in route.stops
    ]
    result = compare_by_pupil(sample, later)
    assert {c.pupil_id for c in result.changes} == set(route.pupil_ids)
    for change in result.changes:
        assert change.changes == ("pickup_time", "dropoff_time")
        assert change.pickup_shift_min == 5.0 and change.ride_change_min == 0.0
        assert "(5 min later)" in change.describe()
    # within the tolerance, nothing changes
    assert compare_by_pupil(sample, later, tolerance_s=300).changes == []


def test_journeys_carried_in_one_plan_only():
    stop = Stop(StopType.DEPOT, 50.7, -1.3, 28_000, 28_000)
    run = [
        stop,
        Stop(StopType.PICKUP, 50.71, -1.3, 28_500, 28_560, ("P1",)),
        Stop(StopType.DROPOFF, 50.72, -1.3, 29_500, 29_560, ("P1",), "S1"),
        stop,
    ]
    one = Plan("x", [Route("AM-1", Session.AM, "V1", "taxi", "Cars", False, run)])
    none = Plan("x", [])
    assert [c.changes for c in compare_by_pupil(none, one).changes] == [("now_carried",)]
    gone = compare_by_pupil(one, none)
    assert [c.changes for c in gone.changes] == [("no_longer_carried",)]
    assert gone.routes_withdrawn == ("AM-1",)
    assert "no longer carried (was on AM-1)" in gone.text()


def test_routes_are_matched_by_most_pupils_shared(sample):
    assert match_routes(sample, renumbered(sample)) == {
        r.route_id: f"{r.session}-{len(sample.routes) - k:03d}x"
        for k, r in enumerate(sample.routes)
    }
