"""Rendered outputs of a stored plan: the map, operators' route sheets, the finance report.

They are made by the same :mod:`maps` code the command line uses, once per plan, and cached on
disk (a plan never changes; the cache folder is named by the plan's content). Operators' sheets are
rendered from a plan holding only that operator's routes, so no other operator's data can be in
them whatever the renderer does.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from api.db import PlanRow
from api.refusals import NotFound
from api.settings import ServiceSettings
from optimiser.domain.entities import Dataset
from optimiser.plan.document import Plan

log = logging.getLogger(__name__)

STATIC_PREFIX = "/static"
LEAFLET_DIR = "lib/leaflet"
_lock = threading.Lock()  # guards the table of folder locks, and deletions
_folder_locks: dict[Path, threading.Lock] = {}
# Plans whose outputs were deleted, by output folder and id: a render that read the plan before
# must not put its files in place after (ids are never reused: only plans that are gone).
_removed: set[tuple[Path, int]] = set()
PLAN_FOLDER = re.compile(r"plan-(\d+)-[0-9a-f]+")


def _folder_lock(folder: Path) -> threading.Lock:
    """One lock per output folder: a plan being rendered never holds up another plan's
    downloads, nor a cached file of its own already written."""
    with _lock:
        return _folder_locks.setdefault(folder, threading.Lock())


def plan_folder(settings: ServiceSettings, row: PlanRow) -> Path:
    digest = hashlib.sha256(row.plan_json.encode("utf-8")).hexdigest()[:16]
    return settings.output_dir / f"plan-{row.id}-{digest}"


def _plan_of(folder: Path) -> tuple[Path | None, int | None]:
    """The plan folder (``plan-<id>-<digest>``) holding ``folder``, and the plan's id."""
    for part in (folder, *folder.parents):
        if found := PLAN_FOLDER.fullmatch(part.name):
            return part, int(found[1])
    return None, None


def _deleted(plan_dir: Path | None, plan_id: int | None) -> NotFound | None:
    """The refusal for a plan whose outputs were deleted, after removing what a build of it left
    (the writers make their folders again); ``None`` while the plan is there."""
    if plan_dir is None or plan_id is None or (plan_dir.parent, plan_id) not in _removed:
        return None
    shutil.rmtree(plan_dir, ignore_errors=True)
    return NotFound(f"plan {plan_id} was deleted")


def _put_in_place(tmp: Path, folder: Path, index: Path) -> None:
    """Rename a finished build into place, unless another process finished first."""
    if index.exists():  # another process finished first: keep its files
        return
    shutil.rmtree(folder, ignore_errors=True)  # a half-built one of a crash
    try:
        tmp.rename(folder)
    except OSError:
        if not index.exists():
            raise


