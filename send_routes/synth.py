"""``send-routes synth``: seeded synthetic Isle of Wight datasets, and the school list they use.

send-routes synth cohort --pupils 500 --seed 2026 --out sample_data/isle_of_wight
send-routes synth cohort --pupils 600 --seed 7 --fleet-scale 0.35 --out short-fleet/
send-routes synth schools ../shared/osm/isle-of-wight-latest.osm.pbf --out schools.csv
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="Seeded synthetic datasets (invented children, real places).", rich_markup_mode=None
)


@app.command("cohort")
def cohort(
    out: Annotated[Path, typer.Option("--out", help="Dataset folder to write")],
    pupils: Annotated[int, typer.Option(min=1, help="Cohort size")] = 500,
    seed: Annotated[int, typer.Option(help="Random seed")] = 2026,
    fleet_scale: Annotated[
        float | None,
        typer.Option(min=0.01, help="Fleet counts as a multiple of the 500-pupil fleet's"),
    ] = None,
    network: Annotated[
        str | None, typer.Option(help="[roads] network path (default: the sample's)")
    ] = None,
) -> None:
    """Write a synthetic Isle of Wight dataset (the fleet scales with the cohort by default)."""
    from optimiser.synth.generate import write_isle_of_wight_dataset

    folder = write_isle_of_wight_dataset(
        out, pupils, seed, network=network, fleet_scale=fleet_scale
    )
    typer.echo(f"wrote {pupils} pupils (seed {seed}) to {folder}")


@app.command("schools")
def schools(
    pbf: Annotated[Path, typer.Argument(help="An .osm.pbf extract")],
    out: Annotated[Path, typer.Option("--out", help="schools.csv to write")],
) -> None:
    """Extract the schools of an OpenStreetMap extract into schools.csv (a maintainer's tool)."""
    from optimiser.synth.schools import extract_schools, write_schools_csv

    rows = extract_schools(pbf)
    write_schools_csv(rows, out)
    typer.echo(f"wrote {len(rows)} schools to {out}")
