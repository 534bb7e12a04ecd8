"""Planning a whole day: build each session's problem, solve them side by side, assemble the plan,
place alone any journey left out that an idle vehicle can carry, explain every journey still left
out, and check the plan with the independent validator.
"""

from __future__ import annotations

import logging
import multiprocessing
import queue
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial

from optimiser.domain.entities import Dataset, Pupil, Session
from optimiser.domain.errors import SendRoutesError
from optimiser.domain.rules import can_carry, route_cost_pence
from optimiser.plan.document import Plan, Route, Stop, StopType
from optimiser.plan.retime import retime
from optimiser.plan.totals import summarise
from optimiser.plan.twins import link_twins
from optimiser.plan.unplaced import explain_unplaced, place_solo, split_groups
from optimiser.roads.travel import TravelData, build_travel, home_key, school_key
from optimiser.routing.continuity import priced_twins, stay_paid
from optimiser.routing.decompose import (
    MAX_PUPILS_PER_PART,
    request_parts,
    request_positions,
    split_session,
)
from optimiser.routing.from_dataset import SessionModel, VehicleSlot, build_session_model
from optimiser.routing.problem import Problem, Solution, VehicleRoute, VisitKind, VisitTime
from optimiser.solver.both_ways import changes, linked_twins, twin_vehicles
from optimiser.solver.decomposition import DecompositionParameters, solve_by_decomposition
from optimiser.solver.executor import Executor, make_executor
from optimiser.solver.model import InitialPlan
from optimiser.solver.params import MIN_SEARCH_S, SearchParameters
from optimiser.solver.progress import (
    FIRST_ROUTES,
    IMPROVING,
    Progress,
    ProgressEvent,
    ProgressTracker,
)
from optimiser.solver.recombine import money, recombine, value
from optimiser.solver.regroup import release_groups
from optimiser.solver.solve import solve
from optimiser.validate.validator import Violation, validate_plan

log = logging.getLogger(__name__)

ProgressFn = Callable[[ProgressEvent], None]
# Expected seconds of the phases around the search, per journey, with a floor: first guesses
# only (the search's own time comes from its time limits), and the tracker's estimate follows
# each phase's real time once it has run over.
MODEL_S_PER_JOURNEY, CHECKING_S_PER_JOURNEY, PHASE_FLOOR_S = 0.002, 0.01, 0.5
# The share of a search's time limit expected for its first routes, at least.
FIRST_ROUTES_SHARE = 0.1
# A first plan is built whatever the time limit, and insertion takes longer the more journeys
# there are: seconds per journey squared (a session of about 480 journeys of the sample took
# 70 to 100 s before its first plan), a first guess the tracker corrects as it runs over.
FIRST_S_PER_JOURNEY_SQUARED = 80 / 480**2
# Offer the solver every vehicle of the fleet: a decomposed session's subproblems take only the
# vehicles they use and a few spare ones, so a long list costs the search nothing.
WHOLE_FLEET = 1e9
# With a price per change: how many turns re-plan one session with the other's routes in view,
# and the share of the session's search time each turn takes. A turn builds its first plan
# afresh, which takes most of 120 s on the sample (see FIRST_S_PER_JOURNEY_SQUARED); at one and a
# half times the limit its search has time to improve it (sample, the same run's sessions alone
# as the reference: 70% same vehicle at +1.5% per placed journey, against 73% at +3.5% with
# turns of the limit; benchmarks/README.md).
CONTINUITY_ROUNDS, CONTINUITY_SHARE = 2, 1.5
# Then both sessions of the better pair searched on from their routes, priced on the twins the plan
# links, for this share of their time (sample, against the same run's sessions alone: 73.6% same
# vehicle at +1.6% per placed journey, where the turns alone gave about 70% at +1.5%).
CONTINUITY_POLISH_SHARE = 1.0
# Then the routes of every pair found are combined into the best pair (a 0-1 programme over the
# routes, optimiser.solver.recombine), for this share of a session's time limit.
RECOMBINE_SHARE = 0.25
RECOMBINE_LEFT_OUT = 10**10  # millipence: a journey left out weighs more than any route
# The figures of the sessions planned on their own that a plan made in turns records in its
# summary (``planned_alone``).
ALONE_FIGURES = ("cost_per_day", "cost_per_year", "placed", "same_vehicle_both_ways")


class InvalidPlanError(SendRoutesError):
    """The optimiser produced a plan the validator rejects: a defect, never shown as a plan."""

    def __init__(self, violations: list[Violation]) -> None:
        self.violations = violations
        lines = "\n".join(f"  - [{v.cause}] {v.message}" for v in violations[:50])
        super().__init__(f"the plan failed validation with {len(violations)} violations:\n{lines}")


@dataclass
class PlanResult:
    plan: Plan
    travel: TravelData
    solutions: dict[Session, list[Solution]] = field(default_factory=dict)  # one per part
    wall_s: float = 0.0
    # Where the sessions were planned again with each other in view (a price per change): the
    # validated plan of the sessions planned on their own, from the same run, to tell what the
    # same crew both ways costs.
    alone: Plan | None = None


