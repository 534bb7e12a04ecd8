"""One model of progress: named phases in order, a fraction that never falls, money without the
placement penalty, and the journeys not yet placed."""

from __future__ import annotations

from optimiser.domain.entities import Session
from optimiser.planner import plan_dataset
from optimiser.routing.from_dataset import PENALTY
from optimiser.solver.params import SearchParameters
from optimiser.solver.progress import PHASES, ProgressEvent, ProgressTracker
from tests.helpers.worlds import pupil, school, vehicle, world

BOTH = frozenset({Session.AM, Session.PM})


def _short_of_seats():
    """Six pupils both ways and one four-seat car: two journeys each way cannot be placed."""
    pupils = [pupil(f"P{k}", (k - 2.5, 20), sessions=BOTH) for k in range(6)]
    return world(pupils, [school("S1", (0, 0))], [vehicle("Car", (0, 4), seats=4, count=1)])


def _events(workers: int) -> list[ProgressEvent]:
    data, travel = _short_of_seats()
    events: list[ProgressEvent] = []
    params = SearchParameters(time_limit_s=5, solution_limit=5)
    plan_dataset(data, travel=travel, params=params, workers=workers, progress=events.append)
    return events


def _check_stream(events: list[ProgressEvent]) -> None:
    fractions = [e.fraction for e in events]
    assert all(f is not None for f in fractions)
    assert fractions == sorted(fractions), fractions  # the bar never goes backwards
    assert events[-1].fraction == 1.0 and events[-1].phase == "done"
    assert all(f < 1.0 for f in fractions[:-1])
    phases = [PHASES.index(e.phase) for e in events]
    assert phases == sorted(phases)
    assert {"model", "first routes", "checking"} <= {e.phase for e in events}
    found = [e for e in events if e.problem]
    assert found, "the searches reported their plans"
    for event in found:
        # the solver's objective includes a penalty per journey left out; the money never does
        assert event.objective >= 2 * PENALTY
        assert 0 < event.cost < PENALTY
        assert event.unplaced >= 2 and not event.dropped
        assert event.session in ("AM", "PM")
    for event in events:
        assert event.total_cost is None or 0 < event.total_cost < PENALTY
        assert event.estimate_s is not None and event.estimate_s >= event.wall_s
    # at the end: two journeys not placed each way, the money of both sessions' routes
    assert events[-1].total_unplaced == 4
    assert events[-1].total_cost is not None and events[-1].total_cost > max(e.cost for e in found)


def test_a_real_solve_reports_a_monotonic_bar_and_money_without_penalties():
    _check_stream(_events(workers=1))


def test_sessions_solved_side_by_side_report_one_stream():
    _check_stream(_events(workers=2))


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _found(session: str, unplaced: int, cost: int, phase: str = "improving") -> ProgressEvent:
    return ProgressEvent(
        f"day-{session}",
        1,
        cost + unplaced * PENALTY,
        0.0,
        0.0,
        session,
        unplaced * PENALTY,
        unplaced,
        phase=phase,
    )


def test_the_tracker_keeps_each_problems_best_and_counts_unsearched_journeys():
    clock = _Clock()
    seen: list[ProgressEvent] = []
    tracker = ProgressTracker(seen.append, clock)
    tracker.expect("AM", "day-AM", 10)
    tracker.expect("PM", "day-PM", 8)
    tracker.enter("model")
    assert seen[-1].total_unplaced == 18 and seen[-1].total_cost is None
    tracker(_found("AM", 3, 5_000, "first routes"))
    assert (seen[-1].total_unplaced, seen[-1].total_cost) == (3 + 8, 5_000)
    tracker(_found("AM", 3, 6_000))  # a worse plan of the same problem is not the best
    tracker(_found("PM", 0, 7_000, "first routes"))  # PM's first plan: the phase stays
    assert seen[-1].phase == "improving"
    assert (seen[-1].total_unplaced, seen[-1].total_cost) == (3, 12_000)


def test_the_estimate_comes_from_the_budgets_and_grows_when_a_phase_overruns():
    clock = _Clock()
    seen: list[ProgressEvent] = []
    tracker = ProgressTracker(seen.append, clock)
    for phase, seconds in [("load", 1), ("roads", 4), ("model", 1), ("first routes", 2)]:
        tracker.budget(phase, seconds)
    tracker.budget("improving", 18)
    tracker.budget("checking", 2)
    tracker.budget("writing", 2)
    tracker.enter("roads")
    assert seen[-1].estimate_s == 4 + 1 + 2 + 18 + 2 + 2  # loading took no time
    clock.now += 10.0  # the roads take 10 s, not 4
    tracker.tick()
    assert seen[-1].estimate_s == 10 + 1 + 1 + 2 + 18 + 2 + 2  # now + 10% of the overrun + rest
    before = seen[-1].fraction
    tracker.enter("model")
    clock.now += 0.5
    tracker.enter("first routes")
    clock.now += 1.0  # a first plan in 1 s of the 2 expected: the search keeps the other 1 s
    tracker(_found("AM", 0, 1_000, "first routes"))
    tracker(_found("AM", 0, 900, "improving"))
    assert seen[-1].estimate_s == 11.5 + 19 + 2 + 2
    assert seen[-1].fraction >= before
    tracker.finish()
    assert seen[-1].fraction == 1.0 and seen[-1].phase == "done"


def test_a_decomposed_session_reports_first_routes_then_rounds_without_penalties():
    from optimiser.solver.decomposition import DecompositionParameters
    from tests.helpers.worlds import ring_of_pupils

    data, travel = ring_of_pupils(18)
    events: list[ProgressEvent] = []
    plan_dataset(
        data,
        travel=travel,
        params=SearchParameters(time_limit_s=60, solution_limit=20),
        workers=1,
        max_pupils=7,  # 18 pupils: one model over the whole fleet, solved by decomposition
        decomposition_params=DecompositionParameters(
            rounds=2, subproblem_requests=6, subproblem_time_s=30
        ),
        progress=events.append,
    )
    found = [e for e in events if e.problem]
    assert [e.problem for e in found] == ["AM (whole session)"] * 3  # construction, two rounds
    assert found[0].phase == "first routes" and found[-1].phase == "improving"
    assert all(0 < e.cost < PENALTY and e.total_cost == e.cost for e in found)
    assert events[-1].total_unplaced == 0
    fractions = [e.fraction for e in events]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_the_cost_reported_is_what_the_plan_costs_with_ride_time_priced():
    """The price of ride time is charged in the model as soft bounds whose sum carries a constant
    (a day's seconds per request); the cost a search reports leaves it out: the best plan's
    reported cost is its money plus its ride minutes at their price, as ``plan_cost`` counts."""
    from optimiser.routing.from_dataset import build_session_model
    from optimiser.routing.subproblem import placement_penalty, plan_cost
    from optimiser.solver.solve import solve

    data, travel = _short_of_seats()
    model = build_session_model(data, travel, Session.AM)
    assert model.problem.ride_cost_per_s > 0  # the default price of a ride minute
    events: list[ProgressEvent] = []
    solution = solve(
        model.problem, SearchParameters(time_limit_s=5, solution_limit=5), events.append
    )
    vehicle_of = {v.request: r.vehicle for r in solution.routes for v in r.visits}
    money = plan_cost(model.problem, solution.routes, solution.dropped)
    money -= placement_penalty(model.problem, vehicle_of)
    assert min(e.cost for e in events) == money
    assert money < 1000 * 100 * 100  # under £100 a day for one car: no day of seconds in it
