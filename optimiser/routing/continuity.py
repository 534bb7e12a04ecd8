"""The same crew morning and afternoon: one session priced for every pupil taken off their twin.

A pupil's *twin* vehicle is the vehicle of one session given to their route of the other (see
:func:`optimiser.solver.both_ways.twin_vehicles`). With a price per change, the session's problem
charges that price for each pupil it carries on any other vehicle, so the search breaks up the
other session's route group only where that saves more than the price; placing a pupil still
outweighs any price.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from optimiser.routing.from_dataset import SessionModel
from optimiser.routing.problem import Problem, Solution, VisitKind


def route_groups(model: SessionModel, solution: Solution) -> list[list[str]]:
    """The pupils of each route of a session's solution, in order of first visit."""
    groups = []
    for route in solution.routes:
        pupils = dict.fromkeys(p for v in route.visits for p in model.request_pupils[v.request])
        groups.append(list(pupils))
    return groups


def priced_twins(model: SessionModel, twin: Mapping[str, int], pence: float) -> SessionModel:
    """``model`` with each request that carries pupils with a twin vehicle costing ``pence`` per
    such pupil on any other vehicle (:attr:`optimiser.routing.problem.Request.stay`). A request
    of pupils with different twins (siblings from two morning routes) is priced on the first's."""
    requests = list(model.problem.requests)
    for i, pupils in enumerate(model.request_pupils):
        twinned = [p for p in pupils if p in twin]
        if twinned and pence > 0:
            cost = int(round(pence * 1000)) * len(twinned)  # costs are in millipence
            requests[i] = replace(requests[i], stay=(twin[twinned[0]], cost))
    return replace(model, problem=replace(model.problem, requests=tuple(requests)))


def stay_paid(problem: Problem, solution: Solution) -> int:
    """What ``solution`` pays for requests carried off their ``stay`` vehicle (millipence, the
    objective's unit): the part of its objective that is the price of changes."""
    paid = 0
    for route in solution.routes:
        for visit in route.visits:
            stay = problem.requests[visit.request].stay
            if visit.kind == VisitKind.PICKUP and stay is not None and stay[0] != route.vehicle:
                paid += stay[1]
    return paid
