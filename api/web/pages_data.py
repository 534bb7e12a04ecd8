"""Pages for the termly job up to a plan: the start page, uploading a dataset, a dataset, a job.

Each page runs on the API's own role gates (``OfficerDep``, ``StaffDep``, ``UserDep``) and calls the
same service functions as the API (:mod:`api.services`), so a page can show no more than the API
gives that role.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Request, Response, UploadFile, status
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from starlette.datastructures import UploadFile as StarletteUpload

from api.auth import Principal, Role
from api.db import ACTIVE_JOB_STATES, RERUNNABLE
from api.deps import DatasetId, DbDep, JobId, OfficerDep, ServiceDep, StaffDep, UserDep
from api.errors import capped
from api.refusals import Conflict
from api.schemas import PlanRequest
from api.service import Service
from api.services import datasets as dataset_service
from api.services import jobs as job_service
from api.services import plans as plan_service
from api.web import pages_current, views
from api.web.render import PageRoute, check_csrf, render, see_other
from optimiser.domain.errors import InputError, InputProblem, UnreachableLocationError

router = APIRouter(route_class=PageRoute, include_in_schema=False)
CsrfField = Annotated[str | None, Form()]
LABELS = {
    "time_limit_s": "Search time",
    "ride_time_weight_per_min": "Money against ride time",
}


@router.get("/", response_class=HTMLResponse)
def home(request: Request, who: UserDep, db: DbDep) -> HTMLResponse:
    """Officers and finance: datasets, recent jobs and plans. Operators: plans with their routes."""
    plans = plan_service.list_all(db, who)
    if who.role is Role.OPERATOR:
        return render(request, "home.html", who, datasets=[], jobs=[], plans=plans[::-1])
    datasets = dataset_service.list_all(db)
    jobs = job_service.list_all(db, who)[-10:][::-1]
    names = {d.id: d.name for d in datasets}
    return render(
        request,
        "home.html",
        who,
        datasets=datasets[::-1],
        jobs=jobs,
        plans=plans[::-1][:20],
        names=names,
        status_text=views.job_status,
    )


@router.get("/upload", response_class=HTMLResponse)
def upload_form(request: Request, who: OfficerDep, service: ServiceDep) -> HTMLResponse:
    """The upload form."""
    return _upload_page(request, who, service, problems=None)


def _upload_page(
    request: Request,
    who: Principal,
    service: Service,
    problems: list[InputProblem] | None,
    detail: str = "",
    name: str = "",
) -> HTMLResponse:
    shown, more = capped(problems or [])
    if more:  # a page of 60,000 problems helps nobody: the first ones and a count of the rest
        shown = [*shown, InputProblem("(upload)", None, None, f"and {more:,} more")]
    grouped = views.problems_by_file(shown)
    return render(
        request,
        "upload.html",
        who,
        status.HTTP_422_UNPROCESSABLE_CONTENT if problems else 200,
        problems=grouped,
        count=len(problems or []),
        detail=detail,
        name=name,
        max_bytes=service.settings.max_upload_bytes,
    )


@router.post("/upload", response_class=HTMLResponse)
def upload(
    request: Request,
    who: OfficerDep,
    db: DbDep,
    service: ServiceDep,
    files: Annotated[list[UploadFile | str] | None, File()] = None,
    name: Annotated[str, Form(max_length=200)] = "",
    csrf_token: CsrfField = None,
) -> Response:
    """Upload and check a dataset; every problem is listed by file, row and column."""
    check_csrf(request, csrf_token)
    # an empty file input arrives as an empty string, not a file
    chosen = [f for f in files or [] if isinstance(f, StarletteUpload) and f.filename]
    named = [(f.filename or "", f.file.read()) for f in chosen]
    try:
        out = dataset_service.upload(service, db, named, name.strip() or None, who)
    except InputError as exc:
        return _upload_page(request, who, service, exc.problems, name=name)
    except UnreachableLocationError as exc:
        found = [
            InputProblem("road network", None, None, f"{a} cannot be reached") for a in exc.affected
        ]
        return _upload_page(request, who, service, found, detail=str(exc), name=name)
    query = urlencode([("uploaded", "true"), *(("note", n) for n in out.notes)])
    return see_other(f"/dataset/{out.id}?{query}")


def _dataset_page(
    request: Request,
    who: Principal,
    db: DbDep,
    service: Service,
    dataset_id: int,
    *,
    form_errors: dict[str, str] | None = None,
    form_values: dict[str, str] | None = None,
    current: dict[str, Any] | None = None,
) -> HTMLResponse:
    detail = dataset_service.detail(service, db, dataset_id)
    # the current-routes forms (api.web.pages_current) and any problems of theirs
    forms = pages_current.context(db, who, dataset_id, **(current or {}))
    failed = form_errors or forms["current_problems"] or forms["replan_errors"]
    settings = service.settings
    weight = service.dataset(db, dataset_id).settings.ride_time_weight_pence_per_min / 100
    values = {
        "time_limit_s": f"{job_service.default_time_limit_s(service, db, dataset_id):g}",
        "ride_time_weight_per_min": f"{weight:g}",
        **(form_values or {}),
    }
    return render(
        request,
        "dataset.html",
        who,
        status.HTTP_422_UNPROCESSABLE_CONTENT if failed else 200,
        dataset=detail,
        jobs=job_service.list_all(db, who, dataset_id)[::-1],
        plans=plan_service.list_all(db, who, dataset_id)[::-1],
        uploaded=request.query_params.get("uploaded") == "true",
        notes=request.query_params.getlist("note"),
        errors=form_errors or {},
        values=values,
        max_time_limit_s=settings.max_time_limit_s,
        status_text=views.job_status,
        **forms,
    )


@router.get("/dataset/{dataset_id}", response_class=HTMLResponse)
def dataset_page(
    request: Request, dataset_id: DatasetId, who: StaffDep, db: DbDep, service: ServiceDep
) -> HTMLResponse:
    """A dataset: counts, schools, fleet, its jobs and plans; officers start a plan here."""
    return _dataset_page(request, who, db, service, dataset_id)


@router.post("/dataset/{dataset_id}/plan", response_class=HTMLResponse)
def start_plan(
    request: Request,
    dataset_id: DatasetId,
    who: OfficerDep,
    db: DbDep,
    service: ServiceDep,
    time_limit_s: Annotated[str, Form(max_length=20)] = "",
    ride_time_weight_per_min: Annotated[str, Form(max_length=20)] = "",
    csrf_token: CsrfField = None,
) -> Response:
    """Start a planning job with the form's options (checked by the API's own schema)."""
    check_csrf(request, csrf_token)
    values = {"time_limit_s": time_limit_s, "ride_time_weight_per_min": ride_time_weight_per_min}
    try:
        options = PlanRequest.model_validate({k: v.strip() or None for k, v in values.items()})
    except ValidationError as exc:
        errors = {
            str(e["loc"][0]): f"{LABELS.get(str(e['loc'][0]), 'This value')}: {e['msg'].lower()}"
            for e in exc.errors()
            if e.get("loc")
        }
        return _dataset_page(
            request, who, db, service, dataset_id, form_errors=errors, form_values=values
        )
    job = job_service.request_plan(service, db, dataset_id, options, who)
    return see_other(f"/job/{job.id}")


@router.get("/job/{job_id}", response_class=HTMLResponse)
def job_page(
    request: Request, job_id: JobId, who: StaffDep, db: DbDep, service: ServiceDep
) -> HTMLResponse:
    """A job's progress (the page's script follows it through ``GET /jobs/{id}``)."""
    job = job_service.get(db, job_id, who)
    dataset = dataset_service.detail(service, db, job.dataset_id)
    return render(
        request,
        "job.html",
        who,
        job=job,
        dataset=dataset,
        active=job.status in ACTIVE_JOB_STATES,
        rerunnable=job.status in RERUNNABLE,
        status_text=views.job_status(job),
    )


@router.post("/job/{job_id}/cancel")
def cancel_job(
    request: Request,
    job_id: JobId,
    who: OfficerDep,
    db: DbDep,
    service: ServiceDep,
    csrf_token: CsrfField = None,
) -> RedirectResponse:
    """Cancel a queued or running job (one that has just ended is simply shown as it ended)."""
    check_csrf(request, csrf_token)
    try:
        job_service.cancel(service, db, job_id, who)
    except Conflict:
        pass  # it finished, failed or was cancelled meanwhile: its page says which
    return see_other(f"/job/{job_id}")


@router.post("/job/{job_id}/rerun")
def rerun_job(
    request: Request,
    job_id: JobId,
    who: OfficerDep,
    db: DbDep,
    service: ServiceDep,
    csrf_token: CsrfField = None,
) -> RedirectResponse:
    """Run an interrupted, failed or cancelled job again with the same options."""
    check_csrf(request, csrf_token)
    try:
        job_service.rerun(service, db, job_id, who, None)
    except Conflict:
        pass  # already queued again (a second click): its page shows it
    return see_other(f"/job/{job_id}")
