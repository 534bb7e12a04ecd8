"""``/datasets``: upload, list, read, delete; start a planning job; check a plan against one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Response, UploadFile, status

from api import audit, datasets, jobs, plans
from api.deps import DatasetId, DbDep, OfficerDep, ServiceDep, StaffDep
from api.schemas import (
    DatasetDetailOut,
    DatasetOut,
    ErrorOut,
    FileOut,
    FleetOut,
    JobOut,
    PlanDocument,
    PlanRequest,
    PupilOut,
    SchoolOut,
    UploadOut,
    ValidationOut,
)
from optimiser.domain.times import format_hms

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
    dataset, named, notes = datasets.parse_upload(
        [(f.filename or "", f.file.read()) for f in files], name, service.settings.road_network
    )
    travel = service.travel_for(dataset)  # an address the roads cannot reach -> 422
    row = datasets.store(db, named, dataset, who)
    db.commit()
    service.remember_dataset(row.id, dataset, travel)
    return UploadOut(**DatasetOut.model_validate(row).model_dump(), notes=notes)


@router.get("", response_model=list[DatasetOut], responses=ERRORS)
def list_datasets(who: StaffDep, db: DbDep) -> list[DatasetOut]:
    """Every stored dataset, with counts only."""
    return [DatasetOut.model_validate(r) for r in datasets.list_rows(db)]


@router.get("/{dataset_id}", response_model=DatasetDetailOut, responses=ERRORS)
def get_dataset(
    dataset_id: DatasetId, who: StaffDep, db: DbDep, service: ServiceDep
) -> DatasetDetailOut:
    """A dataset's counts, files, schools (bell times ``HH:MM:SS``) and fleet (pounds)."""
    row = datasets.get_row(db, dataset_id)
    data = service.dataset(db, dataset_id)
    return DatasetDetailOut(
        **DatasetOut.model_validate(row).model_dump(),
        files=[FileOut(filename=n, size_bytes=s) for n, s in datasets.file_sizes(db, dataset_id)],
        schools_list=[
            SchoolOut(
                school_id=s.school_id,
                name=s.name,
                postcode=s.postcode,
                am_arrive_from=format_hms(s.am_arrive_from_s),
                am_arrive_by=format_hms(s.am_arrive_by_s),
                pm_depart_from=format_hms(s.pm_depart_from_s),
                pm_depart_by=format_hms(s.pm_depart_by_s),
            )
            for s in data.schools.values()
        ],
        fleet=[
            FleetOut(
                operator=vt.operator,
                vehicle_type=vt.vehicle_type,
                seats=vt.seats,
                wheelchair_spaces=vt.wheelchair_spaces,
                count=vt.count,
                cost_per_session_gbp=vt.cost_per_session_pence / 100,
                cost_per_km_gbp=vt.cost_per_km_pence / 100,
            )
            for vt in data.fleet
        ],
        road_network=service.settings.road_network.name,
    )


@router.get("/{dataset_id}/pupils", response_model=list[PupilOut], responses=ERRORS)
def get_pupils(
    dataset_id: DatasetId, who: OfficerDep, db: DbDep, service: ServiceDep
) -> list[PupilOut]:
    """The pupils of a dataset: personal data, officers only, and every read is audited."""
    data = service.dataset(db, dataset_id)
    audit.record(db, who, "dataset.pupils", f"dataset/{dataset_id}")
    db.commit()
    return [
        PupilOut(
            pupil_id=p.pupil_id,
            name=p.name,
            school_id=p.school_id,
            age=p.age,
            sessions=sorted(str(s) for s in p.sessions),
            postcode=p.postcode,
            lat=p.home.lat,
            lon=p.home.lon,
            pm_postcode=p.pm_postcode,
            wheelchair=p.wheelchair,
            passenger_assistant=p.passenger_assistant,
            solo=p.solo,
            max_ride_min=p.max_ride_min,
            group=p.group,
            not_with=list(p.not_with),
            notes=p.notes,
        )
        for p in data.pupils
    ]


@router.get(
    "/{dataset_id}/files/{filename}",
    response_class=Response,
    responses={**ERRORS, 200: {"content": {"application/octet-stream": {}}}},
)
def download_file(dataset_id: DatasetId, filename: str, who: OfficerDep, db: DbDep) -> Response:
    """One uploaded file, byte for byte (officers only; audited)."""
    datasets.get_row(db, dataset_id)
    content = datasets.raw_files(db, dataset_id).get(filename)
    if content is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"dataset {dataset_id} has no {filename}")
    audit.record(db, who, "dataset.file", f"dataset/{dataset_id}/{filename}")
    db.commit()
    return Response(
        content,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
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
    datasets.remove(db, dataset_id, who, with_plans=with_plans)
    db.commit()
    service.forget_dataset(dataset_id)
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

    ``time_limit_s`` is the search time per session in seconds (capped by the service),
    ``solution_limit`` stops each session after that many solutions, and
    ``ride_time_weight_per_min`` prices a pupil's ride minute in pounds."""
    job = jobs.create(db, dataset_id, request or PlanRequest(), who, service.settings)
    db.commit()
    service.runner.start_queued()
    db.refresh(job)
    response.headers["Location"] = f"/jobs/{job.id}"
    return jobs.to_out(job)


@router.post("/{dataset_id}/validate", response_model=ValidationOut, responses=ERRORS)
def validate_plan(
    dataset_id: DatasetId, document: PlanDocument, who: OfficerDep, db: DbDep, service: ServiceDep
) -> ValidationOut:
    """Check an uploaded or edited plan against a dataset: every violation by cause, and the
    recomputed cost (pounds per day and year) and distance (km per day)."""
    dataset, travel = service.dataset_and_travel(db, dataset_id)
    plan = plans.parse_plan(document.model_dump())
    result = plans.check(dataset, travel, plan)
    audit.record(db, who, "plan.validate", f"dataset/{dataset_id}")
    db.commit()
    return ValidationOut(**result)
