"""How hard and how the solver searches: :class:`SearchParameters`, checked when made.

No ``ortools`` import here, so the API and the command line can build and check parameters
without loading the solver. The names of OR-Tools' construction heuristics and metaheuristics
are written out below (a test checks them against the wheel's enums).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

ITERATED_LOCAL_SEARCH = "ITERATED_LOCAL_SEARCH"
# Iterated local search only where a first solution takes at most this share of the budget: each
# of its iterations re-inserts visits with the first-solution heuristic, so where that heuristic
# is slow (a few hundred SEND stops with pupils that fit nowhere: seconds per insertion) it makes
# too few iterations to help, and guided local search from phase 1's solution does better.
ITERATED_FIRST_SHARE = 0.01
FIRST_SOLUTION_LIMIT_S = 900.0  # the first complete plan may take longer than the search budget
MIN_SEARCH_S = 2.0  # improvement always gets at least this long
# How a start plan (today's routes in a re-plan) is completed: parallel cheapest insertion opens
# fewer new vehicles than local cheapest insertion (re-plan example: +2.4% against a fresh plan
# where local insertion gave +3.4%).
START_COMPLETION = "PARALLEL_CHEAPEST_INSERTION"

# OR-Tools' FirstSolutionStrategy names that need nothing beyond the model (not UNSET, and not
# EVALUATOR_STRATEGY, which needs a Python callback).
FIRST_SOLUTIONS = (
    "AUTOMATIC",
    "PATH_CHEAPEST_ARC",
    "PATH_MOST_CONSTRAINED_ARC",
    "SAVINGS",
    "PARALLEL_SAVINGS",
    "SWEEP",
    "CHRISTOFIDES",
    "ALL_UNPERFORMED",
    "BEST_INSERTION",
    "PARALLEL_CHEAPEST_INSERTION",
    "SEQUENTIAL_CHEAPEST_INSERTION",
    "LOCAL_CHEAPEST_INSERTION",
    "LOCAL_CHEAPEST_COST_INSERTION",
    "GLOBAL_CHEAPEST_ARC",
    "LOCAL_CHEAPEST_ARC",
    "FIRST_UNBOUND_MIN_VALUE",
)
# OR-Tools' LocalSearchMetaheuristic names (not UNSET), and the iterated local search of this
# solver, which runs OR-Tools' greedy descent inside ruin and recreate.
METAHEURISTICS = (
    "AUTOMATIC",
    "GREEDY_DESCENT",
    "GUIDED_LOCAL_SEARCH",
    "SIMULATED_ANNEALING",
    "TABU_SEARCH",
    "GENERIC_TABU_SEARCH",
    ITERATED_LOCAL_SEARCH,
)
WARM_STARTS = ("none", "vroom")


@dataclass(frozen=True)
class SearchParameters:
    """How hard to search. ``solution_limit`` makes a run reproducible; a time limit does not.

    Raises
    ------
    ValueError
        When made with a value out of range or a heuristic name OR-Tools does not have; the
        message names every such field.
    """

    time_limit_s: float = 30.0
    solution_limit: int | None = None
    first_solution: str = "LOCAL_CHEAPEST_INSERTION"
    # The first solution built afresh where requests have ride limits and vehicles cost to use
    # (a SEND session; see solve.construction): on the sample at 120 s, guided local search from
    # parallel cheapest insertion ended 5.9% cheaper in the morning and 8.3% in the afternoon
    # than from local cheapest insertion (benchmarks/README.md).
    send_first_solution: str = "PARALLEL_CHEAPEST_INSERTION"
    # ITERATED_LOCAL_SEARCH: OR-Tools' ruin-and-recreate iterated local search (SISR ruin, local
    # cheapest insertion, greedy descent, simulated-annealing acceptance); or any of OR-Tools'
    # LocalSearchMetaheuristic names, e.g. GUIDED_LOCAL_SEARCH.
    metaheuristic: str = ITERATED_LOCAL_SEARCH
    # Iterated local search: visits removed per ruin on average, and the annealing temperatures
    # as multiples of a typical arc's cost (see measures.typical_arc_cost).
    ils_removed: int = 10
    ils_start_temperature: float = 14.0
    ils_final_temperature: float = 0.14
    # Where requests have ride limits and vehicles cost nothing to use (dial-a-ride; one iterated
    # run for the whole time otherwise): this share of the time, at the end, goes to guided local
    # search from the iterated run's best plan (see search._iterated_phase). 0: none.
    ils_polish_share: float = 0.3
    log_search: bool = False
    # Keep every distinct route of every plan the search reports (Solution.routes_seen): the
    # candidates from which the same crew both ways is chosen (optimiser.solver.recombine).
    keep_routes: bool = False
    # Protocol-buffer text merged last into OR-Tools' RoutingSearchParameters, for experiments
    # (e.g. "guided_local_search_lambda_coefficient: 0.2"); empty in normal use.
    search_text: str = ""
    # Charge each vehicle's fixed cost through a "used" dimension's span cost instead of OR-Tools'
    # arc-based fixed cost (see model._Model._fixed_costs).
    fixed_cost_as_span: bool = False
    # "vroom": start the search from VROOM's plan (pyvroom, optional), built in at most
    # warm_start_share of the time limit, the rest going to the OR-Tools search;
    # "none": OR-Tools' own first-solution heuristic only.
    warm_start: str = "none"
    warm_start_share: float = 0.5
    # A start plan given to the solver that loads with requests it does not hold still left out
    # is completed by ``first_solution`` (see solve._first_solution); off, the search is left to
    # place them (kept so for the re-plan and the decomposition's parts, as measured; it served
    # an afternoon started from the morning's groups, a start since given up).
    complete_start: bool = False
    # Route minimisation in iterated local search where vehicles have fixed costs (see
    # search._Search.fewer_vehicles): the share of the search time before it, the share each
    # attempt gets, and how many failed attempts in a row end it.
    route_min: bool = True
    route_min_first: float = 0.15
    route_min_slice: float = 0.15
    route_min_failures: int = 1
    # Each attempt searches with soft time windows: a unit of time late costs this many times
    # what a unit of travel time costs (see measures.lateness_cost); 0 keeps the windows hard.
    # Measured on 10 s repairs of lr104, lrc106, lr112, lrc202: at 1 none was on time, at 10
    # and 100 lr104 and lrc106 were.
    route_min_lateness: float = 10.0
    # Where later iterated runs start: (construction heuristic, visits removed per ruin), in
    # turn. OR-Tools' iterated local search takes no seed and always starts from its
    # first-solution heuristic, so two runs on the same fleet with the same settings retrace each
    # other; another start or ruin size sends a run elsewhere (30 s on the whole fleet: lc203
    # stays at 642.26 from local cheapest insertion and reaches the best-known 591.17 from
    # parallel cheapest insertion or savings; 20 s on lc103's nine vehicles: parallel cheapest
    # insertion leaves a request out removing 10 visits per ruin, and places all removing 15).
    # The whole fleet's first run uses ``first_solution`` and ``ils_removed``; a smaller fleet
    # starts with these. Fleets of the same make-up count as one (see measures.vehicle_kinds).
    # Empty: every run from ``first_solution`` and ``ils_removed``.
    restarts: tuple[tuple[str, int], ...] = (
        ("PARALLEL_CHEAPEST_INSERTION", 10),
        ("LOCAL_CHEAPEST_INSERTION", 15),
        ("PARALLEL_CHEAPEST_INSERTION", 15),
        ("SAVINGS", 15),
    )
    # Route minimisation: an attempt whose run afresh leaves at most this many requests out gets
    # one more run on the same fleet, from the next start (lc103's nine routes: parallel cheapest
    # insertion leaves one request out in 9 s, local cheapest insertion places all).
    route_min_close_miss: int = 1

    def __post_init__(self) -> None:
        problems = _problems(self)
        if problems:
            raise ValueError("invalid search parameters: " + "; ".join(problems))


def _problems(p: SearchParameters) -> list[str]:
    """Every field of ``p`` out of range, one message each."""
    out = [
        *_positive("time_limit_s", p.time_limit_s),
        *_share("warm_start_share", p.warm_start_share),
        *(
            []
            if 0 <= (_number(p.ils_polish_share) or 0) < 1
            and _number(p.ils_polish_share) is not None
            else [f"ils_polish_share must be in [0, 1), not {p.ils_polish_share!r}"]
        ),
        *_share("route_min_first", p.route_min_first),
        *_share("route_min_slice", p.route_min_slice),
        *_positive("ils_start_temperature", p.ils_start_temperature),
        *_positive("ils_final_temperature", p.ils_final_temperature),
        *_whole("ils_removed", p.ils_removed, 1),
        *_whole("route_min_failures", p.route_min_failures, 0),
        *_whole("route_min_close_miss", p.route_min_close_miss, 0),
        *_named("first_solution", p.first_solution, FIRST_SOLUTIONS),
        *_named("send_first_solution", p.send_first_solution, FIRST_SOLUTIONS),
        *_named("metaheuristic", p.metaheuristic, METAHEURISTICS),
        *_named("warm_start", p.warm_start, WARM_STARTS),
        *_restarts(p.restarts),
    ]
    if p.solution_limit is not None:
        out += _whole("solution_limit", p.solution_limit, 1)
    lateness = _number(p.route_min_lateness)
    if lateness is None or lateness < 0:
        out.append(f"route_min_lateness must be a finite number >= 0, not {p.route_min_lateness!r}")
    for name in ("log_search", "fixed_cost_as_span", "complete_start", "route_min"):
        if not isinstance(getattr(p, name), bool):
            out.append(f"{name} must be true or false, not {getattr(p, name)!r}")
    if not isinstance(p.search_text, str):
        out.append(f"search_text must be text, not {p.search_text!r}")
    return out


def _number(value: object) -> float | None:
    """``value`` as a float if it is a finite real number (not a truth value), else None."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _positive(name: str, value: object) -> list[str]:
    number = _number(value)
    if number is not None and number > 0:
        return []
    return [f"{name} must be a finite number > 0, not {value!r}"]


