"""Re-planning from the routes run today, changing only what must change or what pays.

During a term a council absorbs new pupils, house moves, school changes and leavers; re-planning
the whole area from a blank page would move most children. Here each session is searched again
from the current routes instead:

- the current routes, without their leavers and the pupils whose home or school moved, are the
  start plan (each on a vehicle of its fleet row and assistant); the solver keeps every route the
  rules still allow and places the rest (new pupils, moved pupils, and the pupils of routes that
  no longer hold) by parallel cheapest insertion (``START_COMPLETION`` of
  :mod:`optimiser.solver.params`), then searches (see :func:`optimiser.solver.solve.solve`);
- every pupil kept from a current route costs the settings' price per change (``[costs]
  replan_per_change``, a day) on any vehicle but the one carrying that route
  (:attr:`optimiser.routing.problem.Request.stay`), so the search moves a pupil only when it
  saves more than that; placing a pupil still outweighs any price (the same price per pupil as
  between morning and afternoon, :mod:`optimiser.routing.continuity`).
- pupils can be locked to the vehicle carrying their current route (a hard rule);
- the plan is assembled, explained and validated as any plan (:func:`optimiser.planner.
  assemble_plan`), routes matched to current ones keep their ids, and every pupil whose journey
  changes is listed with what changes (:func:`optimiser.plan.changes.compare_by_pupil`) and why.
"""

from __future__ import annotations

import copy
import csv
import io
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from optimiser.dataset.tables import read_single_table
from optimiser.domain.entities import Dataset, Session
from optimiser.domain.errors import InputError, InputProblem
from optimiser.plan.changes import (
    CHANGE_KINDS,
    TIME_TOLERANCE_S,
    PupilChange,
    PupilComparison,
    compare_by_pupil,
    match_routes,
    route_journeys,
)
from optimiser.plan.current import current_plan
from optimiser.plan.document import Plan, Route, StopType, load_plan
from optimiser.planner import WHOLE_FLEET, KeptTimes, ProgressFn, assemble_plan, session_model
from optimiser.roads.travel import TravelData, build_travel, home_key
from optimiser.routing.from_dataset import SessionModel, VehicleSlot
from optimiser.routing.problem import Solution, VisitKind
from optimiser.solver.params import START_COMPLETION, SearchParameters
from optimiser.solver.progress import ProgressEvent
from optimiser.solver.solve import solve
from optimiser.validate.validator import validate_plan

#: Why a pupil's journey changes, in order of precedence.
REASONS = (
    "leaver",  # no longer in the dataset, or no longer travels in this session
    "new_pupil",  # not on the current routes nor listed by them as left out
    "moved_house",  # the home (or afternoon address) is not where the current route calls
    "school_change",  # the current route takes the pupil to another school
    "route_broke",  # the current route breaks a rule with today's data
    "not_placed",  # was carried, is no longer (the plan lists the reason)
    "now_placed",  # was left out by the current routes, is now carried
    "improvement",  # another vehicle or crew though nothing forced it: it pays, or makes room
    "knock_on",  # same vehicle, but times or fellow passengers change as others join or leave
)
REASON_TEXT = {
    "leaver": "no longer travels",
    "new_pupil": "new pupil",
    "moved_house": "moved house",
    "school_change": "changed school",
    "route_broke": "the current route no longer keeps every rule",
    "not_placed": "no longer placed",
    "now_placed": "now placed",
    "improvement": "re-planned: it saves more than the price per change, or makes room",
    "knock_on": "other pupils join or leave the route",
}
# Rules whose breach means a current route cannot run as it is (not: costs, coverage, format).
RULE_CAUSES = frozenset(
    {
        "seats",
        "wheelchair_spaces",
        "passenger_assistant",
        "solo",
        "not_with",
        "max_ride",
        "detour",
        "schools_per_route",
        "school_window",
        "timing",
        "implausible_leg",
        "vehicle_overlap",
    }
)
PLACE_TOL_DEG = 1e-4  # about 10 m: a home this close to the current stop has not moved
# Vehicles offered per fleet row, tried in turn until the current routes fit on them.
OFFER_BOOSTS = (1.0, 2.0, WHOLE_FLEET)
SPARE_PER_SLOT = 3  # unused vehicles offered per fleet row and assistant, beyond today's
CSV_COLUMNS = ("pupil_id", "session", "reason", "changes", "route_before", "route_after")


