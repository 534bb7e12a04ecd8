"""Every output of a plan in one call: the map, operators' route sheets and the finance report.

Used by the ``plan`` command and by the service; folium is imported only when a map is wanted.
Each output (the map, each operator's sheets, the finance report) is rendered on its own: one that
fails is reported, in the log and in ``failed.txt``, and the others are still written.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from maps.basemap import basemap_from_graph, plan_bbox, road_path_function
from maps.sheets import operator_file_names, write_operator_files
from optimiser.domain.entities import Dataset
from optimiser.plan.document import Plan

log = logging.getLogger(__name__)

FAILED_FILE = "failed.txt"


def map_options(plan: Plan, graph: Any, travel: Any = None) -> dict[str, Any]:
    if graph is None or not plan.routes:
        return {}
    return {
        "path_coords": road_path_function(graph, plan, travel=travel),
        "basemap_lines": basemap_from_graph(graph, plan_bbox(plan)),
    }


def render_outputs(
    plan: Plan,
    dataset: Dataset,
    travel: Any,
    graph: Any,
    out_dir: Path | str,
    *,
    current: Plan | None = None,
) -> tuple[dict[str, Path], dict[str, str]]:
    """Write every output, each on its own; the files written and the outputs that failed.

    Returns
    -------
    tuple
        ``(written, failed)``: ``written`` as for :func:`write_all_outputs`; ``failed`` maps
        ``map``, ``sheets/<operator>`` or ``finance`` to the error that stopped it.
    """
    out = Path(out_dir)
    written: dict[str, Path] = {}
    failed: dict[str, str] = {}

    def attempt(name: str, render: Callable[[], dict[str, Path]]) -> None:
        try:
            written.update(render())
        except Exception as exc:  # noqa: BLE001 - one output's fault must not stop the others
            log.exception("the %s output of the plan could not be written", name)
            failed[name] = f"{type(exc).__name__}: {exc}"

    attempt("map", lambda: {"map": write_map_file(plan, dataset, out / "map", graph, travel)})
    sheets = out / "sheets"
    sheets.mkdir(parents=True, exist_ok=True)
    written["sheets"] = sheets
    for operator, stem in operator_file_names(plan).items():
        attempt(
            f"sheets/{operator}",
            lambda op=operator, stem=stem: {
                f"sheets/{p.name}": p for p in write_operator_files(plan, dataset, op, sheets, stem)
            },
        )
    attempt("finance", lambda: _finance(plan, dataset, out / "finance", travel, current))
    return written, failed


def _finance(
    plan: Plan, dataset: Dataset, folder: Path, travel: Any, current: Plan | None = None
) -> dict[str, Path]:
    from maps.finance_output import write_finance_report  # matplotlib and openpyxl, when wanted

    finance = write_finance_report(plan, dataset, folder, travel, current=current)
    return {
        "finance": finance["html"],
        "finance_csv": finance["csv"],
        "finance_xlsx": finance["xlsx"],
        "finance_routes_csv": finance["routes_csv"],
        "ride_times_chart": finance["chart"],
    }


def write_all_outputs(
    plan: Plan,
    dataset: Dataset,
    travel: Any,
    graph: Any,
    out_dir: Path | str,
    *,
    current: Plan | None = None,
) -> dict[str, Path]:
    """Write the map, every operator's route sheets and the finance report of a plan.

    Parameters
    ----------
    plan, dataset
        The plan just written and its dataset.
    travel
        The plan's :class:`optimiser.roads.travel.TravelData` (or ``None``): stops that are dataset
        addresses reuse its snapped graph nodes.
    graph
        The road graph (or ``None``: straight lines and no basemap).
    out_dir
        Folder to write into: ``map/``, ``sheets/`` and ``finance/`` are made inside it.
    current
        The council's current routes, if given: the finance report also states the plan's
        cost against them.

    Returns
    -------
    dict of str to pathlib.Path
        ``map``, ``sheets`` (folder), ``finance`` (HTML), ``finance_csv``, ``finance_xlsx``,
        ``ride_times_chart``, and ``sheets/<file>`` for each route sheet file; an output that
        failed is missing, and ``failed`` names ``failed.txt``, one line per failed output.
    """
    written, failed = render_outputs(plan, dataset, travel, graph, out_dir, current=current)
    if failed:
        report = Path(out_dir) / FAILED_FILE
        report.write_text(
            "".join(f"{name}: {error}\n" for name, error in failed.items()), encoding="utf-8"
        )
        written["failed"] = report
    return written


def write_map_file(
    plan: Plan,
    dataset: Dataset,
    out_dir: Path,
    graph: Any = None,
    travel: Any = None,
    **options: Any,
) -> Path:
    """:func:`maps.route_map.write_map`, imported here only when a map is wanted (folium)."""
    from maps.route_map import write_map

    return write_map(plan, dataset, out_dir, **(map_options(plan, graph, travel) | options))
