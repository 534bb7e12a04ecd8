"""Every output of a plan in one call: the map, operators' route sheets and the finance report.

Used by the ``plan`` command and by the service; folium is imported only when a map is wanted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from maps.basemap import basemap_from_graph, plan_bbox, road_path_function
from maps.sheets import write_route_sheets
from optimiser.domain.entities import Dataset
from optimiser.plan.document import Plan


def map_options(plan: Plan, graph: Any, travel: Any = None) -> dict[str, Any]:
    if graph is None or not plan.routes:
        return {}
    return {
        "path_coords": road_path_function(graph, plan, travel=travel),
        "basemap_lines": basemap_from_graph(graph, plan_bbox(plan)),
    }


def write_all_outputs(
    plan: Plan, dataset: Dataset, travel: Any, graph: Any, out_dir: Path | str
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

    Returns
    -------
    dict of str to pathlib.Path
        ``map``, ``sheets`` (folder), ``finance`` (HTML), ``finance_csv``, ``finance_xlsx``,
        ``ride_times_chart``, and ``sheets/<file>`` for each route sheet file.
    """
    out = Path(out_dir)
    written: dict[str, Path] = {}
    options = map_options(plan, graph, travel)
    written["map"] = write_map_file(plan, dataset, out / "map", **options)
    written["sheets"] = out / "sheets"
    for path in write_route_sheets(plan, dataset, out / "sheets"):
        written[f"sheets/{path.name}"] = path
    from maps.finance_output import write_finance_report  # matplotlib and openpyxl, when wanted

    finance = write_finance_report(plan, dataset, out / "finance")
    written["finance"] = finance["html"]
    written["finance_csv"] = finance["csv"]
    written["finance_xlsx"] = finance["xlsx"]
    written["ride_times_chart"] = finance["chart"]
    return written


def write_map_file(plan: Plan, dataset: Dataset, out_dir: Path, **options: Any) -> Path:
    """:func:`maps.route_map.write_map`, imported here only when a map is wanted (folium)."""
    from maps.route_map import write_map

    return write_map(plan, dataset, out_dir, **options)