@dataclass(frozen=True)
class ReasonedChange:
    """One pupil journey that changes, with why."""

    change: PupilChange
    reason: str  # one of REASONS

    def csv_row(self) -> dict[str, str]:
        row = self.change.csv_row()
        return row | {"reason": self.reason}


@dataclass
class Stability:
    """How many pupils untouched by the changes to the data keep their vehicle and journey."""

    unaffected: int  # carried by the current routes; still in the data, same home and school
    keep_vehicle: int  # of those: on the matched vehicle in every session they travel
    no_change: int  # of those: nothing changes at all (vehicle, times, fellow passengers)
    on_broken_routes: int  # of those: on a current route that breaks a rule today
    # of those: their own journey is as today (vehicle, operator, assistant, pick-up and set-down
    # within a minute), whoever else joins or leaves the route
    own_journey_kept: int = 0

    def lines(self) -> list[str]:
        n = self.unaffected or 1
        return [
            f"Unaffected pupils: {self.unaffected}; keep their vehicle: {self.keep_vehicle}"
            f" ({100 * self.keep_vehicle / n:.1f}%); keep their own journey (vehicle, crew,"
            f" times): {self.own_journey_kept} ({100 * self.own_journey_kept / n:.1f}%); see no"
            f" change at all, fellow passengers included: {self.no_change}"
            f" ({100 * self.no_change / n:.1f}%); on current routes that break a rule:"
            f" {self.on_broken_routes}"
        ]


@dataclass
class ReplanResult:
    plan: Plan
    current: Plan
    travel: TravelData
    comparison: PupilComparison
    changes: list[ReasonedChange]
    affected: dict[str, str]  # pupil id -> leaver, new_pupil, moved_house or school_change
    broken_routes: frozenset[str]  # current route ids breaking a rule with today's data
    locked: tuple[str, ...] = ()
    price_pence: int = 0
    wall_s: float = 0.0
    by_reason: dict[str, int] = field(default_factory=dict)  # journeys changed, per reason

    def stability(self) -> Stability:
        before = {pid for r in self.current.routes for pid in r.pupil_ids}
        unaffected = {pid for pid in before if pid not in self.affected}
        changed = {c.change.pupil_id for c in self.changes}
        moved = {c.change.pupil_id for c in self.changes if _vehicle_changed(c.change)}
        broken = {
            pid
            for r in self.current.routes
            if r.route_id in self.broken_routes
            for pid in r.pupil_ids
        }
        return Stability(
            unaffected=len(unaffected),
            keep_vehicle=len(unaffected - moved),
            no_change=len(unaffected - changed),
            own_journey_kept=len(unaffected - {c.change.pupil_id for c in self.changes if own(c)}),
            on_broken_routes=len(unaffected & broken),
        )

    def summary_lines(self) -> list[str]:
        reasons = ", ".join(f"{REASON_TEXT[k]} {n}" for k, n in self.by_reason.items())
        pupils = len({c.change.pupil_id for c in self.changes})
        return [
            f"Pupils whose journey changes: {pupils} ({len(self.changes)} journeys"
            + (f": {reasons})" if reasons else ")"),
            *self.stability().lines(),
            f"Current routes breaking a rule with today's data: {len(self.broken_routes)};"
            f" pupils locked: {len(self.locked)}; price per change:"
            f" £{self.price_pence / 100:.2f} a day",
        ]

    def csv_text(self) -> str:
        """One row per journey that changes: the reason, then the columns of
        :data:`optimiser.plan.changes.CSV_COLUMNS`."""
        from optimiser.plan.changes import CSV_COLUMNS as CHANGE_COLUMNS

        columns = ["pupil_id", "session", "reason", *CHANGE_COLUMNS[2:]]
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(c.csv_row() for c in self.changes)
        return buffer.getvalue()


#: Changes to a pupil's own journey, as against who else rides: fellow passengers (and the ride
#: time, which moves with the times) are not among them.
OWN_JOURNEY = frozenset(CHANGE_KINDS) - {"fellow_passengers", "ride_time"}


def own(change: ReasonedChange) -> bool:
    """Whether a change touches the pupil's own journey: vehicle, operator, assistant, times."""
    return bool(OWN_JOURNEY & set(change.change.changes))


def _vehicle_changed(change: PupilChange) -> bool:
    return bool(
        {"route", "vehicle_type", "operator", "now_carried", "no_longer_carried"}
        & set(change.changes)
    )


