"""The re-plan example's count of changes no plan can spare: fellow passengers who leave."""

from __future__ import annotations

from benchmarks.replan_example import forced_only, riding_with
from optimiser.domain.entities import Session
from optimiser.plan.changes import compare_by_pupil
from optimiser.plan.document import Plan, Route, Stop, StopType


def _route(rid: str, *pupils: str, start: int = 28_800) -> Route:
    """A morning route picking ``pupils`` up in turn, a minute apart, and setting all down."""
    stops = [Stop(StopType.DEPOT, 50.70, -1.30, depart=start - 600)]
    for k, pid in enumerate(pupils):
        t = start + 60 * k
        stops.append(Stop(StopType.PICKUP, 50.70 + k / 100, -1.30, t, t, (pid,)))
    end = start + 60 * len(pupils) + 600
    stops.append(Stop(StopType.DROPOFF, 50.69, -1.29, end, end, tuple(pupils), "S1"))
    return Route(rid, Session.AM, rid, "taxi", "Cars", False, stops)


def _plan(*routes: Route) -> Plan:
    return Plan(dataset="d", routes=list(routes))


def test_only_a_leaver_gone_is_a_forced_change_and_a_joiner_is_not():
    before = _plan(_route("A", "P1", "P2", "L1"), _route("B", "P3", "P4"))
    # L1 leaves A; N1 joins B after its last pick-up, so nobody's times move.
    after = _plan(_route("A", "P1", "P2"), _route("B", "P3", "P4", "N1"))
    changes = {c.pupil_id: c for c in compare_by_pupil(before, after).changes}
    gone = {"L1"}
    assert forced_only(changes["P1"], gone) and forced_only(changes["P2"], gone)
    assert not forced_only(changes["P3"], gone)  # a new fellow passenger: the plan's choice
    assert not forced_only(changes["P1"], set())  # L1 did not leave: the plan moved them apart


def test_the_floor_counts_pupils_on_board_with_a_pupil_who_goes():
    current = _plan(_route("A", "P1", "P2", "L1"), _route("B", "P3", "P4"))
    assert riding_with(current, {"P1", "P2", "P3", "P4"}, {"L1"}) == {"P1", "P2"}
    assert riding_with(current, {"P1", "P3"}, {"L1"}) == {"P1"}
    assert riding_with(current, {"P1", "P2"}, set()) == set()
