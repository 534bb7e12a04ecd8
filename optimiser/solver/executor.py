"""Where independent solves run: in this process, in local worker processes, or on a Ray cluster.

The decomposition of a large session (:mod:`optimiser.solver.decomposition`) hands batches of
independent subproblems to one :class:`Executor`; which one is a deployment choice, not the
planner's:

- :class:`InlineExecutor`: one after another in this process (one worker; reproducible tests).
- :class:`LocalExecutor` (the default): worker processes on this machine; nothing to install or
  start. OR-Tools holds the GIL for a whole solve, so threads would not run solves side by side.
- :class:`RayExecutor`: tasks on a Ray cluster, for a county sweep or many councils' solves
  spread over machines. Chosen when an address is configured: ``[compute] ray_address`` in the
  dataset's ``settings.toml``, or the ``RAY_ADDRESS`` environment variable (``auto`` joins the
  cluster this machine is part of; ``ray://head:10001`` a remote head). Ray is an optional
  dependency (``pip install 'send-routes[cluster]'``).

Every task is a top-level function and picklable arguments, so all three run the same code.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Protocol, TypeVar

T = TypeVar("T")
R = TypeVar("R")
RAY_ADDRESS_ENV = "RAY_ADDRESS"


class Executor(Protocol):
    """Runs a function over a batch of independent tasks and returns the results in order."""

    workers: int

    def run(self, fn: Callable[[T], R], tasks: Sequence[T]) -> list[R]: ...

    def close(self) -> None: ...


class InlineExecutor:
    """Runs tasks one after another in this process."""

    workers = 1

    def run(self, fn: Callable[[T], R], tasks: Sequence[T]) -> list[R]:
        return [fn(task) for task in tasks]

    def close(self) -> None:
        pass


class LocalExecutor:
    """Runs tasks in up to ``workers`` processes on this machine (started on first use)."""

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, not {workers}")
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def run(self, fn: Callable[[T], R], tasks: Sequence[T]) -> list[R]:
        if len(tasks) <= 1:
            return [fn(task) for task in tasks]
        if self._pool is None:
            # fork: workers start at once and share the parent's loaded modules.
            context = multiprocessing.get_context("fork")
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
        return list(self._pool.map(fn, tasks))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


class RayExecutor:
    """Runs tasks as Ray tasks on the cluster at ``address`` (one CPU each).

    Joins a running cluster; with ``address="local"`` it starts a private Ray instance on this
    machine instead (what the tests use), which :meth:`close` shuts down again.
    """

    def __init__(self, address: str, *, workers: int | None = None) -> None:
        try:
            import ray
        except ImportError as exc:  # pragma: no cover - depends on the installation
            raise RuntimeError(
                "a Ray address is configured but Ray is not installed: "
                "pip install 'send-routes[cluster]'"
            ) from exc
        self._ray = ray
        self._started = False
        if not ray.is_initialized():
            if address == "local":
                ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
            else:
                ray.init(address=address, log_to_driver=False)
            self._started = True
        self.workers = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        self._remote: dict[Callable[..., Any], Any] = {}

    def run(self, fn: Callable[[T], R], tasks: Sequence[T]) -> list[R]:
        remote = self._remote.get(fn)
        if remote is None:
            remote = self._remote[fn] = self._ray.remote(num_cpus=1)(fn)
        return list(self._ray.get([remote.remote(task) for task in tasks]))

    def close(self) -> None:
        if self._started:
            self._ray.shutdown()
            self._started = False


def make_executor(workers: int, ray_address: str | None = None) -> Executor:
    """The executor for this deployment: Ray when an address is configured, else local.

    Parameters
    ----------
    workers
        Processes to use on this machine (1: run inline).
    ray_address
        ``[compute] ray_address`` from the settings; the ``RAY_ADDRESS`` environment variable is
        used when this is ``None``.
    """
    address = ray_address or os.environ.get(RAY_ADDRESS_ENV) or None
    if address:
        return RayExecutor(address)
    if workers <= 1:
        return InlineExecutor()
    return LocalExecutor(workers)
