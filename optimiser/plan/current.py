"""A council's current routes: read from its own spreadsheet into a plan, and written back out.

The format (``docs/current_routes.md``) has one row per pupil on a route: the route, its session,
operator and vehicle type (a row of ``fleet.csv``), whether a passenger assistant rides, the pupil
and the number of the stop where they are picked up (and, optionally, set down), optional times
and an optional agreed daily price. Reading checks every row and reports every problem at once,
with file, row and column, as loading a dataset does; nothing is half-read.

The routes become a :class:`~optimiser.plan.document.Plan` in the order the council gives: each
route is timed by the plan's re-timing (:func:`~optimiser.plan.retime.retime`), or, when its order
cannot keep every school window and ride limit, by the timetable that breaks them least
(:func:`~optimiser.plan.retime.retime_closest`), so the validator scores what the routes really
do. Journeys of the dataset that no current route carries are listed unassigned with the reason.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from optimiser.dataset.cells import RowReader
from optimiser.dataset.tables import Table, formula_safe, read_single_table
from optimiser.domain.entities import Dataset, Location, Pupil, Session, VehicleType
from optimiser.domain.errors import InputError, InputProblem
from optimiser.domain.rules import route_cost_pence
from optimiser.domain.times import SESSION_HOURS, format_hm
from optimiser.plan.document import Plan, Route, SplitGroup, Stop, StopType, Unassigned
from optimiser.plan.retime import retime, retime_closest
from optimiser.plan.totals import summarise
from optimiser.plan.unplaced import explain_unplaced
from optimiser.roads.travel import TravelData, depot_key, home_key, school_key
from optimiser.routing.problem import (
    Problem,
    Request,
    Vehicle,
    VehicleRoute,
    Visit,
    VisitKind,
    VisitTime,
)

REQUIRED = ("route_id", "session", "operator", "vehicle_type", "pupil_id", "pickup_order")
OPTIONAL = (
    "vehicle_id",
    "passenger_assistant",
    "dropoff_order",
    "pickup_time",
    "dropoff_time",
    "agreed_price_per_day",
)
COLUMNS = (
    "route_id",
    "session",
    "vehicle_id",
    "operator",
    "vehicle_type",
    "passenger_assistant",
    "pupil_id",
    "pickup_order",
    "dropoff_order",
    "pickup_time",
    "dropoff_time",
    "agreed_price_per_day",
)
NOT_CARRIED = "not on any of the current routes"
STATED_TIME_TOLERANCE_S = 10 * 60  # a stated time this far from the modelled one is reported


@dataclass
class _Seat:
    """One row: a pupil on a route, where they get on and off, and the times the council states."""

    row: int
    pupil: Pupil
    pickup: int
    dropoff: int | None
    pickup_time: int | None
    dropoff_time: int | None


@dataclass
class _RouteSpec:
    route_id: str
    session: Session
    vehicle_id: str
    fleet: VehicleType
    passenger_assistant: bool
    agreed_pence: int | None
    first_row: int
    seats: list[_Seat] = field(default_factory=list)


@dataclass(frozen=True)
class TimeNote:
    """A time the council states that the road model puts elsewhere (minutes, + = later)."""

    route_id: str
    pupil_id: str
    what: str  # "pick-up" or "drop-off"
    stated_s: int
    modelled_s: int

    def __str__(self) -> str:
        shift = round((self.modelled_s - self.stated_s) / 60)
        return (
            f"route {self.route_id}: {self.pupil_id}'s {self.what} is stated as"
            f" {format_hm(self.stated_s)}; on the roads it is {format_hm(self.modelled_s)}"
            f" ({shift:+d} min)"
        )


@dataclass
class CurrentRoutes:
    """The plan made of a council's current routes, and the stated times the model disagrees
    with by more than :data:`STATED_TIME_TOLERANCE_S`."""

    plan: Plan
    time_notes: list[TimeNote]


def _fleet_row(rows: RowReader, row: int, cells: dict[str, str], dataset: Dataset) -> VehicleType:
    operator, kind = cells.get("operator", ""), cells.get("vehicle_type", "")
    by_key = {vt.key.lower(): vt for vt in dataset.fleet}
    found = by_key.get(f"{operator}/{kind}".lower())
    if found is None and operator and kind:
        rows.problem(
            row,
            "vehicle_type",
            f"'{operator}' / '{kind}' is not a row of the fleet (operator and vehicle_type)",
        )
    return found or dataset.fleet[0]


def _session(rows: RowReader, row: int, cells: dict[str, str]) -> Session | None:
    raw = rows.text(row, cells, "session", required=True).upper()
    if raw in ("AM", "PM"):
        return Session(raw)
    if raw:
        rows.problem(row, "session", f"'{cells['session']}' is not AM or PM")
    return None


def _pupil(
    rows: RowReader, row: int, cells: dict[str, str], dataset: Dataset, session: Session | None
) -> Pupil | None:
    pid = rows.text(row, cells, "pupil_id", required=True)
    if not pid:
        return None
    pupil = dataset.find_pupil(pid)
    if pupil is None:
        rows.problem(row, "pupil_id", f"pupil '{pid}' is not in the dataset's pupils")
    elif session is not None and session not in pupil.sessions:
        rows.problem(row, "pupil_id", f"pupil '{pid}' does not travel in {session} (pupils)")
        return None
    return pupil


def _optional_time(rows: RowReader, row: int, cells: dict[str, str], column: str) -> int | None:
    return rows.time_of_day(row, cells, column) if cells.get(column, "") else None


def _order(rows: RowReader, row: int, cells: dict[str, str], column: str) -> int | None:
    value = rows.number(row, cells, column, required=column == "pickup_order", integer=True)
    if value is not None and value < 1:
        rows.problem(row, column, f"{value} is not a stop number (1, 2, 3 ...)")
        return None
    return None if value is None else int(value)


def _same(
    rows: RowReader, row: int, spec: _RouteSpec, column: str, mine: object, theirs: object
) -> None:
    if mine != theirs:
        rows.problem(
            row,
            column,
            f"route {spec.route_id} ({spec.session}) has {_shown(theirs, column)} on row"
            f" {spec.first_row}, here {_shown(mine, column)}; every row of a route must agree",
        )


def _shown(value: object, column: str) -> str:
    """A route-level value as the spreadsheet writes it."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "a blank"
    if column == "agreed_price_per_day" and isinstance(value, int):
        return f"{value / 100:.2f}"
    return f"'{value}'"


