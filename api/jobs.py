"""Planning jobs in storage and in processes: create, start each in its own process, follow,
cancel, recover and re-run.

The web process never solves. :class:`JobRunner` starts one ``multiprocessing`` process per job
(:func:`api.worker.run_job`), at most ``max_running`` at a time (the rest wait as ``queued``), and
a thread per process notices when it ends. A job found ``running`` when the service starts was cut
off by a stop: it is marked ``interrupted`` and can be re-run. The functions on a request's
session work inside the caller's transaction; :mod:`api.services.jobs` commits and audits.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from api import audit
from api.auth import Principal, Role
from api.db import ACTIVE_JOB_STATES, RERUNNABLE, Job, JobState, transaction, utcnow
from api.refusals import Conflict, NotFound
from api.schemas import JobOut, PlanRequest, SessionProgress
from api.settings import ServiceSettings

HIDDEN = "the job stopped with an error; an officer can read it"


def create(
    db: Session, dataset_id: int, request: PlanRequest, who: Principal, time_limit_s: float
) -> Job:
    """A queued job for a dataset with its search time already decided (the caller commits,
    then asks the runner to start it)."""
    job = Job(
        dataset_id=dataset_id,
        status=JobState.QUEUED,
        attempt=1,
        time_limit_s=time_limit_s,
        solution_limit=request.solution_limit,
        ride_time_weight_per_min=request.ride_time_weight_per_min,
        progress={},
        created_by=who.user_id,
    )
    db.add(job)
    db.flush()
    return job


def get(db: Session, job_id: int) -> Job:
    job = db.get(Job, job_id)
    if job is None:
        raise NotFound(f"no job {job_id}")
    return job


def list_jobs(db: Session, dataset_id: int | None = None) -> list[Job]:
    query = select(Job).order_by(Job.id)
    if dataset_id is not None:
        query = query.where(Job.dataset_id == dataset_id)
    return list(db.scalars(query))


def mark_cancelled(db: Session, job_id: int) -> Job:
    """Mark a queued or running job cancelled (the caller commits, then stops its processes).

    Raises
    ------
    Conflict
        If the job is in no state to cancel.
    """
    job = get(db, job_id)
    # One conditional update, so a job finishing at this moment is never overwritten.
    changed = db.execute(
        update(Job)
        .where(Job.id == job_id, Job.status.in_(ACTIVE_JOB_STATES))
        .values(status=JobState.CANCELLED, finished_at=utcnow())
    ).rowcount
    if not changed:
        db.rollback()
        raise Conflict(f"job {job_id} is {get(db, job_id).status}, not queued or running")
    db.refresh(job)
    return job


def requeue(db: Session, job_id: int, changes: PlanRequest | None, max_time_limit_s: float) -> Job:
    """Queue an interrupted, failed or cancelled job again as a new attempt, with any options
    given in ``changes`` replacing the job's own (the caller commits).

    Raises
    ------
    Conflict
        If the job is not in a state to re-run.
    """
    job = get(db, job_id)
    if job.status not in RERUNNABLE:
        raise Conflict(f"job {job_id} is {job.status}; only {', '.join(RERUNNABLE)} re-run")
    if changes is not None:
        if changes.time_limit_s is not None:
            job.time_limit_s = min(changes.time_limit_s, max_time_limit_s)
        if changes.solution_limit is not None:
            job.solution_limit = changes.solution_limit
        if changes.ride_time_weight_per_min is not None:
            job.ride_time_weight_per_min = changes.ride_time_weight_per_min
    job.attempt += 1
    job.status = JobState.QUEUED
    job.error = None
    job.pid = None
    job.progress = {}
    job.started_at = job.finished_at = None
    return job


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:  # SQLite drops the zone
        return moment.replace(tzinfo=UTC)
    return moment


def _pounds(millipence: int | None) -> float | None:
    """Pounds from the solver's cost units (millipence)."""
    return round(millipence / 100_000, 2) if millipence is not None else None


def to_out(job: Job, who: Principal | None = None) -> JobOut:
    """The public view of a job: progress in solutions, pounds and seconds. An error message may
    quote input data, so only officers read it."""
    progress = job.progress or {}
    sessions = []
    for name, entry in sorted(progress.get("sessions", {}).items()):
        sessions.append(
            SessionProgress(
                session=name,
                solutions=int(entry.get("solutions", 0)),
                best_cost_gbp=_pounds(entry.get("best_cost")),
                unplaced=entry.get("unplaced"),
                elapsed_s=float(entry.get("elapsed_s", 0.0)),
            )
        )
    started, finished = _aware(job.started_at), _aware(job.finished_at)
    elapsed = None
    if started is not None:
        elapsed = round(((finished or datetime.now(UTC)) - started).total_seconds(), 2)
    return JobOut(
        id=job.id,
        dataset_id=job.dataset_id,
        status=job.status,
        stage=progress.get("stage"),
        phase=progress.get("phase"),
        fraction=progress.get("fraction"),
        estimate_s=progress.get("estimate_s"),
        unplaced=progress.get("unplaced"),
        attempt=job.attempt,
        time_limit_s=job.time_limit_s,
        solution_limit=job.solution_limit,
        ride_time_weight_per_min=job.ride_time_weight_per_min,
        solutions_found=sum(s.solutions for s in sessions),
        best_cost_gbp=_pounds(progress.get("cost")),
        elapsed_s=elapsed,
        sessions=sessions,
        plan_id=job.plan_id,
        error=job.error if who is None or who.role is Role.OFFICER or not job.error else HIDDEN,
        created_at=_aware(job.created_at),
        started_at=started,
        finished_at=finished,
    )