_progress_queue: multiprocessing.Queue | None = None


def session_model(
    dataset: Dataset, travel: TravelData, session: Session, *, offer_boost: float = 1.0
) -> SessionModel:
    """One session as a routing problem for the solver, its sibling groups that no vehicle can
    carry together let go (:func:`~optimiser.solver.regroup.release_groups`): the plan lists
    them as travelling apart."""
    model = build_session_model(dataset, travel, session, offer_boost=offer_boost)
    return replace(model, problem=release_groups(model.problem))


def _init_worker(progress_queue: multiprocessing.Queue) -> None:
    global _progress_queue
    _progress_queue = progress_queue


def _solve_in_worker(
    model: SessionModel, params: SearchParameters, initial: InitialPlan | None = None
) -> Solution:
    def report(event: ProgressEvent) -> None:
        if _progress_queue is not None:
            _progress_queue.put(_as_journeys(model, event))

    return solve(model.problem, params, report, initial)


def _as_journeys(
    model: SessionModel, event: ProgressEvent, key: str | None = None
) -> ProgressEvent:
    """A solver's event of ``model`` with its session, its requests left out counted as journeys
    (one per pupil), and the problem named ``key`` (default: the model's problem), so that every
    search of one part of the day reports as one."""
    return replace(
        event,
        session=str(model.session),
        problem=key or model.problem.name,
        unplaced=sum(len(model.request_pupils[i]) for i in event.dropped),
        dropped=(),
    )


def _reporter(tracker: ProgressTracker, model: SessionModel, key: str | None = None) -> Progress:
    """Where a search of ``model`` reports: the tracker, in journeys."""
    return lambda event: tracker(_as_journeys(model, event, key))


def _solve_all(
    models: list[SessionModel],
    params: list[SearchParameters],
    workers: int,
    tracker: ProgressTracker,
    initials: list[InitialPlan | None] | None = None,
) -> list[Solution]:
    """Solve the models, side by side in worker processes when there are several, each from its
    initial plan where one is given."""
    starts = initials or [None] * len(models)
    if workers <= 1 or len(models) == 1:
        return [
            solve(m.problem, p, _reporter(tracker, m), i)
            for m, p, i in zip(models, params, starts, strict=True)
        ]
    context = multiprocessing.get_context("fork")
    events = context.Queue()
    with ProcessPoolExecutor(
        max_workers=min(workers, len(models)),
        mp_context=context,
        initializer=_init_worker,
        initargs=(events,),
    ) as pool:
        futures = [
            pool.submit(_solve_in_worker, m, p, i)
            for m, p, i in zip(models, params, starts, strict=True)
        ]
        while not all(f.done() for f in futures):
            try:
                event = events.get(timeout=0.2)
            except queue.Empty:
                tracker.tick()
                continue
            tracker(event)
        while True:  # what the workers reported as they finished
            try:
                tracker(events.get_nowait())
            except queue.Empty:
                break
        return [f.result() for f in futures]


def _stops(
    model: SessionModel,
    route: VehicleRoute,
    dataset: Dataset,
    travel: TravelData,
    depot: tuple[float, float],
) -> list[Stop]:
    session = model.session
    stops = [Stop(StopType.DEPOT, depot[0], depot[1], depart=route.depart_s)]
    for visit in route.visits:
        pupil_ids = model.request_pupils[visit.request]
        lead = dataset.pupil(pupil_ids[0])
        at_home = (visit.kind == VisitKind.PICKUP) == (session is Session.AM)
        key = home_key(lead, session) if at_home else school_key(lead.school_id)
        place = travel.location[key]
        service = (
            model.problem.requests[visit.request]
            .visits[0 if visit.kind == VisitKind.PICKUP else -1]
            .service_s
        )
        school_id = None if at_home else lead.school_id
        last = stops[-1]
        if (
            last.type == visit.kind
            and (last.lat, last.lon) == (place.lat, place.lon)
            and last.school_id == school_id
        ):
            last.pupil_ids = (*last.pupil_ids, *pupil_ids)
            last.depart = max(last.depart or 0, visit.start_s + service)
            continue
        stops.append(
            Stop(
                StopType(visit.kind),
                place.lat,
                place.lon,
                visit.start_s,
                visit.start_s + service,
                tuple(pupil_ids),
                school_id,
            )
        )
    stops.append(Stop(StopType.DEPOT, depot[0], depot[1], arrive=route.return_s))
    return stops


#: Pupils' times to keep where a route has room: (session, pupil id) -> (when the vehicle leaves
#: their pick-up stop, when it arrives at their set-down stop), say the routes run today.
KeptTimes = dict[tuple[Session, str], tuple[int | None, int | None]]
KEEP_TIME_BAND_S = 30  # a kept time may move this far either way at no cost


