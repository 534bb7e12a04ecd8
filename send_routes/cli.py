"""The ``send-routes`` command line."""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from optimiser.domain.entities import (
    GUIDANCE_RIDE_MIN_PRIMARY,
    GUIDANCE_RIDE_MIN_SECONDARY,
    Dataset,
    Session,
)
from optimiser.domain.errors import InputError, PlanFormatError, SendRoutesError
from optimiser.domain.money import format_pounds, pence_from_pounds
from optimiser.plan.document import Plan
from send_routes.terminal import Output, ProgressDisplay, by_file_and_row

app = typer.Typer(
    help="Plan SEND home-to-school transport: shared, safe, explainable routes.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,  # plain help: no boxes, and no type shown for a flag
)
console = Output()
err = Output(stderr=True)

# Expected seconds to write the outputs (map, sheets, finance): a first guess, per pupil.
WRITING_FLOOR_S, WRITING_S_PER_PUPIL = 2.0, 0.02

DatasetArg = Annotated[Path, typer.Argument(help="Dataset folder or .xlsx workbook")]


def _fail(exc: Exception) -> None:
    """Print an error as one clear line per problem and exit non-zero."""
    if isinstance(exc, InputError):
        err.print(f"[bold red]{len(exc.problems)} problem(s) in the input:[/]")
        for p in by_file_and_row(exc.problems):
            err.print(f"  {p}", markup=False, highlight=False)
    elif isinstance(exc, PlanFormatError):
        err.print("[bold red]The plan file is not valid:[/]")
        for p in exc.problems:
            err.print(f"  {p}", markup=False, highlight=False)
    else:
        err.print(f"[bold red]Error:[/] {exc}", highlight=False)
    raise typer.Exit(2)


def _load(path: Path) -> Dataset:
    from optimiser.dataset.loading import load_dataset

    try:
        return load_dataset(path)
    except SendRoutesError as exc:
        _fail(exc)
        raise  # unreachable: _fail exits


@app.command()
def check(dataset: DatasetArg) -> None:
    """Load a dataset, geocode, snap to the roads and build the travel matrices; print a summary."""
    from optimiser.roads.network import load_network
    from optimiser.roads.travel import build_travel, describe_key, network_path

    started = time.perf_counter()
    data = _load(dataset)
    loaded_s = time.perf_counter() - started
    try:
        t0 = time.perf_counter()
        graph = load_network(network_path(data))
        graph_s = time.perf_counter() - t0
        travel = build_travel(data, graph)
    except SendRoutesError as exc:
        _fail(exc)
    console.print(f"[bold]Dataset {data.name}[/]: loaded and checked in {loaded_s:.1f} s")
    table = Table(title="Pupils by school and need")
    for column in ("school", "pupils", "wheelchair", "PA", "solo", "grouped", "own ride limit"):
        table.add_column(column, justify="left" if column == "school" else "right")
    by_school: dict[str, list] = {}
    for p in data.pupils:
        by_school.setdefault(p.school_id, []).append(p)
    for school_id, pupils in sorted(by_school.items(), key=lambda kv: -len(kv[1])):
        table.add_row(
            f"{data.schools[school_id].name} ({school_id})",
            str(len(pupils)),
            str(sum(p.wheelchair for p in pupils)),
            str(sum(p.passenger_assistant for p in pupils)),
            str(sum(p.solo for p in pupils)),
            str(sum(bool(p.group) for p in pupils)),
            str(sum(p.max_ride_min is not None for p in pupils)),
        )
    console.print(table)
    sessions = Counter(s for p in data.pupils for s in p.sessions)
    console.print(f"Journeys: {sessions[Session.AM]} AM, {sessions[Session.PM]} PM")
    fleet = Table(title="Fleet (per session)")
    for column in ("operator", "type", "seats", "wheelchair spaces", "count", "£/session", "£/km"):
        fleet.add_column(column)
    for vt in data.fleet:
        fleet.add_row(
            vt.operator,
            vt.vehicle_type,
            str(vt.seats),
            str(vt.wheelchair_spaces),
            str(vt.count),
            f"{vt.cost_per_session_pence / 100:.2f}",
            f"{vt.cost_per_km_pence / 100:.2f}",
        )
    console.print(fleet)
    console.print(
        f"Road graph: {graph.n_nodes:,} nodes, {graph.n_edges:,} edges (loaded in {graph_s:.1f} s)"
    )
    snaps = sorted(travel.snap_m.values())
    console.print(
        f"Snapped {len(snaps)} places: median {snaps[len(snaps) // 2]:.0f} m, "
        f"max {snaps[-1]:.0f} m to the nearest road"
    )
    for key, metres in travel.far_snaps():
        console.print(
            f"  [yellow]warning[/]: {describe_key(key, data)} is {metres:.0f} m from a road"
        )
    k = len(travel.node_positions)
    console.print(f"Travel matrices: {k} x {k} built in {travel.build_s:.2f} s")