def _home_stop(route: Route, pupil_id: str) -> tuple[float, float] | None:
    kind = StopType.PICKUP if route.session is Session.AM else StopType.DROPOFF
    for stop in route.stops:
        if stop.type is kind and pupil_id in stop.pupil_ids:
            return stop.lat, stop.lon
    return None


def _school_stop(route: Route, pupil_id: str) -> str | None:
    kind = StopType.DROPOFF if route.session is Session.AM else StopType.PICKUP
    for stop in route.stops:
        if stop.type is kind and pupil_id in stop.pupil_ids:
            return stop.school_id
    return None


def affected_pupils(dataset: Dataset, travel: TravelData, current: Plan) -> dict[str, str]:
    """The pupils the changes to the data touch: leavers, new pupils, house moves, school
    changes (by pupil id; the first found of a pupil's sessions)."""
    out: dict[str, str] = {}
    listed = {u.pupil_id for u in current.unassigned}
    for route in current.routes:
        for pid in route.pupil_ids:
            pupil = dataset.find_pupil(pid)
            if pupil is None or route.session not in pupil.sessions:
                out.setdefault(pid, "leaver")
                continue
            home = _home_stop(route, pid)
            place = travel.location[home_key(pupil, route.session)]
            if home is not None and (
                abs(home[0] - place.lat) > PLACE_TOL_DEG or abs(home[1] - place.lon) > PLACE_TOL_DEG
            ):
                out.setdefault(pid, "moved_house")
            elif _school_stop(route, pid) not in (None, pupil.school_id):
                out.setdefault(pid, "school_change")
            listed.add(pid)
    for pid in listed:
        if dataset.find_pupil(pid) is None:
            out.setdefault(pid, "leaver")
    for pupil in dataset.pupils:
        if pupil.pupil_id not in listed:
            out[pupil.pupil_id] = "new_pupil"
    return out


def without_pupils(plan: Plan, pupils: Iterable[str]) -> Plan:
    """A copy of ``plan``'s routes with these pupils taken off (stops left empty removed, routes
    left empty dropped); the times stay as they were, which roads never make too short."""
    gone = set(pupils)
    routes = []
    for route in plan.routes:
        copied = copy.deepcopy(route)
        for stop in copied.stops:
            stop.pupil_ids = tuple(p for p in stop.pupil_ids if p not in gone)
        copied.stops = [s for s in copied.stops if s.type is StopType.DEPOT or s.pupil_ids]
        if copied.pupil_ids:
            routes.append(copied)
    return Plan(dataset=plan.dataset, routes=routes, unassigned=[], split_groups=[])


def broken_routes(
    dataset: Dataset, travel: TravelData, current: Plan, affected: dict[str, str]
) -> frozenset[str]:
    """Current routes that, without the pupils the changes touch, still break a rule of today's
    data (a ride too long, a school window missed, a seat short, ...): they must be repaired."""
    kept = without_pupils(current, affected)
    violations = validate_plan(dataset, travel, kept)
    return frozenset(v.route_id for v in violations if v.route_id and v.cause in RULE_CAUSES)


def _fleet_key(dataset: Dataset, route: Route) -> str | None:
    for vt in dataset.fleet:
        if (vt.operator.casefold(), vt.vehicle_type.casefold()) == (
            route.operator.casefold(),
            route.vehicle_type.casefold(),
        ):
            return vt.key
    return None


def _visits(
    routes: list[Route], request_of: dict[str, int], skip: set[str], placed: set[int]
) -> list[tuple[int, str]]:
    """The visits of one vehicle's current routes (its runs in order) as requests of the new
    model: each request picked up once, set down after; pupils in ``skip`` and requests already
    on another vehicle left for the search."""
    visits: list[tuple[int, str]] = []
    picked: set[int] = set()
    dropped: set[int] = set()
    for route in routes:
        for stop in route.stops:
            for pid in stop.pupil_ids:
                request = request_of.get(pid)
                if request is None or pid in skip or request in placed:
                    continue
                if stop.type is StopType.PICKUP and request not in picked:
                    picked.add(request)
                    visits.append((request, str(VisitKind.PICKUP)))
                elif stop.type is StopType.DROPOFF and request in picked - dropped:
                    dropped.add(request)
                    visits.append((request, str(VisitKind.DROPOFF)))
    return [(r, kind) for r, kind in visits if r in dropped]


