"""What requests may send and what responses may show (separate from the storage tables).

Units: times are seconds (``*_s``), money pounds (``*_gbp``), distances kilometres (``*_km``),
times of day ``HH:MM:SS`` strings, timestamps ISO 8601 in UTC.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    model_validator,
)

from api.db import JobState, PlanStatus
from optimiser.domain.errors import PlanFormatError
from optimiser.plan.document import Plan, plan_from_json


def _utc(moment: datetime) -> datetime:
    """Timestamps are stored in UTC; SQLite hands them back without the zone."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


Timestamp = Annotated[datetime, AfterValidator(_utc)]


class ProblemOut(BaseModel):
    """One problem in an input file: where it is and what is wrong."""

    file: str
    row: int | None = Field(None, description="1-based row; the header is row 1")
    column: str | None = None
    message: str


class ErrorOut(BaseModel):
    """Every error response: a sentence, and for bad input the list of problems."""

    detail: str
    problems: list[ProblemOut] = Field(default_factory=list)


class WhoAmI(BaseModel):
    id: int
    name: str
    role: str
    operator: str | None


class DatasetOut(BaseModel):
    """A stored dataset: counts only, no personal data."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    source_format: str = Field(description="csv or xlsx")
    pupils: int
    schools: int
    fleet_rows: int = Field(description="rows of the fleet table (operator and vehicle type)")
    vehicles: int = Field(description="vehicles available per session, summed over the fleet")
    operators: list[str]
    created_at: Timestamp


class UploadOut(DatasetOut):
    notes: list[str] = Field(default_factory=list, description="what the service changed")


class FileOut(BaseModel):
    filename: str
    size_bytes: int


class SchoolOut(BaseModel):
    school_id: str
    name: str
    postcode: str | None
    am_arrive_from: str = Field(description="HH:MM:SS")
    am_arrive_by: str = Field(description="HH:MM:SS")
    pm_depart_from: str = Field(description="HH:MM:SS")
    pm_depart_by: str = Field(description="HH:MM:SS")


class FleetOut(BaseModel):
    operator: str
    vehicle_type: str
    seats: int
    wheelchair_spaces: int
    count: int
    cost_per_session_gbp: float
    cost_per_km_gbp: float


class DatasetDetailOut(DatasetOut):
    """A dataset with its files, schools and fleet (no pupils: see ``/pupils``)."""

    files: list[FileOut]
    schools_list: list[SchoolOut]
    fleet: list[FleetOut]
    road_network: str = Field(description="the service's road network every plan uses")


class PupilOut(BaseModel):
    """A pupil's entitlement: personal data, for officers only."""

    pupil_id: str
    name: str
    school_id: str
    age: int
    sessions: list[str]
    postcode: str | None
    lat: float
    lon: float
    pm_postcode: str | None
    wheelchair: bool
    passenger_assistant: bool
    solo: bool
    max_ride_min: int | None = Field(description="minutes")
    group: str | None
    not_with: list[str]
    notes: str


class PlanRequest(BaseModel):
    """Options of one planning job (every field optional)."""

    model_config = ConfigDict(extra="forbid")

    time_limit_s: float | None = Field(
        None, gt=0, le=86400, description="search time per session, seconds (capped by service)"
    )
    solution_limit: int | None = Field(
        None, ge=1, le=1_000_000, description="stop after this many solutions (reproducible)"
    )
    ride_time_weight_per_min: float | None = Field(
        None, ge=0, le=1000, description="price of one pupil ride minute, pounds"
    )


class SessionProgress(BaseModel):
    session: str = Field(description="AM or PM")
    solutions: int
    best_cost_gbp: float | None = Field(
        None, description="the best plan so far, pounds a day, without placement penalties"
    )
    unplaced: int | None = Field(None, description="journeys the best plan so far leaves out")
    elapsed_s: float


