"""Find a pupil in a plan: which route, vehicle and operator carry them, morning and afternoon.

Answers the question a transport officer gets on the phone ("which vehicle is P0117 on?"): a
search by pupil id or a fragment of the name gives, for each matching pupil, each session's
route with its vehicle, operator, pick-up and set-down times, or the reason the journey was not
placed. Times are ``HH:MM``, as the route sheets give them: when the vehicle is at the stop.
"""

from __future__ import annotations

from dataclasses import dataclass

from maps.plan_facts import route_rides
from optimiser.domain.entities import Dataset, Pupil, Session
from optimiser.domain.times import format_hm
from optimiser.plan.document import Plan, StopType

#: At most this many pupils are listed for one search.
MAX_MATCHES = 50


@dataclass(frozen=True)
class Journey:
    """One pupil's journey in one session: on a route, or not placed (``reason``)."""

    session: str
    route_id: str = ""
    operator: str = ""
    vehicle_id: str = ""
    vehicle_type: str = ""
    passenger_assistant: bool = False
    pickup: str = ""  # HH:MM
    set_down: str = ""  # HH:MM
    reason: str = ""  # why the journey is not placed


@dataclass(frozen=True)
class PupilMatch:
    """A pupil found by a search, with the school and every journey of the plan."""

    pupil_id: str
    name: str
    school: str
    needs: tuple[str, ...]
    sessions: tuple[str, ...]  # the sessions the pupil is entitled to travel in
    journeys: tuple[Journey, ...]


def needs_of(pupil: Pupil) -> tuple[str, ...]:
    """The transport needs an officer sees: wheelchair, passenger assistant, travels alone."""
    flags = (
        (pupil.wheelchair, "wheelchair"),
        (pupil.passenger_assistant, "passenger assistant"),
        (pupil.solo, "travels alone"),
    )
    return tuple(text for on, text in flags if on)


def journeys_of(plan: Plan, dataset: Dataset, pupil_id: str) -> tuple[Journey, ...]:
    """Every journey of one pupil in the plan, morning first."""
    found = []
    for route in plan.routes:
        if pupil_id not in route.pupil_ids:
            continue
        ride = next(r for r in route_rides(route, dataset) if r.pupil_id == pupil_id)
        # the time the sheets give: when the vehicle is at the stop, not when it leaves it
        board = next(
            s for s in route.stops if s.type == StopType.PICKUP and pupil_id in s.pupil_ids
        )
        found.append(
            Journey(
                session=str(route.session),
                route_id=route.route_id,
                operator=route.operator,
                vehicle_id=route.vehicle_id,
                vehicle_type=route.vehicle_type,
                passenger_assistant=route.passenger_assistant,
                pickup=format_hm(board.arrive if board.arrive is not None else ride.pickup_s),
                set_down=format_hm(ride.dropoff_s),
            )
        )
    found += [
        Journey(session=str(u.session), reason=u.reason)
        for u in plan.unassigned
        if u.pupil_id == pupil_id
    ]
    order = {str(Session.AM): 0, str(Session.PM): 1}
    return tuple(sorted(found, key=lambda j: (order.get(j.session, 2), j.route_id)))


def _matches(pupil: Pupil, query: str) -> bool:
    return query in pupil.pupil_id.casefold() or query in " ".join(pupil.name.split()).casefold()


def find_pupils(
    plan: Plan, dataset: Dataset, query: str, limit: int = MAX_MATCHES
) -> list[PupilMatch]:
    """Pupils whose id or name contains ``query`` (any case), an exact id first, then by id.

    Parameters
    ----------
    plan, dataset
        The plan and the dataset it was made from.
    query
        A pupil id or any part of one, or a fragment of a name ("P0117", "117", "smith").
    limit
        At most this many pupils.

    Returns
    -------
    list of PupilMatch
        Empty for an empty query.
    """
    wanted = " ".join(query.split()).casefold()
    if not wanted:
        return []
    hits = [p for p in dataset.pupils if _matches(p, wanted)]
    hits.sort(key=lambda p: (p.pupil_id.casefold() != wanted, p.pupil_id))
    return [
        PupilMatch(
            pupil_id=p.pupil_id,
            name=p.name,
            school=(s.name if (s := dataset.schools.get(p.school_id)) else p.school_id),
            needs=needs_of(p),
            sessions=tuple(sorted(str(s) for s in p.sessions)),
            journeys=journeys_of(plan, dataset, p.pupil_id),
        )
        for p in hits[:limit]
    ]