@dataclass
class StartPlan:
    """The current routes of a session as a start plan of its model."""

    initial: list[list[tuple[int, str]]]
    vehicle_of: dict[str, int]  # pupil id -> the vehicle carrying their current route
    fits: bool  # every current vehicle found a vehicle of its fleet row in the model


def start_plan(
    dataset: Dataset, model: SessionModel, current: list[Route], skip: set[str]
) -> StartPlan:
    """Each current vehicle's routes (runs in order of leaving) on an unused model vehicle of the
    same fleet row and assistant, without the pupils in ``skip``."""
    request_of = {p: i for i, pupils in enumerate(model.request_pupils) for p in pupils}
    free: dict[VehicleSlot, list[int]] = defaultdict(list)
    for v, slot in enumerate(model.slots):
        free[slot].append(v)
    by_vehicle: dict[str, list[Route]] = defaultdict(list)
    for route in sorted(current, key=lambda r: (r.start_s or 0, r.route_id)):
        by_vehicle[route.vehicle_id].append(route)
    out = StartPlan([[] for _ in model.slots], {}, True)
    placed: set[int] = set()
    for routes in by_vehicle.values():
        key = _fleet_key(dataset, routes[0])
        vehicles = free[VehicleSlot(key, routes[0].passenger_assistant)] if key else []
        if not vehicles:
            out.fits = False
            continue
        v = vehicles.pop(0)
        pupils = [pid for r in routes for pid in r.pupil_ids]
        out.vehicle_of |= dict.fromkeys(pupils, v)
        visits = _visits(routes, request_of, skip, placed)
        placed |= {r for r, _ in visits}
        out.initial[v] = visits
    _one_vehicle_per_group(model, out.initial)
    return out


def _one_vehicle_per_group(model: SessionModel, initial: list[list[tuple[int, str]]]) -> None:
    """A sibling group the current routes carry apart starts on the vehicle carrying most of it;
    its other members are left for the search (the group's rules would reject their routes)."""
    vehicle_of = {r: v for v, visits in enumerate(initial) for r, _ in visits}
    for group in model.problem.same_vehicle:
        on = [vehicle_of[r] for r in group if r in vehicle_of]
        if len(set(on)) < 2:
            continue
        keep = max(set(on), key=lambda v: (on.count(v), -v))
        apart = {r for r in group if vehicle_of.get(r, keep) != keep}
        for v in set(on) - {keep}:
            initial[v] = [(r, kind) for r, kind in initial[v] if r not in apart]


def priced_and_locked(
    model: SessionModel,
    vehicle_of: dict[str, int],
    skip: set[str],
    price_pence: int,
    locked: set[str],
    times: KeptTimes | None = None,
    minute_pence: int = 0,
) -> SessionModel:
    """``model`` with the price of each change and the locks.

    A request carrying pupils of a current route (those not in ``skip``) costs ``price_pence``
    per such pupil on any vehicle but the one carrying that route, and ``minute_pence`` per
    such pupil for each minute its pick-up or set-down moves from today's ``times`` beyond
    :data:`TIME_TOLERANCE_S`; a request holding a locked pupil may only go on that vehicle.
    """
    requests = list(model.problem.requests)
    times = times or {}
    for i, pupils in enumerate(model.request_pupils):
        stayers = [p for p in pupils if p in vehicle_of and p not in skip]
        if stayers and price_pence > 0:
            cost = price_pence * 1000 * len(stayers)  # the problem's costs are in millipence
            requests[i] = replace(requests[i], stay=(vehicle_of[stayers[0]], cost))
        leave, arrive = (
            times.get((model.session, stayers[0]), (None, None)) if stayers else (None, None)
        )
        if minute_pence > 0 and (leave, arrive) != (None, None):
            board = requests[i].visits[0].service_s  # today's time is when the vehicle leaves
            requests[i] = replace(
                requests[i],
                keep_times=(None if leave is None else leave - board, arrive),
                keep_cost_per_s=minute_pence * 1000 * len(stayers) // 60,
            )
        vehicles = sorted({vehicle_of[p] for p in pupils if p in locked and p in vehicle_of})
        if vehicles:
            requests[i] = replace(requests[i], allowed_vehicles=tuple(vehicles))
    problem = replace(
        model.problem, requests=tuple(requests), keep_time_tolerance_s=TIME_TOLERANCE_S
    )
    return replace(model, problem=problem)