@app.command()
def plan(
    dataset: DatasetArg,
    out: Annotated[Path, typer.Option(help="Folder for plan.json and the outputs")] = Path("out"),
    time_limit: Annotated[
        float | None, typer.Option(help="Search time per session, seconds (default: settings)")
    ] = None,
    workers: Annotated[int | None, typer.Option(help="Parallel solver processes")] = None,
) -> None:
    """Plan both sessions of a dataset, validate the plan, and write plan.json and the outputs."""
    from maps.outputs import write_all_outputs
    from optimiser.planner import plan_dataset
    from optimiser.roads.network import load_network
    from optimiser.roads.travel import network_path
    from optimiser.solver.params import SearchParameters
    from optimiser.solver.progress import ProgressTracker

    display = ProgressDisplay(err)
    tracker = ProgressTracker(display)
    try:
        data = _load(dataset)
        limit = time_limit if time_limit is not None else data.settings.time_limit_s
        tracker.budget("writing", WRITING_FLOOR_S + WRITING_S_PER_PUPIL * len(data.pupils))
        display.console.print(
            f"Planning {data.name}: {len(data.pupils)} pupils, {limit:.0f} s of search per session",
            markup=False,
        )
        params = SearchParameters(time_limit_s=limit)
        result = plan_dataset(data, params=params, workers=workers, progress=tracker)
        tracker.enter("writing")
        out.mkdir(parents=True, exist_ok=True)
        result.plan.write(out / "plan.json")
        written = write_all_outputs(
            result.plan, data, result.travel, load_network(network_path(data)), out
        )
        tracker.finish()
    except SendRoutesError as exc:
        display.close()
        _fail(exc)
    finally:
        display.close()
    print_summary(result.plan)
    console.print(f"Wrote {out / 'plan.json'} (validated: 0 violations) in {result.wall_s:.0f} s")
    for key in ("map", "sheets", "finance", "finance_xlsx", "ride_times_chart"):
        if key in written:
            console.print(f"Wrote {written[key]}")
    if "failed" in written:  # each output renders on its own; the others were written
        failures = written["failed"].read_text(encoding="utf-8")
        console.print(f"[red]Some outputs failed[/] (listed in {written['failed']}):\n{failures}")


