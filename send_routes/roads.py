"""``send-routes roads``: build the compact road graph (and the map's place names) from an
OpenStreetMap extract.

Mounted by the main CLI as ``send-routes roads``; also runs on its own::

    python -m send_routes.roads import isle-of-wight-latest.osm.pbf --out roads.npz
    python -m send_routes.roads places isle-of-wight-latest.osm.pbf --out place_names.json
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from optimiser.domain.errors import InputError
from optimiser.roads.network import import_osm, save_graph

app = typer.Typer(
    help="Road networks from OpenStreetMap extracts.", no_args_is_help=True, rich_markup_mode=None
)


@app.callback()
def roads() -> None:
    """Road networks from OpenStreetMap extracts."""
    # a callback keeps "import" a named subcommand even while it is the only one


@app.command("import")
def import_command(
    source: Annotated[Path, typer.Argument(help="OpenStreetMap extract: .osm.pbf or .osm")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Road graph file to write (.npz)")],
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only print the summary")] = False,
) -> None:
    """Import the drivable roads of an OpenStreetMap extract into a compact road graph."""
    started = time.perf_counter()

    def progress(message: str) -> None:
        if not quiet:
            typer.echo(f"[{time.perf_counter() - started:6.1f} s] {message}", err=True)

    try:
        graph = import_osm(source, progress=progress)
        out.parent.mkdir(parents=True, exist_ok=True)
        save_graph(graph, out)
    except InputError as exc:
        for problem in exc.problems:
            typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(code=1) from exc
    elapsed = time.perf_counter() - started
    size_mb = out.stat().st_size / 1e6
    typer.echo(
        f"{graph.n_nodes:,} nodes, {graph.n_edges:,} edges; imported in {elapsed:.1f} s; "
        f"wrote {out} ({size_mb:.1f} MB)"
    )


@app.command("places")
def places_command(
    source: Annotated[Path, typer.Argument(help="OpenStreetMap extract: .osm.pbf or .osm")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Place names file to write (.json)")],
) -> None:
    """Write the extract's town and village names (for labelling maps) with their provenance."""
    from optimiser.roads.places import write_places

    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        places = write_places(source, out)
    except InputError as exc:
        for problem in exc.problems:
            typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(code=1) from exc
    typer.echo(f"{len(places)} place names; wrote {out}")


if __name__ == "__main__":
    app()
