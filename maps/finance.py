"""The finance team's figures: what a plan costs, where the money goes, and how two plans differ.

Totals and unit costs only: no pupil's name, address or id appears in any figure. Money is
integer pence; a day is the plan's AM and PM routes together; a year is
``settings.school_days_per_year`` days. A route's cost is split over the schools it serves in
proportion to the pupils it carries for each. The files (chart, HTML, CSV, XLSX) are written by
:mod:`maps.finance_output`, which reads this module; nothing here imports the writers.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from maps.plan_facts import (
    Ride,
    plan_date,
    plan_rides,
    split_pence,
    vehicle_for,
)
from optimiser.domain.entities import Dataset, Location, Pupil, Session
from optimiser.domain.money import pence_from_pounds
from optimiser.domain.rules import can_carry, route_cost_pence
from optimiser.plan.changes import PupilComparison
from optimiser.plan.document import Plan, Route
from optimiser.plan.totals import co2_mg, route_distance_m

#: Without the road matrices, a solo journey's road distance is estimated as the straight-line
#: distance times this (a usual ratio of road to crow-flies distance in England).
ROAD_FACTOR = 1.3
NO_NEED = "no listed need"


@dataclass
class Line:
    """One row of a breakdown: routes, pupil journeys, daily km, CO2 and cost.

    ``pupils`` counts journeys (a pupil riding AM and PM counts twice); ``people`` the distinct
    pupils, where a breakdown knows them.
    """

    routes: int = 0
    pupils: int = 0
    km: float = 0.0
    co2_kg: float = 0.0
    cost_pence: int = 0
    people: int = 0


@dataclass(frozen=True)
class RoutePrice:
    """One line of the per-route price list."""

    route_id: str
    session: str
    operator: str
    vehicle_type: str
    passenger_assistant: bool
    pupils: int
    km: float
    cost_pence: int


@dataclass(frozen=True)
class UnplacedCost:
    """A journey not placed, costed as if carried alone in the cheapest suitable vehicle.

    No pupil id: the finance report names no child. ``vehicle`` is ``None`` when no vehicle type
    in the fleet could carry the pupil at all (then the cost is 0 and says so).
    """

    session: str
    need: str
    school: str
    vehicle: str | None
    km: float
    cost_pence: int
    estimated: bool  # distance from straight lines, not the road matrices


@dataclass(frozen=True)
class RideStats:
    """Ride times over all pupil journeys (a pupil riding AM and PM counts twice)."""

    minutes: tuple[float, ...]  # one per journey, sorted; no ids
    guidance_min: tuple[int, ...]  # the guidance limit of each journey, same order
    over_guidance: int  # journeys longer than the best-practice guidance (domain.entities)
    pupils_over_guidance: int  # distinct pupils with at least one such journey

    @property
    def mean_min(self) -> float:
        return statistics.fmean(self.minutes) if self.minutes else 0.0

    @property
    def median_min(self) -> float:
        return statistics.median(self.minutes) if self.minutes else 0.0

    @property
    def max_min(self) -> float:
        return max(self.minutes, default=0.0)


@dataclass(frozen=True)
class AgainstCurrent:
    """A plan's daily cost against the council's current routes (the routes run today).

    The current routes cost what their routes state at the fleet's prices, and, where routes
    state an agreed price, that price on those routes and the fleet's on the others.
    """

    current_daily_pence: int
    current_agreed_daily_pence: int | None  # None: no current route states an agreed price
    daily_pence: int  # the plan's

    @property
    def difference_daily_pence(self) -> int:
        """The plan minus the current routes at the fleet's prices: negative is a saving."""
        return self.daily_pence - self.current_daily_pence

    @property
    def difference_agreed_daily_pence(self) -> int | None:
        if self.current_agreed_daily_pence is None:
            return None
        return self.daily_pence - self.current_agreed_daily_pence


