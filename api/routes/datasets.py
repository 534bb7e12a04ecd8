"""``/datasets``: upload, list, read, delete; start a planning job; check a plan against one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Response, UploadFile, status

from api.deps import DatasetId, DbDep, OfficerDep, ServiceDep, StaffDep
from api.downloads import NO_STORE, attachment
from api.schemas import (
    CurrentRoutesOut,
    DatasetDetailOut,
    DatasetOut,
    ErrorOut,
    JobOut,
    PlanDocument,
    PlanRequest,
    PupilOut,
    ReplanRequest,
    UploadOut,
    ValidationOut,
)
from api.services import datasets, jobs, plans

router = APIRouter(prefix="/datasets", tags=["datasets"])
ERRORS = {
    401: {"model": ErrorOut, "description": "no valid token"},
    403: {"model": ErrorOut, "description": "the caller's role may not do this"},
    404: {"model": ErrorOut, "description": "no such dataset"},
    422: {"model": ErrorOut, "description": "bad input: every problem with file, row, column"},
}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=UploadOut,
    responses={**ERRORS, 413: {"model": ErrorOut, "description": "upload over the size limit"}},
)
def upload_dataset(
    who: OfficerDep,
    db: DbDep,
    service: ServiceDep,
    files: Annotated[
        list[UploadFile],
        File(description="pupils.csv, schools.csv, fleet.csv (+ settings.toml), or one .xlsx"),
    ],
    name: Annotated[str | None, Form(max_length=200, description="dataset name")] = None,
) -> UploadOut:
    """Upload a dataset; it is validated exactly as the command line does, and stored only
    when every file is valid. The service's road network replaces any ``[roads] network``."""
    named = [(f.filename or "", f.file.read()) for f in files]
    return datasets.upload(service, db, named, name, who)


@router.get("", response_model=list[DatasetOut], responses=ERRORS)
def list_datasets(_staff: StaffDep, db: DbDep) -> list[DatasetOut]:
    """Every stored dataset, with counts only."""
    return datasets.list_all(db)


@router.get("/{dataset_id}", response_model=DatasetDetailOut, responses=ERRORS)
def get_dataset(
    dataset_id: DatasetId, _staff: StaffDep, db: DbDep, service: ServiceDep
) -> DatasetDetailOut:
    """A dataset's counts, files, schools (bell times ``HH:MM:SS``) and fleet (pounds)."""
    return datasets.detail(service, db, dataset_id)


@router.get("/{dataset_id}/pupils", response_model=list[PupilOut], responses=ERRORS)
def get_pupils(
    dataset_id: DatasetId, who: OfficerDep, db: DbDep, service: ServiceDep
) -> list[PupilOut]:
    """The pupils of a dataset: personal data, officers only, and every read is audited."""
    return datasets.pupils(service, db, dataset_id, who)


@router.get(
    "/{dataset_id}/files/{filename}",
    response_class=Response,
    responses={**ERRORS, 200: {"content": {"application/octet-stream": {}}}},
)
def download_file(dataset_id: DatasetId, filename: str, who: OfficerDep, db: DbDep) -> Response:
    """One uploaded file, byte for byte (officers only; audited)."""
    return Response(
        datasets.file(db, dataset_id, filename, who),
        media_type="application/octet-stream",
        headers={"Content-Disposition": attachment(filename), "Cache-Control": NO_STORE},
    )


@router.delete(
    "/{dataset_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses={**ERRORS, 409: {"model": ErrorOut, "description": "jobs running or plans kept"}},
)
def delete_dataset(
    dataset_id: DatasetId, who: OfficerDep, db: DbDep, service: ServiceDep, with_plans: bool = False
) -> Response:
    """Delete a dataset and its files (and its plans and jobs when ``with_plans``)."""
    datasets.delete(service, db, dataset_id, who, with_plans=with_plans)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{dataset_id}/plans",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobOut,
    responses=ERRORS,
)
def request_plan(
    dataset_id: DatasetId,
    who: OfficerDep,
    db: DbDep,
    service: ServiceDep,
    response: Response,
    request: PlanRequest | None = None,
) -> JobOut:
    """Start planning a dataset in a worker process; follow it at ``/jobs/{id}``.

    ``time_limit_s`` is the search time per session in seconds: the request's, else the
    dataset's own ``[solver] time_limit_s``, else the service's default; capped by the service.
    ``solution_limit`` stops each session after that many solutions, and
    ``ride_time_weight_per_min`` prices a pupil's ride minute in pounds."""
    job = jobs.request_plan(service, db, dataset_id, request or PlanRequest(), who)
    response.headers["Location"] = f"/jobs/{job.id}"
    return job


@router.post("/{dataset_id}/validate", response_model=ValidationOut, responses=ERRORS)
def validate_plan(
    dataset_id: DatasetId, document: PlanDocument, who: OfficerDep, db: DbDep, service: ServiceDep
) -> ValidationOut:
    """Check an uploaded or edited plan against a dataset: every violation by cause, and the
    recomputed cost (pounds per day and year) and distance (km per day)."""
    return datasets.check_plan(service, db, dataset_id, document, who)


@router.post(
    "/{dataset_id}/current-routes",
    status_code=status.HTTP_201_CREATED,
    response_model=CurrentRoutesOut,
    responses={**ERRORS, 413: {"model": ErrorOut, "description": "upload over the size limit"}},
)
def upload_current_routes(
    dataset_id: DatasetId,
    who: OfficerDep,
    db: DbDep,
    service: ServiceDep,
    file: Annotated[
        UploadFile,
        File(description="current routes: .csv, .xlsx (sheet 'routes') or a plan .json"),
    ],
    label: Annotated[str, Form(max_length=200, description="the plan's label")] = "",
) -> CurrentRoutesOut:
    """Upload the routes run today (``docs/current_routes.md``), read against this dataset and
    timed on the roads; stored as a plan of kind ``current`` and scored by the validator:
    violations by cause (listed, not refused), cost in pounds a day at the fleet's prices and
    at the agreed prices where given. 422 names every problem of the file by row and column."""
    upload = (file.filename or "", file.file.read())
    return plans.upload_current(service, db, dataset_id, upload, label.strip(), who)


@router.post(
    "/{dataset_id}/replan",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobOut,
    responses=ERRORS,
)
def request_replan(
    dataset_id: DatasetId,
    request: ReplanRequest,
    who: OfficerDep,
    db: DbDep,
    service: ServiceDep,
    response: Response,
) -> JobOut:
    """Start re-planning this dataset (today's data) from a stored plan of the routes run
    today, changing only what must change or what saves more than the price per change
    (pounds a day per pupil moved); ``locks`` keep pupils on their vehicle. Follow it at
    ``/jobs/{id}``; its plan records the current plan and its per-pupil changes
    (``/plans/{id}/changes.csv``). ``time_limit_s``: seconds per session, as for a plan."""
    job = jobs.request_replan(service, db, dataset_id, request, who)
    response.headers["Location"] = f"/jobs/{job.id}"
    return job