def _kept_targets(
    model: SessionModel, route: VehicleRoute, kept: KeptTimes
) -> dict[int, tuple[int, int]]:
    """The visits of a route whose pupils have times to keep, as targets of the re-timing."""
    out = {}
    for position, visit in enumerate(route.visits):
        request = model.problem.requests[visit.request]
        for pid in model.request_pupils[visit.request]:
            leave, arrive = kept.get((model.session, pid), (None, None))
            if visit.kind == VisitKind.PICKUP and leave is not None:
                at = leave - request.visits[0].service_s
            elif visit.kind == VisitKind.DROPOFF and arrive is not None:
                at = arrive
            else:
                continue
            out[position] = (at - KEEP_TIME_BAND_S, at + KEEP_TIME_BAND_S)
            break
    return out


def _routes(
    model: SessionModel,
    solution: Solution,
    dataset: Dataset,
    travel: TravelData,
    kept: KeptTimes | None = None,
) -> list[Route]:
    routes = []
    settings = dataset.settings
    # A kept time weighs as the re-plan's price of a minute moved against the price of a ride
    # minute (a minute moved outweighs ten minutes on board at the defaults).
    weight = settings.replan_per_minute_moved_pence / max(
        settings.ride_time_weight_pence_per_min, 0.01
    )
    for n, vr in enumerate(sorted(solution.routes, key=lambda r: (r.depart_s, r.vehicle)), start=1):
        if kept:
            vr = retime(model.problem, vr, _kept_targets(model, vr, kept), weight)
        else:
            vr = retime(model.problem, vr)
        slot = model.slots[vr.vehicle]
        vt = dataset.vehicle_type(slot.fleet_key)
        stops = _stops(model, vr, dataset, travel, (vt.depot.lat, vt.depot.lon))
        rows = [
            model.problem.vehicles[vr.vehicle].start_row,
            *(v.row for v in vr.visits),
            model.problem.vehicles[vr.vehicle].end_row,
        ]
        metres = int(sum(travel.distance_m[a, b] for a, b in zip(rows, rows[1:], strict=False)))
        session = model.session
        # Leave the depot just in time for the first stop and drive straight back after the
        # last: the solver may leave waiting time at either end, which no driver wants.
        times = travel.times(session)
        stops[0].depart = stops[1].arrive - int(times[rows[0], rows[1]])  # type: ignore[operator]
        stops[-1].arrive = stops[-2].depart + int(times[rows[-2], rows[-1]])  # type: ignore[operator]
        routes.append(
            Route(
                route_id=f"{session}-{n:03d}",
                session=session,
                vehicle_id=f"{session}-V{n:03d}",
                vehicle_type=vt.vehicle_type,
                operator=vt.operator,
                passenger_assistant=slot.passenger_assistant,
                stops=stops,
                distance_km=round(metres / 1000, 3),
                duration_min=round((stops[-1].arrive - stops[0].depart) / 60, 1),
                cost_pence=route_cost_pence(vt, metres, slot.passenger_assistant, dataset),
            )
        )
    return routes


def _short_of_vehicles(model: SessionModel, solution: Solution, part: Dataset) -> bool:
    """Whether a request was left out while every vehicle offered of a fleet row that could carry
    it was in use, and that row has more vehicles than the solver was offered."""
    used = Counter(model.slots[r.vehicle] for r in solution.routes)
    offered = Counter(model.slots)
    for i in solution.dropped:
        bundle = [part.pupil(pid) for pid in model.request_pupils[i]]
        assistant = (True,) if any(p.passenger_assistant for p in bundle) else (False, True)
        for vt in part.fleet:
            if all(can_carry(vt, p) for p in bundle):
                for slot in (VehicleSlot(vt.key, pa) for pa in assistant):
                    if used[slot] >= offered[slot] and offered[slot] < vt.count:
                        return True
    return False


def _retry_with_more_vehicles(
    model: SessionModel,
    solution: Solution,
    part: Dataset,
    travel: TravelData,
    params: SearchParameters,
    tracker: ProgressTracker,
) -> tuple[SessionModel, Solution]:
    """Search again with twice the vehicles offered, starting from the plan found; keep the better.

    The same part gives the same requests in the same order, and vehicles keep their ids, so the
    plan found carries straight over.
    """
    bigger = session_model(part, travel, model.session, offer_boost=2.0)
    index = {v.vehicle_id: k for k, v in enumerate(bigger.problem.vehicles)}
    initial: list[list[tuple[int, str]]] = [[] for _ in bigger.problem.vehicles]
    for route in solution.routes:
        k = index[model.problem.vehicles[route.vehicle].vehicle_id]
        initial[k] = [(v.request, v.kind) for v in route.visits]
    budget = replace(params, time_limit_s=max(10.0, params.time_limit_s / 2))
    tracker.add_budget(IMPROVING, budget.time_limit_s)
    retry = solve(bigger.problem, budget, _reporter(tracker, bigger, model.problem.name), initial)
    return (bigger, retry) if retry.objective < solution.objective else (model, solution)


