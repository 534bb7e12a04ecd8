"""The executors that run independent solves: inline, local worker processes, and Ray.

The Ray test starts a private Ray instance on this machine (no cluster, no network) and plans a
decomposed session through it, so the cluster path runs the same code as a deployment would.
"""

from __future__ import annotations

import os

import pytest

from optimiser.domain.entities import Session
from optimiser.planner import plan_dataset
from optimiser.solver.decomposition import DecompositionParameters
from optimiser.solver.executor import (
    InlineExecutor,
    LocalExecutor,
    RayExecutor,
    make_executor,
)
from optimiser.solver.params import SearchParameters
from tests.helpers.worlds import ring_of_pupils

PARAMS = SearchParameters(time_limit_s=60, solution_limit=50)
# A fixed batch size: the same subproblems whatever the number of workers.
ROUNDS = DecompositionParameters(
    rounds=2, subproblem_requests=6, subproblem_time_s=30, batch_size=2
)


def _pid_and_square(x: int) -> tuple[int, int]:
    return os.getpid(), x * x


def test_local_executor_runs_tasks_in_worker_processes_in_order():
    executor = LocalExecutor(2)
    try:
        results = executor.run(_pid_and_square, list(range(6)))
    finally:
        executor.close()
    assert [square for _, square in results] == [x * x for x in range(6)]
    assert os.getpid() not in {pid for pid, _ in results}


def test_make_executor_chooses_by_configuration(monkeypatch):
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    assert isinstance(make_executor(1), InlineExecutor)
    local = make_executor(2)
    assert isinstance(local, LocalExecutor) and local.workers == 2
    with pytest.raises(ValueError):
        LocalExecutor(0)


def _plan(executor_workers: int, ray_address: str | None, monkeypatch) -> list[tuple]:
    from dataclasses import replace

    data, travel = ring_of_pupils(18)
    data = replace(data, settings=replace(data.settings, ray_address=ray_address))
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    result = plan_dataset(
        data,
        travel=travel,
        params=PARAMS,
        workers=executor_workers,
        max_pupils=4,
        decomposition_params=ROUNDS,
    )
    assert result.solutions[Session.AM][0].status == "DECOMPOSED"
    return sorted((r.vehicle_type, r.pupil_ids, r.cost_pence) for r in result.plan.routes)


def test_local_processes_plan_what_one_process_plans(monkeypatch):
    assert _plan(2, None, monkeypatch) == _plan(1, None, monkeypatch)


def test_ray_plans_what_one_process_plans(monkeypatch):
    pytest.importorskip("ray")
    executor = RayExecutor("local", workers=2)  # a private instance for this test
    try:
        results = executor.run(_pid_and_square, [3, 4])
        assert [square for _, square in results] == [9, 16]
        assert os.getpid() not in {pid for pid, _ in results}  # ran in Ray's workers
        via_ray = _plan(2, "local", monkeypatch)  # joins the instance started above
    finally:
        executor.close()
    assert via_ray == _plan(1, None, monkeypatch)
