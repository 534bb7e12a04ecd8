"""Pages for current routes: upload them on a dataset's page, and re-plan from them.

The forms sit on the dataset page (``dataset.html`` includes ``_current_routes.html``); each posts
here, runs through the same role gate and service function as the API
(``POST /datasets/{id}/current-routes``, ``POST /datasets/{id}/replan``), and either goes on to
the result (the scored current routes' plan page, or the re-plan's job page) or shows the dataset
page again with every problem.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile as StarletteUpload

from api.auth import Principal, Role
from api.deps import DatasetId, DbDep, OfficerDep, ServiceDep
from api.errors import capped
from api.refusals import NotFound, Unprocessable
from api.schemas import PlanOut, ReplanRequest
from api.services import jobs as job_service
from api.services import plans as plan_service
from api.web import views
from api.web.render import PageRoute, check_csrf, see_other
from optimiser.domain.errors import InputError, InputProblem

router = APIRouter(route_class=PageRoute, include_in_schema=False)
CsrfField = Annotated[str | None, Form()]
LABELS = {
    "current_plan_id": "Routes run today",
    "locks": "Pupils who keep their vehicle",
    "price_per_change_gbp": "Price per change",
    "time_limit_s": "Search time",
}


def choices(db: Session, who: Principal, dataset_id: int) -> list[PlanOut]:
    """Plans a re-plan of a dataset can start from: current routes uploaded for any dataset
    (today's data may be a newer dataset than theirs), then this dataset's other plans; newest
    first."""
    every = plan_service.list_all(db, who)[::-1]
    return [p for p in every if p.kind == "current"] + [
        p for p in every if p.kind != "current" and p.dataset_id == dataset_id
    ]


def context(db: Session, who: Principal, dataset_id: int, **forms: Any) -> dict[str, Any]:
    """What ``_current_routes.html`` shows on the dataset page, with any form's problems."""
    shown, more = capped(forms.get("current_problems") or [])
    if more:
        shown = [*shown, InputProblem("(upload)", None, None, f"and {more:,} more")]
    return {
        "current_choices": choices(db, who, dataset_id) if who.role is Role.OFFICER else [],
        "current_problems": views.problems_by_file(shown),
        "current_count": len(forms.get("current_problems") or []),
        "current_label": forms.get("current_label", ""),
        "replan_errors": forms.get("replan_errors") or {},
        "replan_values": forms.get("replan_values") or {},
    }


def _dataset_page(
    request: Request, who: Principal, db: Session, service: Any, dataset_id: int, **forms: Any
) -> Response:
    from api.web.pages_data import _dataset_page as page

    return page(request, who, db, service, dataset_id, form_errors=None, current=forms)


@router.post("/dataset/{dataset_id}/current-routes")
def upload_current(
    request: Request,
    dataset_id: DatasetId,
    who: OfficerDep,
    db: DbDep,
    service: ServiceDep,
    file: Annotated[UploadFile | str | None, File()] = None,
    label: Annotated[str, Form(max_length=200)] = "",
    csrf_token: CsrfField = None,
) -> Response:
    """Upload current routes: on success their plan page (with the validator's score), else
    the dataset page with every problem by file, row and column."""
    check_csrf(request, csrf_token)
    if not isinstance(file, StarletteUpload) or not file.filename:
        problems = [InputProblem("(upload)", None, None, "choose a file of current routes")]
        return _dataset_page(
            request, who, db, service, dataset_id, current_problems=problems, current_label=label
        )
    try:
        out = plan_service.upload_current(
            service, db, dataset_id, (file.filename, file.file.read()), label.strip(), who
        )
    except InputError as exc:
        return _dataset_page(
            request,
            who,
            db,
            service,
            dataset_id,
            current_problems=exc.problems,
            current_label=label,
        )
    return see_other(f"/plan/{out.plan.id}")


def _locks(text: str) -> list[str]:
    """Pupil ids separated by commas, spaces or lines."""
    return [p for p in re.split(r"[\s,;]+", text.strip()) if p]


@router.post("/dataset/{dataset_id}/replan")
def start_replan(
    request: Request,
    dataset_id: DatasetId,
    who: OfficerDep,
    db: DbDep,
    service: ServiceDep,
    current_plan_id: Annotated[str, Form(max_length=20)] = "",
    locks: Annotated[str, Form(max_length=100_000)] = "",
    price_per_change_gbp: Annotated[str, Form(max_length=20)] = "",
    time_limit_s: Annotated[str, Form(max_length=20)] = "",
    csrf_token: CsrfField = None,
) -> Response:
    """Start a re-plan with the form's options (checked by the API's own schema); its job
    page follows it."""
    check_csrf(request, csrf_token)
    values = {
        "current_plan_id": current_plan_id,
        "locks": locks,
        "price_per_change_gbp": price_per_change_gbp,
        "time_limit_s": time_limit_s,
    }
    errors: dict[str, str] = {}
    job = None
    try:
        options = ReplanRequest.model_validate(
            {
                "current_plan_id": current_plan_id.strip() or None,
                "locks": _locks(locks),
                "price_per_change_gbp": price_per_change_gbp.strip() or None,
                "time_limit_s": time_limit_s.strip() or None,
            }
        )
        job = job_service.request_replan(service, db, dataset_id, options, who)
    except ValidationError as exc:
        for e in exc.errors():
            field = str(e["loc"][0]) if e.get("loc") else "current_plan_id"
            errors.setdefault(field, f"{LABELS.get(field, 'This value')}: {e['msg'].lower()}")
    except NotFound:
        errors["current_plan_id"] = "Routes run today: choose a stored plan"
    except Unprocessable as exc:
        errors["locks"] = f"{LABELS['locks']}: {exc}"
    if errors or job is None:
        return _dataset_page(
            request, who, db, service, dataset_id, replan_errors=errors, replan_values=values
        )
    return see_other(f"/job/{job.id}")
