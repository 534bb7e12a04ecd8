"""Splitting a large session: every pupil in exactly one part, groups kept whole, fleet shared."""

from __future__ import annotations

from optimiser.domain.entities import Session
from optimiser.planner import plan_dataset
from optimiser.routing.decompose import proportional_shares, split_session
from optimiser.solver.params import SearchParameters
from tests.helpers.worlds import pupil, school, vehicle, world


def _day(n: int):
    pupils = [
        pupil(
            f"P{i:02d}",
            ((i % 7) - 3, (i // 7) - 2),
            school="S1" if i % 3 else "S2",
            group="G1" if i in (4, 5, 6) else None,
        )
        for i in range(n)
    ]
    schools = [school("S1", (0, 0)), school("S2", (3, 1), am=("09:00", "09:15"))]
    fleet = [vehicle("Taxi", (1, 1), count=7), vehicle("WAV", (0, 2), chairs=1, count=1)]
    return world(pupils, schools, fleet)


def test_parts_cover_every_pupil_once_and_share_the_fleet():
    data, _ = _day(20)
    parts = split_session(data, Session.AM, max_pupils=6)
    assert len(parts) >= 3
    ids = [p.pupil_id for part in parts for p in part.pupils]
    assert sorted(ids) == sorted(p.pupil_id for p in data.pupils)
    holding_group = [k for k, part in enumerate(parts) if any(p.group == "G1" for p in part.pupils)]
    assert len(holding_group) == 1
    for row in range(len(data.fleet)):
        assert sum(part.fleet[row].count for part in parts) <= data.fleet[row].count


def test_small_session_is_not_split():
    data, _ = _day(5)
    assert split_session(data, Session.AM, max_pupils=6) == [data]


def test_shares_never_exceed_the_count():
    assert proportional_shares(7, [3, 3, 3]) == [3, 2, 2]
    assert sum(proportional_shares(1, [5, 5])) == 1
    assert proportional_shares(4, [0, 0]) == [0, 0]


def test_split_plan_validates():
    data, travel = _day(14)
    params = SearchParameters(time_limit_s=30, solution_limit=100)
    result = plan_dataset(
        data, travel=travel, params=params, workers=1, max_pupils=5, decomposition="fixed-share"
    )
    assert len(result.solutions[Session.AM]) == 3
    carried = sorted(pid for r in result.plan.routes for pid in r.pupil_ids)
    unplaced = sorted(u.pupil_id for u in result.plan.unassigned)
    assert sorted(carried + unplaced) == sorted(p.pupil_id for p in data.pupils)
    assert len({r.route_id for r in result.plan.routes}) == len(result.plan.routes)
