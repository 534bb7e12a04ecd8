"""``send-routes serve``: run the web service."""

from __future__ import annotations

from typing import Annotated

import typer


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    database_url: Annotated[
        str | None,
        typer.Option(help="SQLAlchemy URL (default: DATABASE_URL, else an SQLite file)"),
    ] = None,
) -> None:
    """Serve the planning API (one process; solves run in worker processes)."""
    import uvicorn

    from api.main import create_app
    from api.settings import ServiceSettings

    settings = ServiceSettings.from_env().with_overrides(database_url=database_url)
    typer.echo(f"database: {settings.db_url.split('@')[-1]}; roads: {settings.road_network}")
    uvicorn.run(create_app(settings), host=host, port=port, workers=1)


app = typer.Typer(add_completion=False, rich_markup_mode=None)
app.command()(serve)

if __name__ == "__main__":  # pragma: no cover
    app()
