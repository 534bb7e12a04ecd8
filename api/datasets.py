"""Datasets in storage: validate an upload exactly as the command line does, store its raw
files, and load it again from them.

Nothing of an upload is stored unless the whole dataset is valid. The road network is the
service's: an uploaded ``[roads] network`` setting never points the server at a path. These
functions work inside the caller's transaction; :mod:`api.services.datasets` commits and audits.
"""

from __future__ import annotations

import csv
import dataclasses
import tomllib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from api.auth import Principal
from api.db import ACTIVE_JOB_STATES, DatasetFile, DatasetRow, Job, PlanRow
from api.refusals import Conflict, NotFound
from optimiser.dataset.loading import load_uploaded
from optimiser.dataset.settings import settings_from_sheet
from optimiser.dataset.tables import read_workbook
from optimiser.domain.entities import Dataset
from optimiser.domain.errors import InputError, InputProblem

CSV_FILES = ("pupils.csv", "schools.csv", "fleet.csv", "settings.toml")
MAX_FILENAME_CHARS = 255  # the stored file name's column


def with_service_network(dataset: Dataset, network: Path) -> Dataset:
    """The dataset with the service's road network in place of whatever it named."""
    return dataclasses.replace(
        dataset, settings=dataclasses.replace(dataset.settings, network=network)
    )


def _upload_problems(
    files: Iterable[tuple[str, bytes]],
) -> tuple[dict[str, bytes], list[InputProblem]]:
    """Normalise uploaded file names and report files the loader would not read."""
    problems: list[InputProblem] = []
    named: dict[str, bytes] = {}
    for raw_name, content in files:
        name = Path(raw_name.replace("\\", "/")).name
        if len(name) > MAX_FILENAME_CHARS or any(ord(c) < 32 or ord(c) == 127 for c in name):
            problems.append(
                InputProblem(
                    name[:60] + "…" if len(name) > 60 else name.encode("unicode_escape").decode(),
                    None,
                    None,
                    f"the file name must be at most {MAX_FILENAME_CHARS} characters, with no "
                    "control characters: rename the file",
                )
            )
            continue
        key = name.lower()
        if key.endswith(".xlsx"):
            key = name
        elif key not in CSV_FILES:
            problems.append(
                InputProblem(
                    name or "(no name)",
                    None,
                    None,
                    "unexpected file: upload pupils.csv, schools.csv, fleet.csv and optionally "
                    "settings.toml, or one .xlsx workbook",
                )
            )
            continue
        if key in named:
            problems.append(InputProblem(name, None, None, "uploaded more than once"))
            continue
        named[key] = content
    workbooks = [n for n in named if n.lower().endswith(".xlsx")]
    if len(workbooks) > 1:
        problems.append(InputProblem(workbooks[1], None, None, "upload one workbook at a time"))
    if workbooks and any(n.endswith(".csv") for n in named):
        problems.append(
            InputProblem(
                workbooks[0], None, None, "upload either CSV files or one workbook, not both"
            )
        )
    if not named and not problems:
        problems.append(InputProblem("(upload)", None, None, "no files were uploaded"))
    return named, problems


def _load_here(files: Mapping[str, bytes], name: str) -> Dataset:
    try:
        return load_uploaded(files, name=name)
    except (csv.Error, UnicodeError, ValueError) as exc:  # text the CSV reader cannot parse
        raise InputError(
            [InputProblem("(upload)", None, None, f"cannot read the files: {exc}")]
        ) from None


def check_size(dataset: Dataset, max_pupils: int) -> None:
    """Refuse a dataset with more pupils than the service plans in one (``MAX_PUPILS``), before
    its travel matrices are built: they grow with the square of its places.

    Raises
    ------
    InputError
        Naming the count and the limit.
    """
    count = len(dataset.pupils)
    if count > max_pupils:
        message = (
            f"{count:,} pupils: the service plans at most {max_pupils:,} in one dataset "
            "(MAX_PUPILS); split the upload, for example by area or by school"
        )
        raise InputError([InputProblem("(upload)", None, None, message)])


def parse_upload(
    files: Iterable[tuple[str, bytes]],
    name: str | None,
    network: Path,
    load: Callable[[Mapping[str, bytes], str], Dataset] = _load_here,
) -> tuple[Dataset, dict[str, bytes], list[str]]:
    """Validate uploaded ``(file name, bytes)`` pairs into a dataset on the service's network.

    ``load(files, name)`` reads and checks the files (the service's runs in a worker process with
    memory and time limits: :class:`api.intake.Intake`).

    Returns
    -------
    tuple
        The dataset, its files by normalised name, and notes on what the service changed.

    Raises
    ------
    InputError
        With every problem found, each naming file, row and column.
    """
    named, problems = _upload_problems(files)
    if problems:
        raise InputError(problems)
    workbook = next((n for n in named if n.lower().endswith(".xlsx")), None)
    name = (name or "").strip() or (Path(workbook).stem if workbook else "dataset")
    dataset = load(named, name)
    notes = []
    if dataset.settings.network is not None:
        notes.append(
            f"roads.network '{dataset.settings.network}' is ignored: the service plans on its "
            f"own road network ({network.name})"
        )
    return with_service_network(dataset, network), named, notes