def against_current(plan: Plan, current: Plan) -> AgainstCurrent:
    """The daily cost of ``plan`` against the current routes ``current``."""
    agreed = [r.agreed_cost_pence for r in current.routes if r.agreed_cost_pence is not None]
    return AgainstCurrent(
        current_daily_pence=sum(r.cost_pence for r in current.routes),
        current_agreed_daily_pence=sum(
            r.cost_pence if r.agreed_cost_pence is None else r.agreed_cost_pence
            for r in current.routes
        )
        if agreed
        else None,
        daily_pence=sum(r.cost_pence for r in plan.routes),
    )


@dataclass(frozen=True)
class FinanceReport:
    """Every figure of the finance report for one plan."""

    dataset: str
    plan_date: str
    school_days_per_year: int
    daily_cost_pence: int
    routes: int
    vehicles: int
    pupils: int
    journeys: int
    unassigned: int
    solo_journeys: int
    pa_routes: int
    pa_cost_daily_pence: int
    km_daily: float
    co2_kg_daily: float
    baseline_daily_pence: int | None
    rides: RideStats
    by_operator: dict[str, Line] = field(default_factory=dict)
    by_vehicle_type: dict[str, Line] = field(default_factory=dict)
    by_school: dict[str, Line] = field(default_factory=dict)
    unknown_vehicles: tuple[str, ...] = ()
    by_session: dict[str, Line] = field(default_factory=dict)
    by_need: dict[str, Line] = field(default_factory=dict)
    by_school_type: dict[str, Line] = field(default_factory=dict)
    route_prices: tuple[RoutePrice, ...] = ()
    unplaced: tuple[UnplacedCost, ...] = ()
    pupils_not_placed: int = 0  # distinct pupils with at least one journey not placed
    pupils_without_transport: int = 0  # of those, pupils with no journey placed at all
    # Fair rides and the same vehicle both ways, from the plan's summary (absent in old plans):
    # (label, value, kind) rows as summary_items lists them.
    fairness: tuple[tuple[str, float | str, str], ...] = ()
    # Against the council's current routes, when they were given (else only the solo baseline).
    current: AgainstCurrent | None = None

    @property
    def pa_sessions(self) -> int:
        """Vehicle-sessions with a passenger assistant on board (AM and PM count apart)."""
        return self.pa_routes

    @property
    def unplaced_cost_pence(self) -> int:
        return sum(u.cost_pence for u in self.unplaced)

    @property
    def total_with_unplaced_pence(self) -> int:
        """What the day would cost with every journey not placed carried alone."""
        return self.daily_cost_pence + self.unplaced_cost_pence

    def annual(self, pence: int) -> int:
        """A daily amount over the school year."""
        return pence * self.school_days_per_year

    @property
    def annual_cost_pence(self) -> int:
        return self.annual(self.daily_cost_pence)

    @property
    def cost_per_pupil_year_pence(self) -> int | None:
        return round(self.annual_cost_pence / self.pupils) if self.pupils else None

    @property
    def saving_daily_pence(self) -> int | None:
        """Against every pupil carried alone (the solo baseline); positive is a saving."""
        if self.baseline_daily_pence is None:
            return None
        return self.baseline_daily_pence - self.daily_cost_pence


def _baseline_pence(plan: Plan) -> int | None:
    """``summary["baseline_cost_per_day"]`` is in pounds, like all money in plan.json."""
    value = plan.summary.get("baseline_cost_per_day")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(round(value * 100))


