"""Command-line commands for the outputs of a plan: ``map``, ``sheets``, ``finance``, ``compare``.

Mounted on the main CLI with :func:`register`. The ``plan`` command calls
:func:`maps.outputs.write_all_outputs` after writing ``plan.json``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from maps.finance import compare_plans
from maps.outputs import map_options, write_map_file
from maps.safe_cells import csv_text
from maps.sheets import write_route_sheets
from optimiser.domain.entities import Dataset
from optimiser.domain.errors import InputError, PlanFormatError, SendRoutesError
from optimiser.plan.document import Plan

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
    from optimiser.dataset.loading import load_dataset  # loading pulls in geocoding tables
    from optimiser.plan.document import load_plan

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
    from optimiser.roads.network import (
        load_network,  # the road-graph stack is heavy; load on demand
    )

    return load_network(Path(network))


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
        options = map_options(pl, graph)
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
    dataset: DatasetArg,
    plan: PlanArg,
    out: OutOpt = Path("outputs/finance"),
    current: Annotated[
        Path | None,
        typer.Option(help="plan.json of the current routes: also cost the plan against them"),
    ] = None,
) -> None:
    """Write the finance report (HTML, CSV, XLSX, ride-time chart) into --out."""
    from maps.finance_output import write_finance_report  # matplotlib and openpyxl, when wanted

    ds, plans = _load(dataset, [plan] if current is None else [plan, current])
    now = plans[1] if current is not None else None
    for kind, path in write_finance_report(plans[0], ds, out, current=now).items():
        typer.echo(f"{kind}: {path}")


def figures_text(rows: list[tuple[str, float, float, float]]) -> str:
    """The compared figures as a plain-text table: current, proposed and the change."""
    out = [f"{'':26}{'current':>14}{'proposed':>14}{'change':>14}"]
    for name, x, y, d in rows:
        places = 2 if "£" in name else (1 if isinstance(x, float) else 0)
        out.append(f"{name:26}{x:>14,.{places}f}{y:>14,.{places}f}{d:>+14,.{places}f}")
    return "\n".join(out)


def compare_command(
    dataset: DatasetArg,
    plan_a: Annotated[Path, typer.Argument(help="The current plan.json")],
    plan_b: Annotated[Path, typer.Argument(help="The proposed plan.json")],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Also write comparison.txt and pupil_changes.csv here"),
    ] = None,
) -> None:
    """Compare two plans: cost, vehicles, km, CO2, ride times, and what changes for each pupil.

    Routes are matched by the pupils they carry, not by their ids (renumbered on every solve).
    """
    ds, (a, b) = _load(dataset, [plan_a, plan_b])
    comparison = compare_plans(a, b, ds)
    by_pupil = comparison.by_pupil
    text = figures_text(comparison.rows()) + "\n\n" + by_pupil.text()
    typer.echo(text)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "comparison.txt").write_text(text + "\n", encoding="utf-8")
        (out / "pupil_changes.csv").write_text(csv_text(by_pupil.csv_text()), encoding="utf-8")
        typer.echo(f"Wrote {out / 'comparison.txt'} and {out / 'pupil_changes.csv'}")


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


app = register(
    typer.Typer(
        help="Outputs of a plan: map, route sheets, finance, comparison.", rich_markup_mode=None
    )
)
