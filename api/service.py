"""The running service: settings, database, job runner, and caches of immutable things.

Datasets and plans never change once stored, so a loaded dataset, its travel data and the road
graph are cached in memory, and rendered outputs on disk.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from api import datasets
from api.db import make_engine, session_factory
from api.intake import Intake
from api.jobs import JobRunner
from api.migrations import upgrade
from api.ratelimit import FailureLimiter
from api.settings import ServiceSettings
from optimiser.domain.entities import Dataset

CACHED_DATASETS = 8


@dataclass
class Service:
    settings: ServiceSettings
    engine: Engine
    sessions: sessionmaker[Session]
    runner: JobRunner
    intake: Intake
    _graph: Any = None
    _datasets: OrderedDict[int, tuple[Dataset, Any]] = field(default_factory=OrderedDict)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    signin_failures: FailureLimiter = field(default_factory=FailureLimiter)
    token_failures: FailureLimiter = field(default_factory=FailureLimiter)  # bearer tokens

    @classmethod
    def open(cls, settings: ServiceSettings) -> Service:
        """Connect, migrate the database to the newest schema, and recover cut-off jobs."""
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(settings.db_url)
        upgrade(engine)
        sessions = session_factory(engine)
        intake = Intake(
            settings.parse_memory_bytes, settings.parse_timeout_s, settings.worker_start_method
        )
        service = cls(settings, engine, sessions, JobRunner(sessions, settings), intake)
        service.runner.recover()
        service.runner.start_queued()
        return service

    def close(self) -> None:
        self.runner.shutdown()
        self.intake.close()
        self.engine.dispose()

    def graph(self) -> Any:
        """The service's road graph, loaded once."""
        with self._lock:
            if self._graph is None:
                from optimiser.roads.network import load_network

                self._graph = load_network(self.settings.road_network)
            return self._graph

    def travel_for(self, dataset: Dataset) -> Any:
        """Snap a dataset to the service's roads and build its matrices (the CLI's own step)."""
        from optimiser.roads.travel import build_travel

        return build_travel(dataset, self.graph())

    def dataset(self, db: Session, dataset_id: int) -> Dataset:
        return self.dataset_and_travel(db, dataset_id, travel=False)[0]

    def dataset_and_travel(
        self, db: Session, dataset_id: int, *, travel: bool = True
    ) -> tuple[Dataset, Any]:
        """A stored dataset (and its travel data on the service's graph), from the cache."""
        datasets.get_row(db, dataset_id)  # 404 for a deleted one, whatever the cache holds
        with self._lock:
            cached = self._datasets.get(dataset_id)
            if cached is not None:
                self._datasets.move_to_end(dataset_id)
        if cached is None:
            cached = (datasets.load_stored(db, dataset_id, self.settings.road_network), None)
        if travel and cached[1] is None:
            cached = (cached[0], self.travel_for(cached[0]))
        self.remember_dataset(dataset_id, *cached)
        return cached

    def remember_dataset(self, dataset_id: int, dataset: Dataset, travel: Any) -> None:
        with self._lock:
            self._datasets[dataset_id] = (dataset, travel)
            while len(self._datasets) > CACHED_DATASETS:
                self._datasets.popitem(last=False)

    def forget_dataset(self, dataset_id: int) -> None:
        with self._lock:
            self._datasets.pop(dataset_id, None)