class JobOut(BaseModel):
    """A planning job and its progress."""

    id: int
    dataset_id: int
    status: JobState
    stage: str | None = Field(
        None, description="while running: starting, loading, solving, saving; done at the end"
    )
    phase: str | None = Field(
        None,
        description="load, roads, model, first routes, improving, checking, writing; then done",
    )
    fraction: float | None = Field(
        None, description="share of the whole run done, 0 to 1; it never goes back"
    )
    estimate_s: float | None = Field(
        None, description="expected seconds of the whole run, from the time limits so far"
    )
    unplaced: int | None = Field(
        None, description="journeys not yet placed by the best plans so far"
    )
    attempt: int
    time_limit_s: float = Field(description="search time per session, seconds")
    solution_limit: int | None
    ride_time_weight_per_min: float | None = Field(description="pounds per ride minute")
    solutions_found: int
    best_cost_gbp: float | None = Field(
        description="the best plans so far of every session, pounds a day, without placement "
        "penalties (see unplaced)"
    )
    elapsed_s: float | None = Field(description="seconds since the job started")
    sessions: list[SessionProgress]
    plan_id: int | None
    error: str | None
    created_at: Timestamp
    started_at: Timestamp | None
    finished_at: Timestamp | None
    current_plan_id: int | None = Field(
        None, description="a re-plan: the stored current routes it starts from"
    )


class PlanOut(BaseModel):
    """A stored plan's facts (not its routes)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    dataset_id: int
    job_id: int | None
    source: str = Field(description="optimiser or uploaded")
    label: str
    routes: int = Field(description="routes in the plan (an operator: its own)")
    operators: list[str]
    cost_per_day_gbp: float | None = Field(
        description="pounds per school day, as the plan states (not shown to operators)"
    )
    created_at: Timestamp
    status: PlanStatus = Field(
        PlanStatus.DRAFT,
        description="draft (operators never see it), published (in force from effective_from) "
        "or superseded (by superseded_by, from superseded_on)",
    )
    effective_from: date | None = Field(
        None, description="the day a published plan takes effect (YYYY-MM-DD)"
    )
    published_by: str | None = Field(
        None, description="the officer who published it (not shown to operators)"
    )
    published_at: Timestamp | None = None
    superseded_by: int | None = Field(None, description="the plan published in its place")
    superseded_on: date | None = Field(
        None, description="the day the plan that supersedes it takes effect (YYYY-MM-DD)"
    )
    kind: Literal["plan", "current"] = Field(
        "plan", description="current: a council's current routes, uploaded and scored"
    )
    current_plan_id: int | None = Field(
        None, description="a re-plan: the current routes (a plan id) it started from"
    )


SessionName = Literal["AM", "PM"]


class PlanStop(BaseModel):
    """A stop of a route: a depot first and last, pickups and drop-offs between."""

    type: Literal["depot", "pickup", "dropoff"]
    school_id: str | None = Field(None, description="the school at this stop, if it is at one")
    pupil_ids: list[str] = Field(
        default_factory=list, description="pupils getting on (pickup) or off (dropoff) here"
    )
    lat: float = Field(description="WGS84 decimal degrees")
    lon: float = Field(description="WGS84 decimal degrees")
    arrive: str | None = Field(None, description="HH:MM:SS local time; not on the first depot")
    depart: str | None = Field(None, description="HH:MM:SS local time; not on the last depot")


class PlanRoute(BaseModel):
    """One vehicle's work in one session, depot to depot."""

    route_id: str
    session: SessionName
    vehicle_id: str = Field(description="one physical vehicle in one session")
    vehicle_type: str
    operator: str
    passenger_assistant: bool
    stops: list[PlanStop]
    distance_km: float = Field(description="road distance depot to depot, km")
    duration_min: float = Field(description="depot departure to return, minutes")
    cost: float = Field(description="pounds per session")
    agreed_cost: float | None = Field(
        default=None, description="the daily price agreed with the operator, pounds (optional)"
    )
    twin_route_id: str | None = Field(
        default=None,
        description="the route of the other session driven by the same vehicle and crew",
    )


class PlanFleetUse(BaseModel):
    """A fleet row an unassigned entry names: vehicles the plan uses of it, of its count."""

    fleet: str
    used: int
    count: int


class PlanUnassigned(BaseModel):
    """A pupil journey the plan does not carry, and why (``cause``: a checkable summary)."""

    pupil_id: str
    session: SessionName
    reason: str
    cause: str | None = None
    fleet_rows: list[PlanFleetUse] = Field(default_factory=list)


class PlanSplitGroup(BaseModel):
    """A sibling group that travels apart in one session, and why."""

    group: str
    session: SessionName
    reason: str


