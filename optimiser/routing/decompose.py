"""Splitting a large session into parts the solver searches well, each with its share of the fleet.

One routing model over thousands of pickup–drop-off pairs is slow to build and slower to search
(measured: a 1,000-pupil cohort found no complete first solution in 60 s per session, where the
500-pupil sample finds one in seconds). A large session is therefore cut into parts of at most
``max_pupils`` pupils: pupils are ordered by their school's bell time, then school, then the
bearing of their home from the school, so each part holds whole schools (or whole sectors of a
large school) with similar times, where sharing vehicles pays most. Sibling groups stay in one
part. Each fleet row's count is shared among the parts in proportion to the pupils of each part it
can carry, so the parts together never use more vehicles than the fleet has.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from optimiser.domain.entities import Dataset, Pupil, Session
from optimiser.domain.rules import can_carry

MAX_PUPILS_PER_PART = 500
KM_PER_DEGREE = 111.2  # of latitude; of longitude times the cosine of the latitude


def _bearing(pupil: Pupil, dataset: Dataset, session: Session) -> float:
    school = dataset.schools[pupil.school_id].location
    home = pupil.address(session)
    return math.atan2(
        home.lat - school.lat, (home.lon - school.lon) * math.cos(math.radians(school.lat))
    )


def _order(dataset: Dataset, session: Session, pupils: list[Pupil]) -> list[Pupil]:
    def key(p: Pupil) -> tuple:
        school = dataset.schools[p.school_id]
        bell = school.am_arrive_by_s if session is Session.AM else school.pm_depart_from_s
        return (bell, p.school_id, _bearing(p, dataset, session))

    keys = {p.pupil_id: key(p) for p in pupils}
    # Group members all sort at their first member's place, so a cut never falls inside a group.
    group_key: dict[str, tuple] = {}
    for p in pupils:
        if p.group:
            group_key[p.group] = min(group_key.get(p.group, keys[p.pupil_id]), keys[p.pupil_id])
    return sorted(
        pupils,
        key=lambda p: (group_key[p.group] if p.group else keys[p.pupil_id], p.group or ""),
    )


def proportional_shares(count: int, weights: list[int]) -> list[int]:
    """Split ``count`` in proportion to ``weights`` (largest remainders), never over ``count``."""
    total = sum(weights)
    if total == 0:
        return [0] * len(weights)
    exact = [count * w / total for w in weights]
    shares = [math.floor(x) for x in exact]
    for i in sorted(range(len(weights)), key=lambda i: shares[i] - exact[i])[: count - sum(shares)]:
        shares[i] += 1
    return shares


def split_session(
    dataset: Dataset, session: Session, max_pupils: int = MAX_PUPILS_PER_PART
) -> list[Dataset]:
    """The dataset cut into parts for one session (just itself when it is small enough)."""
    pupils = dataset.pupils_in(session)
    if len(pupils) <= max_pupils:
        return [dataset]
    n_parts = math.ceil(len(pupils) / max_pupils)
    ordered = _order(dataset, session, pupils)
    size = math.ceil(len(ordered) / n_parts)
    parts: list[list[Pupil]] = [[]]
    for p in ordered:
        starts_group = not p.group or not parts[-1] or parts[-1][-1].group != p.group
        if len(parts[-1]) >= size and starts_group:
            parts.append([])
        parts[-1].append(p)
    counts = {
        vt.key: proportional_shares(
            vt.count, [sum(can_carry(vt, p) for p in part) for part in parts]
        )
        for vt in dataset.fleet
    }
    return [
        replace(
            dataset,
            name=f"{dataset.name} part {k + 1} of {len(parts)}",
            pupils=tuple(part),
            fleet=tuple(replace(vt, count=counts[vt.key][k]) for vt in dataset.fleet),
        )
        for k, part in enumerate(parts)
    ]


def request_parts(
    dataset: Dataset,
    session: Session,
    request_pupils: Sequence[Sequence[str]],
    same_vehicle: Sequence[Sequence[int]],
    max_pupils: int = MAX_PUPILS_PER_PART,
) -> list[list[int]]:
    """The requests of one session's routing problem cut into parts of at most about
    ``max_pupils`` pupils, in the same order as :func:`split_session` (bell time, school,
    direction from the school), never cutting a same-vehicle group."""
    pupils = [dataset.pupil(ids[0]) for ids in request_pupils]
    order = {p.pupil_id: k for k, p in enumerate(_order(dataset, session, pupils))}
    rank = [order[p.pupil_id] for p in pupils]
    # A group sorts at its first member's place, so a cut never falls inside it.
    for group in same_vehicle:
        first = min(rank[i] for i in group)
        for i in group:
            rank[i] = first
    requests = sorted(range(len(request_pupils)), key=lambda i: (rank[i], i))
    total = sum(len(ids) for ids in request_pupils)
    n_parts = max(1, math.ceil(total / max_pupils))
    size = math.ceil(total / n_parts)
    parts: list[list[int]] = [[]]
    filled = 0
    for i in requests:
        starts_group = not parts[-1] or rank[parts[-1][-1]] != rank[i]
        if filled >= size and starts_group:
            parts.append([])
            filled = 0
        parts[-1].append(i)
        filled += len(request_pupils[i])
    return parts


def request_positions(
    dataset: Dataset, session: Session, request_pupils: Sequence[Sequence[str]]
) -> tuple[np.ndarray, np.ndarray]:
    """Where each request is (its home end, in km east and north of a fixed point) and its
    school's bell time in minutes: what makes two routes neighbours in the decomposition."""
    xy = np.zeros((len(request_pupils), 2))
    minutes = np.zeros(len(request_pupils))
    for i, ids in enumerate(request_pupils):
        pupil = dataset.pupil(ids[0])
        home = pupil.address(session)
        xy[i] = (
            home.lon * KM_PER_DEGREE * math.cos(math.radians(home.lat)),
            home.lat * KM_PER_DEGREE,
        )
        school = dataset.schools[pupil.school_id]
        bell = school.am_arrive_by_s if session is Session.AM else school.pm_depart_from_s
        minutes[i] = bell / 60
    return xy, minutes
