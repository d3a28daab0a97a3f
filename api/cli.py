"""The `dispatch` executable: the domain's commands (dispatch/cli.py) plus the service's (api/commands.py)."""

from __future__ import annotations

from api.commands import db_app, serve, users_app
from dispatch.cli import app
from dispatch.cli import main as _main

__all__ = ["app", "main"]

app.command()(serve)
app.add_typer(users_app, name="user")
app.add_typer(db_app, name="db")


def main() -> None:
    _main()