def _session_model(
    dataset: Dataset, travel: TravelData, session: Session, current: list[Route], skip: set[str]
) -> tuple[SessionModel, StartPlan]:
    """The session's model with vehicles enough for its current routes, and their start plan."""
    for boost in OFFER_BOOSTS:
        model = session_model(dataset, travel, session, offer_boost=boost)
        start = start_plan(dataset, model, current, skip)
        if start.fits:
            break
    return _fewer_vehicles(model, start)


def _fewer_vehicles(model: SessionModel, start: StartPlan) -> tuple[SessionModel, StartPlan]:
    """Only the vehicles of the start plan and ``SPARE_PER_SLOT`` unused ones of each fleet row
    and assistant: every vehicle offered slows loading the start plan and the search (on the
    sample, 346 vehicles took 25 s to load 115 routes), while a re-plan needs few new ones."""
    used = {v for v, visits in enumerate(start.initial) if visits}
    used |= set(start.vehicle_of.values())
    spare: dict[VehicleSlot, int] = defaultdict(int)
    keep = []
    for v, slot in enumerate(model.slots):
        if v in used:
            keep.append(v)
        elif spare[slot] < SPARE_PER_SLOT:
            spare[slot] += 1
            keep.append(v)
    local = {v: k for k, v in enumerate(keep)}
    model = replace(
        model,
        problem=model.problem.with_fleet(tuple(keep)),
        slots=tuple(model.slots[v] for v in keep),
    )
    start = StartPlan(
        [start.initial[v] for v in keep],
        {p: local[v] for p, v in start.vehicle_of.items()},
        start.fits,
    )
    return model, start


def kept_times(current: Plan, skip: set[str]) -> KeptTimes:
    """Today's times of the pupils kept from the current routes: when the vehicle leaves their
    pick-up stop and arrives at their set-down stop."""
    out: KeptTimes = {}
    for route in current.routes:
        for pid, journey in route_journeys(route).items():
            if pid not in skip:
                out[(route.session, pid)] = (journey.pickup_s, journey.dropoff_s)
    return out


def _namer(current: Plan) -> Callable[[list[Route]], None]:
    """Routes matched to current ones (by the pupils they share) take their route and vehicle
    ids; other routes are numbered after them (``AM-N001``, vehicle ``AM-NV001``)."""

    def name(routes: list[Route]) -> None:
        draft = Plan(dataset=current.dataset, routes=routes, unassigned=[], split_groups=[])
        matched = {b: a for a, b in match_routes(current, draft).items()}
        old = {r.route_id: r for r in current.routes}
        used_ids = {r.route_id for r in current.routes}
        renamed = [old.get(matched.get(route.route_id, "")) for route in routes]
        fresh: dict[Session, int] = defaultdict(int)
        seen_vehicles: set[tuple[Session, str]] = set()
        for route, source in zip(routes, renamed, strict=True):
            if source is not None:
                route.route_id = source.route_id
                vehicle = source.vehicle_id
                if (route.session, vehicle) in seen_vehicles:
                    vehicle = f"{source.route_id} vehicle"
                seen_vehicles.add((route.session, vehicle))
                route.vehicle_id = vehicle
                continue
            while True:
                fresh[route.session] += 1
                n = fresh[route.session]
                new_id = f"{route.session}-N{n:03d}"
                if new_id not in used_ids:
                    break
            route.route_id, route.vehicle_id = new_id, f"{route.session}-NV{n:03d}"

    return name


def classify(
    comparison: PupilComparison,
    dataset: Dataset,
    affected: dict[str, str],
    broken: frozenset[str],
) -> list[ReasonedChange]:
    """Each changed journey with its reason (:data:`REASONS`)."""
    out = []
    for change in comparison.changes:
        pupil = dataset.find_pupil(change.pupil_id)
        kinds = set(change.changes)
        reason = affected.get(change.pupil_id)
        if pupil is None or change.session not in pupil.sessions:
            reason = "leaver"
        elif reason in ("new_pupil", "moved_house", "school_change"):
            pass
        elif "no_longer_carried" in kinds:
            reason = "not_placed"
        elif "now_carried" in kinds:
            reason = "now_placed"
        elif change.before is not None and change.before.route_id in broken:
            reason = "route_broke"
        elif _vehicle_changed(change) or "passenger_assistant" in kinds:
            reason = "improvement"
        else:
            reason = "knock_on"
        out.append(ReasonedChange(change, reason))
    return out


