"""The service's console commands: `dispatch user add/list` on DATABASE_URL (a new SQLite file here)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from api.config import get_settings


@pytest.fixture
def sqlite_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "cli.sqlite"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("ENVIRONMENT", "test")
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


def test_user_add_creates_the_database_and_the_user(sqlite_env: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["user", "add", "alice", "--role", "dispatcher"],
                      env={"DISPATCH_USER_PASSWORD": "password123"})
    assert r.exit_code == 0, r.output
    assert "user alice (dispatcher) added" in r.output
    assert sqlite_env.exists()
    r = runner.invoke(app, ["user", "add", "bob", "--role", "technician", "--technician", "T404",
                            "--password", "password123"])
    assert r.exit_code == 2
    assert "technician 'T404' does not exist" in r.output
    r = runner.invoke(app, ["user", "add", "carl", "--role", "boss", "--password", "password123"])
    assert r.exit_code == 2
    r = runner.invoke(app, ["user", "list"])
    assert r.exit_code == 0
    assert r.output.split() == ["alice", "dispatcher"]


def test_serve_is_a_command_that_names_host_and_port() -> None:
    r = CliRunner().invoke(app, ["serve", "--help"])
    assert r.exit_code == 0
    assert "--host" in r.output
    assert "--port" in r.output