def _read_row(
    rows: RowReader,
    row: int,
    cells: dict[str, str],
    dataset: Dataset,
    specs: dict[tuple[Session, str], _RouteSpec],
) -> tuple[_RouteSpec, _Seat] | None:
    route_id = rows.text(row, cells, "route_id", required=True)
    session = _session(rows, row, cells)
    rows.text(row, cells, "operator", required=True)
    rows.text(row, cells, "vehicle_type", required=True)
    fleet = _fleet_row(rows, row, cells, dataset)
    assistant = rows.boolean(row, cells, "passenger_assistant")
    vehicle_id = cells.get("vehicle_id", "") or route_id
    price = rows.number(row, cells, "agreed_price_per_day", minimum=0)
    agreed = None if price is None else int(round(price * 100))
    pupil = _pupil(rows, row, cells, dataset, session)
    pickup = _order(rows, row, cells, "pickup_order")
    dropoff = _order(rows, row, cells, "dropoff_order")
    if pickup is not None and dropoff is not None and dropoff <= pickup:
        rows.problem(row, "dropoff_order", f"{dropoff} is not after pickup_order {pickup}")
        dropoff = None
    times = [_optional_time(rows, row, cells, c) for c in ("pickup_time", "dropoff_time")]
    if not route_id or session is None or pupil is None or pickup is None:
        return None
    spec = specs.get((session, route_id))
    if spec is None:
        spec = _RouteSpec(route_id, session, vehicle_id, fleet, assistant, agreed, row)
        specs[(session, route_id)] = spec
    else:
        _same(rows, row, spec, "vehicle_type", fleet.key, spec.fleet.key)
        _same(rows, row, spec, "passenger_assistant", assistant, spec.passenger_assistant)
        _same(rows, row, spec, "vehicle_id", vehicle_id, spec.vehicle_id)
        _same(rows, row, spec, "agreed_price_per_day", agreed, spec.agreed_pence)
    return spec, _Seat(row, pupil, pickup, dropoff, times[0], times[1])


