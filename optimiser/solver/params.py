"""How hard and how the solver searches: :class:`SearchParameters` and the search constants.

No ``ortools`` import here, so the API and the command line can build parameters without loading
the solver.
"""

from __future__ import annotations

from dataclasses import dataclass

ITERATED_LOCAL_SEARCH = "ITERATED_LOCAL_SEARCH"
# Iterated local search only where a first solution takes at most this share of the budget: each
# of its iterations re-inserts visits with the first-solution heuristic, so where that heuristic
# is slow (a few hundred SEND stops with pupils that fit nowhere: seconds per insertion) it makes
# too few iterations to help, and guided local search from phase 1's solution does better.
ITERATED_FIRST_SHARE = 0.01
FIRST_SOLUTION_LIMIT_S = 900.0  # the first complete plan may take longer than the search budget
MIN_SEARCH_S = 2.0  # improvement always gets at least this long


@dataclass(frozen=True)
class SearchParameters:
    """How hard to search. ``solution_limit`` makes a run reproducible; a time limit does not."""

    time_limit_s: float = 30.0
    solution_limit: int | None = None
    first_solution: str = "LOCAL_CHEAPEST_INSERTION"
    # ITERATED_LOCAL_SEARCH: OR-Tools' ruin-and-recreate iterated local search (SISR ruin, local
    # cheapest insertion, greedy descent, simulated-annealing acceptance); or any of OR-Tools'
    # LocalSearchMetaheuristic names, e.g. GUIDED_LOCAL_SEARCH.
    metaheuristic: str = ITERATED_LOCAL_SEARCH
    # Iterated local search: visits removed per ruin on average, and the annealing temperatures
    # as multiples of a typical arc's cost (see measures.typical_arc_cost).
    ils_removed: int = 10
    ils_start_temperature: float = 14.0
    ils_final_temperature: float = 0.14
    log_search: bool = False
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
