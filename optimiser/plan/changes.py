"""What changes for each pupil between two plans of the same pupils.

Route ids are renumbered on every solve, so routes are matched by the pupils they carry: within a
session, the pair of routes sharing the most pupils is matched first, then the next, each route at
most once. A pupil's journey then changes *route* when the route carrying them in the second plan
is not the match of the one carrying them in the first; and, whatever the routes, when their
vehicle type, operator, passenger assistant, pick-up or drop-off time, fellow passengers (pupils on
board at the same time) or ride time changes. Times within a tolerance are the same time.

Nothing here reads the dataset: a plan names its pupils, stops and times.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from optimiser.domain.entities import Session
from optimiser.domain.times import format_hm
from optimiser.plan.document import Plan, Route, StopType

CHANGE_KINDS = (
    "now_carried",
    "no_longer_carried",
    "route",
    "vehicle_type",
    "operator",
    "passenger_assistant",
    "pickup_time",
    "dropoff_time",
    "fellow_passengers",
    "ride_time",
)
TIME_TOLERANCE_S = 60  # a shift of a minute or less is no change
CSV_COLUMNS = (
    "pupil_id",
    "session",
    "changes",
    "route_before",
    "route_after",
    "vehicle_type_before",
    "vehicle_type_after",
    "operator_before",
    "operator_after",
    "passenger_assistant_before",
    "passenger_assistant_after",
    "pickup_before",
    "pickup_after",
    "pickup_shift_min",
    "dropoff_before",
    "dropoff_after",
    "dropoff_shift_min",
    "ride_min_before",
    "ride_min_after",
    "ride_change_min",
    "fellow_passengers_joined",
    "fellow_passengers_left",
)


@dataclass(frozen=True)
class Journey:
    """One pupil's journey in one plan: the route, vehicle and times (seconds after midnight)."""

    pupil_id: str
    session: Session
    route_id: str
    vehicle_type: str
    operator: str
    passenger_assistant: bool
    pickup_s: int | None  # departure from the pick-up stop
    dropoff_s: int | None  # arrival at the drop-off stop
    fellow_passengers: frozenset[str]

    @property
    def ride_s(self) -> int | None:
        if self.pickup_s is None or self.dropoff_s is None:
            return None
        return self.dropoff_s - self.pickup_s


def route_journeys(route: Route) -> dict[str, Journey]:
    """Every pupil's journey on a route; fellow passengers are those on board at the same time."""
    on: dict[str, tuple[int, int | None]] = {}
    off: dict[str, tuple[int, int | None]] = {}
    for index, stop in enumerate(route.stops):
        for pid in stop.pupil_ids:
            if stop.type is StopType.PICKUP:
                on.setdefault(pid, (index, stop.depart))
            elif stop.type is StopType.DROPOFF:
                off.setdefault(pid, (index, stop.arrive))
    last = len(route.stops)
    span = {pid: (on[pid][0], off.get(pid, (last, None))[0]) for pid in on}
    out = {}
    for pid, (start, end) in span.items():
        fellows = frozenset(q for q, (a, b) in span.items() if q != pid and a < end and start < b)
        out[pid] = Journey(
            pid,
            route.session,
            route.route_id,
            route.vehicle_type,
            route.operator,
            route.passenger_assistant,
            on[pid][1],
            off.get(pid, (last, None))[1],
            fellows,
        )
    return out


def plan_journeys(plan: Plan) -> dict[tuple[Session, str], Journey]:
    """Every carried journey of a plan, by session and pupil (a pupil on two routes of one
    session, which the validator reports, counts on the first)."""
    out: dict[tuple[Session, str], Journey] = {}
    for route in plan.routes:
        for pid, journey in route_journeys(route).items():
            out.setdefault((route.session, pid), journey)
    return out


def match_routes(plan_a: Plan, plan_b: Plan) -> dict[str, str]:
    """Routes of ``plan_a`` matched to routes of ``plan_b`` (by route id) by the pupils they share.

    Within each session, pairs are taken by the number of pupils they share, most first (ties by
    route ids), each route at most once; routes sharing no pupil are not matched.
    """
    out: dict[str, str] = {}
    for session in Session:
        b_of: dict[str, str] = {}
        for route in plan_b.routes_in(session):
            for pid in route.pupil_ids:
                b_of.setdefault(pid, route.route_id)
        shared: Counter[tuple[str, str]] = Counter()
        for route in plan_a.routes_in(session):
            for pid in route.pupil_ids:
                if pid in b_of:
                    shared[(route.route_id, b_of[pid])] += 1
        taken_b: set[str] = set()
        for (a, b), _ in sorted(shared.items(), key=lambda kv: (-kv[1], kv[0])):
            if a not in out and b not in taken_b:
                out[a] = b
                taken_b.add(b)
    return out