def print_summary(plan: Plan) -> None:
    """The summary a transport manager reads."""
    s = plan.summary
    console.print(
        f"[bold]Journeys[/]: {s['placed']} of {s['journeys']} placed"
        + (f", [red]{s['unplaced']} not placed[/]" if s["unplaced"] else "")
    )
    for u in plan.unassigned:
        console.print(f"  not placed: {u.pupil_id} ({u.session}): {u.reason}", highlight=False)
    for g in plan.split_groups:
        console.print(
            f"  travels apart: group {g.group} ({g.session}): {g.reason}", highlight=False
        )
    vehicles = ", ".join(f"{n} {t}" for t, n in s["vehicles_by_type"].items())
    console.print(f"[bold]Vehicles[/]: {s['vehicles_am']} AM + {s['vehicles_pm']} PM ({vehicles})")
    operators = ", ".join(f"{o}: {n}" for o, n in s["vehicles_by_operator"].items())
    console.print(f"  by operator: {operators}")

    def money(key: str, decimals: int = 0) -> str:  # plan.json states pounds
        return format_pounds(pence_from_pounds(s[key]), decimals=decimals)

    console.print(
        f"[bold]Cost[/]: {money('cost_per_day', 2)} a day, {money('cost_per_year')} a year "
        f"({s['school_days_per_year']} days); {money('cost_per_pupil_per_year')} per pupil a year"
    )
    console.print(
        # a plan dearer than the baseline has always printed its saving as "£-1,234"
        f"  solo baseline {money('baseline_cost_per_year')} a year: saving "
        f"£{s['saving_per_year']:,.0f} ({s['saving_percent']:.1f}%)"
    )
    console.print(
        f"[bold]Distance[/]: {s['km_per_day']:,.0f} km a day, "
        f"CO2 {s['co2_kg_per_day']:,.0f} kg a day"
    )
    console.print(
        f"[bold]Ride times[/]: mean {s['ride_min_mean']:.0f} min, max {s['ride_min_max']:.0f} min; "
        f"{s['over_guidance']} journeys over the {GUIDANCE_RIDE_MIN_PRIMARY}/"
        f"{GUIDANCE_RIDE_MIN_SECONDARY}-minute guidance; "
        f"{s['solo_journeys']} routes carry one pupil"
    )
    if "ride_ratio_mean" in s:
        console.print(
            f"  ride against the direct drive: mean x{s['ride_ratio_mean']:.2f}, "
            f"95th percentile x{s['ride_ratio_p95']:.2f}; "
            f"{s['over_detour']} journeys over their fair detour"
        )
        worst = ", ".join(
            f"{d['pupil_id']} {d['session']} {d['ride_min']:.0f} min (direct {d['direct_min']:.0f})"
            for d in s["largest_detours"][:5]
        )
        if worst:
            console.print(f"  largest detours: {worst}")
    if s.get("both_ways"):
        both = s["both_ways"]

        def share(key: str) -> str:
            return f"{s[key]} ({100 * s[key] / both:.0f}%)"

        console.print(
            f"[bold]Both ways[/]: {both} pupils; same vehicle {share('same_vehicle_both_ways')}, "
            f"same operator {share('same_operator_both_ways')}, "
            f"same fellow passengers {share('same_passengers_both_ways')}"
        )
        alone = s.get("planned_alone")
        if alone:
            # The same run's sessions planned on their own, in the first of the plan's searches:
            # what the same crew both ways costs against them (a longer search alone is cheaper).
            base = pence_from_pounds(alone["cost_per_day"])
            extra = pence_from_pounds(s["cost_per_day"]) - base
            console.print(
                "  each session planned alone in the plan's first search: "
                f"same vehicle {alone['same_vehicle_both_ways']} "
                f"({100 * alone['same_vehicle_both_ways'] / both:.0f}%), "
                f"{format_pounds(base, decimals=2)} a day, {alone['placed']} journeys placed; "
                f"the same crew both ways {'costs' if extra >= 0 else 'saves'} "
                f"{format_pounds(abs(extra), decimals=2)} a day ({100 * extra / base:+.1f}%)"
            )


def _mount() -> None:
    """Commands that live beside the stage they belong to."""
    from send_routes.current import app as current_app
    from send_routes.outputs import register
    from send_routes.replan import replan_command
    from send_routes.roads import app as roads_app
    from send_routes.serve import serve
    from send_routes.synth import app as synth_app
    from send_routes.users import app as users_app
    from send_routes.validate import validate

    app.add_typer(roads_app, name="roads")
    app.add_typer(current_app, name="current")
    app.command("replan")(replan_command)
    app.add_typer(synth_app, name="synth")
    app.command("serve")(serve)
    app.add_typer(users_app, name="users")
    app.command("validate")(validate)
    register(app)


_mount()


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover
        sys.exit(130)


if __name__ == "__main__":
    main()
