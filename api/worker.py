"""The job process: load a stored dataset, plan it, and write progress and the plan to the database.

It runs in its own process (never the web process: an OR-Tools solve holds the GIL) and in its own
process group, so cancelling a job also stops the solver processes it started. Every write is
guarded by the job's ``attempt``: a process from an earlier attempt, or of a job cancelled
meanwhile, can never overwrite what came after it.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from api import audit
from api.datasets import get_row, load_stored
from api.db import (
    Job,
    JobState,
    PlanRow,
    make_engine,
    retrying,
    session_factory,
    transaction,
    utcnow,
)
from api.plans import default_label, new_plan_row, plan_of
from api.settings import ServiceSettings
from optimiser.domain.errors import InputError, InputProblem, PlanFormatError, SendRoutesError
from optimiser.plan.document import Plan
from optimiser.solver.progress import ProgressEvent, ProgressTracker

log = logging.getLogger(__name__)

PROGRESS_EVERY_S = 0.5
# Expected seconds to store the plan and render its outputs (the writing phase of a job): the
# map, finance report and sheets take about 2 s for a handful of pupils, more with more routes.
SAVING_S = 1.0
RENDER_S = 2.0
RENDER_S_PER_ROUTE = 0.05
# The job's coarse stage for each phase of the run.
STAGES = {
    "load": "loading",
    "roads": "loading",
    "model": "solving",
    "first routes": "solving",
    "improving": "solving",
    "checking": "solving",
    "writing": "saving",
    "done": "saving",
}


class ProgressWriter:
    """Writes a run's progress events (of a :class:`ProgressTracker`) to the job: the phase, the
    fraction done, the expected time, the best plans' cost without placement penalties and the
    journeys not yet placed, and each session's; at once when the phase changes, else at most
    twice a second."""

    def __init__(self, sessions: sessionmaker[Session], job_id: int, attempt: int) -> None:
        self.sessions = sessions
        self.job_id = job_id
        self.attempt = attempt
        self.state: dict[str, Any] = {"stage": "loading", "phase": "load", "sessions": {}}
        self._last = 0.0

    def __call__(self, event: ProgressEvent) -> None:
        changed = event.phase != self.state.get("phase")
        self.state.update(
            stage=STAGES.get(event.phase, "solving"),
            phase=event.phase,
            fraction=event.fraction,
            wall_s=event.wall_s,
            estimate_s=event.estimate_s,
            cost=event.total_cost,  # millipence, without placement penalties
            unplaced=event.total_unplaced,
        )
        if event.problem and event.session:
            self._session(event)
        if changed or time.monotonic() - self._last >= PROGRESS_EVERY_S:
            self.flush()

    def _session(self, event: ProgressEvent) -> None:
        """A session's solutions, and the best plan of each of its problems (parts) so far."""
        entry = self.state["sessions"].setdefault(
            event.session, {"solutions": 0, "parts": {}, "elapsed_s": 0.0}
        )
        entry["solutions"] += 1
        best = entry["parts"].get(event.problem)
        if best is None or [event.unplaced, event.cost] < best:
            entry["parts"][event.problem] = [event.unplaced, int(event.cost)]
        entry["best_cost"] = sum(cost for _, cost in entry["parts"].values())
        entry["unplaced"] = sum(unplaced for unplaced, _ in entry["parts"].values())
        entry["elapsed_s"] = round(event.elapsed_s, 2)

    def flush(self) -> None:
        """Write the progress; best effort: a locked database skips this write, never the job."""
        self._last = time.monotonic()
        try:
            self._write()
        except OperationalError:
            pass  # the next event writes it again; the final result is written with retries

    def _write(self) -> None:
        with transaction(self.sessions) as db:
            db.execute(
                update(Job)
                .where(
                    Job.id == self.job_id,
                    Job.attempt == self.attempt,
                    Job.status == JobState.RUNNING,
                )
                .values(progress=dict(self.state))
            )


def _current(db: Session, job_id: int, attempt: int) -> Job | None:
    """The job, locked, if this attempt still owns it (running, same attempt), else ``None``."""
    job = db.get(Job, job_id, with_for_update=True)
    if job is None or job.attempt != attempt or job.status is not JobState.RUNNING:
        return None
    return job