# Bounds of a plan's numbers: far past any real route, and small enough that sums in pence stay
# exact in 64 bits and every output can draw them.
ROUTE_BOUNDS = {"cost": 1_000_000.0, "distance_km": 100_000.0, "duration_min": 100_000.0}
STOP_BOUNDS = {"lat": 90.0, "lon": 180.0}


def _non_finite(value: Any, where: str, found: list[str]) -> None:
    """Every NaN or infinity in a parsed JSON value (JSON has neither; Python's reader allows
    both, and no reply could carry them back)."""
    if isinstance(value, float) and not math.isfinite(value):
        found.append(f"{where}: {value} is not a finite number")
    elif isinstance(value, dict):
        for key, item in value.items():
            _non_finite(item, f"{where}.{key}" if where else str(key), found)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _non_finite(item, f"{where}[{i}]", found)


def _out_of_bounds(obj: Any, bounds: dict[str, float], where: str, found: list[str]) -> None:
    if not isinstance(obj, dict):
        return
    for key, most in bounds.items():
        value = obj.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) > most:
            found.append(f"{where}: '{key}' {value:g} is out of range (at most {most:,.0f})")


def plan_extremes(data: Any) -> list[str]:
    """What no plan can hold, before the reader builds it: non-finite numbers, costs, distances
    and coordinates out of range, routes without stops."""
    found: list[str] = []
    _non_finite(data, "", found)
    routes = data.get("routes") if isinstance(data, dict) else None
    for i, route in enumerate(routes if isinstance(routes, list) else []):
        where = f"routes[{i}]"
        _out_of_bounds(route, ROUTE_BOUNDS, where, found)
        stops = route.get("stops") if isinstance(route, dict) else None
        if isinstance(stops, list) and not stops:
            found.append(f"{where}: a route needs its stops (it has none)")
        for j, stop in enumerate(stops if isinstance(stops, list) else []):
            _out_of_bounds(stop, STOP_BOUNDS, f"{where}.stops[{j}]", found)
    return found


class PlanDocument(BaseModel):
    """A ``plan.json`` document (``docs/plan_format.md``): times ``HH:MM:SS``, distances km,
    money pounds.

    A document sent in is read by the same reader as the command line's, so a malformed one is
    422 with every problem it has; :meth:`plan` is the plan that reader built.
    """

    dataset: str = ""
    generated_at: str = ""
    routes: list[PlanRoute]
    unassigned: list[PlanUnassigned] = Field(default_factory=list)
    split_groups: list[PlanSplitGroup] = Field(default_factory=list)
    summary: dict[str, Any] = Field(
        default_factory=dict, description="totals recomputed from the routes (pounds, km, counts)"
    )
    _plan: Plan | None = PrivateAttr(None)

    @model_validator(mode="wrap")
    @classmethod
    def _read(cls, data: Any, handler: ModelWrapValidatorHandler[PlanDocument]) -> PlanDocument:
        if isinstance(data, cls):
            return data
        extremes = plan_extremes(data)
        if extremes:
            raise PlanFormatError(extremes)
        try:
            plan = plan_from_json(data)
        except (TypeError, AttributeError, OverflowError) as exc:
            # a part of the wrong kind, or a number out of range, that the reader trips on
            raise PlanFormatError([f"cannot read the plan: {exc}"]) from None
        document = handler(plan.to_json())
        document._plan = plan
        return document

    def plan(self) -> Plan:
        """The plan this document describes."""
        return self._plan if self._plan is not None else plan_from_json(self.model_dump())


class PlanUpload(BaseModel):
    """A plan to store (a council's current routes, or an edited plan)."""

    model_config = ConfigDict(extra="forbid")

    dataset_id: int = Field(ge=1, le=2**31 - 1)
    label: str = Field("", max_length=200)
    plan: PlanDocument = Field(description="the plan.json document")


MAX_PUBLISH_IDS = 50


class PublishRequest(BaseModel):
    """Publish a draft plan: operators with routes in it see it from now on."""

    model_config = ConfigDict(extra="forbid")

    effective_from: date = Field(
        description="the day the plan takes effect (YYYY-MM-DD): today or later"
    )
    supersedes: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] = Field(
        default_factory=list,
        max_length=MAX_PUBLISH_IDS,
        description="published plans of other datasets that this one replaces (a re-plan on "
        "new data); the published plan of its own dataset is always superseded",
    )


