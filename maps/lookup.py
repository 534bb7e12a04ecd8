"""Find a pupil in a plan: which route, vehicle and operator carry them, morning and afternoon.

Answers the question a transport officer gets on the phone ("which vehicle is P0117 on?"): a
search by pupil id or a fragment of the name, by postcode (full or part: "PO30 1CC", "po301cc",
"PO30 1", "PO30") or by school (its id, such as a URN, or part of its name) gives, for each
matching pupil, each session's route with its vehicle, operator, pick-up and set-down times, or
the reason the journey was not placed. Times are ``HH:MM``, as the route sheets give them: when
the vehicle is at the stop.
"""

from __future__ import annotations

import re
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
    postcode: str = ""  # home
    pm_postcode: str = ""  # the afternoon address's, where it differs
    matched: str = "pupil"  # what the search matched: "pupil" (id or name), "postcode", "school"


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


# A postcode or the start of one: the outward code ("PO30"), then maybe the inward code or its
# start ("1", "1C", "1CC"), with or without the space.
_POSTCODE_QUERY = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{0,2})?$")
#: A school's name is searched for fragments of at least this many characters.
MIN_SCHOOL_TEXT = 3


def _postcode_parts(postcode: str | None) -> tuple[str, str] | None:
    """A full postcode's outward and inward codes ("PO30 1CC" -> ("PO30", "1CC"))."""
    compact = "".join((postcode or "").split()).upper()
    if len(compact) < 5:
        return None
    return compact[:-3], compact[-3:]


def _postcode_query(wanted: str) -> tuple[str, str] | None:
    """The outward code and the start of the inward code a query asks for, if it reads as a
    postcode ("po30 1" -> ("PO30", "1"); "PO301CC" -> ("PO30", "1CC")); else ``None``."""
    match = _POSTCODE_QUERY.match(wanted.upper())
    return None if match is None else (match.group(1), match.group(2) or "")


def _by_postcode(pupil: Pupil, query: tuple[str, str]) -> bool:
    outward, inward = query
    for postcode in (pupil.postcode, pupil.pm_postcode):
        parts = _postcode_parts(postcode)
        if parts and parts[0] == outward and parts[1].startswith(inward):
            return True
    return False


def _by_pupil(pupil: Pupil, query: str) -> bool:
    return query in pupil.pupil_id.casefold() or query in " ".join(pupil.name.split()).casefold()


def _by_school(pupil: Pupil, dataset: Dataset, query: str) -> bool:
    if pupil.school_id.casefold() == query:
        return True
    school = dataset.schools.get(pupil.school_id)
    name = " ".join(school.name.split()).casefold() if school else ""
    return len(query) >= MIN_SCHOOL_TEXT and query in name


def find_pupils(
    plan: Plan, dataset: Dataset, query: str, limit: int = MAX_MATCHES
) -> list[PupilMatch]:
    """Pupils whose id or name contains ``query`` (any case), who live at a postcode it gives
    (full, or the outward code and the start of the inward code), or who go to a school it
    names (its id, or a part of its name of three characters or more).

    An exact id comes first, then pupils found by id or name, by postcode, by school, each
    by id.

    Parameters
    ----------
    plan, dataset
        The plan and the dataset it was made from.
    query
        A pupil id or any part of one, or a fragment of a name ("P0117", "117", "smith"); a
        postcode ("PO30 1CC", "po30 1", "PO30"); a school's id or part of its name.
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
    postcode = _postcode_query(wanted)
    order = {"pupil": 0, "postcode": 1, "school": 2}
    hits: list[tuple[Pupil, str]] = []
    for p in dataset.pupils:
        if _by_pupil(p, wanted):
            hits.append((p, "pupil"))
        elif postcode is not None and _by_postcode(p, postcode):
            hits.append((p, "postcode"))
        elif _by_school(p, dataset, wanted):
            hits.append((p, "school"))
    hits.sort(key=lambda h: (h[0].pupil_id.casefold() != wanted, order[h[1]], h[0].pupil_id))
    return [
        PupilMatch(
            pupil_id=p.pupil_id,
            name=p.name,
            school=(s.name if (s := dataset.schools.get(p.school_id)) else p.school_id),
            needs=needs_of(p),
            sessions=tuple(sorted(str(s) for s in p.sessions)),
            journeys=journeys_of(plan, dataset, p.pupil_id),
            postcode=p.postcode or "",
            pm_postcode=p.pm_postcode if p.pm_postcode and p.pm_postcode != p.postcode else "",
            matched=matched,
        )
        for p, matched in hits[:limit]
    ]