def _plan_both_ways(
    dataset: Dataset,
    models: list[SessionModel],
    solutions: list[Solution],
    budgets: list[SearchParameters],
    workers: int,
    tracker: ProgressTracker,
) -> dict[int, tuple[SessionModel, Solution]] | None:
    """Plan the morning and the afternoon again with each other in view (the same crew both ways).

    A turn plans one session afresh with each pupil's twin vehicle given by the other session's
    routes (:func:`optimiser.solver.both_ways.twin_vehicles`) and the settings' price on every
    pupil carried by another (:func:`optimiser.routing.continuity.priced_twins`), for
    ``CONTINUITY_SHARE`` of that session's budget. ``CONTINUITY_ROUNDS`` turns, each session in
    turn, starting from the two sessions planned on their own: the afternoon first (it is the
    harder to bend), and with a second worker, side by side, the morning first too. The better of
    these pairs within the settings' ``continuity_max_extra_percent`` of the sessions planned on
    their own (per placed journey, :func:`_extra_percent`; of all of them where none is) is then
    searched on from its routes (:func:`_polished`). Of all these pairs within that budget and
    the sessions planned on their own, the best is the one with the least cost plus the price of
    the changes the plan will count (:func:`_pair_value`); then the routes of every plan the
    searches reported are combined into the best pair within the budget
    (:func:`optimiser.solver.recombine.recombine`), kept where it is worth at least that. The
    pair is kept unless it leaves out more journeys than the sessions planned on their own.
    Sessions solved in one model each only: a
    decomposed or split session keeps its plan and gets its twins from the matching of routes
    alone (:func:`optimiser.plan.twins.link_twins`).

    Returns the sessions as planned on their own (model and solution by index into ``models``)
    where they were planned again, else None.
    """
    pair = _continuity_pair(dataset, models)
    if pair is None:
        return None
    a, p = pair
    price = dataset.settings.continuity_per_change_pence
    other = {a: p, p: a}
    orders = [(p, a), (a, p)][: 2 if workers > 1 else 1]  # which session bends first
    lanes = [{k: (models[k], solutions[k]) for k in pair} for _ in orders]
    pools = {k: [solutions[k]] for k in pair}  # every plan of each session found
    for turn in range(CONTINUITY_ROUNDS):
        bends = [order[turn % 2] for order in orders]
        priced = [
            priced_twins(models[k], twin_vehicles(*lane[other[k]], models[k]), price)
            for k, lane in zip(bends, lanes, strict=True)
        ]
        params = [replace(budgets[k], time_limit_s=_continuity_s(budgets[k])) for k in bends]
        found = _solve_all(priced, params, workers, tracker)
        for k, lane, model, solution in zip(bends, lanes, priced, found, strict=True):
            lane[k] = (model, solution)
            pools[k].append(solution)
    alone = {k: (models[k], solutions[k]) for k in pair}
    fair = partial(_both_ways_cost, am=a, pm=p, pence=price)
    budget = dataset.settings.continuity_max_extra_percent

    def within(lane: dict[int, tuple[SessionModel, Solution]]) -> bool:
        return _extra_percent(lane, alone) <= budget

    start = min([lane for lane in lanes if within(lane)] or lanes, key=fair)
    lanes += _polished(start, a, p, models, budgets, workers, tracker, price)
    pools[a].append(lanes[-1][a][1])
    pools[p].append(lanes[-1][p][1])
    names = ["afternoon first", "morning first"][: len(orders)]
    names += ["morning searched on", "afternoon searched on", "both searched on"]
    for name, lane in zip(names, lanes, strict=True):
        log.info(
            "same crew both ways, %s: %+.2f%% a placed journey, %d pupils change vehicle",
            name,
            _extra_percent(lane, alone),
            changes(*lane[a], *lane[p]),
        )
    worth = partial(_pair_value, am=a, pm=p, pence=price)
    best = min([lane for lane in lanes if within(lane)] + [alone], key=worth)
    log.info(
        "same crew both ways: best found %s (budget %g%%; alone %d pupils change vehicle)",
        dict(zip(map(id, lanes), names, strict=True)).get(id(best), "the sessions alone"),
        budget,
        changes(*alone[a], *alone[p]),
    )
    am_money, am_placed = _route_cost(*alone[a])
    pm_money, pm_placed = _route_cost(*alone[p])
    placed = sum(_route_cost(*best[k])[1] for k in pair)
    most = (am_money + pm_money) * placed * (100 + budget) // (100 * (am_placed + pm_placed) or 1)
    mixed = recombine(
        models[a],
        _candidates(models[a], pools[a]),
        models[p],
        _candidates(models[p], pools[p]),
        (best[a][1], best[p][1]),
        price,
        int(most),
        _recombine_s(budgets[a]),
    )
    if mixed is not None:
        combined = {a: (models[a], mixed[0]), p: (models[p], mixed[1])}
        log.info(
            "same crew both ways, routes of every pair combined: %+.2f%% a placed journey, "
            "%d pupils change vehicle",
            _extra_percent(combined, alone),
            changes(*combined[a], *combined[p]),
        )
        if worth(combined) <= worth(best) and within(combined):
            best = combined
    if sum(len(best[k][1].dropped) for k in pair) <= sum(len(solutions[k].dropped) for k in pair):
        for k in pair:
            models[k], solutions[k] = best[k]
    return alone