class PlanRename(BaseModel):
    """A plan's new name."""

    model_config = ConfigDict(extra="forbid")

    label: str = Field(min_length=1, max_length=200, description="the plan's name")


class ViolationOut(BaseModel):
    cause: str
    message: str
    route_id: str | None = None
    pupil_id: str | None = None
    session: str | None = None


class ValidationOut(BaseModel):
    """The result of checking a plan against a dataset; costs in pounds and kilometres."""

    valid: bool
    violations: list[ViolationOut]
    violations_by_cause: dict[str, int]
    cost_per_day_gbp: float
    cost_per_year_gbp: float
    km_per_day: float
    agreed_cost_per_day_gbp: float | None = Field(
        None,
        description="pounds per day with routes that state an agreed price at that price "
        "(current routes); absent when no route states one",
    )
    routes_with_agreed_price: int = 0


class CurrentRoutesOut(BaseModel):
    """Current routes stored as a plan of kind ``current``, and the validator's score of them:
    violations by cause (current routes may break rules: they are listed, not refused), cost in
    pounds at the fleet's prices and at the agreed ones."""

    plan: PlanOut
    validation: ValidationOut
    journeys_on_no_route: int = Field(description="journeys of the dataset no route carries")
    stated_times_differing: list[str] = Field(
        description="times the file states more than 10 minutes from the road model's"
    )


PupilId = Annotated[str, Field(min_length=1, max_length=100)]


class ReplanRequest(BaseModel):
    """Options of a re-planning job: the stored current routes to start from, and optionally
    pupils locked to their vehicle, the price per change and the search time."""

    model_config = ConfigDict(extra="forbid")

    current_plan_id: int = Field(
        ge=1, le=2**31 - 1, description="a stored plan: the routes run today"
    )
    locks: list[PupilId] = Field(
        default_factory=list,
        max_length=10_000,
        description="pupils who stay on the vehicle of their current route whatever it costs",
    )
    price_per_change_gbp: float | None = Field(
        None,
        ge=0,
        le=1000,
        description="pounds a day per pupil moved to another vehicle (default: the dataset's "
        "[costs] replan_per_change)",
    )
    time_limit_s: float | None = Field(
        None, gt=0, le=86400, description="search time per session, seconds (capped by service)"
    )
    solution_limit: int | None = Field(
        None, ge=1, le=1_000_000, description="stop after this many solutions (reproducible)"
    )

    def plan_request(self) -> PlanRequest:
        return PlanRequest(time_limit_s=self.time_limit_s, solution_limit=self.solution_limit)


class SheetStopOut(BaseModel):
    """One pupil getting on or off, with only what the operator's sheet holds."""

    stop: int
    time: str = Field(description="HH:MM")
    action: str
    postcode: str
    pupil: str = Field(description="first name and initial")
    wheelchair: bool
    notes: str
    school: str
    ref: str = Field("", description="the pupil's reference (their id)")
    address: str = Field("", description="the house address, at the morning home only")
    contact: str = Field("", description="parent or carer and phone, at the home stop only")
    school_phone: str = ""


class OperatorRouteOut(BaseModel):
    """One route as its operator's sheet shows it."""

    route_id: str
    session: str
    operator: str
    vehicle_id: str
    vehicle_type: str
    passenger_assistant: bool
    wheelchair_spaces_used: int
    depot_depart: str = Field(description="HH:MM")
    depot_return: str = Field(description="HH:MM")
    lines: list[SheetStopOut]
    pa_for: list[str] = Field(
        default_factory=list, description="the pupils the passenger assistant is on board for"
    )
    runs: str = Field("", description="the days and dates the route runs")
    council_contact: str = ""
    twin: str = Field("", description="the route the same vehicle and crew drive the other way")


class RouteLineOut(SheetStopOut):
    """One pupil getting on or off; officers also get the full name and the pupil's needs."""

    name: str | None = Field(None, description="full name (officers only)")
    needs: list[str] = Field(default_factory=list, description="officers only")


class RouteDetailOut(OperatorRouteOut):
    """One route: its sheet's fields, the route it pairs with, and (officers) names and needs."""

    lines: list[RouteLineOut]
    twin_route_id: str | None = None
    distance_km: float | None = Field(None, description="km (officers only)")
    duration_min: float | None = Field(None, description="minutes from depot to depot")