def read_routes_table(table: Table, dataset: Dataset) -> list[_RouteSpec]:
    """Every route of the table, its rows checked; raise :class:`InputError` with every problem."""
    problems: list[InputProblem] = list(table.problems)  # over a cap: refused
    for column in REQUIRED:
        if column not in table.columns:
            problems.append(InputProblem(table.file, 1, column, "this column is missing"))
    if problems:
        raise InputError(problems)
    if not table.rows:
        raise InputError([InputProblem(table.file, None, None, "there are no routes")])
    rows = RowReader(table, problems, {})
    specs: dict[tuple[Session, str], _RouteSpec] = {}
    on_route: dict[tuple[Session, str], tuple[str, int]] = {}
    for row, cells in table.rows:
        read = _read_row(rows, row, cells, dataset, specs)
        if read is None:
            continue
        spec, seat = read
        key = (spec.session, seat.pupil.pupil_id)
        if key in on_route:
            other, first = on_route[key]
            rows.problem(
                row,
                "pupil_id",
                f"pupil {seat.pupil.pupil_id} is already on route {other} in {spec.session}"
                f" (row {first})",
            )
            continue
        on_route[key] = (spec.route_id, row)
        spec.seats.append(seat)
    for spec in specs.values():
        _check_stops(rows, spec)
    if problems:
        raise InputError(problems)
    return list(specs.values())


@dataclass
class _StopPlan:
    """One stop of a route being built: its kind, place and who gets on or off there."""

    kind: VisitKind
    key: str  # location key
    school_id: str | None
    seats: list[_Seat] = field(default_factory=list)


def _place(seat: _Seat, kind: VisitKind, session: Session) -> tuple[str, str | None]:
    """The location key of a pupil's pick-up or drop-off, and the school if it is one."""
    at_home = (kind is VisitKind.PICKUP) == (session is Session.AM)
    if at_home:
        return home_key(seat.pupil, session), None
    return school_key(seat.pupil.school_id), seat.pupil.school_id


def _point(seat: _Seat, session: Session) -> tuple[float, float]:
    place = seat.pupil.address(session)
    return round(place.lat, 6), round(place.lon, 6)


def _default_dropoffs(spec: _RouteSpec) -> None:
    """Drop-off numbers when none are given: after the last pick-up; in the morning each school
    once, in order of its first pick-up; in the afternoon each home in order of pick-up, then of
    rows."""
    after = max(s.pickup for s in spec.seats)
    if spec.session is Session.AM:
        schools: dict[str, int] = {}
        for seat in sorted(spec.seats, key=lambda s: (s.pickup, s.row)):
            schools.setdefault(seat.pupil.school_id, after + len(schools) + 1)
        for seat in spec.seats:
            seat.dropoff = schools[seat.pupil.school_id]
        return
    for n, seat in enumerate(sorted(spec.seats, key=lambda s: (s.pickup, s.row)), start=1):
        seat.dropoff = after + n


def _check_stops(rows: RowReader, spec: _RouteSpec) -> None:
    """Give each route its drop-off numbers, and check that one stop number is one place."""
    if not spec.seats:  # every row of it had a problem, reported already
        return
    given = [s for s in spec.seats if s.dropoff is not None]
    if given and len(given) < len(spec.seats):
        missing = next(s for s in spec.seats if s.dropoff is None)
        rows.problem(
            missing.row,
            "dropoff_order",
            f"route {spec.route_id} ({spec.session}) gives dropoff_order on some rows only;"
            " give it on every row of the route or on none",
        )
        return
    if not given:
        _default_dropoffs(spec)
    for number, stop in _stop_plans(spec).items():
        if isinstance(stop, str):
            rows.problem(stop_row(spec, number), "pickup_order", stop)


