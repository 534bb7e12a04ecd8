"""OR-Tools' ``RoutingSearchParameters`` for a :class:`~optimiser.solver.params.SearchParameters`.

Iterated local search is set up here: ``use_iterated_local_search`` alone does nothing on the
solve methods other than ``SolveWithIteratedLocalSearch`` in this wheel, and its default
parameters have no ruin strategy, so the ruin (SISR, after Christiaens and Vanden Berghe),
recreate and annealing settings are written out in protocol-buffer text.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import text_format
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from optimiser.solver.params import ITERATED_LOCAL_SEARCH, SearchParameters


def _iterated_search_text(params: SearchParameters, arc_cost: float, recreate: str) -> str:
    return f"""
        use_iterated_local_search: true
        iterated_local_search_parameters {{
          perturbation_strategy: RUIN_AND_RECREATE
          ruin_recreate_parameters {{
            ruin_strategies {{ sisr {{
              max_removed_sequence_size: 10
              avg_num_removed_visits: {params.ils_removed}
              bypass_factor: 0.01
            }} }}
            ruin_composition_strategy: RUN_ONE_RANDOMLY
            recreate_strategy {{ heuristic: {recreate} }}
          }}
          improve_perturbed_solution: true
          reference_solution_acceptance_strategy {{ simulated_annealing {{
            cooling_schedule_strategy: EXPONENTIAL
            initial_temperature: {params.ils_start_temperature * arc_cost}
            final_temperature: {params.ils_final_temperature * arc_cost}
            automatic_temperatures: false
          }} }}
          best_solution_acceptance_strategy {{ greedy_descent {{}} }}
        }}"""


def routing_search_parameters(
    params: SearchParameters, arc_cost: float = 1.0, soft: bool = False
) -> Any:
    """OR-Tools' search parameters for ``params``.

    Parameters
    ----------
    params : SearchParameters
        How to search.
    arc_cost : float
        The cost of a typical arc (see :func:`~optimiser.solver.measures.typical_arc_cost`):
        iterated local search's annealing temperatures are multiples of it.
    soft : bool
        For a model with soft time windows, whose insertions must weigh lateness: local
        cheapest insertion prices an insertion by its arcs alone and piles every request onto
        two routes hours late (measured on lc109), so the first solution and each recreate use
        the cost-based variant, which prices the whole objective.

    Returns
    -------
    RoutingSearchParameters
        A fresh OR-Tools parameter message.
    """
    search = pywrapcp.DefaultRoutingSearchParameters()
    insertion = "LOCAL_CHEAPEST_COST_INSERTION" if soft else "LOCAL_CHEAPEST_INSERTION"
    search.first_solution_strategy = getattr(
        routing_enums_pb2.FirstSolutionStrategy, insertion if soft else params.first_solution
    )
    iterated = params.metaheuristic == ITERATED_LOCAL_SEARCH
    search.local_search_metaheuristic = getattr(
        routing_enums_pb2.LocalSearchMetaheuristic,
        "GREEDY_DESCENT" if iterated else params.metaheuristic,
    )
    if iterated:
        text_format.Merge(_iterated_search_text(params, arc_cost, insertion), search)
    search.time_limit.FromMilliseconds(int(params.time_limit_s * 1000))
    if params.solution_limit is not None:
        search.solution_limit = params.solution_limit
    search.log_search = params.log_search
    if params.search_text:
        text_format.Merge(params.search_text, search)
    return search