def _looks_like_job_process(pid: int) -> bool:
    """Whether ``pid`` is still a job process of this service (guards against pid reuse)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"multiprocessing" in cmdline and os.getpgid(pid) == pid


def _kill_group(pid: int) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                return
        except PermissionError:
            return


class JobRunner:
    """Starts, follows and stops job processes of one service process."""

    def __init__(self, sessions: sessionmaker[Session], settings: ServiceSettings) -> None:
        self.sessions = sessions
        self.settings = settings
        self.max_running = max(1, settings.max_running_jobs)
        self._context = multiprocessing.get_context(settings.worker_start_method)
        self._procs: dict[int, multiprocessing.process.BaseProcess] = {}
        self._reapers: list[threading.Thread] = []
        self._lock = threading.RLock()
        self._stopping = False

    # -- start ------------------------------------------------------------------------------
    def start_queued(self) -> None:
        """Start queued jobs, oldest first, while there is room."""
        with self._lock:
            if self._stopping:
                return
            while len(self._procs) < self.max_running:
                with transaction(self.sessions) as db:
                    job = db.scalar(
                        select(Job).where(Job.status == JobState.QUEUED).order_by(Job.id).limit(1)
                    )
                    if job is None:
                        return
                    job.status = JobState.RUNNING
                    job.started_at = utcnow()
                    job.finished_at = None
                    job.progress = {"stage": "starting", "sessions": {}}
                    job_id, attempt = job.id, job.attempt
                self._spawn(job_id, attempt)

    def _spawn(self, job_id: int, attempt: int) -> None:
        from api.worker import run_job

        workers = max(1, self.settings.solver_workers)
        proc = self._context.Process(
            target=run_job,
            args=(self.settings.db_url, job_id, attempt, str(self.settings.road_network), workers),
            name=f"send-routes-job-{job_id}",
            daemon=False,
        )
        proc.start()
        self._procs[job_id] = proc
        with transaction(self.sessions) as db:
            job = db.get(Job, job_id)
            if job is not None and job.attempt == attempt:
                job.pid = proc.pid
        reaper = threading.Thread(
            target=self._reap, args=(job_id, attempt, proc), name=f"reap-{job_id}", daemon=True
        )
        with self._lock:
            self._reapers = [t for t in self._reapers if t.is_alive()] + [reaper]
        reaper.start()

    def _reap(self, job_id: int, attempt: int, proc: multiprocessing.process.BaseProcess) -> None:
        proc.join()
        with self._lock:
            if self._procs.get(job_id) is proc:
                del self._procs[job_id]
        with transaction(self.sessions) as db:
            job = db.get(Job, job_id)
            if job is not None and job.attempt == attempt and job.status is JobState.RUNNING:
                job.status = JobState.INTERRUPTED if self._stopping else JobState.FAILED
                job.error = f"the job process ended unexpectedly (exit code {proc.exitcode})"
                job.finished_at = utcnow()
        self.start_queued()

    # -- stop -------------------------------------------------------------------------------
    def stop(self, job_id: int) -> None:
        """End a job's processes, if this service runs it (its row is already ``cancelled``)."""
        with self._lock:
            proc = self._procs.get(job_id)
        if proc is not None and proc.pid is not None:
            _kill_group(proc.pid)

    def recover(self) -> list[int]:
        """At start-up: mark jobs left ``running`` by a stopped service ``interrupted``."""
        interrupted = []
        with transaction(self.sessions) as db:
            for job in db.scalars(select(Job).where(Job.status == JobState.RUNNING)):
                if job.pid and _looks_like_job_process(job.pid):
                    _kill_group(job.pid)
                job.status = JobState.INTERRUPTED
                job.error = "the service stopped while this job ran; re-run it"
                job.finished_at = utcnow()
                interrupted.append(job.id)
                audit.record(db, None, "job.interrupted", f"job/{job.id}")
        return interrupted

    def shutdown(self) -> None:
        """Stop every job process; their jobs become ``interrupted``."""
        with self._lock:
            self._stopping = True
            procs = dict(self._procs)
        for job_id, proc in procs.items():
            with transaction(self.sessions) as db:
                job = db.get(Job, job_id)
                if job is not None and job.status is JobState.RUNNING:
                    job.status = JobState.INTERRUPTED
                    job.error = "the service stopped while this job ran; re-run it"
                    job.finished_at = utcnow()
            if proc.pid is not None:
                _kill_group(proc.pid)
            proc.join(timeout=10)
        # Each reaper writes its job's row once its process has ended: let them finish before
        # the caller closes the database (a reaper writing after that fails in its thread).
        with self._lock:
            reapers = list(self._reapers)
        for reaper in reapers:
            reaper.join(timeout=10)