def stop_row(spec: _RouteSpec, number: int) -> int:
    """The first row naming a stop number of a route."""
    return min(s.row for s in spec.seats if number in (s.pickup, s.dropoff))


def _stop_plans(spec: _RouteSpec) -> dict[int, _StopPlan | str]:
    """Stops by number; a number naming two kinds or two places is a message instead."""
    stops: dict[int, _StopPlan | str] = {}
    for seat in sorted(spec.seats, key=lambda s: s.row):
        for number, kind in ((seat.pickup, VisitKind.PICKUP), (seat.dropoff, VisitKind.DROPOFF)):
            if number is None:
                continue
            key, school_id = _place(seat, kind, spec.session)
            stop = stops.setdefault(number, _StopPlan(kind, key, school_id))
            if isinstance(stop, str):
                continue
            if stop.kind is not kind:
                stops[number] = (
                    f"route {spec.route_id} ({spec.session}) stop {number} is both a pick-up"
                    " and a drop-off; number each stop once"
                )
            elif stop.school_id != school_id or (
                school_id is None
                and bool(stop.seats)
                and _point(stop.seats[0], spec.session) != _point(seat, spec.session)
            ):
                who = ", ".join(s.pupil.pupil_id for s in [*stop.seats, seat])
                stops[number] = (
                    f"route {spec.route_id} ({spec.session}) stop {number} is at more than one"
                    f" place ({who}); pupils picked up or set down together share an address"
                )
            else:
                stop.seats.append(seat)
    return stops


def _bundles(spec: _RouteSpec) -> list[list[_Seat]]:
    """The route's pupils who get on together and off together (a family at one address going
    to one school, as the planner bundles them), in row order: one request each, boarding in
    turn during one visit, so a stop's window applies to when the vehicle arrives there, as the
    validator reads it."""
    out: dict[tuple[int, int | None], list[_Seat]] = {}
    for seat in sorted(spec.seats, key=lambda s: s.row):
        out.setdefault((seat.pickup, seat.dropoff), []).append(seat)
    return list(out.values())


def _request(
    dataset: Dataset, rows: tuple[int, int], session: Session, bundle: list[Pupil]
) -> Request:
    """Pupils boarding together as one request, with the windows the routing model gives it."""
    lead = bundle[0]
    school = dataset.schools[lead.school_id]
    service = sum(dataset.boarding_s(p) for p in bundle)
    earliest, latest = SESSION_HOURS[session]
    if session is Session.AM:
        pickup = Visit(rows[0], earliest, latest, service)
        dropoff = Visit(rows[1], school.am_arrive_from_s, school.am_arrive_by_s, service)
    else:
        pickup = Visit(
            rows[0], school.pm_depart_from_s - service, school.pm_depart_by_s - service, service
        )
        dropoff = Visit(rows[1], earliest, latest, service)
    # Timed against the pupil's maximum, not the fair detour: a route run today is timed as it
    # can be driven, and the validator reports any detour over the policy's rule.
    return Request(
        "+".join(p.pupil_id for p in bundle),
        dropoff,
        pickup,
        max_ride_s=min(dataset.max_ride_s(p) for p in bundle),
    )


