"""``/jobs``: follow, cancel and re-run planning jobs."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from api.deps import DatasetFilter, DbDep, JobId, OfficerDep, ServiceDep, StaffDep
from api.routes.datasets import ERRORS
from api.schemas import ErrorOut, JobOut, PlanRequest
from api.services import jobs

router = APIRouter(prefix="/jobs", tags=["jobs"])
JOB_ERRORS = {**ERRORS, 404: {"model": ErrorOut, "description": "no such job"}}
CONFLICT = {409: {"model": ErrorOut, "description": "the job is not in a state that allows it"}}


@router.get("", response_model=list[JobOut], responses=JOB_ERRORS)
def list_jobs(who: StaffDep, db: DbDep, dataset_id: DatasetFilter = None) -> list[JobOut]:
    """Every job (of one dataset when ``dataset_id`` is given), oldest first."""
    return jobs.list_all(db, who, dataset_id)


@router.get("/{job_id}", response_model=JobOut, responses=JOB_ERRORS)
def get_job(job_id: JobId, who: StaffDep, db: DbDep) -> JobOut:
    """A job's status and progress: solutions found, best cost so far (pounds), elapsed seconds."""
    return jobs.get(db, job_id, who)


@router.post("/{job_id}/cancel", response_model=JobOut, responses={**JOB_ERRORS, **CONFLICT})
def cancel_job(job_id: JobId, who: OfficerDep, db: DbDep, service: ServiceDep) -> JobOut:
    """Stop a queued or running job: its processes are ended and it is marked ``cancelled``."""
    return jobs.cancel(service, db, job_id, who)


@router.post(
    "/{job_id}/rerun",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobOut,
    responses={**JOB_ERRORS, **CONFLICT},
)
def rerun_job(
    job_id: JobId,
    who: OfficerDep,
    db: DbDep,
    service: ServiceDep,
    response: Response,
    changes: PlanRequest | None = None,
) -> JobOut:
    """Run an ``interrupted``, ``failed`` or ``cancelled`` job again, as a new attempt; options
    sent in the body (seconds, solutions, pounds per minute) replace the job's own."""
    job = jobs.rerun(service, db, job_id, who, changes)
    response.headers["Location"] = f"/jobs/{job.id}"
    return job
