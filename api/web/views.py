"""What the pages show, read off what the service functions return.

Nothing here decides who may see what: each function takes data a role was already given by the
API (a plan document for officers, cost aggregates for finance, sheet routes for an operator) and
only arranges it into rows and figures.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from api.db import JobState
from api.schemas import CompareOut, JobOut
from maps.plan_facts import plan_rides
from optimiser.domain.entities import (
    GUIDANCE_RIDE_MIN_PRIMARY,
    GUIDANCE_RIDE_MIN_SECONDARY,
    Dataset,
)
from optimiser.domain.errors import InputProblem
from optimiser.domain.money import format_pounds, pence_from_pounds
from optimiser.domain.times import format_hm
from optimiser.plan.document import Plan


@dataclass(frozen=True)
class Figure:
    """One headline number: what it is, its value as text, and a line explaining it."""

    label: str
    value: str
    note: str = ""
    warn: bool = False


def _gbp(pounds: float) -> str:
    """Pounds and pence, from pounds as the API states them (two decimals)."""
    return format_pounds(pence_from_pounds(pounds))


def _pounds(pounds: float) -> str:
    """Whole pounds, for yearly figures."""
    return format_pounds(pence_from_pounds(pounds), decimals=0)


def summary_figures(
    summary: dict[str, Any], costs: dict[str, Any] | None, *, listed: bool = False
) -> list[Figure]:
    """The headline figures of a plan from its summary (aggregates only) and recomputed costs;
    ``listed`` when the page lists the journeys behind the counts."""
    s = summary
    figures = []
    if costs is not None:
        figures.append(
            Figure(
                "Cost per day",
                _gbp(costs["cost_per_day_gbp"]),
                f"{_pounds(costs['cost_per_year_gbp'])} a year "
                f"({costs['school_days_per_year']} school days)",
            )
        )
    if costs is not None and costs.get("unplaced_journeys"):
        n = costs["unplaced_journeys"]
        figures.append(
            Figure(
                "Cost per day including journeys not placed",
                _gbp(costs["cost_including_unplaced_per_day_gbp"]),
                f"{_gbp(costs['unplaced_cost_per_day_gbp'])} a day for the {n} "
                f"journey{'s' if n != 1 else ''} not placed, each carried alone in the cheapest "
                f"vehicle that could; {_pounds(costs['cost_including_unplaced_per_year_gbp'])} "
                "a year",
                warn=True,
            )
        )
    if "saving_per_year" in s and "baseline_cost_per_year" in s:
        figures.append(
            Figure(
                "Saving against solo transport",
                # a plan dearer than the baseline has always shown its saving as "£-1,234"
                f"£{s['saving_per_year']:,.0f} a year",
                f"{s.get('saving_percent', 0):.1f}% below the "
                f"{_pounds(s['baseline_cost_per_year'])} it would cost if every pupil "
                "travelled alone",
            )
        )
    if "vehicles" in s:
        figures.append(
            Figure(
                "Vehicles",
                f"{s['vehicles']}",
                f"{s.get('vehicles_am', 0)} morning, {s.get('vehicles_pm', 0)} afternoon",
            )
        )
    if "journeys" in s:
        figures.append(
            Figure(
                "Pupil journeys placed",
                f"{s.get('placed', 0)} of {s['journeys']}",
                f"{s.get('pupils', 0)} pupils; a journey is one pupil in one session",
            )
        )
    over = int(s.get("over_guidance", 0))
    figures.append(
        Figure(
            "Journeys over the guidance",
            f"{over}",
            f"longer than {GUIDANCE_RIDE_MIN_PRIMARY} minutes (primary) or "
            f"{GUIDANCE_RIDE_MIN_SECONDARY} minutes (secondary)"
            + ("; listed below" if listed and over else ""),
            warn=over > 0,
        )
    )
    unplaced = int(s.get("unplaced", 0))
    if not unplaced:
        note = "every journey has a seat"
    else:
        note = "each listed below with its reason" if listed else "journeys left without transport"
    figures.append(Figure("Journeys not placed", f"{unplaced}", note, unplaced > 0))
    if "ride_min_mean" in s:
        figures.append(
            Figure(
                "Ride time",
                f"{s['ride_min_mean']:.0f} min average",
                f"longest {s.get('ride_min_max', 0):.0f} min",
            )
        )
    if "ride_ratio_mean" in s:
        figures.append(
            Figure(
                "Ride against direct drive",
                f"x{s['ride_ratio_mean']:.2f} average",
                f"x{s['ride_ratio_p95']:.2f} at the 95th percentile; "
                f"{s.get('over_detour', 0)} over their fair detour",
                bool(s.get("over_detour")),
            )
        )
    if s.get("both_ways"):
        same = 100 * s.get("same_vehicle_both_ways", 0) / s["both_ways"]
        operator = 100 * s.get("same_operator_both_ways", 0) / s["both_ways"]
        note = f"same operator {operator:.0f}%"
        alone = s.get("planned_alone")
        if alone and "cost_per_day" in s:
            # The same run's sessions planned on their own: what the same crew both ways costs.
            base = pence_from_pounds(alone["cost_per_day"])
            extra = pence_from_pounds(s["cost_per_day"]) - base
            kept = 100 * alone["same_vehicle_both_ways"] / s["both_ways"]
            note += (
                f"; {kept:.0f}% with each session planned alone in the first search, "
                f"{format_pounds(abs(extra), decimals=2)} a day "
                f"{'more' if extra >= 0 else 'less'} ({100 * extra / base:+.1f}%)"
            )
        figures.append(Figure("Same vehicle both ways", f"{same:.0f}% of pupils", note))
    if costs is not None:
        figures.append(
            Figure(
                "Distance",
                f"{costs['km_per_day']:,.0f} km a day",
                f"{costs['co2_kg_per_day']:,.0f} kg CO₂ a day",
            )
        )
    return figures


def route_rows(plan: Plan) -> list[dict[str, Any]]:
    """Every route of a plan as one table row (officers)."""
    return [
        {
            "route_id": r.route_id,
            "session": str(r.session),
            "operator": r.operator,
            "vehicle_type": r.vehicle_type,
            "vehicle_id": r.vehicle_id,
            "passenger_assistant": r.passenger_assistant,
            "pupils": len(r.pupil_ids),
            "start": format_hm(r.start_s),
            "start_s": r.start_s or 0,
            "end": format_hm(r.end_s),
            "end_s": r.end_s or 0,
            "duration_min": r.duration_min,
            "distance_km": r.distance_km,
            "cost": r.cost_pence / 100,
        }
        for r in sorted(plan.routes, key=lambda r: r.route_id)
    ]


def _name(dataset: Dataset, pupil_id: str) -> str:
    pupil = dataset.find_pupil(pupil_id)
    return pupil.name if pupil else "(not in the dataset)"


def unplaced_rows(plan: Plan, dataset: Dataset) -> list[dict[str, str]]:
    """Pupil journeys the plan leaves out, with the reason (officers: names included)."""
    return [
        {
            "pupil_id": u.pupil_id,
            "name": _name(dataset, u.pupil_id),
            "session": str(u.session),
            "reason": u.reason,
        }
        for u in sorted(plan.unassigned, key=lambda u: (u.pupil_id, str(u.session)))
    ]


def over_guidance_rows(plan: Plan, dataset: Dataset) -> list[dict[str, Any]]:
    """Journeys longer than the 45/75-minute guidance, longest first (officers)."""
    rows = [
        {
            "pupil_id": ride.pupil_id,
            "name": _name(dataset, ride.pupil_id),
            "route_id": ride.route_id,
            "session": ride.session,
            "ride_min": round((ride.ride_s or 0) / 60),
            "guidance_min": ride.guidance_s // 60,
            "limit_min": ride.limit_s // 60,
        }
        for ride in plan_rides(plan, dataset)
        if ride.over_guidance
    ]
    return sorted(rows, key=lambda r: -r["ride_min"])


def breakdown_rows(table: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Cost by operator or by vehicle type (the API's aggregates) as table rows."""
    return [
        {
            "name": name,
            "routes": row.get("routes", 0),
            "vehicles": sum((row.get("vehicles") or {}).values()),
            "cost_per_day": row.get("cost_per_day_pence", 0) / 100,
            "km": row.get("km", 0.0),
            "co2_kg": row.get("co2_kg", 0.0),
        }
        for name, row in sorted(table.items(), key=lambda item: item[0].casefold())
    ]


