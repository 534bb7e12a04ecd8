"""The same crew morning and afternoon: an afternoon plan that mirrors the morning's routes.

For children with autism or anxiety the same driver, passenger assistant and fellow passengers
both ways matter as much as the time on board. The afternoon session is therefore planned knowing
the morning's routes: each morning route's pupils form a keep-together group of the afternoon
problem (each afternoon vehicle beyond the first that carries them costs the council's price per
change), and the afternoon search may start from the morning routes driven backwards, on a vehicle
of the same fleet row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

from optimiser.routing.from_dataset import SessionModel
from optimiser.routing.problem import Solution, VisitKind

#: For each vehicle, its visits as (request, "pickup" | "dropoff"), in order.
Plan = list[list[tuple[int, str]]]


def route_groups(model: SessionModel, solution: Solution) -> list[list[str]]:
    """The pupils of each route of a session's solution, in order of first visit."""
    groups = []
    for route in solution.routes:
        pupils = dict.fromkeys(p for v in route.visits for p in model.request_pupils[v.request])
        groups.append(list(pupils))
    return groups


def keep_together(
    model: SessionModel, groups: Sequence[Sequence[str]], pence: float
) -> SessionModel:
    """``model`` with each group of pupils (e.g. those of one morning route) kept together: every
    vehicle beyond the first that carries a group's pupils costs ``pence``."""
    request_of = {p: i for i, pupils in enumerate(model.request_pupils) for p in pupils}
    cost = int(round(pence * 1000))  # the problem's costs are in millipence
    together = []
    for group in groups:
        members = tuple(sorted({request_of[p] for p in group if p in request_of}))
        if len(members) > 1 and cost > 0:
            together.append((members, cost))
    return replace(model, problem=replace(model.problem, keep_together=tuple(together)))


def mirror_plan(am: SessionModel, am_solution: Solution, pm: SessionModel) -> Plan:
    """The morning routes driven backwards as an afternoon plan of ``pm``.

    Each morning route becomes one afternoon route on an unused afternoon vehicle of the same
    fleet row and assistant. A route is cut into its runs (from the first pickup to the moment
    the vehicle is empty); each run is driven backwards, a morning set-down at school becoming
    the afternoon pickup there and a morning pickup at home the afternoon set-down; the runs go
    in order of their schools' latest departure. Afternoon requests go with the first morning
    route that carries one of their pupils; pupils who travel only in the afternoon are left for
    the search. Nothing is checked here: the solver keeps what it finds feasible.
    """
    pm_request = {p: i for i, pupils in enumerate(pm.request_pupils) for p in pupils}
    free: dict[tuple[str, bool], list[int]] = defaultdict(list)
    for v, slot in enumerate(pm.slots):
        free[(slot.fleet_key, slot.passenger_assistant)].append(v)
    plan: Plan = [[] for _ in pm.slots]
    placed: set[int] = set()
    for route in sorted(am_solution.routes, key=lambda r: r.vehicle):
        slot = am.slots[route.vehicle]
        vehicles = free[(slot.fleet_key, slot.passenger_assistant)]
        if not vehicles:
            continue
        runs = []
        for run in _runs([(v.request, str(v.kind)) for v in route.visits]):
            backwards = _in_order(pm, _one_of_each(_backwards(am, run, pm_request, placed)))
            if backwards:
                runs.append(backwards)
                placed |= {request for request, _ in backwards}
        runs.sort(key=lambda run: _latest_departure(pm, run))
        if runs:
            plan[vehicles.pop(0)] = [visit for run in runs for visit in run]
    return plan


def _runs(visits: list[tuple[int, str]]) -> list[list[tuple[int, str]]]:
    """A route's visits cut where the vehicle is empty."""
    runs: list[list[tuple[int, str]]] = []
    on_board: set[int] = set()
    for request, kind in visits:
        if not on_board:
            runs.append([])
        runs[-1].append((request, kind))
        if kind == VisitKind.PICKUP:
            on_board.add(request)
        else:
            on_board.discard(request)
    return runs


def _backwards(
    am: SessionModel, run: list[tuple[int, str]], pm_request: dict[str, int], placed: set[int]
) -> list[tuple[int, str]]:
    """A morning run's visits reversed, as afternoon requests' visits (pickups and set-downs
    swapped); requests already placed with another route are skipped."""
    out: list[tuple[int, str]] = []
    for request, kind in reversed(run):
        turned = VisitKind.PICKUP if kind == VisitKind.DROPOFF else VisitKind.DROPOFF
        for pupil in am.request_pupils[request]:
            pm_index = pm_request.get(pupil)
            if pm_index is None or pm_index in placed:
                continue
            if (pm_index, str(turned)) not in out:
                out.append((pm_index, str(turned)))
    return out


def _in_order(pm: SessionModel, run: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """An afternoon run with each stretch of pickups in a row (at schools) in order of the
    schools' latest departure; set-downs stay where they are, so the load never grows."""
    out: list[tuple[int, str]] = []
    block: list[tuple[int, str]] = []
    for visit in [*run, (-1, "")]:
        if visit[1] == VisitKind.PICKUP:
            block.append(visit)
            continue
        block.sort(key=lambda v: pm.problem.requests[v[0]].visits[0].latest_s)
        out += block
        block = []
        if visit[0] >= 0:
            out.append(visit)
    return out


def _latest_departure(pm: SessionModel, run: list[tuple[int, str]]) -> int:
    """The earliest of the latest times a run's pickups may start (its first school's bell)."""
    pickups = [pm.problem.requests[r].visits[0] for r, kind in run if kind == VisitKind.PICKUP]
    return min((visit.latest_s for visit in pickups), default=0)


def _one_of_each(visits: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Each request's pickup before its drop-off, once each (the visits are already unique)."""
    picked: set[int] = set()
    out = []
    for request, kind in visits:
        if kind == VisitKind.PICKUP:
            picked.add(request)
            out.append((request, kind))
        elif request in picked:
            out.append((request, kind))
    return out
