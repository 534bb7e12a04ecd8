"""Planning jobs in storage and in processes: create, start each in its own process, follow,
cancel, recover and re-run.

The web process never solves. :class:`JobRunner` starts one ``multiprocessing`` process per job
(:func:`api.worker.run_job`), at most ``max_running`` at a time (the rest wait as ``queued``), and
a thread per process notices when it ends. A job found ``running`` whose service is gone (its lease
expired, or its process no longer exists) was cut off by a stop or a crash: it is marked
``interrupted`` and can be re-run. The functions on a request's
session work inside the caller's transaction; :mod:`api.services.jobs` commits and audits.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from api import audit
from api.auth import Principal, Role
from api.db import (
    ACTIVE_JOB_STATES,
    RERUNNABLE,
    DatasetRow,
    Job,
    JobState,
    retrying,
    transaction,
    utcnow,
)
from api.refusals import Conflict, NotFound
from api.schemas import JobOut, PlanRequest, SessionProgress
from api.settings import ServiceSettings
from optimiser.solver.progress import PHASES

HIDDEN = "the job stopped with an error; an officer can read it"
log = logging.getLogger(__name__)


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


def starting_progress() -> dict:
    """A job's progress from the moment it is claimed until its run first reports: the first
    phase, nothing done (so the bar starts at 0 and, fed by the run's tracker, never goes back)."""
    return {"stage": "starting", "phase": PHASES[0], "fraction": 0.0, "sessions": {}}


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
        current_plan_id=job.current_plan_id,
        error=job.error if who is None or who.role is Role.OFFICER or not job.error else HIDDEN,
        created_at=_aware(job.created_at),
        started_at=started,
        finished_at=finished,
    )


HEARTBEAT_S = 5.0  # how often a service renews the leases of the jobs it runs
LEASE_S = 60.0  # a lease not renewed for this long belongs to a service that is gone
RECOVER_EVERY = 6  # watchdog ticks between looks for jobs of services that are gone
HOST = socket.gethostname()
_LIVE_OWNERS: set[str] = set()  # runners of this process that have not shut down


def _group_members(pgid: int) -> list[int]:
    """Live processes of process group ``pgid`` on this machine."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(stat.parent.name))
    return members


def _is_job_group(pgid: int) -> bool:
    """Whether ``pgid`` is still the group of a job process or of the solvers it started (the
    job process itself may be gone: kill -9 leaves its children), never another program's."""
    for pid in _group_members(pgid):
        try:
            if b"multiprocessing" in Path(f"/proc/{pid}/cmdline").read_bytes():
                return True
        except OSError:
            continue
    return False


def _kill_group(pid: int) -> None:
    """End a job's whole process group: the job process and every solver it started."""
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


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def owner_alive(owner: str | None, heartbeat: datetime | None) -> bool:
    """Whether the service that holds a job's lease is still running.

    A runner of this process is alive while it has not shut down; a service on this machine
    while its process exists and renews the lease; a service elsewhere while it renews the lease.
    """
    if not owner:
        return False
    if owner in _LIVE_OWNERS:
        return True
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    beat = _aware(heartbeat)
    fresh = beat is not None and (datetime.now(UTC) - beat).total_seconds() < LEASE_S
    if host == HOST and pid_text.isdigit():
        if int(pid_text) == os.getpid():
            return False  # a runner of this process that has shut down
        return fresh and _pid_alive(int(pid_text))
    return fresh


# What the planner may search for, per session, in shares of the session's time limit (kept equal
# to optimiser.planner's by tests/api/test_time_limit.py; not imported: the web process never
# loads the solver).
SESSIONS = 2  # a job plans the morning and the afternoon
RETRY_SHARE, RETRY_MIN_S = 0.5, 10.0  # a session short of vehicles searches again with more
# the sessions searched again in turns with each other in view (a price per change set)
CONTINUITY_ROUNDS, CONTINUITY_SHARE = 2, 1.5
CONTINUITY_POLISH_SHARE = 1.0  # then both sessions searched on from the better pair's routes
RECOMBINE_SHARE = 0.25  # then the routes of every pair combined (one programme for both)