@dataclass(frozen=True)
class PupilChange:
    """What changes for one pupil in one session; ``before``/``after`` None when not carried."""

    pupil_id: str
    session: Session
    changes: tuple[str, ...]  # kinds from CHANGE_KINDS, in that order
    before: Journey | None
    after: Journey | None

    def _shift(self, attribute: str) -> float | None:
        a = getattr(self.before, attribute, None) if self.before else None
        b = getattr(self.after, attribute, None) if self.after else None
        return None if a is None or b is None else round((b - a) / 60, 1)

    @property
    def pickup_shift_min(self) -> float | None:
        """Minutes later (positive) or earlier (negative) the pupil is picked up."""
        return self._shift("pickup_s")

    @property
    def dropoff_shift_min(self) -> float | None:
        return self._shift("dropoff_s")

    @property
    def ride_change_min(self) -> float | None:
        return self._shift("ride_s")

    @property
    def joined(self) -> tuple[str, ...]:
        """Fellow passengers in the second plan who were not in the first."""
        if self.before is None or self.after is None:
            return ()
        return tuple(sorted(self.after.fellow_passengers - self.before.fellow_passengers))

    @property
    def left(self) -> tuple[str, ...]:
        if self.before is None or self.after is None:
            return ()
        return tuple(sorted(self.before.fellow_passengers - self.after.fellow_passengers))

    def describe(self) -> str:
        """One line for a person: who, when, and each change with its numbers."""
        parts = []
        a, b = self.before, self.after
        if a is None and b is not None:
            parts.append(f"now carried, on {b.route_id}")
        elif b is None and a is not None:
            parts.append(f"no longer carried (was on {a.route_id})")
        elif a is not None and b is not None:
            if "route" in self.changes:
                parts.append(f"route {a.route_id} -> {b.route_id}")
            if "vehicle_type" in self.changes:
                parts.append(f"vehicle {a.vehicle_type} -> {b.vehicle_type}")
            if "operator" in self.changes:
                parts.append(f"operator {a.operator} -> {b.operator}")
            if "passenger_assistant" in self.changes:
                parts.append(
                    "passenger assistant " + ("added" if b.passenger_assistant else "removed")
                )
            for kind, shift, stated, now in (
                ("pickup_time", self.pickup_shift_min, a.pickup_s, b.pickup_s),
                ("dropoff_time", self.dropoff_shift_min, a.dropoff_s, b.dropoff_s),
            ):
                if kind in self.changes and shift is not None:
                    word = kind.replace("_time", "").replace("pickup", "pick-up")
                    word = word.replace("dropoff", "drop-off")
                    later = "later" if shift > 0 else "earlier"
                    parts.append(
                        f"{word} {format_hm(stated)} -> {format_hm(now)} ({abs(shift):.0f} min"
                        f" {later})"
                    )
            if "fellow_passengers" in self.changes:
                moved = [f"+{p}" for p in self.joined] + [f"-{p}" for p in self.left]
                parts.append(f"fellow passengers {' '.join(moved)}")
            if "ride_time" in self.changes and self.ride_change_min is not None:
                parts.append(f"ride {(a.ride_s or 0) / 60:.0f} -> {(b.ride_s or 0) / 60:.0f} min")
        return f"{self.pupil_id} ({self.session}): " + "; ".join(parts)

    def csv_row(self) -> dict[str, str]:
        a, b = self.before, self.after

        def side(journey: Journey | None, attribute: str) -> str:
            if journey is None:
                return ""
            value = getattr(journey, attribute)
            if isinstance(value, bool):
                return "yes" if value else "no"
            return "" if value is None else str(value)

        def number(value: float | None) -> str:
            return "" if value is None else f"{value:+.1f}"

        def minutes(journey: Journey | None) -> str:
            ride = journey.ride_s if journey else None
            return "" if ride is None else f"{ride / 60:.1f}"

        return {
            "pupil_id": self.pupil_id,
            "session": str(self.session),
            "changes": ";".join(self.changes),
            "route_before": side(a, "route_id"),
            "route_after": side(b, "route_id"),
            "vehicle_type_before": side(a, "vehicle_type"),
            "vehicle_type_after": side(b, "vehicle_type"),
            "operator_before": side(a, "operator"),
            "operator_after": side(b, "operator"),
            "passenger_assistant_before": side(a, "passenger_assistant"),
            "passenger_assistant_after": side(b, "passenger_assistant"),
            "pickup_before": format_hm(a.pickup_s) if a else "",
            "pickup_after": format_hm(b.pickup_s) if b else "",
            "pickup_shift_min": number(self.pickup_shift_min),
            "dropoff_before": format_hm(a.dropoff_s) if a else "",
            "dropoff_after": format_hm(b.dropoff_s) if b else "",
            "dropoff_shift_min": number(self.dropoff_shift_min),
            "ride_min_before": minutes(a),
            "ride_min_after": minutes(b),
            "ride_change_min": number(self.ride_change_min),
            "fellow_passengers_joined": ";".join(self.joined),
            "fellow_passengers_left": ";".join(self.left),
        }