def _fail(sessions: sessionmaker[Session], job_id: int, attempt: int, message: str) -> None:
    def write() -> None:
        with transaction(sessions) as db:
            job = _current(db, job_id, attempt)
            if job is not None:
                job.status = JobState.FAILED
                job.error = message[:4000]
                job.finished_at = utcnow()
                audit.record(db, None, "job.failed", f"job/{job_id}", detail=message[:500])

    retrying(write)


def _plan(
    sessions: sessionmaker[Session],
    job_id: int,
    attempt: int,
    network: Path,
    workers: int,
    service: ServiceSettings | None = None,
) -> None:
    from optimiser.planner import plan_dataset
    from optimiser.roads.network import load_network
    from optimiser.roads.travel import build_travel
    from optimiser.solver.params import SearchParameters

    progress = ProgressWriter(sessions, job_id, attempt)
    tracker = ProgressTracker(progress)
    tracker.budget("writing", SAVING_S)
    tracker.report()
    with transaction(sessions) as db:
        job = _current(db, job_id, attempt)
        if job is None:
            return
        dataset = load_stored(db, job.dataset_id, network)
        dataset_id = job.dataset_id
        params = SearchParameters(time_limit_s=job.time_limit_s, solution_limit=job.solution_limit)
        weight = job.ride_time_weight_per_min
        replan = _replan_options(db, job)
    stored = dataset  # as the service reads it: what the outputs are rendered from
    if weight is not None:
        settings = dataclasses.replace(
            dataset.settings, ride_time_weight_pence_per_min=float(weight) * 100
        )
        dataset = dataclasses.replace(dataset, settings=settings)
    tracker.enter("roads")
    graph = load_network(network)
    travel = build_travel(dataset, graph)
    extra: dict[str, Any] = {}
    if replan is None:
        result = plan_dataset(
            dataset, travel=travel, params=params, workers=workers, progress=tracker
        )
        plan = result.plan
    else:
        plan, extra = _replan(dataset, travel, params, tracker, replan)
    if service is not None:
        tracker.budget("writing", SAVING_S + RENDER_S + RENDER_S_PER_ROUTE * len(plan.routes))
    tracker.enter("writing")

    def save() -> int | None:
        """Store the plan; the job goes on running while its outputs are rendered."""
        with transaction(sessions) as db:
            job = _current(db, job_id, attempt)
            if job is None:
                return None  # cancelled while solving: the result is not wanted
            label = default_label(get_row(db, dataset_id).name, utcnow())
            if replan is not None:
                label = f"{label}, re-plan of plan {replan.current_plan_id}"[:200]
            row = new_plan_row(
                plan,
                dataset_id=dataset_id,
                job_id=job_id,
                source="optimiser",
                label=label,
                created_by=job.created_by,
                **extra,
            )
            db.add(row)
            db.flush()
            if service is None:
                _succeed(db, job, row.id, progress)
            else:
                job.plan_id = row.id
            return row.id

    plan_id = retrying(save)
    if plan_id is None or service is None:
        return
    _render(sessions, service, plan_id, plan, stored, travel, graph, tracker.report)

    def done() -> None:
        with transaction(sessions) as db:
            job = _current(db, job_id, attempt)
            if job is None:  # cancelled while writing: the plan is stored all the same
                log.warning("job %s ended while writing plan %s's outputs", job_id, plan_id)
                return
            _succeed(db, job, plan_id, progress)

    retrying(done)


def _succeed(db: Session, job: Job, plan_id: int, progress: ProgressWriter) -> None:
    job.status = JobState.SUCCEEDED
    job.plan_id = plan_id
    job.finished_at = utcnow()
    job.progress = {**progress.state, "stage": "done", "phase": "done", "fraction": 1.0}
    audit.record(db, None, "job.succeeded", f"job/{job.id}", detail=f"plan/{plan_id}")


