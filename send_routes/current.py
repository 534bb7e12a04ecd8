"""The ``current`` commands: a council's current routes in (scored as a plan) and out.

``send-routes current import DATASET ROUTES.csv --out DIR`` reads the routes
(``docs/current_routes.md``), writes them as ``DIR/plan.json`` and the validator's findings as
``DIR/validation.json``, and prints violations by cause and the costs, at the fleet's prices and
at the agreed ones. ``send-routes current export PLAN.json --out routes.csv`` writes any plan in
the same format. Exit codes: 0 done, 2 the dataset, road network, routes or plan could not be read.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from optimiser.domain.errors import PlanFormatError, SendRoutesError
from optimiser.plan.document import load_plan
from send_routes.terminal import Output, by_file_and_row

app = typer.Typer(
    help="A council's current routes: import them as a scored plan, or export a plan as them.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


def _fail(console: Console, exc: SendRoutesError) -> None:
    problems = getattr(exc, "problems", None)
    if problems:
        console.print(f"[bold red]{len(problems)} problem(s):[/bold red]")
        for problem in by_file_and_row(problems):
            console.print(f"  {escape(str(problem))}", highlight=False)
    else:
        console.print(f"[bold red]Error:[/bold red] {escape(str(exc))}")
    raise typer.Exit(2)


def validation_document(violations: list[Any], costs: dict[str, Any], notes: list[Any]) -> dict:
    """What ``validation.json`` holds: violations by cause, recomputed costs, stated times."""
    return {
        "valid": not violations,
        "violations_by_cause": dict(Counter(v.cause for v in violations)),
        "violations": [
            {
                "cause": v.cause,
                "message": v.message,
                "route_id": v.route_id,
                "pupil_id": v.pupil_id,
                "session": v.session,
            }
            for v in violations
        ],
        "costs": costs,
        "stated_times_differing": [str(n) for n in notes],
    }


@app.command("import")
def import_command(
    dataset: Annotated[Path, typer.Argument(help="Dataset folder or .xlsx workbook")],
    routes: Annotated[Path, typer.Argument(help="Current routes: .csv, or .xlsx (sheet 'routes')")],
    out: Annotated[Path, typer.Option("--out", help="Folder for plan.json and validation.json")],
) -> None:
    """Read current routes, time them on the roads, score them, write plan.json."""
    from optimiser.dataset.loading import load_dataset
    from optimiser.plan.current import read_current_routes
    from optimiser.roads.travel import build_travel
    from optimiser.validate.validator import plan_costs, validate_plan
    from send_routes.validate import report_validation

    console = Output()
    try:
        data = load_dataset(dataset)
        travel = build_travel(data)
        current = read_current_routes(routes, data, travel)
    except SendRoutesError as exc:
        _fail(console, exc)
        raise  # unreachable: _fail exits
    plan = current.plan
    out.mkdir(parents=True, exist_ok=True)
    plan.write(out / "plan.json")
    carried = sum(len(r.pupil_ids) for r in plan.routes)
    console.print(
        f"[bold]Current routes[/bold]: {len(plan.routes)} routes carry {carried} journeys;"
        f" {len(plan.unassigned)} journeys of the dataset are on none"
    )
    for group in plan.split_groups:
        console.print(f"  {escape(group.reason)} ({group.session})", highlight=False)
    report_validation(data, travel, plan, console)
    if current.time_notes:
        console.print(
            f"[bold]{len(current.time_notes)} stated times differ from the road model by more"
            " than 10 minutes[/bold]"
        )
        for note in current.time_notes:
            console.print(f"  - {escape(str(note))}", highlight=False)
    document = validation_document(
        validate_plan(data, travel, plan), plan_costs(data, travel, plan), current.time_notes
    )
    (out / "validation.json").write_text(
        json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    console.print(f"Wrote {out / 'plan.json'} and {out / 'validation.json'}")


@app.command("export")
def export_command(
    plan: Annotated[Path, typer.Argument(help="plan.json to write as current routes")],
    out: Annotated[Path, typer.Option("--out", help="routes.csv, or routes.xlsx")] = Path(
        "routes.csv"
    ),
) -> None:
    """Write a plan as current routes: one row per pupil on a route, in pick-up order."""
    from optimiser.plan.current import write_current_routes

    console = Output()
    try:
        loaded = load_plan(plan)
    except PlanFormatError as exc:
        _fail(console, exc)
        raise  # unreachable: _fail exits
    path = write_current_routes(loaded, out)
    rows = sum(len(r.pupil_ids) for r in loaded.routes)
    console.print(f"Wrote {path}: {len(loaded.routes)} routes, {rows} rows")
