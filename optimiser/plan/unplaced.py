"""Journeys the search left out: place those an idle vehicle can carry alone, explain the rest.

Both work on the assembled plan and the whole session's fleet, never on one part of a decomposed
session: a part sees only its share of the fleet, so a vehicle idle in the session may have been
out of its reach. The repair pass (:func:`place_solo`) gives each journey a solo route in the
cheapest fleet row with an unused vehicle that can make it in time
(:func:`~optimiser.plan.solo.solo_schedule`); :func:`explain_unplaced` then names, for each journey
still left out, the limit that binds, with a cause the validator checks against the plan.

A member of a sibling group with other members travelling in the session is not placed alone: the
group rule keeps members in one vehicle, and placing a group apart is left to a later change.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from optimiser.domain.entities import Dataset, Pupil, Session, VehicleType
from optimiser.domain.rules import can_carry
from optimiser.plan.document import FleetUse, Route, SplitGroup, Unassigned
from optimiser.plan.solo import solo_obstacle, solo_route, solo_schedule
from optimiser.roads.travel import TravelData, home_key, school_key

Journey = tuple[Pupil, Session]


def vehicles_in_use(routes: list[Route]) -> dict[tuple[Session, str], set[str]]:
    """The distinct vehicle ids per session and fleet row (``operator/vehicle_type``)."""
    used: dict[tuple[Session, str], set[str]] = defaultdict(set)
    for route in routes:
        used[(route.session, f"{route.operator}/{route.vehicle_type}")].add(route.vehicle_id)
    return used


def travels_with_group(dataset: Dataset, pupil: Pupil, session: Session) -> bool:
    """Whether another member of the pupil's sibling group travels in this session."""
    return pupil.group is not None and any(
        p.group == pupil.group and p.pupil_id != pupil.pupil_id and session in p.sessions
        for p in dataset.pupils
    )


def place_solo(
    dataset: Dataset,
    travel: TravelData,
    routes: list[Route],
    journeys: list[Journey],
    *,
    apart: bool = False,
) -> list[Journey]:
    """Give each journey an unused vehicle of the whole fleet that can carry it alone, if any.

    Journeys are taken in the order given; each goes to the fleet row whose solo route is
    cheapest among rows with a vehicle the plan does not use. New routes are appended to
    ``routes`` with the next route and vehicle numbers of their session.

    Parameters
    ----------
    dataset : Dataset
        The whole dataset: its fleet counts are the session's whole fleet.
    travel : TravelData
        Its locations and matrices.
    routes : list of Route
        The assembled plan's routes; extended in place.
    journeys : list of (Pupil, Session)
        The journeys the search left out.
    apart : bool
        Also place members of a sibling group whose group travels this session (each alone, so
        the group travels apart: see :func:`split_groups`). Without it they are left as they are.

    Returns
    -------
    list of (Pupil, Session)
        The journeys still left out, in the order given.
    """
    used = vehicles_in_use(routes)
    numbers = defaultdict(int, {s: sum(r.session is s for r in routes) for s in Session})
    left: list[Journey] = []
    for pupil, session in journeys:
        if not apart and travels_with_group(dataset, pupil, session):
            left.append((pupil, session))
            continue
        best: Route | None = None
        for vt in dataset.fleet:
            if len(used[(session, vt.key)]) >= vt.count:
                continue
            schedule = solo_schedule(pupil, session, vt, dataset, travel)
            if schedule is None:
                continue
            n = numbers[session] + 1
            route = solo_route(
                schedule,
                pupil,
                vt,
                dataset,
                travel,
                route_id=f"{session}-{n:03d}",
                vehicle_id=f"{session}-V{n:03d}",
            )
            if best is None or route.cost_pence < best.cost_pence:
                best = route
        if best is None:
            left.append((pupil, session))
            continue
        numbers[session] += 1
        routes.append(best)
        used[(session, f"{best.operator}/{best.vehicle_type}")].add(best.vehicle_id)
    return left


def split_groups(
    dataset: Dataset, routes: list[Route], placed_apart: list[Journey]
) -> list[SplitGroup]:
    """The sibling groups of journeys placed apart, with the reason, once per group and session.

    A group no vehicle can carry together is given to the search apart, so its members share
    routes with other pupils; any other group the search keeps on one vehicle at any cost short
    of leaving it out, and a member it left out anyway had no vehicle found for the whole group
    and is carried alone. Either way they travel apart rather than not at all (what an officer
    would choose), and the plan says so.
    """
    out: dict[tuple[str, Session], SplitGroup] = {}
    for pupil, session in placed_apart:
        group = pupil.group or ""
        if (group, session) in out:
            continue
        members = sorted(
            p.pupil_id for p in dataset.pupils if p.group == group and session in p.sessions
        )
        vehicles = sorted(
            {
                r.vehicle_id
                for r in routes
                if r.session is session
                for p in members
                if p in r.pupil_ids
            }
        )
        how = (
            f"board {vehicles[0]} at different stops"
            if len(vehicles) == 1
            else f"travel apart, on {', '.join(vehicles)}"
        )
        out[(group, session)] = SplitGroup(
            group,
            session,
            f"no vehicle was found to carry group {group} ({', '.join(members)}) together within"
            f" the school windows and ride limits; its members {how}, rather than not at all",
        )
    return list(out.values())


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min"


