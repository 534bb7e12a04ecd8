"""``send-routes users``: add, list, disable, enable and rotate the service's users (tokens are
printed once)."""

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


UserArg = Annotated[str, typer.Argument(help="The user's id (see `users list`) or exact name")]


def _change(database_url: str | None, who: str, change, action: str) -> object:
    """Apply ``change(db, user)`` to one user in a transaction, audited; exit 2 if unknown."""
    from api import audit
    from api.auth import find_user
    from api.db import transaction

    with transaction(_sessions(database_url)) as db:
        user = find_user(db, who)
        if user is None:
            typer.secho(f"error: no user {who!r}", fg="red", err=True)
            raise typer.Exit(2)
        result = change(db, user)
        audit.record(db, None, action, f"user/{user.id}", detail=user.name)
    return result


@app.command("disable")
def disable(who: UserArg, database_url: DatabaseOpt = None) -> None:
    """Disable a user: their token stops working and their browser sessions end."""
    from api.auth import set_active

    _change(database_url, who, lambda db, user: set_active(db, user, False), "user.disable")
    typer.echo(f"disabled {who}")


@app.command("enable")
def enable(who: UserArg, database_url: DatabaseOpt = None) -> None:
    """Enable a disabled user again (with the token they had)."""
    from api.auth import set_active

    _change(database_url, who, lambda db, user: set_active(db, user, True), "user.enable")
    typer.echo(f"enabled {who}")


@app.command("rotate")
def rotate(who: UserArg, database_url: DatabaseOpt = None) -> None:
    """Give a user a new token and print it once; the old token and their sessions stop working."""
    from api.auth import rotate_token

    typer.echo(_change(database_url, who, rotate_token, "user.rotate"))


if __name__ == "__main__":  # pragma: no cover
    app()