def _share(name: str, value: object) -> list[str]:
    number = _number(value)
    if number is not None and 0 < number <= 1:
        return []
    return [f"{name} must be a share in (0, 1], not {value!r}"]


def _whole(name: str, value: object, least: int) -> list[str]:
    if isinstance(value, numbers.Integral) and not isinstance(value, bool) and int(value) >= least:
        return []
    return [f"{name} must be a whole number >= {least}, not {value!r}"]


def _named(name: str, value: object, allowed: tuple[str, ...]) -> list[str]:
    if value in allowed:
        return []
    return [f"{name} must be one of {', '.join(allowed)}; not {value!r}"]


def _restarts(restarts: object) -> list[str]:
    if not isinstance(restarts, Sequence) or isinstance(restarts, str):
        return [f"restarts must be a sequence of (first_solution, ils_removed), not {restarts!r}"]
    out = []
    for k, start in enumerate(restarts):
        if not isinstance(start, Sequence) or isinstance(start, str) or len(start) != 2:
            out.append(f"restarts[{k}] must be (first_solution, ils_removed), not {start!r}")
            continue
        out += _named(f"restarts[{k}] first solution", start[0], FIRST_SOLUTIONS)
        out += _whole(f"restarts[{k}] visits removed", start[1], 1)
    return out