def read_current(path: Path | str, dataset: Dataset, travel: TravelData) -> tuple[Plan, list[str]]:
    """The routes run today: a ``plan.json``, or current routes (CSV or workbook,
    ``docs/current_routes.md``) read against today's dataset.

    A routes file names no addresses, so a house move cannot be told from it (the pupil's route
    is timed to the new address and kept if it still holds); rows of pupils who are no longer in
    the dataset, or no longer travel in the row's session, are left out: their ids are returned
    (``pupil_id/session``), the plan is read from the rest.
    """
    path = Path(path)
    if path.suffix.lower() == ".json":
        return load_plan(path), []
    if not path.exists():
        raise InputError([InputProblem(path.name, None, None, "file is missing")])
    table = read_single_table(path, path.name, "routes")
    kept, gone = [], []
    for number, cells in table.rows:
        pupil = dataset.find_pupil(cells.get("pupil_id", "").strip())
        session = cells.get("session", "").strip().upper()
        if pupil is None or (session in ("AM", "PM") and Session(session) not in pupil.sessions):
            if cells.get("pupil_id", "").strip():
                gone.append(f"{cells['pupil_id'].strip()}/{session}")
                continue
        kept.append((number, cells))
    table = replace(table, rows=tuple(kept))
    return current_plan(table, dataset, travel).plan, gone


def replan(
    dataset: Dataset,
    current: Plan,
    *,
    travel: TravelData | None = None,
    params: SearchParameters | None = None,
    locked: Iterable[str] = (),
    price_pence: int | None = None,
    progress: ProgressFn | None = None,
) -> ReplanResult:
    """Re-plan ``dataset`` from the routes of ``current``, changing as few pupils as pays.

    Parameters
    ----------
    dataset : Dataset
        Today's pupils, schools, fleet and settings (new pupils in, leavers out, moves applied).
    current : Plan
        The routes run today (a ``plan.json``, or current routes read by
        :mod:`optimiser.plan.current`).
    travel : TravelData, optional
        The dataset's travel data (built if not given).
    params : SearchParameters, optional
        The search of each session (default: the settings' time limit); its first-solution
        heuristic is replaced by ``START_COMPLETION``, which completes the start plan.
    locked : iterable of str
        Pupils who stay on the vehicle of their current route whatever it costs.
    price_pence : int, optional
        The price of each change (default ``[costs] replan_per_change``).
    progress : callable, optional
        Receives the search's progress events, with their session.

    Raises
    ------
    InvalidPlanError
        If the independent validator finds any violation in the plan.
    """
    started = time.perf_counter()
    travel = travel or build_travel(dataset)
    params = replace(
        params or SearchParameters(time_limit_s=dataset.settings.time_limit_s),
        first_solution=START_COMPLETION,
    )
    price = dataset.settings.replan_per_change_pence if price_pence is None else price_pence
    locks = set(locked)
    affected = affected_pupils(dataset, travel, current)
    skip = {pid for pid, why in affected.items() if why != "new_pupil"}
    kept = kept_times(current, skip)
    models: list[SessionModel] = []
    solutions: list[Solution] = []
    for session in Session:
        if not dataset.pupils_in(session):
            continue
        model, start = _session_model(dataset, travel, session, current.routes_in(session), skip)
        model = priced_and_locked(
            model,
            start.vehicle_of,
            skip,
            price,
            locks,
            kept,
            dataset.settings.replan_per_minute_moved_pence,
        )

        def report(event: ProgressEvent, session: Session = session) -> None:
            if progress is not None:
                progress(replace(event, session=str(session)))

        models.append(model)
        solutions.append(solve(model.problem, params, report, start.initial))
    plan = assemble_plan(
        dataset, travel, models, solutions, name_routes=_namer(current), kept_times=kept
    )
    comparison = compare_by_pupil(current, plan)
    broken = broken_routes(dataset, travel, current, affected)
    changes = classify(comparison, dataset, affected, broken)
    counts: dict[str, int] = defaultdict(int)
    for c in changes:
        counts[c.reason] += 1
    return ReplanResult(
        plan=plan,
        current=current,
        travel=travel,
        comparison=comparison,
        changes=changes,
        affected=affected,
        broken_routes=broken,
        locked=tuple(sorted(locks)),
        price_pence=price,
        wall_s=time.perf_counter() - started,
        by_reason={k: counts[k] for k in REASONS if counts.get(k)},
    )