def wall_clock_bound_s(
    time_limit_s: float,
    grace_s: float,
    *,
    pupils: int = 0,
    grace_s_per_pupil: float = 0.0,
    solver_workers: int = 1,
) -> float:
    """The longest a job may run before the watchdog ends it: every search the planner may
    budget from the time limit ``t`` per session, plus an allowance for the rest.

    - the two sessions' searches: ``t`` side by side (``solver_workers`` >= 2), else ``2 t``
      (sessions too large for one model are planned one after the other, ``t`` each, and get
      no second search: at most ``2 t`` either way, within the sum below);
    - each session's second search with more vehicles: ``max(10 s, t / 2)``, one after the other;
    - the sessions searched again in turns with each other in view (a price per change set):
      ``1.5 t`` a turn, two turns (side by side with two workers; the afternoon then the
      morning with one); then each session searched on from the better pair's routes, ``t``
      each (side by side with two workers); then the routes of every plan found combined into
      the best pair, at most ``t / 4``;
    - ``grace_s`` + ``grace_s_per_pupil`` x pupils: loading and snapping to the roads, building
      the models, a first plan that takes longer than ``t`` (it grows with the journeys),
      checking and saving.

    So ``6.25 t`` of search with two solver workers (``8.25 t`` with one), for ``t`` >= 20 s.
    """
    t = float(time_limit_s)
    side_by_side = 1 if solver_workers >= SESSIONS else SESSIONS
    retries = SESSIONS * max(RETRY_MIN_S, RETRY_SHARE * t)
    return (
        side_by_side * t
        + retries
        + CONTINUITY_ROUNDS * CONTINUITY_SHARE * t
        + side_by_side * CONTINUITY_POLISH_SHARE * t
        + RECOMBINE_SHARE * t
        + grace_s
        + grace_s_per_pupil * pupils
    )


