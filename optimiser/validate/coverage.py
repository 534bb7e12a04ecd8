"""The plan checker's rules about journeys left out: none while a vehicle stands idle, and no
reason the plan itself contradicts.

``avoidable_unplaced``: a journey is listed unassigned while a fleet row has vehicles the plan does
not use in that session and one of them could carry the journey alone
(:func:`~optimiser.plan.solo.solo_schedule`). "Used" vehicles of a row are the distinct
``vehicle_id`` of the session's routes on that row (consecutive runs share a vehicle id).

Members of a sibling group with other members travelling in the session are not held to this:
the group rule forbids carrying them in different vehicles, so a vehicle that could take one of
them alone is not enough.

``contradicted_reason``: an entry's machine-readable ``cause`` claims something the plan or the
data deny: a row "fully used" that the plan uses less, used/count figures that are not the plan's,
"no vehicle could carry this journey alone" when one could, "group" for a pupil with no group
travelling. Entries without a cause (plans written before it existed) are checked for the first
rule only.
"""

from __future__ import annotations

from collections import defaultdict

from optimiser.domain.entities import Dataset, Pupil, Session
from optimiser.plan.document import Plan, Unassigned
from optimiser.plan.solo import solo_schedule
from optimiser.roads.travel import TravelData
from optimiser.validate.route_checks import Violation


def vehicles_used(plan: Plan) -> dict[tuple[Session, str], int]:
    """Distinct vehicles the plan uses per session and fleet row (``operator/vehicle_type``)."""
    ids: dict[tuple[Session, str], set[str]] = defaultdict(set)
    for route in plan.routes:
        ids[(route.session, f"{route.operator}/{route.vehicle_type}")].add(route.vehicle_id)
    return {key: len(v) for key, v in ids.items()}


def _travels_with_group(dataset: Dataset, pupil: Pupil, session: Session) -> bool:
    return pupil.group is not None and any(
        p.group == pupil.group and p.pupil_id != pupil.pupil_id and session in p.sessions
        for p in dataset.pupils
    )


def check_unplaced(dataset: Dataset, travel: TravelData, plan: Plan, out: list[Violation]) -> None:
    """Add ``avoidable_unplaced`` and ``contradicted_reason`` violations for the plan's entries.

    Parameters
    ----------
    dataset : Dataset
        The dataset the plan was made for; its fleet counts are the whole session's fleet.
    travel : TravelData
        Its locations and matrices.
    plan : Plan
        The plan to check; entries the coverage check already rejects (unknown pupil, wrong
        session, also carried) are skipped.
    out : list of Violation
        Where violations are appended.
    """
    used = vehicles_used(plan)
    carried = {(r.session, pid) for r in plan.routes for pid in r.pupil_ids}
    for entry in plan.unassigned:
        pupil = dataset.find_pupil(entry.pupil_id)
        session = entry.session
        if pupil is None or session not in pupil.sessions or (session, pupil.pupil_id) in carried:
            continue
        fits = [vt for vt in dataset.fleet if solo_schedule(pupil, session, vt, dataset, travel)]
        free = [vt for vt in fits if used.get((session, vt.key), 0) < vt.count]
        grouped = _travels_with_group(dataset, pupil, session)
        if free:  # a sibling group travels apart rather than leave a member at home
            rows = "; ".join(
                f"{vt.key} (the plan uses {used.get((session, vt.key), 0)} of its {vt.count})"
                for vt in free
            )
            out.append(
                Violation(
                    "avoidable_unplaced",
                    f"{pupil.pupil_id} is left out in {session} while an unused vehicle could"
                    f" carry them alone: {rows}",
                    pupil_id=pupil.pupil_id,
                    session=str(session),
                )
            )
        for problem in _contradictions(entry, dataset, used, fits, grouped):
            out.append(
                Violation(
                    "contradicted_reason",
                    f"{pupil.pupil_id} in {session}: {problem}",
                    pupil_id=pupil.pupil_id,
                    session=str(session),
                )
            )


def _contradictions(
    entry: Unassigned,
    dataset: Dataset,
    used: dict[tuple[Session, str], int],
    fits: list,
    grouped: bool,
) -> list[str]:
    session, cause = entry.session, entry.cause
    if cause in ("no_solo_fit", "set_aside") and fits:
        names = ", ".join(vt.key for vt in fits)
        return [f"the reason ({cause}) says no vehicle could carry them alone, but {names} could"]
    if cause == "group" and not grouped:
        return ["the reason (group) names a sibling group, but no other member travels"]
    if cause != "fleet_used":
        return []
    problems = []
    if not entry.fleet_rows:
        problems.append("the reason (fleet_used) names no fleet row")
    named = set()
    for row in entry.fleet_rows:
        named.add(row.fleet)
        try:
            count = dataset.vehicle_type(row.fleet).count
        except KeyError:
            problems.append(f"the reason names fleet row {row.fleet}, not in the fleet")
            continue
        actual = used.get((session, row.fleet), 0)
        if actual < count:
            problems.append(
                f"the reason says every vehicle of {row.fleet} is in use, but the plan uses"
                f" {actual} of {count}"
            )
        elif (row.used, row.count) != (actual, count):
            problems.append(
                f"the reason says {row.used} of {row.count} vehicles of {row.fleet} are in use;"
                f" the plan uses {actual} of {count}"
            )
    unnamed = [vt.key for vt in fits if vt.key not in named]
    if unnamed and entry.fleet_rows:
        problems.append(
            f"the reason (fleet_used) leaves out {', '.join(unnamed)}, which could carry them alone"
        )
    return problems