def _timed(
    dataset: Dataset, travel: TravelData, spec: _RouteSpec, stops: list[_StopPlan]
) -> tuple[Problem, VehicleRoute]:
    """The route as a one-vehicle routing problem and its best timetable (one request per
    bundle of :func:`_bundles`; each stop's seats left grouped by bundle, in visiting order)."""
    session = spec.session
    times = travel.times(session)
    bundles = _bundles(spec)
    index = {seat.pupil.pupil_id: i for i, bundle in enumerate(bundles) for seat in bundle}
    requests = []
    for bundle in bundles:
        lead = bundle[0].pupil
        home, school = travel.row(home_key(lead, session)), travel.row(school_key(lead.school_id))
        pair = (home, school) if session is Session.AM else (school, home)
        requests.append(_request(dataset, pair, session, [seat.pupil for seat in bundle]))
    depot = travel.row(depot_key(spec.fleet))
    earliest, latest = SESSION_HOURS[session]
    vehicle = Vehicle(spec.vehicle_id, depot, depot, {}, 0, 0, earliest, latest)
    problem = Problem(
        name=spec.route_id,
        time_s=times,
        distance_m=travel.distance_m,
        requests=tuple(requests),
        vehicles=(vehicle,),
        dimensions=(),
    )
    for stop in stops:  # each bundle's seats together, bundles in order of their first seat
        rank = {i: n for n, i in enumerate(_stop_requests(stop, index))}
        stop.seats.sort(key=lambda seat: rank[index[seat.pupil.pupil_id]])

    first = _first_timetable(problem, stops, index, travel)
    timed = retime(problem, first, _stated(stops, index, requests))
    if timed is first and _tightest_last(stops, first, requests, index):
        first = _first_timetable(problem, stops, index, travel)
        timed = retime(problem, first, _stated(stops, index, requests))
    if timed is first:
        timed = retime_closest(problem, first)
    return problem, timed


def _first_timetable(
    problem: Problem, stops: list[_StopPlan], index: dict[str, int], travel: TravelData
) -> VehicleRoute:
    """A first timetable in the stops' order, as early as the windows allow (the re-timing
    replaces it)."""
    vehicle = problem.vehicles[0]
    visits, clock, row = [], vehicle.earliest_start_s, vehicle.start_row
    for stop in stops:
        r = travel.row(stop.key)
        for i in _stop_requests(stop, index):
            request = problem.requests[i]
            visit = request.pickup if stop.kind is VisitKind.PICKUP else request.dropoff
            assert visit is not None
            clock = max(clock + int(problem.time_s[row, r]), visit.earliest_s)
            visits.append(VisitTime(i, stop.kind, r, clock))
            clock, row = clock + visit.service_s, r
    back = clock + int(problem.time_s[row, vehicle.end_row])
    return VehicleRoute(0, vehicle.earliest_start_s, visits, back)


def _stated(
    stops: list[_StopPlan], index: dict[str, int], requests: list[Request]
) -> dict[int, tuple[int, int]]:
    """The times the council states, as targets for the visits' starts of service (by position
    in the route): a stop's pick-up time is when the vehicle leaves it (its last boarding done),
    a drop-off time when it arrives (its first visit); a time in whole minutes stands for any
    second of that minute."""
    out = {}
    position = 0
    for stop in stops:
        order = _stop_requests(stop, index)
        pickup = stop.kind is VisitKind.PICKUP
        given = next(
            (
                t
                for s in stop.seats
                if (t := s.pickup_time if pickup else s.dropoff_time) is not None
            ),
            None,
        )
        if given is not None:
            at, where = given, position
            if pickup:  # boarding of the last family at the stop starts before it leaves
                at, where = (
                    given - requests[order[-1]].visits[0].service_s,
                    position + len(order) - 1,
                )
            out[where] = (at, at + (59 if given % 60 == 0 else 0))
        position += len(order)
    return out


def _stop_requests(stop: _StopPlan, index: dict[str, int]) -> list[int]:
    """The requests (bundles) served at a stop, in the order of its seats."""
    return list(dict.fromkeys(index[seat.pupil.pupil_id] for seat in stop.seats))


