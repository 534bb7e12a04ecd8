"""The numbers a transport manager reads first, computed once from a plan (never from the solver).

:class:`PlanTotals` holds them in integer units (pence, metres, milligrams of CO2, seconds);
:meth:`PlanTotals.to_summary` turns them into the ``summary`` of plan.json (pounds, km, kg and
minutes, rounded as documented in ``docs/plan_format.md``).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from optimiser.domain.entities import Dataset, Session, VehicleType
from optimiser.plan.baseline import solo_baseline_pence
from optimiser.plan.document import Plan, Route, StopType
from optimiser.plan.twins import Continuity, continuity
from optimiser.roads.travel import TravelData


def ride_times_s(route: Route) -> dict[str, int]:
    """Each pupil's ride on a route: arrival at their drop-off stop minus departure from pickup."""
    boarded: dict[str, int] = {}
    rides: dict[str, int] = {}
    for stop in route.stops:
        for pid in stop.pupil_ids:
            if stop.type == StopType.PICKUP and stop.depart is not None:
                boarded[pid] = stop.depart
            elif stop.type == StopType.DROPOFF and pid in boarded and stop.arrive is not None:
                rides[pid] = stop.arrive - boarded[pid]
    return rides


def co2_mg(vehicle: VehicleType, distance_m: int) -> int:
    """CO2 of driving ``distance_m`` in this vehicle: g/km x m is exactly milligrams."""
    return vehicle.co2_g_per_km * distance_m


def route_distance_m(route: Route) -> int:
    """A route's stated distance in metres (plan routes keep kilometres to the metre)."""
    return int(round(route.distance_km * 1000))


@dataclass(frozen=True)
class PlanTotals:
    """Totals of one plan over a school day (AM and PM routes together), in integer units."""

    journeys: int  # pupil-sessions the dataset asks for
    placed: int
    pupils: int  # pupils in the dataset
    pupils_placed: int  # distinct pupils with at least one placed journey
    vehicles_am: int
    vehicles_pm: int
    cost_pence: int
    passenger_assistant_cost_pence: int
    baseline_cost_pence: int  # every placed journey carried alone
    distance_m: int
    co2_mg: int
    ride_count: int
    ride_s_total: int
    ride_s_max: int
    over_guidance: int  # journeys longer than the best-practice limit
    over_own_limit: int  # journeys longer than the pupil's own limit
    solo_journeys: int  # routes that carry one pupil
    school_days_per_year: int
    vehicles_by_type: dict[str, int] = field(default_factory=dict)
    vehicles_by_operator: dict[str, int] = field(default_factory=dict)
    # Each placed journey's ride against its direct drive: (pupil, session, ride s, direct s).
    detours: tuple[tuple[str, Session, int, int], ...] = ()
    over_detour: int = 0  # journeys longer than the policy's fair detour
    continuity: Continuity = Continuity(0, 0, 0, 0)

    def ride_ratios(self) -> list[float]:
        """Ride over direct drive of each journey whose direct drive takes time, ascending."""
        return sorted(ride / direct for _, _, ride, direct in self.detours if direct > 0)

    def largest_detours(self, count: int = 10) -> list[tuple[str, Session, int, int]]:
        """The journeys with the most minutes on board beyond their direct drive."""
        return sorted(self.detours, key=lambda d: (d[3] - d[2], d[0], str(d[1])))[:count]

    @property
    def unplaced(self) -> int:
        return self.journeys - self.placed

    @property
    def vehicles(self) -> int:
        """Distinct vehicles per session, added over the sessions."""
        return self.vehicles_am + self.vehicles_pm

    def per_year(self, pence: int) -> int:
        """A daily amount over the school year."""
        return pence * self.school_days_per_year

    def to_summary(self) -> dict[str, Any]:
        """The ``summary`` of plan.json: money in pounds (two decimals), km, kg and minutes."""
        cost, baseline = self.cost_pence, self.baseline_cost_pence
        days = self.school_days_per_year
        rides = self.ride_count
        return {
            "journeys": self.journeys,
            "placed": self.placed,
            "unplaced": self.unplaced,
            "pupils": self.pupils,
            "vehicles": self.vehicles,
            "vehicles_am": self.vehicles_am,
            "vehicles_pm": self.vehicles_pm,
            "vehicles_by_type": dict(sorted(self.vehicles_by_type.items())),
            "vehicles_by_operator": dict(sorted(self.vehicles_by_operator.items())),
            "cost_per_day": round(cost / 100, 2),
            "cost_per_year": round(cost * days / 100, 2),
            "cost_per_pupil_per_year": round(cost * days / 100 / self.pupils_placed, 2)
            if self.pupils_placed
            else 0,
            "passenger_assistant_cost_per_day": round(self.passenger_assistant_cost_pence / 100, 2),
            "baseline_cost_per_day": round(baseline / 100, 2),
            "baseline_cost_per_year": round(baseline * days / 100, 2),
            "saving_per_year": round((baseline - cost) * days / 100, 2),
            "saving_percent": round(100 * (baseline - cost) / baseline, 1) if baseline else 0.0,
            "km_per_day": round(self.distance_m / 1000, 1),
            "co2_kg_per_day": round(self.co2_mg / 1_000_000, 1),
            "ride_min_mean": round(self.ride_s_total / rides / 60, 1) if rides else 0.0,
            "ride_min_max": round(self.ride_s_max / 60, 1) if rides else 0.0,
            "over_guidance": self.over_guidance,
            "over_own_limit": self.over_own_limit,
            "solo_journeys": self.solo_journeys,
            "school_days_per_year": days,
            **self._fairness(),
        }

    def _fairness(self) -> dict[str, Any]:
        ratios = self.ride_ratios()
        both = self.continuity
        return {
            "ride_ratio_mean": round(sum(ratios) / len(ratios), 2) if ratios else 0.0,
            # nearest rank: the smallest ratio at or above 95% of journeys
            "ride_ratio_p95": round(ratios[math.ceil(0.95 * len(ratios)) - 1], 2)
            if ratios
            else 0.0,
            "over_detour": self.over_detour,
            "largest_detours": [
                {
                    "pupil_id": pid,
                    "session": str(session),
                    "ride_min": round(ride / 60, 1),
                    "direct_min": round(direct / 60, 1),
                }
                for pid, session, ride, direct in self.largest_detours()
            ],
            "both_ways": both.both_ways,
            "same_vehicle_both_ways": both.same_vehicle,
            "same_operator_both_ways": both.same_operator,
            "same_passengers_both_ways": both.same_passengers,
        }