class JobRunner:
    """Starts, follows and stops job processes of one service process.

    Each job it runs carries its lease (``owner``, renewed in ``heartbeat_at``); a second service
    on the same database never touches a job whose lease is alive. A watchdog thread renews the
    leases, ends jobs past their wall-clock bound, fails jobs whose process is gone, and recovers
    jobs of services that are gone.
    """

    def __init__(self, sessions: sessionmaker[Session], settings: ServiceSettings) -> None:
        self.sessions = sessions
        self.settings = settings
        self.max_running = max(1, settings.max_running_jobs)
        self.owner = f"{HOST}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        _LIVE_OWNERS.add(self.owner)
        self._context = multiprocessing.get_context(settings.worker_start_method)
        self._procs: dict[int, multiprocessing.process.BaseProcess] = {}
        self._reapers: list[threading.Thread] = []
        self._lock = threading.RLock()
        self._stopping = False
        self._stop_watch = threading.Event()
        self._watchdog = threading.Thread(target=self._watch, name="job-watchdog", daemon=True)
        self._watchdog.start()

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
                    job.progress = starting_progress()
                    job.owner = self.owner
                    job.heartbeat_at = utcnow()
                    job_id, attempt = job.id, job.attempt
                self._spawn(job_id, attempt)

    def _spawn(self, job_id: int, attempt: int) -> None:
        from api.worker import run_job

        workers = max(1, self.settings.solver_workers)
        proc = self._context.Process(
            target=run_job,
            args=(
                self.settings.db_url,
                job_id,
                attempt,
                str(self.settings.road_network),
                workers,
                self.settings,
            ),
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
        if proc.pid is not None:
            _kill_group(proc.pid)  # solver processes a killed job process left behind
        with self._lock:
            if self._procs.get(job_id) is proc:
                del self._procs[job_id]

        def record_end() -> None:
            with transaction(self.sessions) as db:
                job = db.get(Job, job_id)
                if job is not None and job.attempt == attempt and job.status is JobState.RUNNING:
                    job.status = JobState.INTERRUPTED if self._stopping else JobState.FAILED
                    job.error = f"the job process ended unexpectedly (exit code {proc.exitcode})"
                    job.finished_at = utcnow()

        try:
            retrying(record_end, within_s=60.0)
        except OperationalError:
            log.exception("could not record the end of job %s; the watchdog will", job_id)
        self.start_queued()

    # -- watch ------------------------------------------------------------------------------
    def _watch(self) -> None:
        tick = 0
        while not self._stop_watch.wait(HEARTBEAT_S):
            tick += 1
            try:
                self.watch_once(recover=tick % RECOVER_EVERY == 0)
            except Exception:  # the watchdog must outlive any one bad moment of the database
                log.exception("job watchdog")

    def watch_once(self, *, recover: bool = False) -> None:
        """Renew this service's leases, end its jobs past their bound or without a process, and
        (with ``recover``) recover jobs of services that are gone."""
        now = utcnow()
        with transaction(self.sessions) as db:
            db.execute(
                update(Job)
                .where(Job.owner == self.owner, Job.status == JobState.RUNNING)
                .values(heartbeat_at=now)
            )
            mine = list(
                db.scalars(
                    select(Job).where(Job.owner == self.owner, Job.status == JobState.RUNNING)
                )
            )
            for job in mine:
                self._police(db, job, now)
        if recover:
            self.recover()
            self.start_queued()

    def _police(self, db: Session, job: Job, now: datetime) -> None:
        started = _aware(job.started_at) or now
        elapsed = (now - started).total_seconds()
        with self._lock:
            proc = self._procs.get(job.id)
        if proc is None and elapsed > 2 * HEARTBEAT_S:
            job.status = JobState.FAILED
            job.error = "the job process is gone (its end could not be recorded)"
            job.finished_at = now
            audit.record(db, None, "job.failed", f"job/{job.id}", detail=job.error)
            return
        bound = self.bound_s(db, job)
        if elapsed > bound:
            job.status = JobState.FAILED
            job.error = (
                f"stopped after {elapsed:.0f} s: past its wall-clock bound of {bound:.0f} s "
                f"(every search its {job.time_limit_s:g} s a session allows, plus time to load, "
                "build and save; see JOB_GRACE_S)"
            )
            job.finished_at = now
            audit.record(db, None, "job.failed", f"job/{job.id}", detail=job.error)
            if proc is not None and proc.pid is not None:
                _kill_group(proc.pid)

    def bound_s(self, db: Session, job: Job) -> float:
        """A job's wall-clock bound (:func:`wall_clock_bound_s`) on this service's settings."""
        dataset = db.get(DatasetRow, job.dataset_id)
        return wall_clock_bound_s(
            job.time_limit_s,
            self.settings.job_grace_s,
            pupils=dataset.pupils if dataset is not None else 0,
            grace_s_per_pupil=self.settings.job_grace_s_per_pupil,
            solver_workers=self.settings.solver_workers,
        )

    # -- stop -------------------------------------------------------------------------------
    def stop(self, job_id: int) -> None:
        """End a job's processes, if this service runs it (its row is already ``cancelled``)."""
        with self._lock:
            proc = self._procs.get(job_id)
        if proc is not None and proc.pid is not None:
            _kill_group(proc.pid)

    def recover(self) -> list[int]:
        """Mark ``interrupted`` the running jobs whose service is gone (a stop, a crash), and end
        whatever is left of their processes on this machine. Jobs of a live service, this one
        or another on the same database, are never touched."""
        interrupted = []
        with transaction(self.sessions) as db:
            for job in db.scalars(select(Job).where(Job.status == JobState.RUNNING)):
                if owner_alive(job.owner, job.heartbeat_at):
                    continue
                here = job.owner is None or job.owner.partition(":")[0] == HOST
                if here and job.pid and _is_job_group(job.pid):
                    _kill_group(job.pid)
                job.status = JobState.INTERRUPTED
                job.error = "the service stopped while this job ran; re-run it"
                job.finished_at = utcnow()
                interrupted.append(job.id)
                audit.record(db, None, "job.interrupted", f"job/{job.id}")
        return interrupted

    def shutdown(self) -> None:
        """Stop every job process; their jobs become ``interrupted``."""
        self._stop_watch.set()
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
        self._watchdog.join(timeout=HEARTBEAT_S * 2)
        _LIVE_OWNERS.discard(self.owner)