def _kind(pupil: Pupil) -> str:
    if pupil.wheelchair:
        return "wheelchair-accessible vehicle"
    if pupil.passenger_assistant:
        return "vehicle with a passenger assistant"
    return "suitable vehicle"


def _no_fit_reason(pupil: Pupil, session: Session, dataset: Dataset, travel: TravelData) -> str:
    """The binding limit when no fleet row could carry the journey alone, whatever is free."""
    times = travel.times(session)
    home, school = travel.row(home_key(pupil, session)), travel.row(school_key(pupil.school_id))
    direct = int(times[home, school] if session is Session.AM else times[school, home])
    limit = dataset.max_ride_s(pupil)
    if direct > limit:
        return f"direct journey {_minutes(direct)} exceeds maximum ride {_minutes(limit)}"
    carriers = [vt for vt in dataset.fleet if can_carry(vt, pupil)]
    if not carriers:
        if pupil.wheelchair:
            return "no wheelchair-accessible vehicle in the fleet"
        return "no vehicle type in the fleet can carry this pupil"
    obstacles = dict.fromkeys(
        why for vt in carriers if (why := solo_obstacle(pupil, session, vt, dataset, travel))
    )
    shown = list(obstacles)[:3]
    more = f"; and {len(obstacles) - 3} more" if len(obstacles) > 3 else ""
    return "no vehicle in the fleet can make this journey alone in time: " + "; ".join(shown) + more


def _uses(
    fits: list[VehicleType], used: Mapping[tuple[Session, str], set[str]], session: Session
) -> tuple[FleetUse, ...]:
    return tuple(FleetUse(vt.key, len(used[(session, vt.key)]), vt.count) for vt in fits)


def explain_unplaced(
    dataset: Dataset,
    travel: TravelData,
    routes: list[Route],
    journeys: list[Journey],
    set_aside: set[tuple[str, Session]],
) -> list[Unassigned]:
    """Why each journey left out of the final plan is left out: a reason and a checkable cause.

    Computed once, against the whole session fleet and the plan's routes:

    - ``set_aside`` / ``no_solo_fit``: no fleet row could carry the journey alone in time (the
      first when the routing model set it aside before the search); the reason names the binding
      limit (the ride limit against the direct journey, a school window, the depots' hours).
    - ``fleet_used``: every row that could carry it alone has all its vehicles in use; the rows
      are named with vehicles used of count.
    - ``group``: a row could carry it alone, but it travels with a sibling group that no vehicle
      could take whole.

    Parameters
    ----------
    dataset : Dataset
        The whole dataset.
    travel : TravelData
        Its locations and matrices.
    routes : list of Route
        The final plan's routes (after :func:`place_solo`).
    journeys : list of (Pupil, Session)
        The journeys left out.
    set_aside : set of (pupil id, Session)
        The journeys the routing model set aside before the search.

    Returns
    -------
    list of Unassigned
        One entry per journey, in the order given.
    """
    used = vehicles_in_use(routes)
    left_in_group: dict[tuple[Session, str], list[str]] = defaultdict(list)
    for pupil, session in journeys:
        if pupil.group:
            left_in_group[(session, pupil.group)].append(pupil.pupil_id)
    out = []
    for pupil, session in journeys:
        pid = pupil.pupil_id
        fits = [vt for vt in dataset.fleet if solo_schedule(pupil, session, vt, dataset, travel)]
        free = [vt for vt in fits if len(used[(session, vt.key)]) < vt.count]
        if not fits:
            cause = "set_aside" if (pid, session) in set_aside else "no_solo_fit"
            reason = _no_fit_reason(pupil, session, dataset, travel)
            out.append(Unassigned(pid, session, reason, cause))
        elif not free:
            rows = _uses(fits, used, session)
            counts = "; ".join(f"{f.fleet}: {f.used} of {f.count} in use" for f in rows)
            reason = (
                f"no {_kind(pupil)} left: every one that could make this journey alone in time"
                f" is already used this session ({counts})"
            )
            out.append(Unassigned(pid, session, reason, "fleet_used", rows))
        elif not travels_with_group(dataset, pupil, session):
            # Only when place_solo was not run first: say so rather than invent a limit.
            names = ", ".join(vt.key for vt in free)
            reason = f"not placed, though an unused vehicle could carry it alone ({names})"
            out.append(Unassigned(pid, session, reason))
        else:
            members = left_in_group[(session, pupil.group or "")] or [pid]
            schools = sorted({dataset.schools[dataset.pupil(m).school_id].name for m in members})
            reason = (
                f"travels with group {pupil.group} ({', '.join(members)} left out, to"
                f" {' and '.join(schools)}), who share one vehicle; no vehicle could take this"
                " pupil with the group within the school windows and ride limits"
            )
            out.append(Unassigned(pid, session, reason, "group"))
    return out