def _tightest_last(
    stops: list[_StopPlan], first: VehicleRoute, requests: list[Request], index: dict[str, int]
) -> bool:
    """Order the bundles within each stop so that ride limits are easiest to keep; True if any
    order changed.

    A file gives stops, not the order of boarding within a stop (the rows are in pick-up order),
    and each bundle boards in turn. Given the stops' times, boarding last whoever must board
    latest and setting down first whoever must be set down earliest breaks no ride limit that
    some order keeps (an earliest-deadline-first exchange argument): a pick-up stop is ordered
    by the bundle's set-down time less its limit, a set-down stop by pick-up time plus limit,
    both read from the first timetable.
    """
    at = {(v.request, VisitKind(v.kind)): v.start_s for v in first.visits}
    changed = False
    for stop in stops:
        order = _stop_requests(stop, index)
        if len(order) < 2:
            continue

        def due(i: int, pickup: bool = stop.kind is VisitKind.PICKUP) -> int:
            request = requests[i]
            limit = request.max_ride_s or 0
            board = request.pickup.service_s if request.pickup else 0
            if pickup:
                return at[(i, VisitKind.DROPOFF)] - limit - board
            return at[(i, VisitKind.PICKUP)] + board + limit

        ordered = sorted(order, key=due)  # stable: ties keep the file's order
        if ordered != order:
            rank = {i: n for n, i in enumerate(ordered)}
            stop.seats.sort(key=lambda seat: rank[index[seat.pupil.pupil_id]])
            changed = True
    return changed


def _route(
    dataset: Dataset, travel: TravelData, spec: _RouteSpec, route_id: str
) -> tuple[Route, list[TimeNote]]:
    plans = _stop_plans(spec)
    stops_in_order = [plans[n] for n in sorted(plans)]
    stops_plan = [s for s in stops_in_order if isinstance(s, _StopPlan)]
    problem, timed = _timed(dataset, travel, spec, stops_plan)
    session = spec.session
    depot = spec.fleet.depot
    stops = [Stop(StopType.DEPOT, depot.lat, depot.lon)]
    starts = iter(timed.visits)
    index = {seat.pupil.pupil_id: i for i, b in enumerate(_bundles(spec)) for seat in b}
    notes: list[TimeNote] = []
    for plan in stops_plan:
        place: Location = travel.location[plan.key]
        visits = [next(starts) for _ in _stop_requests(plan, index)]
        service = [problem.requests[v.request].visits[0].service_s for v in visits]
        stop = Stop(
            StopType(str(plan.kind)),
            place.lat,
            place.lon,
            visits[0].start_s,
            max(v.start_s + s for v, s in zip(visits, service, strict=True)),
            tuple(seat.pupil.pupil_id for seat in plan.seats),
            plan.school_id,
        )
        stops.append(stop)
        notes += _notes(route_id, plan, stop)
    rows = [
        travel.row(depot_key(spec.fleet)),
        *(travel.row(p.key) for p in stops_plan),
        travel.row(depot_key(spec.fleet)),
    ]
    times = travel.times(session)
    stops[0].depart = stops[1].arrive - int(times[rows[0], rows[1]])  # type: ignore[operator]
    stops.append(
        Stop(
            StopType.DEPOT,
            depot.lat,
            depot.lon,
            arrive=stops[-1].depart + int(times[rows[-2], rows[-1]]),  # type: ignore[operator]
        )
    )
    metres = int(sum(travel.distance_m[a, b] for a, b in zip(rows, rows[1:], strict=False)))
    route = Route(
        route_id=route_id,
        session=session,
        vehicle_id=spec.vehicle_id,
        vehicle_type=spec.fleet.vehicle_type,
        operator=spec.fleet.operator,
        passenger_assistant=spec.passenger_assistant,
        stops=stops,
        distance_km=round(metres / 1000, 3),
        duration_min=round((stops[-1].arrive - stops[0].depart) / 60, 1),  # type: ignore[operator]
        cost_pence=route_cost_pence(spec.fleet, metres, spec.passenger_assistant, dataset),
        agreed_cost_pence=spec.agreed_pence,
    )
    return route, notes


