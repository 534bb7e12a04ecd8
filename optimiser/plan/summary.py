"""The numbers a transport manager reads first, computed from a plan (never from the solver)."""

from __future__ import annotations

from collections import Counter
from statistics import mean
from typing import Any

from optimiser.domain.entities import Dataset, Session
from optimiser.plan.baseline import solo_baseline_pence
from optimiser.plan.document import Plan, Route
from optimiser.roads.travel import TravelData


def ride_times_s(route: Route) -> dict[str, int]:
    """Each pupil's ride on a route: arrival at their drop-off stop minus departure from pickup."""
    boarded: dict[str, int] = {}
    rides: dict[str, int] = {}
    for stop in route.stops:
        for pid in stop.pupil_ids:
            if stop.type == "pickup" and stop.depart is not None:
                boarded[pid] = stop.depart
            elif stop.type == "dropoff" and pid in boarded and stop.arrive is not None:
                rides[pid] = stop.arrive - boarded[pid]
    return rides


def summarise(plan: Plan, dataset: Dataset, travel: TravelData) -> dict[str, Any]:
    """Totals of a plan: coverage, vehicles, money, distance, CO2 and ride times."""
    journeys = [(p, s) for s in Session for p in dataset.pupils_in(s)]
    unplaced = {(u.pupil_id, u.session) for u in plan.unassigned}
    placed = [(p, s) for p, s in journeys if (p.pupil_id, s) not in unplaced]
    cost = sum(r.cost_pence for r in plan.routes)
    baseline = solo_baseline_pence(dataset, travel, placed)
    km = sum(r.distance_km for r in plan.routes)
    co2_kg = 0.0
    by_type: Counter[str] = Counter()
    by_operator: Counter[str] = Counter()
    vehicles = set()
    pa_cost = 0
    rides: list[tuple[str, int]] = []
    solo = 0
    for r in plan.routes:
        vt = dataset.vehicle_type(f"{r.operator}/{r.vehicle_type}")
        co2_kg += vt.co2_g_per_km * r.distance_km / 1000
        if (r.session, r.vehicle_id) not in vehicles:
            vehicles.add((r.session, r.vehicle_id))
            by_type[r.vehicle_type] += 1
            by_operator[r.operator] += 1
        if r.passenger_assistant:
            pa_cost += dataset.settings.passenger_assistant_per_session_pence
        route_rides = ride_times_s(r)
        rides += list(route_rides.items())
        if len(r.pupil_ids) == 1:
            solo += 1
    days = dataset.settings.school_days_per_year
    over_guidance = sum(1 for pid, s in rides if s > dataset.guidance_ride_s(dataset.pupil(pid)))
    over_limit = sum(1 for pid, s in rides if s > dataset.max_ride_s(dataset.pupil(pid)))
    pupils_placed = len({p.pupil_id for p, _ in placed})
    return {
        "journeys": len(journeys),
        "placed": len(placed),
        "unplaced": len(journeys) - len(placed),
        "pupils": len(dataset.pupils),
        "vehicles": len(vehicles),
        "vehicles_am": sum(1 for s, _ in vehicles if s is Session.AM),
        "vehicles_pm": sum(1 for s, _ in vehicles if s is Session.PM),
        "vehicles_by_type": dict(sorted(by_type.items())),
        "vehicles_by_operator": dict(sorted(by_operator.items())),
        "cost_per_day": round(cost / 100, 2),
        "cost_per_year": round(cost * days / 100, 2),
        "cost_per_pupil_per_year": round(cost * days / 100 / pupils_placed, 2)
        if pupils_placed
        else 0,
        "passenger_assistant_cost_per_day": round(pa_cost / 100, 2),
        "baseline_cost_per_day": round(baseline / 100, 2),
        "baseline_cost_per_year": round(baseline * days / 100, 2),
        "saving_per_year": round((baseline - cost) * days / 100, 2),
        "saving_percent": round(100 * (baseline - cost) / baseline, 1) if baseline else 0.0,
        "km_per_day": round(km, 1),
        "co2_kg_per_day": round(co2_kg, 1),
        "ride_min_mean": round(mean(s for _, s in rides) / 60, 1) if rides else 0.0,
        "ride_min_max": round(max(s for _, s in rides) / 60, 1) if rides else 0.0,
        "over_guidance": over_guidance,
        "over_own_limit": over_limit,
        "solo_journeys": solo,
        "school_days_per_year": days,
    }
