"""Planning jobs: start one for a dataset, follow, cancel and re-run.

A job's search time per session is, in order of precedence: the request's ``time_limit_s``,
else the dataset's own ``[solver] time_limit_s``, else the service's ``default_time_limit_s``;
whichever it is, never more than the service's ``max_time_limit_s``.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from api import audit, datasets, jobs, plans
from api.auth import Principal
from api.refusals import Unprocessable
from api.schemas import JobOut, PlanRequest, ReplanRequest
from api.service import Service
from api.settings import ServiceSettings


def time_limit_s(requested: float | None, own: float | None, settings: ServiceSettings) -> float:
    """The search time per session a job gets (see the module's order of precedence).

    Parameters
    ----------
    requested
        The request's ``time_limit_s``, if it sent one.
    own
        The dataset's own ``[solver] time_limit_s``, if its settings set one.
    settings
        The service's settings: the default and the ceiling.
    """
    limit = next(v for v in (requested, own, settings.default_time_limit_s) if v is not None)
    return min(float(limit), settings.max_time_limit_s)


def default_time_limit_s(service: Service, db: Session, dataset_id: int) -> float:
    """The search time a job of this dataset gets when the request names none."""
    own = datasets.own_time_limit_s(db, dataset_id, service.dataset(db, dataset_id))
    return time_limit_s(None, own, service.settings)


def request_plan(
    service: Service, db: Session, dataset_id: int, request: PlanRequest, who: Principal
) -> JobOut:
    """Queue a planning job for a dataset and start it when a solver is free."""
    if request.time_limit_s is not None:
        datasets.get_row(db, dataset_id)  # 404 for an unknown dataset
        limit = time_limit_s(request.time_limit_s, None, service.settings)
    else:
        limit = default_time_limit_s(service, db, dataset_id)
    job = jobs.create(db, dataset_id, request, who, limit)
    audit.record(db, who, "job.create", f"job/{job.id}", detail=f"dataset/{dataset_id}")
    db.commit()
    service.runner.start_queued()
    db.refresh(job)
    return jobs.to_out(job)


def request_replan(
    service: Service, db: Session, dataset_id: int, request: ReplanRequest, who: Principal
) -> JobOut:
    """Queue a re-planning job: the dataset (today's data) re-planned from a stored plan (the
    routes run today, of this dataset or an earlier one), changing only what must change or
    what saves more than the price per change (``optimiser.replan``).

    Raises
    ------
    NotFound
        For an unknown dataset or current plan.
    Unprocessable
        If a locked pupil is not in the dataset.
    """
    datasets.get_row(db, dataset_id)
    current = plans.get_row_for(db, request.current_plan_id, who)
    known = {p.pupil_id for p in service.dataset(db, dataset_id).pupils}
    unknown = sorted(set(request.locks) - known)
    if unknown:
        shown = ", ".join(unknown[:20]) + (f" and {len(unknown) - 20} more" if unknown[20:] else "")
        raise Unprocessable(f"locks name pupils who are not in the dataset: {shown}")
    if request.time_limit_s is not None:
        limit = time_limit_s(request.time_limit_s, None, service.settings)
    else:
        limit = default_time_limit_s(service, db, dataset_id)
    job = jobs.create(db, dataset_id, request.plan_request(), who, limit)
    job.current_plan_id = current.id
    job.locks = sorted(set(request.locks))
    price = request.price_per_change_gbp
    job.price_per_change_pence = None if price is None else int(round(price * 100))
    audit.record(
        db,
        who,
        "job.create",
        f"job/{job.id}",
        detail=f"dataset/{dataset_id}; re-plan from plan/{current.id}",
    )
    db.commit()
    service.runner.start_queued()
    db.refresh(job)
    return jobs.to_out(job)


def list_all(db: Session, who: Principal, dataset_id: int | None = None) -> list[JobOut]:
    """Every job (of one dataset when ``dataset_id`` is given), oldest first."""
    return [jobs.to_out(j, who) for j in jobs.list_jobs(db, dataset_id)]


def get(db: Session, job_id: int, who: Principal) -> JobOut:
    """A job's status and progress (its error only to officers)."""
    return jobs.to_out(jobs.get(db, job_id), who)


def cancel(service: Service, db: Session, job_id: int, who: Principal) -> JobOut:
    """Mark a queued or running job cancelled and end its processes.

    Raises
    ------
    Conflict
        If it has already ended.
    """
    job = jobs.mark_cancelled(db, job_id)
    audit.record(db, who, "job.cancel", f"job/{job_id}")
    db.commit()
    service.runner.stop(job_id)
    return jobs.to_out(job)


def rerun(
    service: Service, db: Session, job_id: int, who: Principal, changes: PlanRequest | None
) -> JobOut:
    """Queue an interrupted, failed or cancelled job again, as a new attempt, with any options
    in ``changes`` replacing its own.

    Raises
    ------
    Conflict
        If the job is queued, running or has succeeded.
    """
    job = jobs.requeue(db, job_id, changes, service.settings.max_time_limit_s)
    audit.record(db, who, "job.rerun", f"job/{job_id}", detail=f"attempt {job.attempt}")
    db.commit()
    service.runner.start_queued()
    db.refresh(job)
    return jobs.to_out(job)
