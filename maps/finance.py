"""The finance team's figures: what a plan costs, where the money goes, and how two plans differ.

Totals and unit costs only: no pupil's name, address or id appears in any figure. Money is
integer pence; a day is the plan's AM and PM routes together; a year is
``settings.school_days_per_year`` days. A route's cost is split over the schools it serves in
proportion to the pupils it carries for each. The files (chart, HTML, CSV, XLSX) are written by
:mod:`maps.finance_output`, which reads this module; nothing here imports the writers.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from maps.plan_facts import (
    Ride,
    plan_date,
    plan_rides,
    school_pupil_counts,
    split_pence,
    vehicle_for,
)
from optimiser.domain.entities import Dataset
from optimiser.plan.document import Plan, Route
from optimiser.plan.totals import co2_mg, route_distance_m


@dataclass
class Line:
    """One row of a breakdown: routes, pupils carried, daily km, CO2 and cost."""

    routes: int = 0
    pupils: int = 0
    km: float = 0.0
    co2_kg: float = 0.0
    cost_pence: int = 0


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


def _add(line: Line, route: Route, pupils: int, co2: float, cost: int) -> None:
    line.routes += 1
    line.pupils += pupils
    line.km += route.distance_km
    line.co2_kg += co2
    line.cost_pence += cost


def finance_report(plan: Plan, dataset: Dataset) -> FinanceReport:
    """All finance figures for one plan.

    Parameters
    ----------
    plan, dataset
        The plan and the dataset it was made from.

    Returns
    -------
    FinanceReport
        Daily figures; annual ones follow from ``school_days_per_year``.
    """
    by_operator: dict[str, Line] = defaultdict(Line)
    by_type: dict[str, Line] = defaultdict(Line)
    by_school: dict[str, Line] = defaultdict(Line)
    unknown: set[str] = set()
    for route in plan.routes:
        co2 = _route_co2_kg(route, dataset)
        if co2 is None:
            unknown.add(f"{route.operator}/{route.vehicle_type}")
            co2 = 0.0
        n = len(route.pupil_ids)
        _add(by_operator[route.operator], route, n, co2, route.cost_pence)
        _add(by_type[f"{route.operator}/{route.vehicle_type}"], route, n, co2, route.cost_pence)
        counts = school_pupil_counts(route, dataset)
        shares = split_pence(route.cost_pence, counts)
        for sid, count in counts.items():
            school = dataset.schools.get(sid)
            name = f"{school.name} ({sid})" if school else sid
            part = count / n
            line = by_school[name]
            line.routes += 1
            line.pupils += count
            line.km += route.distance_km * part
            line.co2_kg += co2 * part
            line.cost_pence += shares[sid]
    pa_routes = sum(1 for r in plan.routes if r.passenger_assistant)
    rides = plan_rides(plan, dataset)
    return FinanceReport(
        dataset=plan.dataset or dataset.name,
        plan_date=plan_date(plan),
        school_days_per_year=dataset.settings.school_days_per_year,
        daily_cost_pence=sum(r.cost_pence for r in plan.routes),
        routes=len(plan.routes),
        vehicles=len({r.vehicle_id for r in plan.routes}),
        pupils=len({p for r in plan.routes for p in r.pupil_ids}),
        journeys=sum(len(r.pupil_ids) for r in plan.routes),
        unassigned=len(plan.unassigned),
        solo_journeys=sum(1 for r in plan.routes if len(r.pupil_ids) == 1),
        pa_routes=pa_routes,
        pa_cost_daily_pence=pa_routes * dataset.settings.passenger_assistant_per_session_pence,
        km_daily=sum(r.distance_km for r in plan.routes),
        co2_kg_daily=sum(line.co2_kg for line in by_operator.values()),
        baseline_daily_pence=_baseline_pence(plan),
        rides=ride_stats(rides),
        by_operator=dict(sorted(by_operator.items())),
        by_vehicle_type=dict(sorted(by_type.items())),
        by_school=dict(sorted(by_school.items())),
        unknown_vehicles=tuple(sorted(unknown)),
    )


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
    pupils_moved: int  # pupil journeys on a different route id, or newly (un)assigned

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
            ("Unassigned pupils", a.unassigned, b.unassigned),
        ]
        return [(name, x, y, round(y - x, 2)) for name, x, y in pairs]

    def text(self) -> str:
        """A plain-text rendering for the terminal or an e-mail."""
        out = [f"{'':26}{'current':>14}{'proposed':>14}{'change':>14}"]
        for name, x, y, d in self.rows():
            places = 2 if "£" in name else (1 if isinstance(x, float) else 0)
            out.append(f"{name:26}{x:>14,.{places}f}{y:>14,.{places}f}{d:>+14,.{places}f}")
        out.append("")
        out.append(
            f"Routes: {len(self.unchanged)} unchanged, {len(self.changed)} changed, "
            f"{len(self.added)} new, {len(self.removed)} withdrawn; "
            f"{self.pupils_moved} pupil journeys move route."
        )
        for rid, what in sorted(self.changed.items()):
            out.append(f"  changed {rid}: {', '.join(what)}")
        out += [f"  new     {rid}" for rid in self.added]
        out += [f"  withdrawn {rid}" for rid in self.removed]
        return "\n".join(out)


def compare_plans(plan_a: Plan, plan_b: Plan, dataset: Dataset) -> Comparison:
    """Compare two plans of one dataset, matching routes by ``route_id``.

    Parameters
    ----------
    plan_a, plan_b
        The current and the proposed plan.
    dataset
        The dataset both were made from.

    Returns
    -------
    Comparison
        Figures of both, and which routes changed (different stops, pupils or vehicle).
    """
    routes_a = {r.route_id: r for r in plan_a.routes}
    routes_b = {r.route_id: r for r in plan_b.routes}
    changed: dict[str, tuple[str, ...]] = {}
    unchanged = []
    for rid in sorted(routes_a.keys() & routes_b.keys()):
        sa, sb = route_signature(routes_a[rid]), route_signature(routes_b[rid])
        what = tuple(
            n for n, x, y in zip(("stops", "pupils", "vehicle"), sa, sb, strict=True) if x != y
        )
        if what:
            changed[rid] = what
        else:
            unchanged.append(rid)

    def seat(plan: Plan) -> set[tuple[str, str, str]]:
        return {(str(r.session), p, r.route_id) for r in plan.routes for p in r.pupil_ids}

    moved = {(s, p) for s, p, _ in seat(plan_a) ^ seat(plan_b)}
    return Comparison(
        a=finance_report(plan_a, dataset),
        b=finance_report(plan_b, dataset),
        changed=changed,
        added=tuple(sorted(routes_b.keys() - routes_a.keys())),
        removed=tuple(sorted(routes_a.keys() - routes_b.keys())),
        unchanged=tuple(unchanged),
        pupils_moved=len(moved),
    )