def _pair_value(
    lane: dict[int, tuple[SessionModel, Solution]], am: int, pm: int, pence: float
) -> int:
    """What a pair of sessions is worth less (millipence): their routes' cost with the price of
    ride time as the plan will time them (:func:`optimiser.solver.recombine.value` of each route
    retimed), plus the price of each pupil the plan will count as riding two vehicles, and far
    more for each journey left out."""
    worth = 0
    for model, solution in lane.values():
        timed = [retime(model.problem, route) for route in solution.routes]
        worth += value(model, replace(solution, routes=timed))
        worth += RECOMBINE_LEFT_OUT * len(solution.dropped)
    return worth + int(round(pence * 1000)) * changes(*lane[am], *lane[pm])


def _candidates(model: SessionModel, solutions: list[Solution]) -> list[VehicleRoute]:
    """Every distinct route of ``solutions`` and of every plan their searches reported
    (``Solution.routes_seen``), timed as the plan would time it (:func:`retime`): the candidates
    of :func:`recombine`. A route no timetable fits is left out."""
    problem = model.problem
    seen: dict[tuple[int, tuple[tuple[int, str], ...]], VehicleRoute] = {}
    for solution in solutions:
        for route in solution.routes:
            seen.setdefault(
                (route.vehicle, tuple((v.request, v.kind) for v in route.visits)), route
            )
        for vehicle, visits in solution.routes_seen:
            if (vehicle, visits) not in seen:
                at = [_visit_row(problem, request, kind) for request, kind in visits]
                if None in at:
                    continue
                stops = [
                    VisitTime(r, k, row, 0)
                    for (r, k), row in zip(visits, at, strict=True)
                    if row is not None
                ]
                seen[vehicle, visits] = VehicleRoute(vehicle, 0, stops, 0)
    timed = []
    for route in seen.values():
        retimed = retime(problem, route)
        if retimed is not route:  # the same route back: no timetable fits it
            timed.append(retimed)
    return timed


def _visit_row(problem: Problem, request: int, kind: str) -> int | None:
    """The matrix row of a request's pick-up or set-down (None: at the depot)."""
    r = problem.requests[request]
    visit = r.pickup if kind == VisitKind.PICKUP else r.dropoff
    return None if visit is None else visit.row


def _polished(
    lane: dict[int, tuple[SessionModel, Solution]],
    a: int,
    p: int,
    models: list[SessionModel],
    budgets: list[SearchParameters],
    workers: int,
    tracker: ProgressTracker,
    price: float,
) -> list[dict[int, tuple[SessionModel, Solution]]]:
    """A pair planned in turns, each session searched on from its own routes, side by side, for
    ``CONTINUITY_POLISH_SHARE`` of its budget, priced on the twins the plan links
    (:func:`optimiser.solver.both_ways.linked_twins`) to the other session's routes as they
    stand: its search cannot end dearer in cost plus the price of the changes the plan will count.
    Returns the pairs with either session so searched and with both (they may undo some of each
    other's moves: each pair is scored as a whole)."""
    priced = [
        priced_twins(models[a], linked_twins(*lane[p], *lane[a]), price),
        priced_twins(models[p], linked_twins(*lane[a], *lane[p]), price),
    ]
    params = [replace(budgets[k], time_limit_s=_polish_s(budgets[k])) for k in (a, p)]
    starts: list[InitialPlan | None] = [
        _as_initial(model, lane[k][1]) for model, k in zip(priced, (a, p), strict=True)
    ]
    am, pm = zip(priced, _solve_all(priced, params, workers, tracker, starts), strict=True)
    return [{a: am, p: lane[p]}, {a: lane[a], p: pm}, {a: am, p: pm}]


def _as_initial(model: SessionModel, solution: Solution) -> InitialPlan:
    """A solution of ``model`` as a starting plan for its search: each vehicle's visits."""
    initial: InitialPlan = [[] for _ in model.problem.vehicles]
    for route in solution.routes:
        initial[route.vehicle] = [(v.request, v.kind) for v in route.visits]
    return initial


def _both_ways_cost(
    lane: dict[int, tuple[SessionModel, Solution]], am: int, pm: int, pence: float
) -> int:
    """What a pair of sessions planned in turns costs (millipence): both objectives without the
    price of changes the turns paid, plus the price of each pupil the plan will count as riding
    two vehicles (:func:`optimiser.solver.both_ways.changes`). The turns priced changes against
    twin vehicles given route by route; the plan links each morning route to the afternoon route
    that keeps the most pupils on one vehicle, so it counts fewer."""
    cost = sum(s.objective - stay_paid(m.problem, s) for m, s in lane.values())
    return cost + int(round(pence * 1000)) * changes(*lane[am], *lane[pm])


def _route_cost(model: SessionModel, solution: Solution) -> tuple[int, int]:
    """What a session's routes cost a day (millipence: vehicles, assistants and distance, as
    :func:`optimiser.domain.rules.route_cost_pence` prices them) and how many pupils' journeys
    they carry."""
    dropped = set(solution.dropped)
    placed = sum(len(pupils) for i, pupils in enumerate(model.request_pupils) if i not in dropped)
    return money(model, solution), placed