def _notes(route_id: str, plan: _StopPlan, stop: Stop) -> list[TimeNote]:
    """Stated times more than the tolerance away from the modelled ones."""
    out = []
    for seat in plan.seats:
        stated = seat.pickup_time if plan.kind is VisitKind.PICKUP else seat.dropoff_time
        modelled = stop.depart if plan.kind is VisitKind.PICKUP else stop.arrive
        if stated is None or modelled is None:
            continue
        if abs(modelled - stated) > STATED_TIME_TOLERANCE_S:
            what = "pick-up" if plan.kind is VisitKind.PICKUP else "drop-off"
            out.append(TimeNote(route_id, seat.pupil.pupil_id, what, stated, modelled))
    return out


def _route_ids(specs: list[_RouteSpec]) -> list[str]:
    """The council's route ids, made unique in the plan: an id used in both sessions gets the
    session after it."""
    sessions: dict[str, set[Session]] = defaultdict(set)
    for spec in specs:
        sessions[spec.route_id].add(spec.session)
    return [
        f"{s.route_id} {s.session}" if len(sessions[s.route_id]) > 1 else s.route_id for s in specs
    ]


def _left_out(dataset: Dataset, travel: TravelData, routes: list[Route]) -> list[Unassigned]:
    """Every journey of the dataset no current route carries, with the reason.

    A fleet-wide cause is kept where the data prove it (no vehicle could make the journey alone,
    or every one that could is in use); otherwise the reason is that no current route carries it,
    and the validator reports it if a vehicle the routes leave idle could.
    """
    carried = {(r.session, p) for r in routes for p in r.pupil_ids}
    journeys = [
        (p, s) for s in Session for p in dataset.pupils_in(s) if (s, p.pupil_id) not in carried
    ]
    out = []
    for entry in explain_unplaced(dataset, travel, routes, journeys, set()):
        if entry.cause in ("fleet_used", "no_solo_fit"):
            out.append(entry)
        else:
            out.append(Unassigned(entry.pupil_id, entry.session, NOT_CARRIED))
    return out


def current_plan(
    table: Table, dataset: Dataset, travel: TravelData, *, name: str | None = None
) -> CurrentRoutes:
    """The plan of a council's current routes, read from ``table``.

    Parameters
    ----------
    table : Table
        The routes, one row per pupil on a route (``docs/current_routes.md``).
    dataset : Dataset
        The pupils, schools, fleet and settings the routes serve.
    travel : TravelData
        Its locations and matrices.
    name : str, optional
        The plan's ``dataset`` name (default: the dataset's).

    Returns
    -------
    CurrentRoutes
        The plan, timed and costed (``agreed_cost`` on routes with an agreed price), with its
        summary, and the stated times the road model disagrees with.

    Raises
    ------
    InputError
        With every problem of the table, each with file, row and column.
    """
    specs = read_routes_table(table, dataset)
    routes, notes = [], []
    for spec, route_id in zip(specs, _route_ids(specs), strict=True):
        route, found = _route(dataset, travel, spec, route_id)
        routes.append(route)
        notes += found
    plan = Plan(
        dataset=name or dataset.name,
        routes=routes,
        unassigned=_left_out(dataset, travel, routes),
        split_groups=[],
    )
    plan.split_groups = _apart(dataset, routes)
    plan.summary = summarise(plan, dataset, travel)
    return CurrentRoutes(plan, notes)


def _apart(dataset: Dataset, routes: list[Route]) -> list[SplitGroup]:
    """Sibling groups the current routes carry on more than one vehicle, listed as such."""
    vehicles: dict[tuple[Session, str], set[str]] = defaultdict(set)
    for route in routes:
        for pid in route.pupil_ids:
            group = dataset.pupil(pid).group
            if group:
                vehicles[(route.session, group)].add(route.vehicle_id)
    return [
        SplitGroup(
            group,
            session,
            f"the current routes carry group {group} apart, on {', '.join(sorted(ids))}",
        )
        for (session, group), ids in sorted(vehicles.items())
        if len(ids) > 1
    ]


