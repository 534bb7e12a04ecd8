"""Morning and afternoon routes of one vehicle and crew, and how many pupils keep them.

A vehicle that drives a morning route can drive any afternoon route of its fleet row (the
sessions never overlap), so which afternoon route is the morning route's *twin* is a choice: the
one that maximises the pupils carried by the same vehicle both ways, an assignment problem per
fleet row (operator, vehicle type, with or without a passenger assistant) solved exactly.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from optimiser.domain.entities import Session
from optimiser.plan.document import Route


def link_twins(routes: list[Route]) -> None:
    """Set ``twin_route_id`` on each morning route and its afternoon twin (pairs sharing at
    least one pupil), chosen to carry the most pupils both ways; others get None."""
    by_row: dict[tuple[str, str, bool], tuple[list[Route], list[Route]]] = defaultdict(
        lambda: ([], [])
    )
    for route in routes:
        route.twin_route_id = None
        key = (route.operator, route.vehicle_type, route.passenger_assistant)
        by_row[key][0 if route.session is Session.AM else 1].append(route)
    for am, pm in by_row.values():
        if not am or not pm:
            continue
        shared = np.array(
            [[len(set(a.pupil_ids) & set(p.pupil_ids)) for p in pm] for a in am], dtype=np.int64
        )
        for i, j in zip(*linear_sum_assignment(shared, maximize=True), strict=True):
            if shared[i, j] > 0:
                am[i].twin_route_id, pm[j].twin_route_id = pm[j].route_id, am[i].route_id


@dataclass(frozen=True)
class Continuity:
    """Of the pupils carried both ways: how many keep their vehicle (the twin route), their
    operator, and their fellow passengers."""

    both_ways: int
    same_vehicle: int
    same_operator: int
    same_passengers: int

    def share(self, count: int) -> float:
        return count / self.both_ways if self.both_ways else 0.0


def continuity(routes: list[Route]) -> Continuity:
    """How far the plan keeps each pupil's vehicle, operator and fellow passengers both ways."""
    on: dict[Session, dict[str, Route]] = {Session.AM: {}, Session.PM: {}}
    for route in routes:
        for pid in route.pupil_ids:
            on[route.session][pid] = route
    both = sorted(set(on[Session.AM]) & set(on[Session.PM]))
    vehicle = operator = passengers = 0
    for pid in both:
        am, pm = on[Session.AM][pid], on[Session.PM][pid]
        vehicle += am.twin_route_id == pm.route_id
        operator += am.operator == pm.operator
        passengers += set(am.pupil_ids) - {pid} == set(pm.pupil_ids) - {pid}
    return Continuity(len(both), vehicle, operator, passengers)