def ride_stats(rides: list[Ride]) -> RideStats:
    """Ride-time figures; journeys with a missing time are left out."""
    timed = sorted((r for r in rides if r.ride_s is not None), key=lambda r: r.ride_s or 0)
    over = [r for r in timed if r.over_guidance]
    return RideStats(
        minutes=tuple((r.ride_s or 0) / 60 for r in timed),
        guidance_min=tuple(r.guidance_s // 60 for r in timed),
        over_guidance=len(over),
        pupils_over_guidance=len({r.pupil_id for r in over}),
    )


def _route_co2_kg(route: Route, dataset: Dataset) -> float | None:
    """The plan's CO2 rule (:func:`optimiser.plan.totals.co2_mg`), in kg for the split by school."""
    vt = vehicle_for(route, dataset)
    return None if vt is None else co2_mg(vt, route_distance_m(route)) / 1_000_000


def need_of(pupil: Pupil | None) -> str:
    """The pupil's needs that cost money, as one exclusive category ("wheelchair + PA")."""
    if pupil is None:
        return "unknown pupil"
    needs = [
        name
        for name, flag in (
            ("solo", pupil.solo),
            ("wheelchair", pupil.wheelchair),
            ("PA", pupil.passenger_assistant),
        )
        if flag
    ]
    return " + ".join(needs) or NO_NEED


def school_type_of(dataset: Dataset, school_id: str) -> str:
    school = dataset.schools.get(school_id)
    return (school.school_type if school else "") or "type not given"


def _metres(a: Location, b: Location) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


def _solo_metres(dataset: Dataset, pupil: Pupil, session: Session, vt: Any, travel: Any) -> float:
    """Depot, pickup, drop-off, depot: by the road matrices when given, else estimated."""
    school = dataset.schools[pupil.school_id].location
    home = pupil.address(session)
    start, end = (home, school) if session is Session.AM else (school, home)
    if travel is not None and hasattr(travel, "distance_m"):
        from optimiser.roads.travel import depot_key, home_key, school_key

        d = travel.distance_m
        depot, h, sc = (
            travel.row(depot_key(vt)),
            travel.row(home_key(pupil, session)),
            travel.row(school_key(pupil.school_id)),
        )
        a, b = (h, sc) if session is Session.AM else (sc, h)
        return float(d[depot, a] + d[a, b] + d[b, depot])
    legs = _metres(vt.depot, start) + _metres(start, end) + _metres(end, vt.depot)
    return legs * ROAD_FACTOR


def unplaced_costs(plan: Plan, dataset: Dataset, travel: Any = None) -> list[UnplacedCost]:
    """Every journey not placed, at the cost of the cheapest vehicle type that could carry the
    pupil alone (the council would have to buy that journey)."""
    out = []
    estimated = travel is None or not hasattr(travel, "distance_m")
    for u in plan.unassigned:
        pupil = dataset.find_pupil(u.pupil_id)
        school = dataset.schools.get(pupil.school_id) if pupil else None
        best: tuple[int, str, float] | None = None
        if pupil is not None and school is not None:
            session = Session(str(u.session))
            for vt in dataset.fleet:
                if not can_carry(vt, pupil):
                    continue
                metres = _solo_metres(dataset, pupil, session, vt, travel)
                cost = route_cost_pence(vt, metres, pupil.passenger_assistant, dataset)
                if best is None or cost < best[0]:
                    best = (cost, vt.key, metres)
        out.append(
            UnplacedCost(
                session=str(u.session),
                need=need_of(pupil),
                school=f"{school.name} ({school.school_id})" if school else "unknown school",
                vehicle=best[1] if best else None,
                km=round(best[2] / 1000, 1) if best else 0.0,
                cost_pence=best[0] if best else 0,
                estimated=estimated,
            )
        )
    return out


def _add(line: Line, route: Route, pupils: int, co2: float, cost: int) -> None:
    line.routes += 1
    line.pupils += pupils
    line.km += route.distance_km
    line.co2_kg += co2
    line.cost_pence += cost


def _share(
    lines: dict[str, Line],
    people: dict[str, set[str]],
    route: Route,
    co2: float,
    key_of: Any,
) -> None:
    """Split one route's cost, km and CO2 over ``key_of(pupil_id)`` by pupils carried."""
    counts: dict[str, int] = defaultdict(int)
    for pid in route.pupil_ids:
        key = key_of(pid)
        counts[key] += 1
        people[key].add(pid)
    shares = split_pence(route.cost_pence, counts)
    n = len(route.pupil_ids)
    for key, count in counts.items():
        line = lines[key]
        line.routes += 1
        line.pupils += count
        line.km += route.distance_km * count / n
        line.co2_kg += co2 * count / n
        line.cost_pence += shares[key]


def _with_people(lines: dict[str, Line], people: dict[str, set[str]]) -> dict[str, Line]:
    for key, line in lines.items():
        line.people = len(people[key])
    return dict(sorted(lines.items()))


class _Breakdowns:
    """Every breakdown of the routes' cost, filled one route at a time."""

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset
        self.tables: dict[str, dict[str, Line]] = {
            name: defaultdict(Line)
            for name in ("operator", "vehicle_type", "school", "session", "need", "school_type")
        }
        self.people: dict[str, dict[str, set[str]]] = {
            name: defaultdict(set) for name in self.tables
        }
        self.unknown: set[str] = set()

    def _school(self, pid: str) -> str:
        pupil = self.dataset.find_pupil(pid)
        if pupil is None:
            return "unknown"
        school = self.dataset.schools.get(pupil.school_id)
        return f"{school.name} ({pupil.school_id})" if school else pupil.school_id

    def _school_type(self, pid: str) -> str:
        pupil = self.dataset.find_pupil(pid)
        return school_type_of(self.dataset, pupil.school_id) if pupil else "unknown pupil"

    def add(self, route: Route) -> None:
        co2 = _route_co2_kg(route, self.dataset)
        if co2 is None:
            self.unknown.add(f"{route.operator}/{route.vehicle_type}")
            co2 = 0.0
        n = len(route.pupil_ids)
        whole = {
            "operator": route.operator,
            "vehicle_type": f"{route.operator}/{route.vehicle_type}",
            "session": str(route.session),
        }
        for table, key in whole.items():
            _add(self.tables[table][key], route, n, co2, route.cost_pence)
            self.people[table][key].update(route.pupil_ids)
        t, p = self.tables, self.people
        _share(t["school"], p["school"], route, co2, self._school)
        _share(t["school_type"], p["school_type"], route, co2, self._school_type)
        need = lambda pid: need_of(self.dataset.find_pupil(pid))  # noqa: E731
        _share(t["need"], p["need"], route, co2, need)

    def table(self, name: str) -> dict[str, Line]:
        return _with_people(self.tables[name], self.people[name])


def route_prices(plan: Plan) -> tuple[RoutePrice, ...]:
    """The per-route price list, AM before PM, then by operator and route id."""
    ordered = sorted(plan.routes, key=lambda r: (str(r.session), r.operator, r.route_id))
    return tuple(
        RoutePrice(
            route_id=r.route_id,
            session=str(r.session),
            operator=r.operator,
            vehicle_type=r.vehicle_type,
            passenger_assistant=r.passenger_assistant,
            pupils=len(r.pupil_ids),
            km=round(r.distance_km, 1),
            cost_pence=r.cost_pence,
        )
        for r in ordered
    )


def finance_report(
    plan: Plan, dataset: Dataset, travel: Any = None, *, current: Plan | None = None
) -> FinanceReport:
    """All finance figures for one plan.

    Parameters
    ----------
    plan, dataset
        The plan and the dataset it was made from.
    travel
        The plan's travel data (road distances) for costing journeys not placed; without it their
        distances are estimated from straight lines (:data:`ROAD_FACTOR`).
    current
        The council's current routes, if given: the report then states the plan's cost against
        them (:func:`against_current`) as well as against every pupil alone.

    Returns
    -------
    FinanceReport
        Daily figures; annual ones follow from ``school_days_per_year``.
    """
    parts = _Breakdowns(dataset)
    for route in plan.routes:
        parts.add(route)
    pa_routes = sum(1 for r in plan.routes if r.passenger_assistant)
    carried = {p for r in plan.routes for p in r.pupil_ids}
    not_placed = {u.pupil_id for u in plan.unassigned}
    by_operator = parts.table("operator")
    return FinanceReport(
        dataset=plan.dataset or dataset.name,
        plan_date=plan_date(plan),
        school_days_per_year=dataset.settings.school_days_per_year,
        daily_cost_pence=sum(r.cost_pence for r in plan.routes),
        routes=len(plan.routes),
        vehicles=len({r.vehicle_id for r in plan.routes}),
        pupils=len(carried),
        journeys=sum(len(r.pupil_ids) for r in plan.routes),
        unassigned=len(plan.unassigned),
        solo_journeys=sum(1 for r in plan.routes if len(r.pupil_ids) == 1),
        pa_routes=pa_routes,
        pa_cost_daily_pence=pa_routes * dataset.settings.passenger_assistant_per_session_pence,
        km_daily=sum(r.distance_km for r in plan.routes),
        co2_kg_daily=sum(line.co2_kg for line in by_operator.values()),
        baseline_daily_pence=_baseline_pence(plan),
        rides=ride_stats(plan_rides(plan, dataset)),
        by_operator=by_operator,
        by_vehicle_type=parts.table("vehicle_type"),
        by_school=parts.table("school"),
        unknown_vehicles=tuple(sorted(parts.unknown)),
        by_session=parts.table("session"),
        by_need=parts.table("need"),
        by_school_type=parts.table("school_type"),
        route_prices=route_prices(plan),
        unplaced=tuple(unplaced_costs(plan, dataset, travel)),
        pupils_not_placed=len(not_placed),
        pupils_without_transport=len(not_placed - carried),
        fairness=fairness_rows(plan.summary),
        current=None if current is None else against_current(plan, current),
    )


def fairness_rows(summary: dict) -> tuple[tuple[str, float | str, str], ...]:
    """The plan summary's ride-against-direct and both-ways figures as report rows."""
    rows: list[tuple[str, float | str, str]] = []
    if "ride_ratio_mean" in summary:
        rows += [
            ("Ride against direct drive: mean (x)", summary["ride_ratio_mean"], "ratio"),
            ("Ride against direct drive: 95th percentile (x)", summary["ride_ratio_p95"], "ratio"),
            ("Journeys over their fair detour", summary.get("over_detour", 0), "count"),
        ]
        rows += [
            (
                f"Largest detour: {d['pupil_id']} {d['session']} (ride / direct, min)",
                f"{d['ride_min']:.0f} / {d['direct_min']:.0f}",
                "text",
            )
            for d in summary.get("largest_detours", [])[:5]
        ]
    both = summary.get("both_ways", 0)
    if both:
        for key, label in (
            ("same_vehicle_both_ways", "Pupils with the same vehicle both ways (share)"),
            ("same_operator_both_ways", "Pupils with the same operator both ways (share)"),
        ):
            rows.append((label, summary.get(key, 0) / both, "percent"))
    alone = summary.get("planned_alone")
    if both and alone:
        # The same run's sessions planned on their own: what keeping the crew both ways costs.
        base = pence_from_pounds(alone["cost_per_day"])
        extra = pence_from_pounds(summary["cost_per_day"]) - base
        rows += [
            (
                "Same vehicle both ways, sessions planned alone in the first search (share)",
                alone["same_vehicle_both_ways"] / both,
                "percent",
            ),
            ("Cost per day with each session planned alone in the first search", base, "money"),
            ("Cost per day of the same crew both ways, against the first search", extra, "money"),
        ]
    return tuple(rows)


def route_signature(route: Route) -> tuple:
    """What makes a route the same route to a family and an operator: stops, pupils, vehicle."""
    stops = tuple((s.type, s.school_id, tuple(sorted(s.pupil_ids))) for s in route.stops)
    vehicle = (route.operator, route.vehicle_type, route.passenger_assistant)
    return stops, tuple(sorted(route.pupil_ids)), vehicle


@dataclass(frozen=True)
class Comparison:
    """Two plans side by side: ``a`` the current, ``b`` the proposed; deltas are b - a."""

    a: FinanceReport
    b: FinanceReport
    changed: dict[str, tuple[str, ...]]  # route id -> what changed: stops, pupils, vehicle
    added: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: tuple[str, ...]
    pupils_moved: int  # pupil journeys on another vehicle (route), or newly (un)assigned
    by_pupil: PupilComparison  # what changes for each pupil journey

    def rows(self) -> list[tuple[str, float, float, float]]:
        """``(measure, a, b, b - a)`` for every compared figure; money in pounds."""
        a, b = self.a, self.b
        pairs = [
            ("Daily cost (£)", a.daily_cost_pence / 100, b.daily_cost_pence / 100),
            ("Annual cost (£)", a.annual_cost_pence / 100, b.annual_cost_pence / 100),
            ("Vehicles", a.vehicles, b.vehicles),
            ("Routes", a.routes, b.routes),
            ("Km per day", round(a.km_daily, 1), round(b.km_daily, 1)),
            ("CO2 kg per day", round(a.co2_kg_daily, 1), round(b.co2_kg_daily, 1)),
            ("Solo journeys", a.solo_journeys, b.solo_journeys),
            ("Mean ride (min)", round(a.rides.mean_min, 1), round(b.rides.mean_min, 1)),
            ("Longest ride (min)", round(a.rides.max_min, 1), round(b.rides.max_min, 1)),
            ("Journeys over guidance", a.rides.over_guidance, b.rides.over_guidance),
            ("Journeys not placed", a.unassigned, b.unassigned),
            ("Pupils with no transport", a.pupils_without_transport, b.pupils_without_transport),
            (
                "Cost incl. journeys not placed (£)",
                a.total_with_unplaced_pence / 100,
                b.total_with_unplaced_pence / 100,
            ),
        ]
        return [(name, x, y, round(y - x, 2)) for name, x, y in pairs]

    def text(self) -> str:
        """A plain-text rendering for the terminal or an e-mail."""
        out = [f"{'':36}{'current':>14}{'proposed':>14}{'change':>14}"]
        for name, x, y, d in self.rows():
            places = 2 if "£" in name else (1 if isinstance(x, float) else 0)
            out.append(f"{name:36}{x:>14,.{places}f}{y:>14,.{places}f}{d:>+14,.{places}f}")
        out.append("")
        out.append(
            f"Routes (matched by the pupils they carry): {len(self.unchanged)} unchanged, "
            f"{len(self.changed)} changed, {len(self.added)} new, {len(self.removed)} withdrawn; "
            f"{self.pupils_moved} pupil journeys move route; {self.by_pupil.pupils_affected} of "
            f"{self.by_pupil.pupils} pupils see a change."
        )
        for rid, what in sorted(self.changed.items()):
            out.append(f"  changed {rid}: {', '.join(what)}")
        out += [f"  new     {rid}" for rid in self.added]
        out += [f"  withdrawn {rid}" for rid in self.removed]
        return "\n".join(out)


def compare_plans(plan_a: Plan, plan_b: Plan, dataset: Dataset) -> Comparison:
    """Compare two plans of one dataset, matching routes by the pupils they carry.

    Route ids are renumbered on every solve, so a route of ``plan_a`` is matched to the route of
    ``plan_b`` sharing most of its pupils (:func:`optimiser.plan.changes.match_routes`); what
    changes for each pupil is :func:`optimiser.plan.changes.compare_by_pupil`.

    Parameters
    ----------
    plan_a, plan_b
        The current and the proposed plan.
    dataset
        The dataset both were made from.

    Returns
    -------
    Comparison
        Figures of both, which matched routes changed (different stops, pupils or vehicle; named
        ``A`` when both plans call the route the same, else ``A -> B``), routes new and withdrawn,
        and the per-pupil comparison.
    """
    from optimiser.plan.changes import compare_by_pupil

    by_pupil = compare_by_pupil(plan_a, plan_b)
    routes_a = {r.route_id: r for r in plan_a.routes}
    routes_b = {r.route_id: r for r in plan_b.routes}
    changed: dict[str, tuple[str, ...]] = {}
    unchanged = []
    for a_id, b_id in sorted(by_pupil.matched.items()):
        sa, sb = route_signature(routes_a[a_id]), route_signature(routes_b[b_id])
        what = tuple(
            n for n, x, y in zip(("stops", "pupils", "vehicle"), sa, sb, strict=True) if x != y
        )
        name = a_id if a_id == b_id else f"{a_id} -> {b_id}"
        if what:
            changed[name] = what
        else:
            unchanged.append(name)
    moving = {"route", "now_carried", "no_longer_carried"}
    return Comparison(
        a=finance_report(plan_a, dataset),
        b=finance_report(plan_b, dataset),
        changed=changed,
        added=by_pupil.routes_new,
        removed=by_pupil.routes_withdrawn,
        unchanged=tuple(unchanged),
        pupils_moved=sum(1 for c in by_pupil.changes if moving & set(c.changes)),
        by_pupil=by_pupil,
    )