def _extra_percent(
    lane: dict[int, tuple[SessionModel, Solution]],
    alone: dict[int, tuple[SessionModel, Solution]],
) -> float:
    """How much more a pair of sessions costs per placed journey than the same sessions planned
    on their own, in percent (what ``continuity_max_extra_percent`` bounds)."""
    cost, placed = map(sum, zip(*(_route_cost(*lane[k]) for k in lane), strict=True))
    base, base_placed = map(sum, zip(*(_route_cost(*alone[k]) for k in alone), strict=True))
    return 100.0 * (cost * base_placed) / (max(base, 1) * max(placed, 1)) - 100.0


def _continuity_pair(dataset: Dataset, models: list[SessionModel]) -> tuple[int, int] | None:
    """The morning's and the afternoon's model, where they are re-planned with each other in
    view (one model each, a price per change), else None."""
    am = [k for k, m in enumerate(models) if m.session is Session.AM]
    pm = [k for k, m in enumerate(models) if m.session is Session.PM]
    if dataset.settings.continuity_per_change_pence <= 0 or len(am) != 1 or len(pm) != 1:
        return None
    return am[0], pm[0]


def _continuity_s(budget: SearchParameters) -> float:
    """The time limit of a turn that re-plans a session of this budget with the other in view."""
    return max(1.0, CONTINUITY_SHARE * budget.time_limit_s)


def _recombine_s(budget: SearchParameters) -> float:
    """The time limit of combining the routes of every pair found (:func:`recombine`)."""
    return max(1.0, RECOMBINE_SHARE * budget.time_limit_s)


def _polish_s(budget: SearchParameters) -> float:
    """The time limit of the search on from a pair planned in turns (:func:`_polished`)."""
    return max(1.0, CONTINUITY_POLISH_SHARE * budget.time_limit_s)


def _plan_by_routes(
    dataset: Dataset,
    travel: TravelData,
    session: Session,
    params: SearchParameters,
    executor: Executor,
    tracker: ProgressTracker,
    max_pupils: int,
    dparams: DecompositionParameters | None,
) -> tuple[SessionModel, Solution]:
    """One large session as one model over its whole fleet, solved by route-based decomposition."""
    dparams = dparams or DecompositionParameters()
    model = session_model(dataset, travel, session, offer_boost=WHOLE_FLEET)
    problem = model.problem
    size = min(max_pupils, dparams.construction_pupils)
    parts = request_parts(dataset, session, model.request_pupils, problem.same_vehicle, size)
    xy, minutes = request_positions(dataset, session, model.request_pupils)
    report = _reporter(tracker, model, _whole(session))
    tracker.expect(str(session), _whole(session), sum(map(len, model.request_pupils)))
    solution = solve_by_decomposition(
        problem, parts, xy, minutes, params, dparams=dparams, executor=executor, progress=report
    )
    return model, solution


def _plan_decomposed(
    dataset: Dataset,
    travel: TravelData,
    sessions: list[Session],
    params: SearchParameters,
    workers: int,
    tracker: ProgressTracker,
    max_pupils: int,
    dparams: DecompositionParameters | None,
) -> list[tuple[SessionModel, Solution]]:
    """Each large session by route-based decomposition, on the executor the settings choose."""
    if not sessions:
        return []
    executor = make_executor(workers, dataset.settings.ray_address)
    try:
        return [
            _plan_by_routes(
                dataset, travel, session, params, executor, tracker, max_pupils, dparams
            )
            for session in sessions
        ]
    finally:
        executor.close()


def _whole(session: Session) -> str:
    """How progress names a session planned by decomposition."""
    return f"{session} (whole session)"


def _budget_search(
    tracker: ProgressTracker,
    dataset: Dataset,
    models: list[SessionModel],
    budgets: list[SearchParameters],
    workers: int,
    decomposed: list[Session],
    params: SearchParameters,
) -> None:
    """Tell the tracker what each phase ahead is expected to take: the search from its time
    limits (side by side where there are workers for it; then the turns with the other session in
    view; then each decomposed session's), the rest from the number of journeys."""
    sizes = [sum(map(len, m.request_pupils)) for m in models]
    first = [FIRST_S_PER_JOURNEY_SQUARED * n**2 for n in sizes]
    # a search improves for its time limit, or for MIN_SEARCH_S after a first plan that took it
    walls = [max(b.time_limit_s, f + MIN_SEARCH_S) for b, f in zip(budgets, first, strict=True)]
    side = sum(walls)
    if workers > 1 and len(walls) > 1:
        side = max(max(walls), side / min(workers, len(walls)))
    pair = _continuity_pair(dataset, models)
    again = (
        max(CONTINUITY_ROUNDS * _continuity_s(budgets[k]) + _polish_s(budgets[k]) for k in pair)
        + _recombine_s(budgets[pair[0]])
        if pair is not None
        else 0
    )
    first_s = min(side, max([FIRST_ROUTES_SHARE * side, *first]))
    journeys = sum(len(dataset.pupils_in(s)) for s in Session)
    tracker.budget("model", PHASE_FLOOR_S + MODEL_S_PER_JOURNEY * journeys)
    tracker.budget(FIRST_ROUTES, first_s)
    tracker.budget(IMPROVING, side - first_s + again + params.time_limit_s * len(decomposed))
    tracker.budget("checking", PHASE_FLOOR_S + CHECKING_S_PER_JOURNEY * journeys)
    for model, n in zip(models, sizes, strict=True):
        tracker.expect(str(model.session), model.problem.name, n)
    for session in decomposed:
        tracker.expect(str(session), _whole(session), len(dataset.pupils_in(session)))


