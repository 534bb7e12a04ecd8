"""Command-line commands for the outputs of a plan: ``map``, ``sheets``, ``finance``, ``compare``.

Mount them on the main CLI with :func:`register`, or run this module's ``app`` alone. The ``plan``
command calls :func:`write_all_outputs` after writing ``plan.json``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from optimiser.errors import InputError, PlanFormatError, SendRoutesError
from optimiser.model import Dataset
from optimiser.plan import Plan

from .basemap import basemap_from_graph, plan_bbox, road_path_function
from .finance import compare_plans, write_finance_report
from .sheets import write_route_sheets

DatasetArg = Annotated[Path, typer.Argument(help="Dataset folder or .xlsx workbook")]
PlanArg = Annotated[Path, typer.Argument(help="plan.json written by the plan command")]
OutOpt = Annotated[Path, typer.Option("--out", help="Folder to write into")]


def _fail(exc: SendRoutesError) -> NoReturn:
    """One clear line per problem, then exit with status 1."""
    lines = getattr(exc, "problems", None)
    if lines:
        for problem in lines:
            typer.secho(f"error: {problem}", fg="red", err=True)
    else:
        typer.secho(f"error: {exc}", fg="red", err=True)
    raise typer.Exit(1)


def _load(dataset_path: Path, plan_paths: list[Path]) -> tuple[Dataset, list[Plan]]:
    from optimiser.dataset import load_dataset  # loading pulls in geocoding tables
    from optimiser.plan import load_plan

    try:
        return load_dataset(dataset_path), [load_plan(p) for p in plan_paths]
    except (InputError, PlanFormatError) as exc:
        _fail(exc)


def _load_graph(dataset: Dataset) -> Any | None:
    """The dataset's road graph, or ``None`` (with a warning) when none is set or found."""
    network = dataset.settings.network
    if network is None or not Path(network).exists():
        typer.secho(
            "warning: no road network found; routes are drawn as straight lines",
            fg="yellow",
            err=True,
        )
        return None
    from optimiser.roads import load_network  # the road-graph stack is heavy; load on demand

    return load_network(Path(network))


def _map_options(plan: Plan, graph: Any, travel: Any = None) -> dict[str, Any]:
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
        The plan's :class:`optimiser.travel.TravelData` (or ``None``): stops that are dataset
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
    options = _map_options(plan, graph, travel)
    written["map"] = write_map_file(plan, dataset, out / "map", **options)
    written["sheets"] = out / "sheets"
    for path in write_route_sheets(plan, dataset, out / "sheets"):
        written[f"sheets/{path.name}"] = path
    finance = write_finance_report(plan, dataset, out / "finance")
    written["finance"] = finance["html"]
    written["finance_csv"] = finance["csv"]
    written["finance_xlsx"] = finance["xlsx"]
    written["ride_times_chart"] = finance["chart"]
    return written


def write_map_file(plan: Plan, dataset: Dataset, out_dir: Path, **options: Any) -> Path:
    """:func:`maps.route_map.write_map`, imported here only when a map is wanted (folium)."""
    from .route_map import write_map

    return write_map(plan, dataset, out_dir, **options)


def map_command(
    dataset: DatasetArg,
    plan: PlanArg,
    out: OutOpt = Path("outputs/map"),
    names: Annotated[bool, typer.Option("--names", help="Show pupils' full names")] = False,
    roads: Annotated[bool, typer.Option("--roads/--no-roads", help="Draw along roads")] = True,
    tiles: Annotated[
        str | None, typer.Option(help="Tile URL template, e.g. a local server")
    ] = None,
    tiles_attribution: Annotated[str | None, typer.Option(help="Attribution of the tiles")] = None,
) -> None:
    """Write the plan's map (HTML that works offline) into --out."""
    ds, (pl,) = _load(dataset, [plan])
    try:
        graph = _load_graph(ds) if roads else None
        options = _map_options(pl, graph)
        if tiles:
            options.pop("basemap_lines", None)
        page = write_map_file(
            pl,
            ds,
            out,
            show_names=names,
            tile_url=tiles,
            tile_attribution=tiles_attribution,
            **options,
        )
    except SendRoutesError as exc:
        _fail(exc)
    typer.echo(f"map: {page}")


def sheets_command(
    dataset: DatasetArg, plan: PlanArg, out: OutOpt = Path("outputs/sheets")
) -> None:
    """Write each operator's route sheets (PDF and CSV) into --out."""
    ds, (pl,) = _load(dataset, [plan])
    for path in write_route_sheets(pl, ds, out):
        typer.echo(f"sheet: {path}")


def finance_command(
    dataset: DatasetArg, plan: PlanArg, out: OutOpt = Path("outputs/finance")
) -> None:
    """Write the finance report (HTML, CSV, XLSX, ride-time chart) into --out."""
    ds, (pl,) = _load(dataset, [plan])
    for kind, path in write_finance_report(pl, ds, out).items():
        typer.echo(f"{kind}: {path}")


def compare_command(
    dataset: DatasetArg,
    plan_a: Annotated[Path, typer.Argument(help="The current plan.json")],
    plan_b: Annotated[Path, typer.Argument(help="The proposed plan.json")],
    out: Annotated[Path | None, typer.Option("--out", help="Also write comparison.txt")] = None,
) -> None:
    """Compare two plans: cost, vehicles, km, CO2, solo journeys, ride times, changed routes."""
    ds, (a, b) = _load(dataset, [plan_a, plan_b])
    text = compare_plans(a, b, ds).text()
    typer.echo(text)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "comparison.txt").write_text(text + "\n", encoding="utf-8")


COMMANDS: dict[str, Callable[..., None]] = {
    "map": map_command,
    "sheets": sheets_command,
    "finance": finance_command,
    "compare": compare_command,
}


def register(app: typer.Typer) -> typer.Typer:
    """Mount the output commands on another Typer app (the main ``send-routes`` CLI)."""
    for name, command in COMMANDS.items():
        app.command(name)(command)
    return app


app = register(typer.Typer(help="Outputs of a plan: map, route sheets, finance, comparison."))
