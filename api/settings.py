"""The service's one settings object, read from the environment once at start-up.

Units are in the names: seconds (``*_s``), bytes (``*_bytes``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_NETWORK = REPO_ROOT / "sample_data" / "isle_of_wight" / "roads.npz"
DEFAULT_DATA_DIR = Path.home() / ".local" / "share" / "send-routes"


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw else default


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


@dataclass(frozen=True)
class ServiceSettings:
    """Everything the service is configured by.

    Attributes
    ----------
    database_url
        SQLAlchemy URL. Default: an SQLite file ``service.sqlite3`` in ``data_dir``.
    data_dir
        Folder for the default database and the cache of rendered outputs.
    road_network
        The road network every plan uses (``.npz`` or OSM extract). An uploaded dataset's
        ``[roads] network`` setting is always replaced by this one.
    max_upload_bytes
        Largest request body accepted for an upload (413 above it).
    max_time_limit_s
        Ceiling on a solve's time limit per session, whatever a request or dataset asks for.
    default_time_limit_s
        Time limit per session when neither the request nor the dataset sets one.
    solver_workers
        Solver processes per job (the AM and PM sessions solve side by side when 2).
    max_running_jobs
        Jobs solving at once; later ones wait as ``queued``.
    worker_start_method
        ``multiprocessing`` start method of job processes: ``spawn`` (safe default) or ``fork``.
    parse_memory_bytes
        Address space of the worker process that reads an upload (422 above it).
    parse_timeout_s
        Longest an upload may take to read in that worker (422 above it).
    max_pupils
        Most pupils one dataset may hold (422 above it). The service builds a dataset's travel
        matrices in its own process, and they grow with the square of its places: about 24 bytes
        a pair of places while they are built, so 2.4 GB at 10,000 pupils. The readers' row cap
        (100,000) alone would let one upload ask for hundreds of gigabytes.
    job_grace_s, job_grace_s_per_pupil
        The allowance a job gets, beyond every search its time limit allows, to load, build
        models, find a first plan, check and save: ``job_grace_s`` plus ``job_grace_s_per_pupil``
        for each pupil of its dataset. Past that (:func:`api.jobs.wall_clock_bound_s`) the
        watchdog ends it as failed.
    """

    database_url: str | None = None
    data_dir: Path = DEFAULT_DATA_DIR
    road_network: Path = DEFAULT_NETWORK
    max_upload_bytes: int = 20 * 1024 * 1024
    max_time_limit_s: float = 600.0
    default_time_limit_s: float = 60.0
    solver_workers: int = 2
    max_running_jobs: int = 2
    worker_start_method: str = "spawn"
    job_grace_s: float = 180.0
    job_grace_s_per_pupil: float = 0.06
    parse_memory_bytes: int = 3 * 1024**3
    parse_timeout_s: float = 120.0
    max_pupils: int = 10_000

    @property
    def db_url(self) -> str:
        """The database URL in force (the SQLite default when none is set)."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'service.sqlite3'}"

    @property
    def output_dir(self) -> Path:
        """Where rendered maps, sheets and finance reports are cached."""
        return self.data_dir / "outputs"

    @property
    def static_dir(self) -> Path:
        """Public static files (the Leaflet library the map pages load)."""
        return self.data_dir / "static"

    def with_overrides(self, **changes: object) -> ServiceSettings:
        """A copy with some settings changed (``None`` values are ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    @classmethod
    def from_env(cls) -> ServiceSettings:
        """Read ``DATABASE_URL``, ``SEND_ROUTES_DATA_DIR``, ``ROAD_NETWORK``,
        ``MAX_UPLOAD_BYTES``, ``MAX_TIME_LIMIT_S``, ``DEFAULT_TIME_LIMIT_S``,
        ``SOLVER_WORKERS``, ``MAX_RUNNING_JOBS``, ``WORKER_START_METHOD``, ``JOB_GRACE_S``,
        ``JOB_GRACE_S_PER_PUPIL``, ``PARSE_MEMORY_BYTES``, ``PARSE_TIMEOUT_S`` and
        ``MAX_PUPILS``."""
        defaults = cls()
        return cls(
            database_url=os.environ.get("DATABASE_URL") or None,
            data_dir=Path(os.environ.get("SEND_ROUTES_DATA_DIR") or defaults.data_dir),
            road_network=Path(os.environ.get("ROAD_NETWORK") or defaults.road_network),
            max_upload_bytes=_env_int("MAX_UPLOAD_BYTES", defaults.max_upload_bytes),
            max_time_limit_s=_env_float("MAX_TIME_LIMIT_S", defaults.max_time_limit_s),
            default_time_limit_s=_env_float("DEFAULT_TIME_LIMIT_S", defaults.default_time_limit_s),
            solver_workers=_env_int("SOLVER_WORKERS", defaults.solver_workers),
            max_running_jobs=_env_int("MAX_RUNNING_JOBS", defaults.max_running_jobs),
            worker_start_method=os.environ.get("WORKER_START_METHOD") or "spawn",
            job_grace_s=_env_float("JOB_GRACE_S", defaults.job_grace_s),
            job_grace_s_per_pupil=_env_float(
                "JOB_GRACE_S_PER_PUPIL", defaults.job_grace_s_per_pupil
            ),
            parse_memory_bytes=_env_int("PARSE_MEMORY_BYTES", defaults.parse_memory_bytes),
            parse_timeout_s=_env_float("PARSE_TIMEOUT_S", defaults.parse_timeout_s),
            max_pupils=_env_int("MAX_PUPILS", defaults.max_pupils),
        )