def _travel(dataset: Dataset, travel: TravelData | None, tracker: ProgressTracker) -> TravelData:
    """The travel data given, or built now (the roads phase)."""
    if travel is not None:
        return travel
    tracker.enter("roads")
    return build_travel(dataset)


def _tracker(progress: ProgressFn | ProgressTracker | None) -> ProgressTracker:
    """The caller's tracker, or one of this call's own (no outputs to write)."""
    if isinstance(progress, ProgressTracker):
        return progress
    tracker = ProgressTracker(progress)
    tracker.budget("writing", 0.0)
    return tracker


def plan_dataset(
    dataset: Dataset,
    *,
    travel: TravelData | None = None,
    params: SearchParameters | None = None,
    workers: int | None = None,
    progress: ProgressFn | ProgressTracker | None = None,
    max_pupils: int = MAX_PUPILS_PER_PART,
    decomposition: str = "routes",
    decomposition_params: DecompositionParameters | None = None,
) -> PlanResult:
    """Plan every session of a dataset and return a validated plan.

    Sessions of at most ``max_pupils`` pupils are solved as one model each, side by side. Larger
    ones are decomposed: ``decomposition="routes"`` (the default) plans each over its whole fleet
    by route-based decomposition (:mod:`optimiser.solver.decomposition`), its subproblems on the
    executor the settings choose; ``"fixed-share"`` cuts it into parts that each get a fixed share
    of every fleet row and are solved apart (kept for comparison in the benchmarks).

    ``progress`` hears of every phase and every plan the searches find, as events of a
    :class:`~optimiser.solver.progress.ProgressTracker`: pass a tracker to carry one run's
    progress on past this call (loading before, writing outputs after; the caller finishes it),
    or a function to have events of a tracker of this call's own (finished here).

    Raises
    ------
    InvalidPlanError
        If the independent validator finds any violation in what the solver produced.
    """
    started = time.perf_counter()
    if decomposition not in ("routes", "fixed-share"):
        raise ValueError(f"decomposition must be 'routes' or 'fixed-share', not {decomposition!r}")
    own = not isinstance(progress, ProgressTracker)
    tracker = _tracker(progress)
    travel = _travel(dataset, travel, tracker)
    tracker.enter("model")
    params = params or SearchParameters(time_limit_s=dataset.settings.time_limit_s)
    workers = workers or dataset.settings.workers
    models, budgets, part_of = [], [], []
    by_routes = [
        session
        for session in Session
        if decomposition == "routes" and len(dataset.pupils_in(session)) > max_pupils
    ]
    for session in Session:
        if session in by_routes:
            continue
        parts = split_session(dataset, session, max_pupils)
        total = sum(len(part.pupils_in(session)) for part in parts) or 1
        for part in parts:
            models.append(session_model(part, travel, session))
            part_of.append(part)
            # Each session's search time is shared among its parts by size.
            share = len(part.pupils_in(session)) / total
            budgets.append(replace(params, time_limit_s=max(1.0, params.time_limit_s * share)))
    if dataset.settings.continuity_per_change_pence > 0:
        # Every route the searches find is a candidate of the same crew both ways.
        budgets = [replace(b, keep_routes=True) for b in budgets]
    _budget_search(tracker, dataset, models, budgets, workers, by_routes, params)
    tracker.report()
    solutions = _solve_all(models, budgets, workers, tracker) if models else []
    for k, (model, solution, part) in enumerate(zip(models, solutions, part_of, strict=True)):
        if _short_of_vehicles(model, solution, part):
            models[k], solutions[k] = _retry_with_more_vehicles(
                model, solution, part, travel, budgets[k], tracker
            )
    alone = _plan_both_ways(dataset, models, solutions, budgets, workers, tracker)
    for model, solution in _plan_decomposed(
        dataset, travel, by_routes, params, workers, tracker, max_pupils, decomposition_params
    ):
        models.append(model)
        solutions.append(solution)
        part_of.append(dataset)
    tracker.enter("checking")
    plan = assemble_plan(dataset, travel, models, solutions)
    alone_plan = None
    if alone is not None:
        alone_models = [alone[k][0] if k in alone else m for k, m in enumerate(models)]
        alone_solutions = [alone[k][1] if k in alone else s for k, s in enumerate(solutions)]
        alone_plan = assemble_plan(dataset, travel, alone_models, alone_solutions)
        # What the same crew both ways costs, for the officer and finance: the same run's
        # sessions as planned on their own.
        plan.summary["planned_alone"] = {key: alone_plan.summary[key] for key in ALONE_FIGURES}
    by_session: dict[Session, list[Solution]] = defaultdict(list)
    for model, solution in zip(models, solutions, strict=True):
        by_session[model.session].append(solution)
    if own:
        tracker.finish()
    return PlanResult(
        plan=plan,
        travel=travel,
        solutions=dict(by_session),
        wall_s=time.perf_counter() - started,
        alone=alone_plan,
    )


