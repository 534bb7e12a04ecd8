"""The plan: what the optimiser produces and every output reads.

A plan is written as ``plan.json`` (documented in ``docs/plan_format.md``). Units: times of day are
local ``HH:MM:SS`` strings in the file and integer seconds after midnight in memory; distances in
kilometres; money in pounds in the file (two decimals) and integer pence in memory.

A plan carries pupil and school ids, never solver indices.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from optimiser.domain.entities import Session
from optimiser.domain.errors import PlanFormatError
from optimiser.domain.times import format_hms, parse_hms


class StopType(StrEnum):
    """What happens at a stop; the value is what plan.json says."""

    DEPOT = "depot"
    PICKUP = "pickup"
    DROPOFF = "dropoff"


STOP_TYPES = tuple(StopType)


@dataclass
class Stop:
    """A stop on a route. ``arrive``/``depart`` are seconds after midnight."""

    type: StopType
    lat: float
    lon: float
    arrive: int | None = None
    depart: int | None = None
    pupil_ids: tuple[str, ...] = ()
    school_id: str | None = None  # the school where this stop is, if it is at a school

    def __post_init__(self) -> None:
        self.type = StopType(self.type)  # a routing visit kind or a plain string becomes the enum

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": str(self.type)}
        if self.school_id is not None:
            out["school_id"] = self.school_id
        if self.pupil_ids:
            out["pupil_ids"] = list(self.pupil_ids)
        out["lat"] = round(self.lat, 6)
        out["lon"] = round(self.lon, 6)
        if self.arrive is not None:
            out["arrive"] = format_hms(self.arrive)
        if self.depart is not None:
            out["depart"] = format_hms(self.depart)
        return out


@dataclass
class Route:
    """One vehicle's work in one session: from its depot, through its stops, back to its depot.

    A route may hold several consecutive runs (the vehicle empties at one school and picks up
    for another). Routes that share ``vehicle_id`` are runs of the same vehicle.
    """

    route_id: str
    session: Session
    vehicle_id: str
    vehicle_type: str
    operator: str
    passenger_assistant: bool
    stops: list[Stop]
    distance_km: float = 0.0
    duration_min: float = 0.0
    cost_pence: int = 0
    # The daily price the council has agreed for this route (current routes), when known.
    agreed_cost_pence: int | None = None
    # The route the same vehicle and crew drive in the other session, carrying some of the same
    # pupils (see optimiser.plan.twins), when there is one.
    twin_route_id: str | None = None

    @property
    def pupil_ids(self) -> list[str]:
        seen: dict[str, None] = {}
        for stop in self.stops:
            if stop.type is StopType.PICKUP:
                for pid in stop.pupil_ids:
                    seen[pid] = None
        return list(seen)

    @property
    def start_s(self) -> int | None:
        return self.stops[0].depart if self.stops else None

    @property
    def end_s(self) -> int | None:
        return self.stops[-1].arrive if self.stops else None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "route_id": self.route_id,
            "session": str(self.session),
            "vehicle_id": self.vehicle_id,
            "vehicle_type": self.vehicle_type,
            "operator": self.operator,
            "passenger_assistant": self.passenger_assistant,
            "stops": [s.to_json() for s in self.stops],
            "distance_km": round(self.distance_km, 2),
            "duration_min": round(self.duration_min, 1),
            "cost": round(self.cost_pence / 100, 2),
        }
        if self.agreed_cost_pence is not None:
            out["agreed_cost"] = round(self.agreed_cost_pence / 100, 2)
        if self.twin_route_id is not None:
            out["twin_route_id"] = self.twin_route_id
        return out


# Why a journey is not carried, in a form the validator can check against the plan.
UNASSIGNED_CAUSES = ("fleet_used", "no_solo_fit", "set_aside", "group")


@dataclass(frozen=True)
class FleetUse:
    """A fleet row an unassigned entry names: vehicles the plan uses of it, of its count."""

    fleet: str  # operator/vehicle_type
    used: int
    count: int


@dataclass
class Unassigned:
    """A journey not carried: the reason in words and, in plans since it was added, its cause.

    ``cause`` is one of :data:`UNASSIGNED_CAUSES` (None in older plans); with ``fleet_used``,
    ``fleet_rows`` names every row that could make the journey alone and how many it has in use.
    """

    pupil_id: str
    session: Session
    reason: str
    cause: str | None = None
    fleet_rows: tuple[FleetUse, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "pupil_id": self.pupil_id,
            "session": str(self.session),
            "reason": self.reason,
        }
        if self.cause is not None:
            out["cause"] = self.cause
        if self.fleet_rows:
            out["fleet_rows"] = [
                {"fleet": f.fleet, "used": f.used, "count": f.count} for f in self.fleet_rows
            ]
        return out


@dataclass(frozen=True)
class SplitGroup:
    """A sibling group that travels apart in one session, and why: no vehicle was found to carry
    it together, and its members travel apart rather than not at all."""

    group: str
    session: Session
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"group": self.group, "session": str(self.session), "reason": self.reason}


@dataclass
class Plan:
    dataset: str
    routes: list[Route]
    unassigned: list[Unassigned] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    split_groups: list[SplitGroup] = field(default_factory=list)
    generated_at: str = field(
        default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    )

    def routes_in(self, session: Session) -> list[Route]:
        return [r for r in self.routes if r.session is session]

    def to_json(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "generated_at": self.generated_at,
            "routes": [r.to_json() for r in self.routes],
            "unassigned": [u.to_json() for u in self.unassigned],
            **(
                {"split_groups": [g.to_json() for g in self.split_groups]}
                if self.split_groups
                else {}
            ),
            "summary": self.summary,
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False)

    def write(self, path: Path | str) -> None:
        Path(path).write_text(self.dumps() + "\n", encoding="utf-8")


def _session(value: Any, where: str, problems: list[str]) -> Session:
    try:
        return Session(str(value).upper())
    except ValueError:
        problems.append(f"{where}: session '{value}' is not AM or PM")
        return Session.AM


def _time(value: Any, where: str, problems: list[str]) -> int | None:
    if value is None:
        return None
    try:
        return parse_hms(str(value))
    except ValueError as exc:
        problems.append(f"{where}: {exc}")
        return None


def _number(
    obj: dict[str, Any], key: str, where: str, problems: list[str], default: float = 0.0
) -> float:
    value = obj.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        problems.append(f"{where}: '{key}' must be a number")
        return float(default)
    return float(value)


def _stop(obj: Any, where: str, problems: list[str]) -> Stop | None:
    if not isinstance(obj, dict):
        problems.append(f"{where}: a stop must be an object")
        return None
    kind = obj.get("type")
    if not isinstance(kind, str) or kind not in STOP_TYPES:
        problems.append(f"{where}: type '{kind}' is not one of {', '.join(STOP_TYPES)}")
        return None
    pupil_ids = obj.get("pupil_ids", [])
    if not isinstance(pupil_ids, list) or not all(isinstance(p, str) for p in pupil_ids):
        problems.append(f"{where}: pupil_ids must be a list of strings")
        pupil_ids = []
    school_id = obj.get("school_id")
    return Stop(
        type=StopType(kind),
        lat=_number(obj, "lat", where, problems),
        lon=_number(obj, "lon", where, problems),
        arrive=_time(obj.get("arrive"), where, problems),
        depart=_time(obj.get("depart"), where, problems),
        pupil_ids=tuple(pupil_ids),
        school_id=str(school_id) if school_id is not None else None,
    )


def _unassigned(obj: dict[str, Any], where: str, problems: list[str]) -> Unassigned:
    session = _session(obj.get("session"), where, problems)
    cause = obj.get("cause")
    if cause is not None and cause not in UNASSIGNED_CAUSES:
        problems.append(f"{where}: cause '{cause}' is not one of {', '.join(UNASSIGNED_CAUSES)}")
        cause = None
    rows = []
    for j, row in enumerate(obj.get("fleet_rows", []) or []):
        if not isinstance(row, dict) or not isinstance(row.get("fleet"), str):
            problems.append(f"{where}.fleet_rows[{j}]: needs a 'fleet' (operator/vehicle_type)")
            continue
        used, count = row.get("used"), row.get("count")
        if type(used) is not int or type(count) is not int:
            problems.append(f"{where}.fleet_rows[{j}]: 'used' and 'count' must be whole numbers")
            continue
        rows.append(FleetUse(row["fleet"], used, count))
    return Unassigned(obj["pupil_id"], session, str(obj.get("reason", "")), cause, tuple(rows))


def _split_groups(raw: Any, problems: list[str]) -> list[SplitGroup]:
    """The optional ``split_groups`` list; older plans have none."""
    if raw is not None and not isinstance(raw, list):
        problems.append("split_groups: must be a list")
        return []
    out = []
    for i, g in enumerate(raw or []):
        where = f"split_groups[{i}]"
        if not isinstance(g, dict) or not isinstance(g.get("group"), str) or not g["group"]:
            problems.append(f"{where}: needs a 'group'")
            continue
        reason = g.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            problems.append(f"{where}: needs a 'reason'")
            continue
        out.append(SplitGroup(g["group"], _session(g.get("session"), where, problems), reason))
    return out


def _optional_text(obj: dict[str, Any], key: str, where: str, problems: list[str]) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        problems.append(f"{where}: '{key}' must be a non-empty string when given")
        return None
    return value


def plan_from_json(data: Any) -> Plan:
    """Build a :class:`Plan` from parsed JSON; raise :class:`PlanFormatError` with all problems."""
    problems: list[str] = []
    if not isinstance(data, dict):
        raise PlanFormatError(["the plan must be a JSON object"])
    routes = []
    raw_routes = data.get("routes")
    if not isinstance(raw_routes, list):
        problems.append("'routes' must be a list")
        raw_routes = []
    for i, r in enumerate(raw_routes):
        where = f"routes[{i}]"
        if not isinstance(r, dict):
            problems.append(f"{where}: a route must be an object")
            continue
        for key in ("route_id", "vehicle_id", "vehicle_type", "operator"):
            if not isinstance(r.get(key), str) or not r.get(key):
                problems.append(f"{where}: '{key}' is required (a string)")
        raw_stops = r.get("stops")
        if not isinstance(raw_stops, list):
            problems.append(f"{where}: 'stops' must be a list")
            raw_stops = []
        stops = [_stop(s, f"{where}.stops[{j}]", problems) for j, s in enumerate(raw_stops)]
        routes.append(
            Route(
                route_id=str(r.get("route_id", "")),
                session=_session(r.get("session"), where, problems),
                vehicle_id=str(r.get("vehicle_id", "")),
                vehicle_type=str(r.get("vehicle_type", "")),
                operator=str(r.get("operator", "")),
                passenger_assistant=bool(r.get("passenger_assistant", False)),
                stops=[s for s in stops if s is not None],
                distance_km=_number(r, "distance_km", where, problems),
                duration_min=_number(r, "duration_min", where, problems),
                cost_pence=int(round(_number(r, "cost", where, problems) * 100)),
                agreed_cost_pence=(
                    int(round(_number(r, "agreed_cost", where, problems) * 100))
                    if r.get("agreed_cost") is not None
                    else None
                ),
                twin_route_id=_optional_text(r, "twin_route_id", where, problems),
            )
        )
    unassigned = []
    for i, u in enumerate(data.get("unassigned", []) or []):
        if not isinstance(u, dict) or not isinstance(u.get("pupil_id"), str):
            problems.append(f"unassigned[{i}]: needs a 'pupil_id'")
            continue
        unassigned.append(_unassigned(u, f"unassigned[{i}]", problems))
    split_groups = _split_groups(data.get("split_groups"), problems)
    if problems:
        raise PlanFormatError(problems)
    raw_summary = data.get("summary")
    summary = raw_summary if isinstance(raw_summary, dict) else {}
    return Plan(
        dataset=str(data.get("dataset", "")),
        routes=routes,
        unassigned=unassigned,
        summary=summary,
        split_groups=split_groups,
        generated_at=str(data.get("generated_at", "")),
    )


def load_plan(path: Path | str) -> Plan:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlanFormatError([f"{path}: no such file"]) from None
    except json.JSONDecodeError as exc:
        raise PlanFormatError([f"{path.name}: not valid JSON ({exc})"]) from None
    return plan_from_json(data)