def _changes(
    a: Journey | None, b: Journey | None, matched: dict[str, str], tolerance_s: int
) -> tuple[str, ...]:
    if a is None and b is None:
        return ()
    if a is None:
        return ("now_carried",)
    if b is None:
        return ("no_longer_carried",)

    def moved(x: int | None, y: int | None) -> bool:
        return x is not None and y is not None and abs(y - x) > tolerance_s

    found = {
        "route": matched.get(a.route_id) != b.route_id,
        "vehicle_type": a.vehicle_type != b.vehicle_type,
        "operator": a.operator != b.operator,
        "passenger_assistant": a.passenger_assistant != b.passenger_assistant,
        "pickup_time": moved(a.pickup_s, b.pickup_s),
        "dropoff_time": moved(a.dropoff_s, b.dropoff_s),
        "fellow_passengers": a.fellow_passengers != b.fellow_passengers,
        "ride_time": moved(a.ride_s, b.ride_s),
    }
    return tuple(kind for kind in CHANGE_KINDS if found.get(kind))


@dataclass
class PupilComparison:
    """Two plans compared pupil by pupil: ``a`` the current plan, ``b`` the proposed one."""

    matched: dict[str, str]  # route id in a -> route id in b
    changes: list[PupilChange]  # journeys with at least one change, by session and pupil
    journeys: int  # journeys carried in either plan
    pupils: int  # pupils carried in either plan
    routes_unchanged: int
    routes_changed: int
    routes_new: tuple[str, ...]
    routes_withdrawn: tuple[str, ...]
    by_kind: dict[str, int] = field(default_factory=dict)  # journeys with each kind of change

    @property
    def pupils_affected(self) -> int:
        return len({c.pupil_id for c in self.changes})

    def summary_lines(self) -> list[str]:
        kinds = ", ".join(f"{kind.replace('_', ' ')} {n}" for kind, n in self.by_kind.items())
        return [
            f"Pupils affected: {self.pupils_affected} of {self.pupils}"
            f" ({len(self.changes)} of {self.journeys} journeys change"
            + (f": {kinds})" if kinds else ")"),
            f"Routes matched by the pupils they carry: {self.routes_unchanged} unchanged,"
            f" {self.routes_changed} changed, {len(self.routes_new)} new,"
            f" {len(self.routes_withdrawn)} withdrawn",
        ]

    def text(self) -> str:
        """The summary, then one line per pupil journey that changes."""
        return "\n".join([*self.summary_lines(), *(f"  {c.describe()}" for c in self.changes)])

    def csv_text(self) -> str:
        """One row per journey that changes (columns :data:`CSV_COLUMNS`)."""
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(c.csv_row() for c in self.changes)
        return buffer.getvalue()


def _route_shape(route: Route) -> tuple:
    """A route as families and operators see it, whatever its id: stops, who, and the vehicle."""
    stops = tuple((s.type, s.school_id, tuple(sorted(s.pupil_ids))) for s in route.stops)
    return stops, route.vehicle_type, route.operator, route.passenger_assistant


def compare_by_pupil(
    plan_a: Plan, plan_b: Plan, *, tolerance_s: int = TIME_TOLERANCE_S
) -> PupilComparison:
    """Compare two plans of the same pupils journey by journey.

    Parameters
    ----------
    plan_a, plan_b : Plan
        The current and the proposed plan.
    tolerance_s : int, optional
        Pick-up, drop-off and ride times that move by no more than this are unchanged.

    Returns
    -------
    PupilComparison
        The route matching, each changed journey with what changes, and the counts.
    """
    matched = match_routes(plan_a, plan_b)
    before, after = plan_journeys(plan_a), plan_journeys(plan_b)
    changes = []
    by_kind: dict[str, int] = defaultdict(int)
    for key in sorted(before.keys() | after.keys(), key=lambda k: (str(k[0]), k[1])):
        a, b = before.get(key), after.get(key)
        found = _changes(a, b, matched, tolerance_s)
        if found:
            changes.append(PupilChange(key[1], key[0], found, a, b))
            for kind in found:
                by_kind[kind] += 1
    routes_b = {r.route_id: r for r in plan_b.routes}
    unchanged = sum(
        1
        for r in plan_a.routes
        if r.route_id in matched and _route_shape(r) == _route_shape(routes_b[matched[r.route_id]])
    )
    return PupilComparison(
        matched=matched,
        changes=changes,
        journeys=len(before.keys() | after.keys()),
        pupils=len({pid for _, pid in before.keys() | after.keys()}),
        routes_unchanged=unchanged,
        routes_changed=len(matched) - unchanged,
        routes_new=tuple(sorted(set(routes_b) - set(matched.values()))),
        routes_withdrawn=tuple(
            sorted(r.route_id for r in plan_a.routes if r.route_id not in matched)
        ),
        by_kind={kind: by_kind[kind] for kind in CHANGE_KINDS if by_kind.get(kind)},
    )
