"""Search parameters are checked when made, and load without OR-Tools; progress events pickle."""

from __future__ import annotations

import math
import pickle
import re
import subprocess
import sys
from dataclasses import replace

import pytest

from optimiser.solver.params import FIRST_SOLUTIONS, METAHEURISTICS, SearchParameters
from optimiser.solver.progress import ProgressEvent
from tests.helpers.paths import REPO

ROOT = REPO


def test_the_parameters_and_events_load_without_ortools():
    code = (
        "import optimiser.solver.params, optimiser.solver.progress, sys; "
        "assert 'ortools' not in sys.modules, 'ortools was imported'"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def test_the_names_allowed_are_ortools_own():
    from ortools.constraint_solver import routing_enums_pb2 as enums

    strategies = set(enums.FirstSolutionStrategy.Value.keys())
    assert set(FIRST_SOLUTIONS) == strategies - {"UNSET", "EVALUATOR_STRATEGY"}
    metaheuristics = set(enums.LocalSearchMetaheuristic.Value.keys())
    assert set(METAHEURISTICS) == metaheuristics - {"UNSET"} | {"ITERATED_LOCAL_SEARCH"}


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"time_limit_s": 0.5, "solution_limit": 1},
        {"time_limit_s": 3600, "solution_limit": 20},
        {"metaheuristic": "GUIDED_LOCAL_SEARCH", "first_solution": "PARALLEL_CHEAPEST_INSERTION"},
        {"warm_start": "vroom", "warm_start_share": 1.0},
        {"route_min_lateness": 0, "route_min_failures": 0, "route_min_close_miss": 0},
        {"restarts": ()},
        {"restarts": [["SAVINGS", 15]]},  # as a benchmark's --param reads it from JSON
    ],
)
def test_valid_parameters_are_taken_as_given(changes):
    params = replace(SearchParameters(), **changes)
    for name, value in changes.items():
        assert getattr(params, name) == value


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"time_limit_s": 0}, "time_limit_s"),
        ({"time_limit_s": -1.0}, "time_limit_s"),
        ({"time_limit_s": math.inf}, "time_limit_s"),
        ({"time_limit_s": math.nan}, "time_limit_s"),
        ({"time_limit_s": "30"}, "time_limit_s"),
        ({"solution_limit": 0}, "solution_limit"),
        ({"solution_limit": 2.5}, "solution_limit"),
        ({"solution_limit": True}, "solution_limit"),
        ({"first_solution": "CHEAPEST"}, "first_solution"),
        ({"first_solution": "EVALUATOR_STRATEGY"}, "first_solution"),
        ({"send_first_solution": "CHEAPEST"}, "send_first_solution"),
        ({"metaheuristic": "guided_local_search"}, "metaheuristic"),
        ({"warm_start": "pyvrp"}, "warm_start"),
        ({"warm_start_share": 0}, "warm_start_share"),
        ({"warm_start_share": 1.5}, "warm_start_share"),
        ({"route_min_first": 0.0}, "route_min_first"),
        ({"route_min_slice": 2}, "route_min_slice"),
        ({"ils_removed": 0}, "ils_removed"),
        ({"ils_start_temperature": 0}, "ils_start_temperature"),
        ({"ils_final_temperature": -0.1}, "ils_final_temperature"),
        ({"route_min_lateness": -1}, "route_min_lateness"),
        ({"route_min_failures": -1}, "route_min_failures"),
        ({"route_min_close_miss": -1}, "route_min_close_miss"),
        ({"route_min": "yes"}, "route_min"),
        ({"restarts": (("SAVINGS",),)}, "restarts[0]"),
        ({"restarts": (("SWEEPING", 10),)}, "restarts[0] first solution"),
        ({"restarts": (("SAVINGS", 0),)}, "restarts[0] visits removed"),
    ],
)
def test_invalid_parameters_are_refused_by_name(changes, field):
    with pytest.raises(ValueError, match=r"^invalid search parameters: .*" + re.escape(field)):
        SearchParameters(**changes)


def test_every_invalid_field_is_named_at_once():
    with pytest.raises(ValueError) as caught:
        SearchParameters(time_limit_s=0, solution_limit=0, metaheuristic="NONE")
    message = str(caught.value)
    assert all(f in message for f in ("time_limit_s", "solution_limit", "metaheuristic"))


def test_a_progress_event_crosses_a_process_queue_with_its_session():
    event = ProgressEvent(problem="AM", solutions=3, objective=12_345, elapsed_s=1.5, build_s=0.2)
    assert event.session is None  # the solver leaves it to the planner
    tagged = replace(event, session="AM")
    assert pickle.loads(pickle.dumps(tagged)) == tagged