def read_current_routes(
    path: Path | str, dataset: Dataset, travel: TravelData, *, data: bytes | None = None
) -> CurrentRoutes:
    """:func:`current_plan` of a CSV file or workbook (its ``routes`` sheet, else its first).

    ``data`` gives the file's bytes when it was uploaded rather than saved; ``path`` then only
    names it.
    """
    path = Path(path)
    if data is None and not path.exists():
        raise InputError([InputProblem(path.name, None, None, "file is missing")])
    table = read_single_table(data if data is not None else path, path.name, "routes")
    return current_plan(table, dataset, travel)


def _stop_numbers(
    route: Route,
) -> dict[str, tuple[int | None, int | None, Stop | None, Stop | None]]:
    """Per pupil: the numbers of their pick-up and drop-off stops (depots not counted)."""
    out: dict[str, list] = defaultdict(lambda: [None, None, None, None])
    number = 0
    for stop in route.stops:
        if stop.type is StopType.DEPOT:
            continue
        number += 1
        for pid in stop.pupil_ids:
            if stop.type is StopType.PICKUP:
                out[pid][0], out[pid][2] = number, stop
            else:
                out[pid][1], out[pid][3] = number, stop
    return {pid: (v[0], v[1], v[2], v[3]) for pid, v in out.items()}


def _school_order(route: Route) -> list[str]:
    """The route's pupils in the order they get off at school in the morning, or on at school in
    the afternoon: the stop numbers give the order of the stops, and the rows the order within
    a stop (:func:`_bundles`), which matters at a school, where families take turns."""
    at_school = StopType.DROPOFF if route.session is Session.AM else StopType.PICKUP
    order = [pid for stop in route.stops if stop.type is at_school for pid in stop.pupil_ids]
    rest = [pid for pid in route.pupil_ids if pid not in order]
    return list(dict.fromkeys([*order, *rest]))


def current_rows(plan: Plan) -> Iterable[dict[str, str]]:
    """A plan as current-route rows: one per pupil on a route, in route order and, within a
    route, in the order the pupils get off (morning) or on (afternoon) at school."""
    for route in plan.routes:
        numbers = _stop_numbers(route)
        price = route.agreed_cost_pence
        for pid in _school_order(route):
            pickup, dropoff, on, off = numbers[pid]
            yield {
                "route_id": route.route_id,
                "session": str(route.session),
                "vehicle_id": route.vehicle_id,
                "operator": route.operator,
                "vehicle_type": route.vehicle_type,
                "passenger_assistant": "yes" if route.passenger_assistant else "no",
                "pupil_id": pid,
                "pickup_order": str(pickup or ""),
                "dropoff_order": str(dropoff or ""),
                "pickup_time": format_hm(on.depart) if on and on.depart is not None else "",
                "dropoff_time": format_hm(off.arrive) if off and off.arrive is not None else "",
                "agreed_price_per_day": "" if price is None else f"{price / 100:.2f}",
            }


def current_routes_csv(plan: Plan) -> str:
    """The text of a current-routes CSV file for a plan (see :func:`current_rows`)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    # Operator names and ids a spreadsheet would run are quoted; reading them back unquotes them.
    writer.writerows({k: formula_safe(v) for k, v in row.items()} for row in current_rows(plan))
    return buffer.getvalue()


def write_current_routes(plan: Plan, path: Path | str) -> Path:
    """Write a plan as current routes: CSV, or a workbook with a ``routes`` sheet for ``.xlsx``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() != ".xlsx":
        path.write_text(current_routes_csv(plan), encoding="utf-8")
        return path
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "routes"
    sheet.append(list(COLUMNS))
    for number, row in enumerate(current_rows(plan), start=2):
        for column, name in enumerate(COLUMNS, start=1):
            cell = sheet.cell(row=number, column=column, value=row[name])
            cell.data_type = "s"  # text, never a live formula, whatever it starts with
    book.save(path)
    return path
