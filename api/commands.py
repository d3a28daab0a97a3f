"""The service's console commands, added to the `dispatch` executable by api/cli.py: serve, user add/list."""

from __future__ import annotations

from typing import Annotated

import typer

from api.auth.models import Role

users_app = typer.Typer(no_args_is_help=True, help="Users of the service and their roles.")


def _docs_urls(host: str, port: int) -> tuple[str, str]:
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    base = f"http://{shown}:{port}"
    return f"{base}/docs", f"{base}/api/v1/openapi.json"


def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
) -> None:
    """Start the HTTP service on DATABASE_URL (default: ./dispatch.sqlite, created and migrated on first start)."""
    import uvicorn

    from api.config import get_settings
    from api.main import create_app

    try:
        settings = get_settings()
    except ValueError as e:  # pydantic's ValidationError: an unsafe or malformed setting
        typer.echo(f"error: bad settings\n{e}", err=True)
        raise typer.Exit(2) from None
    docs, schema = _docs_urls(host, port)
    from sqlalchemy.engine import make_url

    typer.echo(f"database: {make_url(settings.database_url).render_as_string(hide_password=True)}")
    typer.echo(f"OpenAPI docs: {docs}  (schema: {schema})")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


@users_app.command("add")
def add_user(
    username: Annotated[str, typer.Argument(help="login name")],
    role: Annotated[Role, typer.Option(help="what the user may do")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True,
                                          envvar="DISPATCH_USER_PASSWORD", help="at least 8 characters")],
    technician: Annotated[str | None, typer.Option(help="technician id (required for role technician)")] = None,
    full_name: Annotated[str | None, typer.Option(help="display name")] = None,
) -> None:
    """Add a user to the database of DATABASE_URL (migrating it first if needed)."""
    from pydantic import ValidationError

    from api.auth import service
    from api.auth.schemas import UserCreate
    from api.config import get_settings
    from api.db import make_engine, make_sessionmaker, upgrade
    from api.errors import ApiError

    try:
        data = UserCreate(username=username, password=password, role=role, technician_id=technician,
                          full_name=full_name)
    except ValidationError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None
    engine = make_engine(get_settings().database_url)
    try:
        upgrade(engine)
        with make_sessionmaker(engine)() as session:
            user = service.create(session, data=data)
    except ApiError as e:
        typer.echo(f"error: {e.detail}", err=True)
        raise typer.Exit(2) from None
    finally:
        engine.dispose()
    typer.echo(f"user {user.username} ({user.role}) added")


@users_app.command("list")
def list_users() -> None:
    """List the users with their roles."""
    from sqlalchemy import select

    from api.auth.models import User
    from api.config import get_settings
    from api.db import make_engine, make_sessionmaker, upgrade

    engine = make_engine(get_settings().database_url)
    try:
        upgrade(engine)
        with make_sessionmaker(engine)() as session:
            for u in session.scalars(select(User).order_by(User.username)):
                tech = f" technician={u.technician_id}" if u.technician_id else ""
                typer.echo(f"{u.username}\t{u.role}{tech}{'' if u.is_active else ' (inactive)'}")
    finally:
        engine.dispose()
