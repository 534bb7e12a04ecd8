"""The ``validate`` command: check a plan file against its dataset and print what it breaks.

Exit codes: 0 the plan keeps every rule, 1 it breaks at least one (or the plan file does not
follow the format), 2 the dataset or road network could not be read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from optimiser.domain.entities import Dataset
from optimiser.domain.errors import PlanFormatError, SendRoutesError
from optimiser.domain.money import format_pounds
from optimiser.plan.document import Plan, load_plan
from optimiser.roads.travel import TravelData, build_travel
from optimiser.validate.validator import plan_costs, validate_plan, violations_by_cause
from send_routes.terminal import Output


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def print_costs(costs: dict, console: Console) -> None:
    """Print the totals of :func:`optimiser.validate.validator.plan_costs`, one line each."""
    vehicles = ", ".join(f"{s} {n}" for s, n in costs["vehicles"].items()) or "none"
    console.print("[bold]Recomputed costs[/bold]")
    console.print(f"  cost per day: {format_pounds(costs['cost_per_day_pence'])}")
    console.print(
        f"  cost per year: {format_pounds(costs['cost_per_year_pence'])}"
        f" ({costs['school_days_per_year']} school days)"
    )
    if "agreed_cost_per_day_pence" in costs:
        console.print(
            f"  at the agreed prices: {format_pounds(costs['agreed_cost_per_day_pence'])} per day,"
            f" {format_pounds(costs['agreed_cost_per_year_pence'])} per year"
            f" ({_count(costs['routes_with_agreed_price'], 'route')} at an agreed price,"
            " the others at the fleet's prices)"
        )
    console.print(f"  distance per day: {costs['km_per_day']:.1f} km")
    console.print(f"  CO2 per day: {costs['co2_kg_per_day']:.1f} kg")
    console.print(f"  routes: {costs['routes']}; vehicles used: {vehicles}")
    for title, buckets in (("operator", costs["by_operator"]), ("type", costs["by_vehicle_type"])):
        for name, b in buckets.items():
            used = ", ".join(f"{s} {n}" for s, n in b["vehicles"].items())
            console.print(
                f"  by {title} {escape(name)}: {format_pounds(b['cost_per_day_pence'])} per day,"
                f" {b['km']:.1f} km, {_count(b['routes'], 'route')}, vehicles {used}"
            )
    if costs["unpriced_routes"]:
        console.print(
            "  priced as stated (unknown fleet row or place): "
            + ", ".join(escape(r) for r in costs["unpriced_routes"])
        )


def report_validation(dataset: Dataset, travel: TravelData, plan: Plan, console: Console) -> int:
    """Check a plan, print its violations grouped by cause and its recomputed costs.

    Parameters
    ----------
    dataset : Dataset
        The dataset the plan was made for.
    travel : TravelData
        Its locations and matrices.
    plan : Plan
        The plan to check.
    console : rich.console.Console
        Where to print.

    Returns
    -------
    int
        The exit code: 1 if the plan breaks any rule, else 0.
    """
    violations = validate_plan(dataset, travel, plan)
    if violations:
        n = len(violations)
        console.print(f"[bold red]{n} violation{'s' if n != 1 else ''}[/bold red]")
        for cause, found in violations_by_cause(violations).items():
            console.print(f"[bold]{cause}[/bold] ({len(found)})")
            for v in found:
                console.print(f"  - {escape(v.message)}")
    else:
        console.print("[bold green]The plan keeps every rule.[/bold green]")
    print_costs(plan_costs(dataset, travel, plan), console)
    return 1 if violations else 0


def validate(
    dataset: Annotated[Path, typer.Argument(help="Dataset folder or workbook.")],
    plan: Annotated[Path, typer.Argument(help="plan.json to check.")],
) -> None:
    """Check a plan against every rule; exit 1 if it breaks any."""
    # Imported here: the loader brings in geocoding, which checking a loaded plan does not need.
    from optimiser.dataset.loading import load_dataset

    console = Output()
    try:
        data = load_dataset(dataset)
        travel = build_travel(data)
    except SendRoutesError as exc:
        console.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2) from None
    try:
        loaded = load_plan(plan)
    except PlanFormatError as exc:
        console.print("[bold]format[/bold]")
        for problem in exc.problems:
            console.print(f"  - {escape(problem)}")
        raise typer.Exit(1) from None
    raise typer.Exit(report_validation(data, travel, loaded, console))


app = typer.Typer(add_completion=False, rich_markup_mode=None)
app.command()(validate)
