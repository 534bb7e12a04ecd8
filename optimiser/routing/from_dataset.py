"""From a council's day to a routing problem: every SEND rule expressed as requests and vehicles.

One :class:`SessionModel` per session (AM, PM). Pupils who share an address, a school and a session
(and are not solo or kept apart) share one request, so they are picked up and set down at one stop.
Pupils who cannot be placed whatever the solver does (a direct journey longer than their ride limit,
no vehicle type that can carry them) are set aside here with the reason.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from optimiser.domain.entities import Dataset, Pupil, Session
from optimiser.domain.rules import can_carry
from optimiser.domain.times import SESSION_HOURS, format_hm
from optimiser.roads.travel import TravelData, depot_key, home_key, school_key
from optimiser.routing.problem import Problem, Request, Vehicle, Visit, VisitKind

MAX_PUPILS_PER_STOP = 4
PENALTY = 10**12  # millipence (10 million pounds): leaving a pupil out is never a saving


@dataclass(frozen=True)
class VehicleSlot:
    """What one solver vehicle stands for: a fleet row, with or without a passenger assistant."""

    fleet_key: str
    passenger_assistant: bool


@dataclass(frozen=True)
class SetAside:
    """A pupil not given to the solver at all, with the reason (no vehicle could ever serve it)."""

    pupil_id: str
    session: Session
    reason: str


@dataclass(frozen=True)
class SessionModel:
    session: Session
    problem: Problem
    request_pupils: tuple[tuple[str, ...], ...]  # request index -> pupil ids
    slots: tuple[VehicleSlot, ...]  # vehicle index -> fleet row and PA
    set_aside: tuple[SetAside, ...]  # pupils not given to the solver, with the reason


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min"


def _rows(pupil: Pupil, session: Session, travel: TravelData) -> tuple[int, int]:
    home = travel.row(home_key(pupil, session))
    school = travel.row(school_key(pupil.school_id))
    return (home, school) if session is Session.AM else (school, home)


def _set_aside_reason(
    dataset: Dataset, travel: TravelData, pupil: Pupil, session: Session
) -> str | None:
    start, end = _rows(pupil, session, travel)
    direct = int(travel.times(session)[start, end])
    limit = dataset.max_ride_s(pupil)
    if direct > limit:
        return f"direct journey {_minutes(direct)} exceeds maximum ride {_minutes(limit)}"
    if not any(can_carry(vt, pupil) for vt in dataset.fleet):
        if pupil.wheelchair:
            return "no wheelchair-accessible vehicle in the fleet"
        return "no vehicle type in the fleet can carry this pupil"
    school = dataset.schools[pupil.school_id]
    earliest, latest = SESSION_HOURS[session]
    if session is Session.PM and school.pm_depart_from_s + direct > latest:
        return f"home not reachable before {format_hm(latest)} after school finishes"
    if session is Session.AM and school.am_arrive_by_s - direct < earliest:
        return f"school window unreachable: vehicles leave depots from {format_hm(earliest)}"
    return None


def _stops(pupils: list[Pupil], session: Session) -> list[list[Pupil]]:
    """Bundle pupils who can share one pickup and one drop-off into requests."""
    bundles: dict[tuple, list[list[Pupil]]] = defaultdict(list)
    out: list[list[Pupil]] = []
    for p in pupils:
        if p.solo:
            out.append([p])
            continue
        place = p.address(session)
        key = (round(place.lat, 6), round(place.lon, 6), p.school_id)
        for bundle in bundles[key]:
            apart = any(q.pupil_id in p.not_with or p.pupil_id in q.not_with for q in bundle)
            if (
                not apart
                and len(bundle) < MAX_PUPILS_PER_STOP
                and sum(q.wheelchair for q in bundle) + p.wheelchair <= 1
            ):
                bundle.append(p)
                break
        else:
            bundle = [p]
            bundles[key].append(bundle)
            out.append(bundle)
    return out


def _offered_copies(
    dataset: Dataset, bundles: list[list[Pupil]], boost: float = 1.0
) -> dict[tuple[str, bool], int]:
    """How many vehicles of each fleet row, without and with an assistant, the solver is offered.

    A council's framework may list hundreds of vehicles; every one offered slows the search
    (measured on the sample: 140 vehicles, first plan in 2.5 s; 941 vehicles, 44 s) while a good
    plan uses a fraction. Stops are sorted into four classes (with or without an assistant, with
    or without a wheelchair); each class gets a budget of one and a half times a pessimistic
    estimate of the vehicles it needs (one per solo journey, one per three other stops, or per
    one and a half for wheelchair users), shared among the rows that can carry that class in
    proportion to their counts. A row is never offered more than its count, which also stays a
    hard limit in the model.
    """
    offered: dict[tuple[str, bool], int] = {
        (vt.key, pa): 0 for vt in dataset.fleet for pa in (False, True)
    }
    for pa in (False, True):
        for chair in (False, True):
            kind = [
                b
                for b in bundles
                if any(p.passenger_assistant for p in b) == pa
                and any(p.wheelchair for p in b) == chair
            ]
            if not kind:
                continue
            solo = sum(1 for b in kind if b[0].solo)
            per_vehicle = 1.5 if chair else 3
            estimate = solo + math.ceil((len(kind) - solo) / per_vehicle)
            budget = math.ceil(1.5 * boost * estimate) + 2
            rows = [
                vt for vt in dataset.fleet if any(all(can_carry(vt, p) for p in b) for b in kind)
            ]
            pool = sum(vt.count for vt in rows) or 1
            for vt in rows:
                offered[vt.key, pa] += max(2, math.ceil(budget * vt.count / pool))
    return {
        (vt.key, pa): min(vt.count, offered[vt.key, pa])
        for vt in dataset.fleet
        for pa in (False, True)
    }


def _vehicles(
    dataset: Dataset,
    travel: TravelData,
    session: Session,
    bundles: list[list[Pupil]],
    offer_boost: float = 1.0,
) -> tuple[list[Vehicle], list[VehicleSlot], list[tuple[tuple[int, ...], int]]]:
    earliest, latest = SESSION_HOURS[session]
    vehicles: list[Vehicle] = []
    slots: list[VehicleSlot] = []
    limits = []
    pa_cost = dataset.settings.passenger_assistant_per_session_pence
    offered = _offered_copies(dataset, bundles, offer_boost)
    for vt in dataset.fleet:
        members = []
        for pa in (False, True):
            copies = offered[vt.key, pa]
            for n in range(copies):
                members.append(len(vehicles))
                depot = travel.row(depot_key(vt))
                vehicles.append(
                    Vehicle(
                        vehicle_id=f"{vt.key}{'+PA' if pa else ''}#{n + 1}",
                        start_row=depot,
                        end_row=depot,
                        capacity={
                            "seats": vt.seats - (1 if pa else 0),
                            "wheelchairs": vt.wheelchair_spaces,
                            "assisted": vt.seats + vt.wheelchair_spaces if pa else 0,
                        },
                        fixed_cost=(vt.cost_per_session_pence + (pa_cost if pa else 0)) * 1000,
                        cost_per_m=vt.cost_per_km_pence,
                        earliest_start_s=earliest,
                        latest_end_s=latest,
                        tag=vt.key,
                    )
                )
                slots.append(VehicleSlot(vt.key, pa))
        limits.append((tuple(members), vt.count))
    return vehicles, slots, limits


def _request(
    dataset: Dataset,
    travel: TravelData,
    session: Session,
    bundle: list[Pupil],
) -> Request:
    lead = bundle[0]
    start, end = _rows(lead, session, travel)
    school = dataset.schools[lead.school_id]
    service = sum(dataset.boarding_s(p) for p in bundle)
    earliest, latest = SESSION_HOURS[session]
    # Schools are the sites a route's calls are counted at (Policy.max_schools_per_route).
    site = sorted(dataset.schools).index(lead.school_id)
    if session is Session.AM:
        pickup = Visit(start, earliest, latest, service)
        dropoff = Visit(end, school.am_arrive_from_s, school.am_arrive_by_s, service, site)
    else:
        # The departure from school (start of service + boarding) must fall in the window.
        pickup = Visit(
            start, school.pm_depart_from_s - service, school.pm_depart_by_s - service, service, site
        )
        dropoff = Visit(end, earliest, latest, service)
    direct = int(travel.times(session)[start, end])
    seats = sum(not p.wheelchair for p in bundle)
    chairs = sum(p.wheelchair for p in bundle)
    needs_pa = any(p.passenger_assistant for p in bundle)
    return Request(
        request_id="+".join(p.pupil_id for p in bundle),
        pickup=pickup,
        dropoff=dropoff,
        # Pupils who need a passenger assistant load the "assisted" dimension, which only
        # vehicles with an assistant have room in: a capacity, checked fast by the solver.
        load={"seats": seats, "wheelchairs": chairs, "assisted": len(bundle) if needs_pa else 0},
        max_ride_s=min(dataset.ride_limit_s(p, direct) for p in bundle),
        solo=lead.solo,
        penalty=PENALTY * len(bundle),
    )


def _same_vehicle_groups(bundles: list[list[Pupil]]) -> tuple[tuple[int, ...], ...]:
    """Requests that must share a vehicle, as disjoint groups of request indices.

    A request bundles the pupils at one address going to one school, whatever their travel
    groups, so pupils of two groups can share a request; sharing a vehicle is transitive, so
    such groups are merged into one (union by the requests they have in common).
    """
    group_of_request: dict[int, int] = {}
    members: dict[int, list[int]] = {}  # group id -> its requests, in order of first appearance
    label: dict[str, int] = {}
    for i, bundle in enumerate(bundles):
        for p in bundle:
            if not p.group:
                continue
            g = label.setdefault(p.group, len(label))
            members.setdefault(g, [])
            mine = group_of_request.get(i)
            if mine is None:
                group_of_request[i] = g
                members[g].append(i)
            elif mine != g:  # merge g into the request's group
                for j in members.pop(g):
                    group_of_request[j] = mine
                    members[mine].append(j)
                for name, h in label.items():
                    if h == g:
                        label[name] = mine
    return tuple(tuple(g) for g in members.values() if len(g) > 1)


def build_session_model(
    dataset: Dataset,
    travel: TravelData,
    session: Session,
    *,
    offer_boost: float = 1.0,
) -> SessionModel:
    """Express one session of the dataset as a routing :class:`Problem`.

    ``offer_boost`` multiplies the vehicles offered to the solver (never beyond fleet counts).
    """
    set_aside = []
    placeable = []
    for pupil in dataset.pupils_in(session):
        reason = _set_aside_reason(dataset, travel, pupil, session)
        if reason:
            set_aside.append(SetAside(pupil.pupil_id, session, reason))
        else:
            placeable.append(pupil)
    bundles = _stops(placeable, session)
    vehicles, slots, limits = _vehicles(dataset, travel, session, bundles, offer_boost)
    requests = [_request(dataset, travel, session, b) for b in bundles]
    request_of = {p.pupil_id: i for i, b in enumerate(bundles) for p in b}

    same_vehicle = _same_vehicle_groups(bundles)
    # Members of a group at one address are picked up (AM) or set down (PM) at one stop.
    home_visit = VisitKind.PICKUP if session is Session.AM else VisitKind.DROPOFF
    consecutive = []
    for members in same_vehicle:
        by_place: dict[tuple, list[int]] = defaultdict(list)
        for i in members:
            place = bundles[i][0].address(session)
            by_place[(place.lat, place.lon)].append(i)
        for chain in by_place.values():
            consecutive += [(a, b, home_visit) for a, b in zip(chain, chain[1:], strict=False)]
    pairs: set[tuple[int, int]] = set()
    for p in placeable:
        for other in p.not_with:
            if other in request_of and request_of[other] != request_of[p.pupil_id]:
                mine, theirs = request_of[p.pupil_id], request_of[other]
                pairs.add((min(mine, theirs), max(mine, theirs)))
    rows = travel.times(session)
    problem = Problem(
        name=f"{dataset.name}-{session}",
        time_s=rows,
        distance_m=travel.distance_m,
        requests=tuple(requests),
        vehicles=tuple(vehicles),
        dimensions=("seats", "wheelchairs", "assisted"),
        vehicle_limits=tuple(limits),
        same_vehicle=same_vehicle,
        never_together=tuple(sorted(pairs)),
        consecutive=tuple(consecutive),
        ride_cost_per_s=int(round(dataset.settings.ride_time_weight_pence_per_min * 1000 / 60)),
        max_sites_per_route=dataset.settings.policy.max_schools_per_route,
    )
    return SessionModel(
        session=session,
        problem=problem,
        request_pupils=tuple(tuple(p.pupil_id for p in b) for b in bundles),
        slots=tuple(slots),
        set_aside=tuple(set_aside),
    )
