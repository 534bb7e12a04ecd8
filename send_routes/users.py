"""``send-routes users``: add and list the service's users (tokens are printed once)."""

from __future__ import annotations

from typing import Annotated

import typer

from api.auth import Role

app = typer.Typer(
    help="Manage the service's users and their tokens.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

DatabaseOpt = Annotated[
    str | None,
    typer.Option(help="SQLAlchemy URL (default: DATABASE_URL, else the service's SQLite file)"),
]


def _sessions(database_url: str | None):
    from api.db import make_engine, session_factory
    from api.migrations import upgrade
    from api.settings import ServiceSettings

    settings = ServiceSettings.from_env().with_overrides(database_url=database_url)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.db_url)
    upgrade(engine)
    return session_factory(engine)


@app.command("add")
def add(
    name: Annotated[str | None, typer.Argument(help="Who the user is (for the audit log)")] = None,
    role: Annotated[Role, typer.Option(help="officer, finance or operator")] = Role.OFFICER,
    operator: Annotated[
        str | None, typer.Option(help="For an operator: its name as in the fleet table")
    ] = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Add a user and print their token (shown once; only its SHA-256 digest is stored)."""
    from api import audit
    from api.auth import create_user
    from api.db import transaction

    sessions = _sessions(database_url)
    label = name or (operator if role is Role.OPERATOR and operator else str(role))
    try:
        with transaction(sessions) as db:
            token = create_user(db, label, role, operator)
            audit.record(
                db, None, "user.add", f"user/{label}", detail=f"role {role} {operator or ''}"
            )
    except ValueError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from None
    typer.echo(token)


@app.command("list")
def list_users(database_url: DatabaseOpt = None) -> None:
    """List users (never their tokens)."""
    from sqlalchemy import select

    from api.db import User

    with _sessions(database_url)() as db:
        for user in db.scalars(select(User).order_by(User.id)):
            extra = f" ({user.operator})" if user.operator else ""
            state = "" if user.active else " [disabled]"
            typer.echo(f"{user.id}\t{user.role}{extra}\t{user.name}{state}")


if __name__ == "__main__":  # pragma: no cover
    app()
