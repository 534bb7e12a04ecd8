"""Plans: what each role may read of a stored plan, storing one, publishing, checking and
comparing.

Officers read everything. Finance reads costs, counts and the finance report, of drafts too (it
compares what-ifs). An operator reads only published (or superseded) plans with its routes, and
of those only its own routes, with the fields of its sheets; a draft answers it as a plan that
does not exist.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from api import audit, datasets, outputs, plans
from api.auth import Principal, Role
from api.db import PlanKind, PlanRow, PlanStatus
from api.refusals import Conflict, Forbidden, NotFound, Unprocessable
from api.schemas import (
    CompareOut,
    CostsOut,
    CurrentRoutesOut,
    OperatorRouteOut,
    PlanOut,
    PlanUpload,
    PublishRequest,
    ValidationOut,
)
from api.service import Service
from maps import safe_cells
from optimiser.domain.errors import InputError, InputProblem, PlanFormatError
from optimiser.plan.document import Plan


def _operator_for(who: Principal, operator: str | None, plan_operators: list[str]) -> str:
    """Whose sheets a caller gets: an operator only its own; an officer names one."""
    if who.role is Role.OPERATOR:
        if operator not in (None, who.operator):
            raise Forbidden("operators see only their own routes")
        return str(who.operator)
    if operator is None:
        if len(plan_operators) == 1:
            return plan_operators[0]
        raise Unprocessable(f"name an operator: one of {', '.join(plan_operators) or '(none)'}")
    return operator


def list_all(db: Session, who: Principal, dataset_id: int | None = None) -> list[PlanOut]:
    """Stored plans, oldest first (an operator sees only plans with its routes)."""
    return [plans.to_out(r, who) for r in plans.list_rows(db, who, dataset_id)]


def upload(db: Session, body: PlanUpload, who: Principal) -> PlanOut:
    """Store a plan (a council's current routes, or an edited plan) for a dataset."""
    row = plans.store_uploaded(db, body.dataset_id, body.plan.plan(), body.label, who)
    audit.record(db, who, "plan.upload", f"plan/{row.id}", detail=f"dataset/{body.dataset_id}")
    db.commit()
    return plans.to_out(row)


def today() -> date:
    """Today in England (the day a council's plan takes effect is a UK date)."""
    try:
        return datetime.now(ZoneInfo("Europe/London")).date()
    except ZoneInfoNotFoundError:  # a machine without a time zone database
        return date.today()


def publish(
    service: Service, db: Session, plan_id: int, body: PublishRequest, who: Principal
) -> PlanOut:
    """Publish a draft from a date (audited, as is each plan it supersedes).

    Raises
    ------
    Conflict
        If the plan is not a draft, breaks a rule of its dataset (the validator's violations),
        or names in ``supersedes`` a plan that is not published.
    Unprocessable
        If the date is in the past.
    """
    row = plans.get_row_for(db, plan_id, who)
    if row.status != PlanStatus.DRAFT:
        raise Conflict(f"plan {plan_id} is {row.status}: only a draft can be published")
    if body.effective_from < today():
        raise Unprocessable(f"effective_from {body.effective_from} is in the past")
    dataset, travel = service.dataset_and_travel(db, row.dataset_id)
    result = plans.check(dataset, travel, plans.plan_of(row))
    if not result["valid"]:
        causes = ", ".join(f"{n} {c}" for c, n in sorted(result["violations_by_cause"].items()))
        raise Conflict(
            f"plan {plan_id} breaks the dataset's rules ({causes}): check it "
            f"(GET /plans/{plan_id}/validate) and publish a plan without violations"
        )
    older = plans.publish(db, row, body.effective_from, who, body.supersedes)
    when = body.effective_from.isoformat()
    replaced = "; supersedes " + ", ".join(f"plan/{r.id}" for r in older) if older else ""
    audit.record(
        db, who, "plan.publish", f"plan/{plan_id}", detail=f"effective from {when}{replaced}"
    )
    for old in older:
        audit.record(
            db, who, "plan.supersede", f"plan/{old.id}", detail=f"by plan/{plan_id} from {when}"
        )
    db.commit()
    return plans.to_out(row, who)


def rename(db: Session, plan_id: int, label: str, who: Principal) -> PlanOut:
    """Give a plan a new name (officers; audited).

    Raises
    ------
    Unprocessable
        If the name is blank.
    """
    row = plans.get_row_for(db, plan_id, who)
    if not label.strip():
        raise Unprocessable("give the plan a name")
    plans.rename(row, label)
    audit.record(db, who, "plan.rename", f"plan/{plan_id}")
    db.commit()
    return plans.to_out(row, who)


def get(db: Session, plan_id: int, who: Principal) -> PlanOut:
    """A plan's facts as the caller's role may see them."""
    return plans.to_out(plans.get_row_for(db, plan_id, who), who)


def document(db: Session, plan_id: int, who: Principal) -> Plan:
    """The whole plan, names and addresses included (audited)."""
    row = plans.get_row_for(db, plan_id, who)
    audit.record(db, who, "plan.read", f"plan/{plan_id}")
    db.commit()
    return plans.plan_of(row)


def _current_of(db: Session, row: PlanRow) -> tuple[int, Plan] | None:
    """The current routes the plan is set against (:func:`api.plans.current_row_of`)."""
    current = plans.current_row_of(db, row)
    return None if current is None else (current.id, plans.plan_of(current))


def costs(service: Service, db: Session, plan_id: int, who: Principal) -> CostsOut:
    """Recomputed totals and the plan's aggregates, and its cost against the current routes
    when there are any: no pupil data."""
    row = plans.get_row_for(db, plan_id, who)
    dataset, travel = service.dataset_and_travel(db, row.dataset_id)
    current = _current_of(db, row)
    return CostsOut(**plans.costs(plan_id, dataset, travel, plans.plan_of(row), current))


def check(service: Service, db: Session, plan_id: int, who: Principal) -> ValidationOut:
    """Check a stored plan against its dataset (audited)."""
    row = plans.get_row_for(db, plan_id, who)
    dataset, travel = service.dataset_and_travel(db, row.dataset_id)
    result = plans.check(dataset, travel, plans.plan_of(row))
    audit.record(db, who, "plan.validate", f"plan/{plan_id}")
    db.commit()
    return ValidationOut(**result)


def operator_routes(
    service: Service, db: Session, plan_id: int, who: Principal, operator: str | None
) -> list[OperatorRouteOut]:
    """One operator's routes as its sheets show them (audited). Operators get only their own.

    Raises
    ------
    Forbidden
        For finance, or an operator asking for another's routes.
    Unprocessable
        For an officer who names no operator of a plan with several.
    """
    if who.role is Role.FINANCE:
        raise Forbidden("finance sees costs, not routes")
    row = plans.get_row_for(db, plan_id, who)
    name = _operator_for(who, operator, list(row.operators or []))
    dataset = service.dataset(db, row.dataset_id)
    audit.record(db, who, "plan.routes", f"plan/{plan_id}", detail=f"operator {name}")
    db.commit()
    return plans.operator_routes(plans.plan_of(row), dataset, name)


def sheets(
    service: Service, db: Session, plan_id: int, who: Principal, fmt: str, operator: str | None
) -> tuple[Path, str]:
    """One operator's route sheets as a ``pdf`` or ``csv`` file (audited), and the name to save
    it under: a draft's or a superseded plan's says so, and its PDF says so on every page."""
    if who.role is Role.FINANCE:
        raise Forbidden("finance sees costs, not route sheets")
    row = plans.get_row_for(db, plan_id, who)
    name = _operator_for(who, operator, list(row.operators or []))
    dataset = service.dataset(db, row.dataset_id)
    files = outputs.operator_sheets(
        service.settings, row, plans.plan_of(row), dataset, name, banner=plans.banner(row)
    )
    audit.record(db, who, "plan.sheets", f"plan/{plan_id}", detail=f"operator {name} {fmt}")
    db.commit()
    if fmt not in files:
        raise NotFound(f"no {fmt} sheets for {name}")
    status = "" if row.status == PlanStatus.PUBLISHED else f"-{row.status}"
    name = f"{outputs.plan_name(plan_id)}{status}"
    return files[fmt], outputs.sheet_file_name(name, files[fmt].stem, fmt)


def sheets_zip(service: Service, db: Session, plan_id: int, who: Principal) -> Path:
    """Every operator's route sheets in one ZIP (officers; audited)."""
    if who.role is not Role.OFFICER:
        raise Forbidden("only transport officers download every operator's sheets")
    row = plans.get_row_for(db, plan_id, who)
    dataset = service.dataset(db, row.dataset_id)
    path = outputs.sheets_zip(
        service.settings,
        row,
        plans.plan_of(row),
        dataset,
        outputs.plan_name(plan_id),
        banner=plans.banner(row),
    )
    audit.record(db, who, "plan.sheets", f"plan/{plan_id}", detail="every operator zip")
    db.commit()
    return path


def finance(service: Service, db: Session, plan_id: int, who: Principal, fmt: str) -> Path:
    """The finance report as ``html``, ``csv`` or ``xlsx``: aggregates only."""
    row = plans.get_row_for(db, plan_id, who)
    dataset, travel = service.dataset_and_travel(db, row.dataset_id)
    files = outputs.finance_files(
        service.settings, row, plans.plan_of(row), dataset, travel, _current_of(db, row)
    )
    return files["finance" if fmt == "html" else f"finance_{fmt}"]


def map_page(service: Service, db: Session, plan_id: int, who: Principal) -> str:
    """The plan's map page, its Leaflet links pointed at the service's static files (audited)."""
    row = plans.get_row_for(db, plan_id, who)
    dataset, travel = service.dataset_and_travel(db, row.dataset_id)
    files = outputs.map_files(
        service.settings, row, plans.plan_of(row), dataset, travel, service.graph()
    )
    audit.record(db, who, "plan.map", f"plan/{plan_id}")
    db.commit()
    return outputs.map_page(files["map"])


def compare(service: Service, db: Session, who: Principal, a: int, b: int) -> CompareOut:
    """Two plans of one dataset compared: costs, vehicles, km, ride minutes, changed routes.

    Raises
    ------
    Unprocessable
        If the plans are of different datasets.
    """
    row_a, row_b = plans.get_row_for(db, a, who), plans.get_row_for(db, b, who)
    if row_a.dataset_id != row_b.dataset_id:
        raise Unprocessable("the two plans are of different datasets")
    dataset = service.dataset(db, row_a.dataset_id)
    return plans.compare(a, b, plans.plan_of(row_a), plans.plan_of(row_b), dataset)


CURRENT_SUFFIXES = (".csv", ".xlsx", ".json")


def _current_file_name(raw: str) -> str:
    """An uploaded current-routes file's name, checked: a ``.csv``, ``.xlsx`` or ``.json``
    (a ``plan.json``) with no control characters."""
    name = Path((raw or "").replace("\\", "/")).name
    if not name or len(name) > 255 or any(ord(c) < 32 or ord(c) == 127 for c in name):
        shown = name[:60].encode("unicode_escape").decode() or "(no name)"
        raise InputError([InputProblem(shown, None, None, "name the file routes.csv or similar")])
    if not name.lower().endswith(CURRENT_SUFFIXES):
        raise InputError(
            [
                InputProblem(
                    name,
                    None,
                    None,
                    "upload current routes as a .csv file, an .xlsx workbook (sheet 'routes') or "
                    "a plan .json",
                )
            ]
        )
    return name


def _plan_document(name: str, data: bytes) -> Plan:
    """A ``plan.json`` upload, read as ``POST /plans`` reads one."""
    from pydantic import ValidationError

    from api.schemas import PlanDocument

    try:
        return PlanDocument.model_validate_json(data).plan()
    except PlanFormatError as exc:
        raise InputError([InputProblem(name, None, None, p) for p in exc.problems]) from None
    except ValidationError as exc:
        raise InputError(
            [
                InputProblem(
                    name, None, ".".join(str(p) for p in e.get("loc", ())) or None, e["msg"]
                )
                for e in exc.errors()
            ]
        ) from None


def upload_current(
    service: Service,
    db: Session,
    dataset_id: int,
    upload: tuple[str, bytes],
    label: str,
    who: Principal,
) -> CurrentRoutesOut:
    """Read a council's current routes (``docs/current_routes.md``: CSV, XLSX, or a plan.json)
    against a dataset, time them on the roads, score them with the validator, and store them as
    a plan of kind ``current``. Rules they break are listed, not refused.

    Raises
    ------
    InputError
        With every problem of the file (file, row, column); nothing is stored.
    """
    from optimiser.plan.current import current_plan

    name = _current_file_name(upload[0])
    datasets.get_row(db, dataset_id)  # 404 before reading anything
    notes: list[str] = []
    if name.lower().endswith(".json"):
        plan = _plan_document(name, upload[1])
        dataset, travel = service.dataset_and_travel(db, dataset_id)
    else:
        table = service.intake.read_table(upload[1], name, "routes")
        dataset, travel = service.dataset_and_travel(db, dataset_id)
        read = current_plan(table, dataset, travel)
        plan, notes = read.plan, [str(n) for n in read.time_notes]
    row = plans.store_uploaded(
        db, dataset_id, plan, label or f"current routes ({name})"[:200], who, PlanKind.CURRENT
    )
    score = plans.check(dataset, travel, plan)
    audit.record(db, who, "plan.current", f"plan/{row.id}", detail=f"dataset/{dataset_id} {name}")
    db.commit()
    return CurrentRoutesOut(
        plan=plans.to_out(row),
        validation=ValidationOut(**score),
        journeys_on_no_route=len(plan.unassigned),
        stated_times_differing=notes,
    )


def changes_csv(db: Session, plan_id: int, who: Principal) -> str:
    """A re-plan's ``changes.csv``: each pupil journey that changes against its current routes,
    with why (pupil ids: officers only; audited), no cell a spreadsheet would run.

    Raises
    ------
    NotFound
        If the plan is not a re-plan.
    """
    row = plans.get_row_for(db, plan_id, who)
    if row.changes_csv is None:
        raise NotFound(f"plan {plan_id} is not a re-plan: it has no per-pupil changes")
    audit.record(db, who, "plan.changes", f"plan/{plan_id}")
    db.commit()
    return safe_cells.csv_text(row.changes_csv)


def compare_changes_csv(db: Session, who: Principal, a: int, b: int) -> str:
    """What changes for each pupil journey from plan ``a`` to plan ``b`` (``pupil_changes.csv``
    of ``send-routes compare``; pupil ids: officers only; audited), no cell a spreadsheet
    would run."""
    from optimiser.plan.changes import compare_by_pupil

    row_a, row_b = plans.get_row_for(db, a, who), plans.get_row_for(db, b, who)
    audit.record(db, who, "plan.compare_pupils", f"plan/{a}", detail=f"plan/{b}")
    db.commit()
    return safe_cells.csv_text(
        compare_by_pupil(plans.plan_of(row_a), plans.plan_of(row_b)).csv_text()
    )


def notices(
    service: Service, db: Session, plan_id: int, who: Principal, fmt: str, effective: str
) -> Path:
    """A re-plan's change notices for families, as ``pdf`` or ``csv``, in effect from
    ``effective`` (audited: they hold pupils' journeys).

    Raises
    ------
    NotFound
        If the plan is not a re-plan.
    Unprocessable
        If ``effective`` is not a date.
    """
    from datetime import date

    row = plans.get_row_for(db, plan_id, who)
    current = None if row.current_plan_id is None else db.get(PlanRow, row.current_plan_id)
    if row.changes_csv is None or current is None:
        raise NotFound(f"plan {plan_id} is not a re-plan: it has no change notices")
    try:
        date.fromisoformat(effective)
    except ValueError:
        raise Unprocessable(
            f"effective must be a date YYYY-MM-DD, not {effective[:20]!r}"
        ) from None
    dataset = service.dataset(db, row.dataset_id)
    changes = plans.replan_changes(row, current)
    files = outputs.change_notices(service.settings, row, changes, dataset, effective)
    audit.record(db, who, "plan.notices", f"plan/{plan_id}", detail=f"{fmt} from {effective}")
    db.commit()
    return files[fmt]
