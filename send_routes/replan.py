"""``send-routes replan DATASET --current PLAN --out DIR``: re-plan from the routes run today.

Keeps today's routes wherever they still hold, places new pupils and pupils who moved, drops
leavers, repairs routes that break a rule, and changes a pupil's vehicle elsewhere only where it
saves more than the price per change (``[costs] replan_per_change``, or ``--price``). Writes
``DIR/plan.json`` (validated), ``DIR/changes.csv`` (each journey that changes, with why) and, with
``--notices --effective YYYY-MM-DD``, the families' and schools' notices in ``DIR/notices/``
(docs/replan.md). Exit codes: 0 done, 1 the plan failed validation (a defect), 2 the dataset,
road network or current routes could not be read, or a wrong option.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from optimiser.domain.errors import SendRoutesError


def replan_command(
    dataset: Annotated[Path, typer.Argument(help="Today's dataset: folder or .xlsx workbook")],
    current: Annotated[
        Path,
        typer.Option(help="The routes run today: plan.json, or current routes (.csv or .xlsx)"),
    ],
    out: Annotated[Path, typer.Option(help="Folder for plan.json, changes.csv, notices")] = Path(
        "out"
    ),
    lock: Annotated[
        list[str] | None,
        typer.Option(help="A pupil who stays on their current vehicle (repeat for more)"),
    ] = None,
    price: Annotated[
        float | None,
        typer.Option(help="£ a day per pupil whose vehicle changes (default: settings)"),
    ] = None,
    time_limit: Annotated[
        float | None, typer.Option(help="Search time per session, seconds (default: settings)")
    ] = None,
    notices: Annotated[
        bool, typer.Option("--notices", help="Write change notices for families and schools")
    ] = False,
    effective: Annotated[
        str | None, typer.Option(help="Date the new plan takes effect, YYYY-MM-DD (notices)")
    ] = None,
) -> None:
    """Re-plan from the routes run today, changing only what must change or what pays."""
    from optimiser.dataset.loading import load_dataset
    from optimiser.planner import InvalidPlanError
    from optimiser.replan import read_current, replan
    from optimiser.roads.travel import build_travel
    from optimiser.solver.params import SearchParameters

    console = Console()
    if notices:
        try:
            date.fromisoformat(effective or "")
        except ValueError:
            console.print("[bold red]Error:[/bold red] --notices needs --effective YYYY-MM-DD")
            raise typer.Exit(2) from None
    try:
        data = load_dataset(dataset)
        travel = build_travel(data)
        plan, gone = read_current(current, data, travel)
    except SendRoutesError as exc:
        from send_routes.current import _fail

        _fail(console, exc)
        raise  # unreachable: _fail exits
    if gone:
        console.print(
            f"{len(gone)} rows of pupils no longer travelling left out: {', '.join(gone)}"
        )
    unknown = sorted(set(lock or ()) - {p.pupil_id for p in data.pupils})
    if unknown:
        console.print(f"[bold red]Error:[/bold red] --lock names unknown pupils: {unknown}")
        raise typer.Exit(2)
    limit = time_limit if time_limit is not None else data.settings.time_limit_s
    pence = None if price is None else int(round(price * 100))
    console.print(
        f"Re-planning {data.name} from {len(plan.routes)} current routes: {limit:.0f} s per session"
    )
    try:
        result = replan(
            data,
            plan,
            travel=travel,
            params=SearchParameters(time_limit_s=limit),
            locked=lock or (),
            price_pence=pence,
        )
    except InvalidPlanError as exc:
        console.print(f"[bold red]Error:[/bold red] {escape(str(exc))}")
        raise typer.Exit(1) from None
    out.mkdir(parents=True, exist_ok=True)
    result.plan.write(out / "plan.json")
    from maps.safe_cells import csv_text

    (out / "changes.csv").write_text(csv_text(result.csv_text()), encoding="utf-8")
    summary = result.plan.summary
    console.print(
        f"Plan: {summary['placed']} of {summary['journeys']} journeys placed,"
        f" {summary['vehicles']} vehicles, £{summary['cost_per_day']:,.2f} a day"
        f" (today's routes: £{plan.summary.get('cost_per_day', 0):,.2f})"
    )
    for line in result.summary_lines():
        console.print(line, highlight=False)
    for item in result.plan.unassigned:
        console.print(f"  not placed: {item.pupil_id} {item.session}: {escape(item.reason)}")
    console.print(f"Wrote {out / 'plan.json'} (validated: 0 violations) and {out / 'changes.csv'}")
    if notices:
        from maps.notices import write_notices

        written = write_notices(result.changes, data, effective or "", out / "notices")
        console.print(
            f"Wrote {written['pdf']}, {written['csv']} and {len(written) - 2} school lists"
        )
