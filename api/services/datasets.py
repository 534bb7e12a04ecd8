"""Datasets: upload, list, read, delete, and check a plan against one."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from api import audit, datasets, outputs, plans
from api.auth import Principal
from api.refusals import NotFound
from api.schemas import (
    DatasetDetailOut,
    DatasetOut,
    FileOut,
    FleetOut,
    PlanDocument,
    PupilOut,
    SchoolOut,
    UploadOut,
    ValidationOut,
)
from api.service import Service
from optimiser.domain.times import format_hms


def upload(
    service: Service,
    db: Session,
    files: Iterable[tuple[str, bytes]],
    name: str | None,
    who: Principal,
) -> UploadOut:
    """Validate ``(file name, bytes)`` pairs as the command line does and store the dataset.

    Raises
    ------
    InputError
        With every problem of the files, or if they hold more pupils than the service plans
        in one dataset; nothing is stored.
    UnreachableLocationError
        If an address cannot be reached on the service's roads; nothing is stored.
    """
    dataset, named, notes = datasets.parse_upload(
        files, name, service.settings.road_network, service.intake.load
    )
    datasets.check_size(dataset, service.settings.max_pupils)
    travel = service.travel_for(dataset)
    row = datasets.store(db, named, dataset, who)
    audit.record(db, who, "dataset.upload", f"dataset/{row.id}", detail=row.name)
    db.commit()
    service.remember_dataset(row.id, dataset, travel)
    return UploadOut(**DatasetOut.model_validate(row).model_dump(), notes=notes)


def list_all(db: Session) -> list[DatasetOut]:
    """Every stored dataset, oldest first, with counts only."""
    return [DatasetOut.model_validate(r) for r in datasets.list_rows(db)]


def detail(service: Service, db: Session, dataset_id: int) -> DatasetDetailOut:
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


def pupils(service: Service, db: Session, dataset_id: int, who: Principal) -> list[PupilOut]:
    """A dataset's pupils: personal data, so every read is audited."""
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


def file(db: Session, dataset_id: int, filename: str, who: Principal) -> bytes:
    """One uploaded file byte for byte (audited)."""
    datasets.get_row(db, dataset_id)
    content = datasets.raw_files(db, dataset_id).get(filename)
    if content is None:
        raise NotFound(f"dataset {dataset_id} has no {filename}")
    audit.record(db, who, "dataset.file", f"dataset/{dataset_id}/{filename}")
    db.commit()
    return content


def delete(
    service: Service, db: Session, dataset_id: int, who: Principal, *, with_plans: bool
) -> None:
    """Delete a dataset and its files (and its plans and jobs when ``with_plans``).

    Raises
    ------
    Conflict
        If a job of it is queued or running, or it has plans and ``with_plans`` is false.
    """
    row, removed = datasets.remove(db, dataset_id, with_plans=with_plans)
    audit.record(
        db,
        who,
        "dataset.delete",
        f"dataset/{dataset_id}",
        detail=f"{row.name}; plans {len(removed)}",
    )
    db.commit()
    service.forget_dataset(dataset_id)
    for plan_id in removed:  # the rendered map, sheets and finance report hold the same data
        outputs.remove_plan_outputs(service.settings, plan_id)


def check_plan(
    service: Service, db: Session, dataset_id: int, document: PlanDocument, who: Principal
) -> ValidationOut:
    """Check a plan document against a dataset: violations by cause, recomputed cost and km."""
    dataset, travel = service.dataset_and_travel(db, dataset_id)
    result = plans.check(dataset, travel, document.plan())
    audit.record(db, who, "plan.validate", f"dataset/{dataset_id}")
    db.commit()
    return ValidationOut(**result)
