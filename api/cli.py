"""The `dispatch` executable: the domain's commands (dispatch/cli.py) plus, later, the service's."""

from __future__ import annotations

from dispatch.cli import app
from dispatch.cli import main as _main

__all__ = ["app", "main"]


def main() -> None:
    _main()