def store(db: Session, named: Mapping[str, bytes], dataset: Dataset, who: Principal) -> DatasetRow:
    """Store a validated dataset and its raw files (the caller commits)."""
    row = DatasetRow(
        name=dataset.name[:200],
        source_format="xlsx" if any(n.lower().endswith(".xlsx") for n in named) else "csv",
        pupils=len(dataset.pupils),
        schools=len(dataset.schools),
        fleet_rows=len(dataset.fleet),
        vehicles=sum(vt.count for vt in dataset.fleet),
        operators=sorted({vt.operator for vt in dataset.fleet}),
        created_by=who.user_id,
    )
    db.add(row)
    db.flush()
    for filename, content in named.items():
        db.add(DatasetFile(dataset_id=row.id, filename=filename, content=content))
    return row


def get_row(db: Session, dataset_id: int) -> DatasetRow:
    row = db.get(DatasetRow, dataset_id)
    if row is None:
        raise NotFound(f"no dataset {dataset_id}")
    return row


def list_rows(db: Session) -> list[DatasetRow]:
    return list(db.scalars(select(DatasetRow).order_by(DatasetRow.id)))


def raw_files(db: Session, dataset_id: int) -> dict[str, bytes]:
    files = db.scalars(select(DatasetFile).where(DatasetFile.dataset_id == dataset_id))
    return {f.filename: bytes(f.content) for f in files}


def file_sizes(db: Session, dataset_id: int) -> list[tuple[str, int]]:
    rows = db.execute(
        select(DatasetFile.filename, func.length(DatasetFile.content))
        .where(DatasetFile.dataset_id == dataset_id)
        .order_by(DatasetFile.filename)
    )
    return [(name, int(size or 0)) for name, size in rows]


def load_stored(db: Session, dataset_id: int, network: Path) -> Dataset:
    """Load a stored dataset again from its raw files, on the service's road network."""
    row = get_row(db, dataset_id)
    dataset = load_uploaded(raw_files(db, dataset_id), name=row.name)
    return with_service_network(dataset, network)


def remove(db: Session, dataset_id: int, *, with_plans: bool) -> tuple[DatasetRow, list[int]]:
    """Delete a dataset and its files; its plans and jobs too when ``with_plans``.

    Returns
    -------
    tuple
        The deleted row and the ids of the plans that went with it.

    Raises
    ------
    Conflict
        If a job is still queued or running, or plans exist and ``with_plans`` is false.
    """
    row = get_row(db, dataset_id)
    active = db.scalar(
        select(func.count())
        .select_from(Job)
        .where(Job.dataset_id == dataset_id, Job.status.in_(ACTIVE_JOB_STATES))
    )
    if active:
        raise Conflict(f"dataset {dataset_id} has {active} job(s) running: cancel them first")
    plans = list(db.scalars(select(PlanRow.id).where(PlanRow.dataset_id == row.id)))
    if plans and not with_plans:
        raise Conflict(
            f"dataset {dataset_id} has {len(plans)} plan(s): delete with with_plans=true to "
            "remove them"
        )
    db.execute(update(Job).where(Job.dataset_id == row.id).values(plan_id=None))
    db.execute(delete(PlanRow).where(PlanRow.dataset_id == row.id))
    db.execute(delete(Job).where(Job.dataset_id == row.id))
    db.execute(delete(DatasetFile).where(DatasetFile.dataset_id == row.id))
    db.delete(row)
    return row, plans


def _settings_values(files: Mapping[str, bytes]) -> Mapping[str, Mapping[str, object]]:
    """The raw ``{section: {key: value}}`` settings of stored files, read as the loader reads
    them: a workbook's ``settings`` sheet, else ``settings.toml`` (stored files are valid)."""
    workbook = next((n for n in files if n.lower().endswith(".xlsx")), None)
    if workbook is not None:
        tables, _ = read_workbook(files[workbook], workbook)
        return settings_from_sheet(tables["settings"])[0] if "settings" in tables else {}
    if "settings.toml" in files:
        return tomllib.loads(files["settings.toml"].decode("utf-8"))
    return {}


def own_time_limit_s(db: Session, dataset_id: int, dataset: Dataset) -> float | None:
    """The dataset's own ``[solver] time_limit_s``, or ``None`` when its settings leave it out.

    The loaded settings always hold a time limit (the command line's default when none is set),
    so whether the council set one is read from the stored settings themselves.
    """
    solver = _settings_values(raw_files(db, dataset_id)).get("solver") or {}
    return dataset.settings.time_limit_s if "time_limit_s" in solver else None