def problems_by_file(problems: list[InputProblem]) -> dict[str, list[InputProblem]]:
    """Upload problems grouped by file, each file's in row order."""
    grouped: dict[str, list[InputProblem]] = defaultdict(list)
    for p in problems:
        grouped[p.file].append(p)
    return {
        name: sorted(found, key=lambda p: (p.row is not None, p.row or 0, p.column or ""))
        for name, found in sorted(grouped.items())
    }


def _figure(value: float, money: bool, digits: int, signed: bool = False) -> str:
    sign = "+" if signed and value > 0 else ""
    text = _gbp(abs(value)) if money else f"{abs(value):,.{digits}f}"
    return ("−" if value < 0 else sign) + text


def compare_rows(result: CompareOut) -> list[dict[str, str]]:
    """The compared figures as text: money in pounds, a signed change, and which way it went.
    A row shows one decimal when any of its figures has one."""
    rows = []
    for row in result.rows:
        money = "(£)" in row.measure
        digits = 1 if any(v != round(v) for v in (row.a, row.b, row.change)) else 0
        rows.append(
            {
                "measure": row.measure.replace(" (£)", ""),
                "a": _figure(row.a, money, digits),
                "b": _figure(row.b, money, digits),
                "change": _figure(row.change, money, digits, signed=True)
                if row.change
                else "no change",
                "direction": "down" if row.change < 0 else "up" if row.change > 0 else "",
            }
        )
    return rows


STATUS_TEXT = {
    JobState.QUEUED: "Waiting for a free solver",
    JobState.RUNNING: "Planning",
    JobState.SUCCEEDED: "Finished",
    JobState.FAILED: "Stopped with an error",
    JobState.CANCELLED: "Cancelled",
    JobState.INTERRUPTED: "Interrupted when the service stopped",
}


def job_status(job: JobOut) -> str:
    """A job's state in words."""
    return STATUS_TEXT[job.status]