def assemble_plan(
    dataset: Dataset,
    travel: TravelData,
    models: list[SessionModel],
    solutions: list[Solution],
    *,
    name_routes: Callable[[list[Route]], None] | None = None,
    kept_times: KeptTimes | None = None,
) -> Plan:
    """The validated plan of solved session models: routes assembled and numbered, journeys left
    out placed alone where an idle vehicle can carry them (sibling groups apart if need be), every
    journey still left out explained, twins linked, the summary computed.

    ``name_routes``, when given, renames the numbered routes (ids and vehicle ids) before twins
    are linked. ``kept_times``, when given, are pupils' times to keep where a route can run at
    them: each minute a kept time moves weighs as ``[costs] replan_per_minute_moved`` against
    ``ride_time_weight_per_min`` a ride minute when the routes are timed, so a re-plan keeps
    today's times on routes that barely change.

    Raises
    ------
    InvalidPlanError
        If the independent validator finds any violation.
    """
    routes: list[Route] = []
    left_out: list[tuple[Pupil, Session]] = []
    set_aside: set[tuple[str, Session]] = set()
    for model, solution in zip(models, solutions, strict=True):
        routes += _routes(model, solution, dataset, travel, kept_times)
        set_aside |= {(s.pupil_id, s.session) for s in model.set_aside}
        left_out += [(dataset.pupil(s.pupil_id), s.session) for s in model.set_aside]
        left_out += [
            (dataset.pupil(pid), model.session)
            for i in solution.dropped
            for pid in model.request_pupils[i]
        ]
    _number(routes)
    # Reasons are the whole session's, against the assembled plan: a part saw only its share of
    # the fleet. A journey an idle vehicle can carry alone is placed, not explained.
    left_out = place_solo(dataset, travel, routes, left_out)
    # Sibling groups no vehicle was found for travel apart rather than not at all.
    grouped = list(left_out)
    left_out = place_solo(dataset, travel, routes, left_out, apart=True)
    apart = [journey for journey in grouped if journey not in left_out]
    apart += _carried_apart(dataset, routes)
    _number(routes)
    if name_routes is not None:
        name_routes(routes)
    link_twins(routes)
    unassigned = explain_unplaced(dataset, travel, routes, left_out, set_aside)
    plan = Plan(
        dataset=dataset.name,
        routes=routes,
        unassigned=unassigned,
        split_groups=split_groups(dataset, routes, apart),
    )
    plan.summary = summarise(plan, dataset, travel)
    violations = validate_plan(dataset, travel, plan)
    if violations:
        raise InvalidPlanError(violations)
    return plan


def _carried_apart(dataset: Dataset, routes: list[Route]) -> list[tuple[Pupil, Session]]:
    """Journeys of sibling groups the routes carry apart in a session (the search was given
    them apart because no vehicle can carry them together): on more than one vehicle, or on
    one but picked up (AM) or set down (PM) at different stops where they share an address."""
    places: dict[tuple[str, Session], set[tuple]] = defaultdict(set)
    vehicles: dict[tuple[str, Session], set[str]] = defaultdict(set)
    stops: dict[tuple[str, Session], set[tuple]] = defaultdict(set)
    riders: dict[tuple[str, Session], list[Pupil]] = defaultdict(list)
    home = {Session.AM: StopType.PICKUP, Session.PM: StopType.DROPOFF}
    for route in routes:
        for k, stop in enumerate(route.stops):
            if stop.type is not home[route.session]:
                continue
            for pid in stop.pupil_ids:
                pupil = dataset.pupil(pid)
                if not pupil.group:
                    continue
                key = pupil.group, route.session
                place = pupil.address(route.session)
                vehicles[key].add(route.vehicle_id)
                places[key].add((place.lat, place.lon))
                stops[key].add((place.lat, place.lon, route.route_id, k))
                riders[key].append(pupil)
    return [
        (pupil, key[1])
        for key, used in vehicles.items()
        if len(used) > 1 or len(stops[key]) > len(places[key])
        for pupil in riders[key]
    ]


def _number(routes: list[Route]) -> None:
    """Route and vehicle ids in order of leaving the depot, per session, across all parts."""
    for session in Session:
        ordered = sorted(
            (r for r in routes if r.session is session), key=lambda r: (r.start_s, r.route_id)
        )
        for n, route in enumerate(ordered, start=1):
            route.route_id, route.vehicle_id = f"{session}-{n:03d}", f"{session}-V{n:03d}"