def _render(
    sessions: sessionmaker[Session],
    settings: ServiceSettings,
    plan_id: int,
    plan: Plan,
    dataset: Any,
    travel: Any,
    graph: Any,
    step: Callable[[], None],
) -> None:
    """Render the plan's outputs ahead of any request (:func:`api.outputs.render_all`), as an
    officer first sees them: a draft, against the current routes of its dataset if any. Never
    fails the job: an output that cannot be made now is made when it is asked for."""
    from api import outputs
    from api.plans import banner, current_row_of

    try:
        with transaction(sessions) as db:
            row = db.get(PlanRow, plan_id)
            if row is None:
                return
            current_row = current_row_of(db, row)
            current = None if current_row is None else (current_row.id, plan_of(current_row))
            draft_banner = banner(row)
            db.expunge(row)
        failed = outputs.render_all(
            settings, row, plan, dataset, travel, graph, current, banner=draft_banner, step=step
        )
    except Exception:  # noqa: BLE001 - the plan is stored; its outputs can wait for a request
        log.exception("plan %s: its outputs could not be rendered ahead", plan_id)
        return
    if failed:
        log.warning("plan %s: outputs left to render when asked for: %s", plan_id, failed)


@dataclasses.dataclass(frozen=True)
class ReplanOptions:
    """A re-planning job's options, read from its row (see :class:`api.db.Job`)."""

    current_plan_id: int
    current: Plan
    locks: tuple[str, ...]
    price_pence: int | None


def _replan_options(db: Session, job: Job) -> ReplanOptions | None:
    """The job's re-plan options, or ``None`` for a fresh plan.

    Raises
    ------
    InputError
        If the current plan is gone.
    """
    if job.current_plan_id is None:
        return None
    row = db.get(PlanRow, job.current_plan_id)
    if row is None:
        raise InputError(
            [InputProblem("current plan", None, None, f"plan {job.current_plan_id} is gone")]
        )
    return ReplanOptions(row.id, plan_of(row), tuple(job.locks or ()), job.price_per_change_pence)


def _replan(
    dataset: Any, travel: Any, params: Any, tracker: ProgressTracker, options: ReplanOptions
) -> tuple[Plan, dict[str, Any]]:
    """Re-plan from the current routes (:func:`optimiser.replan.replan`): the plan, and the
    columns its row records (its current plan and per-pupil changes)."""
    from optimiser.replan import replan

    tracker.enter("model")
    result = replan(
        dataset,
        options.current,
        travel=travel,
        params=params,
        locked=options.locks,
        price_pence=options.price_pence,
        progress=tracker,
    )
    plan = result.plan
    stability = result.stability()
    plan.summary = {
        **plan.summary,
        "replan_pupils_changed": len({c.change.pupil_id for c in result.changes}),
        "replan_journeys_changed": len(result.changes),
        "replan_changes_by_reason": dict(result.by_reason),
        "replan_unaffected_pupils": stability.unaffected,
        "replan_unaffected_keep_vehicle": stability.keep_vehicle,
        "replan_unaffected_keep_own_journey": stability.own_journey_kept,
        "replan_unaffected_no_change": stability.no_change,
        "replan_price_per_change": result.price_pence / 100,
    }
    return plan, {
        "current_plan_id": options.current_plan_id,
        "changes_csv": result.csv_text(),
    }


def run_job(
    db_url: str,
    job_id: int,
    attempt: int,
    network: str,
    workers: int,
    settings: ServiceSettings | None = None,
) -> None:
    """Entry point of a job process (see :class:`api.jobs.JobRunner`); with the service's
    ``settings``, the plan's outputs are rendered into its cache before the job is done."""
    try:
        os.setpgid(0, 0)  # own group: cancel kills the solver pool with us
    except OSError:
        pass
    engine = make_engine(db_url)
    sessions = session_factory(engine)
    try:
        _plan(sessions, job_id, attempt, Path(network), workers, settings)
    except (InputError, PlanFormatError) as exc:
        _fail(sessions, job_id, attempt, str(exc))
    except SendRoutesError as exc:
        _fail(sessions, job_id, attempt, f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # a defect: keep the trace for whoever investigates
        trace = "".join(traceback.format_exception(exc)[-6:])
        _fail(sessions, job_id, attempt, f"internal error: {exc}\n{trace}")
    finally:
        engine.dispose()
