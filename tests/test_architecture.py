"""The layers of DESIGN.md hold: import-linter's contracts (pyproject.toml) and no import cycle in dispatch/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import grimp

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_no_import_cycle_inside_dispatch() -> None:
    graph = grimp.build_graph("dispatch", exclude_type_checking_imports=True)
    cycles = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            if graph.chain_exists(importer=imported, imported=importer):
                cycles.append(f"{importer} -> {imported} -> ... -> {importer}")
    assert not cycles, "\n".join(cycles)


def test_the_cycle_check_sees_a_cycle(tmp_path: Path, monkeypatch) -> None:
    # the check above must be able to fail: two modules that import each other
    pkg = tmp_path / "loop"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from loop import b\n")
    (pkg / "b.py").write_text("from loop import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph("loop", cache_dir=None)
    assert graph.chain_exists(importer="loop.a", imported="loop.b")
    assert graph.chain_exists(importer="loop.b", imported="loop.a")


def test_every_view_taking_a_session_ends_its_read_before_the_response() -> None:
    # a router made without route_class=SessionRoute would hold a connection across a thread-pool wait
    from fastapi.routing import APIRoute

    from api.config import Settings
    from api.deps import SessionRoute
    from api.main import create_app
    app = create_app(Settings(_env_file=None))  # type: ignore[call-arg]
    def walk(routes: list[Any]) -> list[APIRoute]:  # an included router stays a node of its own
        found: list[APIRoute] = []
        for r in routes:
            inner = getattr(r, "original_router", None)
            found += walk(inner.routes) if inner is not None else [r] if isinstance(r, APIRoute) else []
        return found

    routes = walk(app.routes)
    plain = [r.path for r in routes if not isinstance(r, SessionRoute) and r.path != "/api/v1/health"]
    assert len(routes) > 50
    assert plain == []