def _build_once(folder: Path, build) -> dict[str, Path]:
    """Run ``build(tmp_folder) -> {name: path}`` once; keep its index of files beside them and
    return where each named file is.

    Safe across processes (a job's process renders while the web process may be asked for the
    same output): each builds in a folder of its own and the first to rename it into place wins.
    A build that raises leaves nothing behind, so the next request tries again.

    Raises
    ------
    NotFound
        If the plan's outputs were deleted (:func:`remove_plan_outputs`) before or while it was
        built: what it built is deleted too.
    """
    index = folder / "index.json"
    plan_dir, plan_id = _plan_of(folder)

    def files() -> dict[str, Path]:
        names = json.loads(index.read_text(encoding="utf-8"))
        return {k: folder / v for k, v in names.items()}

    if index.exists():  # written last, by a rename: its folder is complete
        return files()
    with _folder_lock(folder):
        if index.exists():
            return files()
        if (gone := _deleted(plan_dir, plan_id)) is not None:
            raise gone
        tmp = folder.with_name(f"{folder.name}.tmp-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        try:
            try:
                written = build(tmp)
            except Exception:
                if (gone := _deleted(plan_dir, plan_id)) is not None:
                    raise gone from None
                raise
            names = {
                k: str(Path(v).relative_to(tmp)) for k, v in written.items() if Path(v).is_file()
            }
            (tmp / "index.json").write_text(json.dumps(names), encoding="utf-8")
            with _lock:  # a deletion either finds the folder in place or keeps it from there
                if (gone := _deleted(plan_dir, plan_id)) is not None:
                    raise gone
                _put_in_place(tmp, folder, index)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return files()


def map_files(
    settings: ServiceSettings,
    row: PlanRow,
    plan: Plan,
    dataset: Dataset,
    travel: Any,
    graph: Any,
) -> dict[str, Path]:
    """The plan's map (``map``: ``map.html``), cached."""

    def build(tmp: Path) -> dict[str, Path]:
        from maps.outputs import write_map_file  # folium: only to render

        return {"map": write_map_file(plan, dataset, tmp / "map", graph, travel)}

    folder = plan_folder(settings, row) / "map"
    return _build_once(folder, build)


def finance_files(
    settings: ServiceSettings,
    row: PlanRow,
    plan: Plan,
    dataset: Dataset,
    travel: Any,
    current: tuple[int, Plan] | None = None,
) -> dict[str, Path]:
    """The finance report (``finance`` HTML, ``finance_csv``, ``finance_xlsx``,
    ``finance_routes_csv``, ``ride_times_chart``), cached; with ``current`` (its plan id and
    plan) set against those current routes, cached apart (newer current routes of the dataset
    make a new report)."""
    name = "finance" if current is None else f"finance-{current[0]}"
    folder = plan_folder(settings, row) / name
    against = None if current is None else current[1]

    def build(tmp: Path) -> dict[str, Path]:
        from maps.finance_output import write_finance_report  # matplotlib: only to render

        files = write_finance_report(plan, dataset, tmp / "finance", travel, current=against)
        return {
            "finance": files["html"],
            "finance_csv": files["csv"],
            "finance_xlsx": files["xlsx"],
            "finance_routes_csv": files["routes_csv"],
            "ride_times_chart": files["chart"],
        }

    return _build_once(folder, build)


def operator_sheets(
    settings: ServiceSettings,
    row: PlanRow,
    plan: Plan,
    dataset: Dataset,
    operator: str,
    *,
    banner: str = "",
) -> dict[str, Path]:
    """One operator's route sheets, ``pdf`` and ``csv``, from its routes alone; each file named
    after the operator, distinct from every other operator's of the plan; ``banner`` (the plan's
    status, e.g. superseded) is printed at the top of every PDF page."""
    # A plan's status changes (draft, published, superseded): each banner has its own folder.
    key = hashlib.sha256(f"{operator}\n{banner}".encode()).hexdigest()[:16]
    folder = plan_folder(settings, row) / f"operator-{key}"

    def build(tmp: Path) -> dict[str, Path]:
        from maps.sheets import operator_file_names, write_operator_files  # only to render

        own = Plan(
            dataset=plan.dataset,
            routes=[r for r in plan.routes if r.operator == operator],
            unassigned=[],
            summary={},
            generated_at=plan.generated_at,
        )
        name = operator_file_names(plan).get(operator) or "operator"
        files = write_operator_files(own, dataset, operator, tmp, name, banner)
        return {p.suffix.lstrip(".").lower(): p for p in files}

    return _build_once(folder, build)


def change_notices(
    settings: ServiceSettings, row: PlanRow, changes: list[Any], dataset: Dataset, effective: str
) -> dict[str, Path]:
    """A re-plan's change notices for families (``pdf``, ``csv``; :mod:`maps.notices`) taking
    effect on ``effective`` (``YYYY-MM-DD``, checked by the caller), cached."""
    from maps.notices import write_notices

    folder = plan_folder(settings, row) / f"notices-{effective}"

    def build(tmp: Path) -> dict[str, Path]:
        written = write_notices(changes, dataset, effective, tmp)
        return {"pdf": written["pdf"], "csv": written["csv"]}

    return _build_once(folder, build)


def sheets_zip(
    settings: ServiceSettings,
    row: PlanRow,
    plan: Plan,
    dataset: Dataset,
    name: str,
    *,
    banner: str = "",
) -> Path:
    """Every operator's route sheets (PDF and CSV) in one ZIP, each file as it downloads alone
    (``<name>-<operator>-sheets.pdf``), each rendered from that operator's routes alone, with
    the plan's ``banner`` (its status) on every PDF page."""
    import zipfile

    key = hashlib.sha256(banner.encode()).hexdigest()[:16]
    folder = plan_folder(settings, row) / f"sheets-zip-{key}"

    def build(tmp: Path) -> dict[str, Path]:
        path = tmp / f"{name}-sheets.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for operator in sorted({r.operator for r in plan.routes}):
                files = operator_sheets(settings, row, plan, dataset, operator, banner=banner)
                for fmt, file in files.items():
                    archive.write(file, sheet_file_name(name, file.stem, fmt))
        return {"zip": path}

    return _build_once(folder, build)["zip"]


def plan_name(plan_id: int) -> str:
    """What a plan's downloads are named after: ``plan12``."""
    return f"plan{plan_id}"


def render_all(
    settings: ServiceSettings,
    row: PlanRow,
    plan: Plan,
    dataset: Dataset,
    travel: Any,
    graph: Any,
    current: tuple[int, Plan] | None = None,
    *,
    banner: str = "",
    step: Callable[[], None] | None = None,
) -> dict[str, str]:
    """Render, ahead of any request, every output the downloads serve: the map, the finance
    report, each operator's sheets (with the plan's ``banner``) and the ZIP of them all, into the
    cache those downloads read. Each on its own: one that fails is logged and left to be
    rendered when it is asked for, and the others are still made. ``step`` is called after each
    output (a job reports its progress).

    Returns
    -------
    dict of str to str
        The outputs that failed (``map``, ``finance``, ``sheets/<operator>``, ``sheets.zip``)
        and why; empty when all were made.
    """
    failed: dict[str, str] = {}

    def attempt(name: str, render) -> None:
        try:
            render()
        except Exception as exc:  # noqa: BLE001 - one output's fault must not stop the others
            log.exception("plan %s: the %s output could not be rendered ahead", row.id, name)
            failed[name] = f"{type(exc).__name__}: {exc}"
        if step is not None:
            step()

    attempt("map", lambda: map_files(settings, row, plan, dataset, travel, graph))
    attempt("finance", lambda: finance_files(settings, row, plan, dataset, travel, current))
    operators = sorted({r.operator for r in plan.routes})
    for operator in operators:
        attempt(
            f"sheets/{operator}",
            lambda op=operator: operator_sheets(settings, row, plan, dataset, op, banner=banner),
        )
    if operators and not failed.keys() & {f"sheets/{op}" for op in operators}:
        attempt(
            "sheets.zip",
            lambda: sheets_zip(settings, row, plan, dataset, plan_name(row.id), banner=banner),
        )
    return failed


def sheet_file_name(name: str, stem: str, fmt: str) -> str:
    """What an operator's sheets download as: ``plan12-Wight_Cars-sheets.pdf``."""
    return f"{name}-{stem}-sheets.{fmt}"


def remove_plan_outputs(settings: ServiceSettings, plan_id: int) -> None:
    """Delete every rendered output of a plan (all its cache folders, half-built ones too); a
    render of it still under way puts nothing in place afterwards."""
    with _lock:
        _removed.add((settings.output_dir, plan_id))
        for key in [k for k in _folder_locks if k.parent.name.startswith(f"plan-{plan_id}-")]:
            del _folder_locks[key]
    for folder in settings.output_dir.glob(f"plan-{plan_id}-*"):
        if folder.name.split("-")[1] == str(plan_id):
            shutil.rmtree(folder, ignore_errors=True)


def map_page(path: Path) -> str:
    """The map page with its Leaflet links pointed at the service's static route."""
    page = path.read_text(encoding="utf-8")
    return re.sub(r"""(["'])(?:\./)?lib/leaflet/""", rf"\g<1>{STATIC_PREFIX}/{LEAFLET_DIR}/", page)


def prepare_static(settings: ServiceSettings) -> Path:
    """Copy Leaflet (public library files, no data) into the service's static folder."""
    from maps.route_map import copy_leaflet

    settings.static_dir.mkdir(parents=True, exist_ok=True)
    if not (settings.static_dir / LEAFLET_DIR / "leaflet.js").exists():
        copy_leaflet(settings.static_dir)
    return settings.static_dir