def plan_totals(plan: Plan, dataset: Dataset, travel: TravelData) -> PlanTotals:
    """Totals of a plan: coverage, vehicles, money, distance, CO2 and ride times.

    Parameters
    ----------
    plan : Plan
        The plan; its routes' stated costs and distances are added up.
    dataset : Dataset
        The dataset it was made for: the journeys asked for, the fleet and the settings.
    travel : TravelData
        Its matrices, for the solo baseline.

    Returns
    -------
    PlanTotals
        Daily figures in integer units.
    """
    journeys = [(p, s) for s in Session for p in dataset.pupils_in(s)]
    unplaced = {(u.pupil_id, u.session) for u in plan.unassigned}
    placed = [(p, s) for p, s in journeys if (p.pupil_id, s) not in unplaced]
    by_type: Counter[str] = Counter()
    by_operator: Counter[str] = Counter()
    vehicles: set[tuple[Session, str]] = set()
    emitted_mg = 0
    pa_cost = 0
    rides: list[tuple[str, int]] = []
    detours: list[tuple[str, Session, int, int]] = []
    for r in plan.routes:
        vt = dataset.vehicle_type(f"{r.operator}/{r.vehicle_type}")
        emitted_mg += co2_mg(vt, route_distance_m(r))
        if (r.session, r.vehicle_id) not in vehicles:
            vehicles.add((r.session, r.vehicle_id))
            by_type[r.vehicle_type] += 1
            by_operator[r.operator] += 1
        if r.passenger_assistant:
            pa_cost += dataset.settings.passenger_assistant_per_session_pence
        rides += list(ride_times_s(r).items())
        detours += [
            (pid, r.session, ride, travel.direct_s(dataset.pupil(pid), r.session))
            for pid, ride in ride_times_s(r).items()
            if dataset.find_pupil(pid) is not None
        ]
    ride_s = [s for _, s in rides]
    return PlanTotals(
        journeys=len(journeys),
        placed=len(placed),
        pupils=len(dataset.pupils),
        pupils_placed=len({p.pupil_id for p, _ in placed}),
        vehicles_am=sum(1 for s, _ in vehicles if s is Session.AM),
        vehicles_pm=sum(1 for s, _ in vehicles if s is Session.PM),
        cost_pence=sum(r.cost_pence for r in plan.routes),
        passenger_assistant_cost_pence=pa_cost,
        baseline_cost_pence=solo_baseline_pence(dataset, travel, placed),
        distance_m=sum(route_distance_m(r) for r in plan.routes),
        co2_mg=emitted_mg,
        ride_count=len(ride_s),
        ride_s_total=sum(ride_s),
        ride_s_max=max(ride_s, default=0),
        over_guidance=sum(1 for p, s in rides if s > dataset.guidance_ride_s(dataset.pupil(p))),
        over_own_limit=sum(1 for p, s in rides if s > dataset.max_ride_s(dataset.pupil(p))),
        solo_journeys=sum(1 for r in plan.routes if len(r.pupil_ids) == 1),
        school_days_per_year=dataset.settings.school_days_per_year,
        vehicles_by_type=dict(by_type),
        vehicles_by_operator=dict(by_operator),
        detours=tuple(detours),
        over_detour=sum(
            1
            for pid, _, ride, direct in detours
            if ride > dataset.ride_limit_s(dataset.pupil(pid), direct) + 1  # as the validator
        ),
        continuity=continuity(plan.routes),
    )


def summarise(plan: Plan, dataset: Dataset, travel: TravelData) -> dict[str, Any]:
    """The ``summary`` of plan.json: :func:`plan_totals` written in pounds, km and minutes."""
    return plan_totals(plan, dataset, travel).to_summary()