class JourneyOut(BaseModel):
    """A pupil's journey in one session: its route, or why it is not placed."""

    session: str
    route_id: str = ""
    operator: str = ""
    vehicle_id: str = ""
    vehicle_type: str = ""
    passenger_assistant: bool = False
    pickup: str = Field("", description="HH:MM")
    set_down: str = Field("", description="HH:MM")
    reason: str = Field("", description="why the journey is not placed")


class PupilMatchOut(BaseModel):
    """A pupil found by a search, with every journey the plan gives them."""

    pupil_id: str
    name: str
    school: str
    needs: list[str]
    sessions: list[str] = Field(description="the sessions the pupil travels in")
    journeys: list[JourneyOut]
    postcode: str = Field("", description="the home postcode")
    pm_postcode: str = Field("", description="the afternoon address's postcode, where it differs")
    matched: str = Field(
        "pupil", description="what the search matched: pupil (id or name), postcode or school"
    )


class AgainstCurrentOut(BaseModel):
    """A plan's daily cost against the council's current routes, in pounds (b - a: negative is
    a saving)."""

    current_plan_id: int
    current_cost_per_day_gbp: float = Field(description="the current routes at fleet prices")
    current_agreed_cost_per_day_gbp: float | None = Field(
        None, description="the current routes at their agreed prices, where given"
    )
    cost_per_day_gbp: float = Field(description="this plan, pounds a day")
    difference_per_day_gbp: float = Field(
        description="this plan minus the current routes at fleet prices, pounds a day"
    )
    difference_per_year_gbp: float = Field(description="the same over the school year, pounds")
    difference_against_agreed_per_day_gbp: float | None = Field(
        None, description="this plan minus the current routes at their agreed prices"
    )


class CostsOut(BaseModel):
    """Aggregates for finance: pounds, kilometres, counts. No pupil data."""

    plan_id: int
    routes: int
    cost_per_day_gbp: float
    cost_per_year_gbp: float
    school_days_per_year: int
    km_per_day: float
    co2_kg_per_day: float
    vehicles: dict[str, int] = Field(description="distinct vehicles per session")
    pupils_carried: dict[str, int] = Field(description="pupils carried per session")
    unplaced_journeys: int = Field(0, description="journeys the plan leaves without transport")
    unplaced_cost_per_day_gbp: float = Field(
        0.0,
        description="those journeys, each carried alone in the cheapest vehicle type that could "
        "(as the finance report prices them), pounds a day; not in cost_per_day_gbp",
    )
    cost_including_unplaced_per_day_gbp: float = Field(
        0.0, description="cost_per_day_gbp plus unplaced_cost_per_day_gbp"
    )
    cost_including_unplaced_per_year_gbp: float = Field(
        0.0, description="the same over the school year, pounds"
    )
    by_operator: dict[str, dict[str, Any]]
    by_vehicle_type: dict[str, dict[str, Any]]
    summary: dict[str, Any] = Field(description="the plan's summary: counts and pounds")
    against_current: AgainstCurrentOut | None = Field(
        None,
        description="the plan against the current routes (a re-plan's own, else the newest "
        "uploaded for its dataset); absent for current routes themselves, or when none exist",
    )


class CompareRow(BaseModel):
    measure: str
    a: float
    b: float
    change: float = Field(description="b - a")


class CompareOut(BaseModel):
    """Two plans of one dataset side by side (a = current, b = proposed). Money in pounds."""

    plan_a: int
    plan_b: int
    rows: list[CompareRow]
    changed_routes: dict[str, list[str]]
    added_routes: list[str]
    removed_routes: list[str]
    unchanged_routes: int
    pupils_moved: int = Field(description="pupil journeys that move route")
    pupils: int = Field(0, description="pupils carried in either plan")
    pupils_affected: int = Field(
        0, description="pupils with at least one journey that changes in any way"
    )
    journeys: int = Field(0, description="pupil journeys carried in either plan")
    journeys_changed: int = Field(0, description="pupil journeys that change in any way")
    changes_by_kind: dict[str, int] = Field(
        default_factory=dict,
        description="journeys by kind of change (route, vehicle_type, operator, "
        "passenger_assistant, pickup_time, dropoff_time, fellow_passengers, ride_time, "
        "now_carried, no_longer_carried)",
    )


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: Timestamp
    user_id: int | None
    user_name: str
    role: str
    action: str
    target: str
    outcome: str
    detail: str
    source: str = ""
