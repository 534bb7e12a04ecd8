"""Rendered outputs of a stored plan: the map, operators' route sheets, the finance report.

They are made by the same :mod:`maps` code the command line uses, once per plan, and cached on
disk (a plan never changes; the cache folder is named by the plan's content). Operators' sheets are
rendered from a plan holding only that operator's routes, so no other operator's data can be in
them whatever the renderer does.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import threading
from pathlib import Path
from typing import Any

from api.db import PlanRow
from api.settings import ServiceSettings
from optimiser.domain.entities import Dataset
from optimiser.plan.document import Plan

STATIC_PREFIX = "/static"
LEAFLET_DIR = "lib/leaflet"
_lock = threading.Lock()  # guards the table of folder locks, and deletions
_folder_locks: dict[Path, threading.Lock] = {}


def _folder_lock(folder: Path) -> threading.Lock:
    """One lock per output folder: a plan being rendered never holds up another plan's
    downloads, nor a cached file of its own already written."""
    with _lock:
        return _folder_locks.setdefault(folder, threading.Lock())


def plan_folder(settings: ServiceSettings, row: PlanRow) -> Path:
    digest = hashlib.sha256(row.plan_json.encode("utf-8")).hexdigest()[:16]
    return settings.output_dir / f"plan-{row.id}-{digest}"


def _build_once(folder: Path, build) -> dict[str, str]:
    """Run ``build(tmp_folder) -> {name: path}`` once; keep its index of files beside them."""
    index = folder / "index.json"
    if index.exists():  # written last, by a rename: its folder is complete
        return json.loads(index.read_text(encoding="utf-8"))
    with _folder_lock(folder):
        if index.exists():
            return json.loads(index.read_text(encoding="utf-8"))
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        written = build(tmp)
        names = {k: str(Path(v).relative_to(tmp)) for k, v in written.items() if Path(v).is_file()}
        (tmp / "index.json").write_text(json.dumps(names), encoding="utf-8")
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)
        return names


def all_outputs(
    settings: ServiceSettings,
    row: PlanRow,
    plan: Plan,
    dataset: Dataset,
    travel: Any,
    graph: Any,
    current: tuple[int, Plan] | None = None,
) -> dict[str, Path]:
    """Map, every operator's sheets and the finance report (officers' view), cached; with
    ``current`` (its plan id and plan) the finance report is set against those current routes,
    cached apart (newer current routes of the dataset make a new report)."""
    from maps.outputs import write_all_outputs

    folder = plan_folder(settings, row) / ("all" if current is None else f"all-{current[0]}")
    against = None if current is None else current[1]
    names = _build_once(
        folder,
        lambda tmp: write_all_outputs(plan, dataset, travel, graph, tmp, current=against),
    )
    return {k: folder / v for k, v in names.items()}


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
    from maps.sheets import operator_file_names, write_operator_files

    own = Plan(
        dataset=plan.dataset,
        routes=[r for r in plan.routes if r.operator == operator],
        unassigned=[],
        summary={},
        generated_at=plan.generated_at,
    )
    # A plan's status changes (draft, published, superseded): each banner has its own folder.
    key = hashlib.sha256(f"{operator}\n{banner}".encode()).hexdigest()[:16]
    folder = plan_folder(settings, row) / f"operator-{key}"

    name = operator_file_names(plan).get(operator) or "operator"

    def build(tmp: Path) -> dict[str, Path]:
        files = write_operator_files(own, dataset, operator, tmp, name, banner)
        return {p.suffix.lstrip(".").lower(): p for p in files}

    names = _build_once(folder, build)
    return {k: folder / v for k, v in names.items()}


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

    names = _build_once(folder, build)
    return {k: folder / v for k, v in names.items()}


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

    names = _build_once(folder, build)
    return folder / names["zip"]


def sheet_file_name(name: str, stem: str, fmt: str) -> str:
    """What an operator's sheets download as: ``plan12-Wight_Cars-sheets.pdf``."""
    return f"{name}-{stem}-sheets.{fmt}"


def remove_plan_outputs(settings: ServiceSettings, plan_id: int) -> None:
    """Delete every rendered output of a plan (all its cache folders, half-built ones too)."""
    for folder in settings.output_dir.glob(f"plan-{plan_id}-*"):
        if folder.name.split("-")[1] == str(plan_id):
            shutil.rmtree(folder, ignore_errors=True)
    with _lock:
        for key in [k for k in _folder_locks if k.parent.name.startswith(f"plan-{plan_id}-")]:
            del _folder_locks[key]


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
