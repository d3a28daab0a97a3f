"""A live server for concurrency tests: the real app under uvicorn on a free localhost port.

The TestClient handles one request at a time, so it cannot show what concurrent requests do; here requests
arrive over real sockets and the app serves them in its thread pool against the real database.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.api.conftest import SECRET, Database

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def live_server(database: Database, *, workers: int = 1) -> Iterator[str]:
    """The service over `database` (already migrated) at the yielded base URL until the block ends.

    It runs in a child process (`uvicorn --factory api.main:create_app`, settings from the environment), so
    the server and the test's client do not share one interpreter lock.
    """
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = dict(os.environ, DATABASE_URL=database.url, SECRET_KEY=SECRET, ENVIRONMENT="test",
               RUN_MIGRATIONS_ON_STARTUP="false")
    options = database.engine_args.get("connect_args", {}).get("options")
    if options:  # the test schema of this PostgreSQL session (libpq reads PGOPTIONS)
        env["PGOPTIONS"] = options
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "api.main:create_app", "--host", "127.0.0.1",
           "--port", str(port), "--workers", str(workers), "--no-access-log", "--log-level", "warning",
           "--backlog", "1024"]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:  # waiting for start-up, not measuring anything
            if proc.poll() is not None:
                raise RuntimeError(f"the live server exited with {proc.returncode}")
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the live server did not start in 60 s")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def fire(url: str, requests: list[dict[str, Any]], *, connections: int = 50) -> list[httpx.Response]:
    """Send all `requests` (httpx.request keyword arguments) at once over `connections` sockets."""

    async def run() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        async with httpx.AsyncClient(base_url=url, limits=limits, timeout=120) as client:
            return await asyncio.gather(*(client.request(**r) for r in requests))

    return asyncio.run(run())
