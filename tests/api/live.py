"""A live server for concurrency tests: the real app under uvicorn on a free localhost port.

The TestClient handles one request at a time, so it cannot show what concurrent requests do; here requests
arrive over real sockets and the app serves them in its thread pool against the real database.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.api.conftest import SECRET, Database
from tests.uvicorn_server import uvicorn_app

ROOT = Path(__file__).resolve().parents[2]


def server_env(database: Database, **settings: str) -> dict[str, str]:
    """The environment of a live server over `database` (already migrated), plus `settings` (NAME=value)."""
    # A small pool: two such servers run side by side under xdist, and two workers with the default 16 + 8
    # connections each would hold half of PostgreSQL's 100. A longer wait for a connection than the default
    # 30 s: on a busy shared machine, requests queued on one stock row drain slowly, and a 503 for overload is
    # not what these tests measure.
    env = dict(os.environ, DATABASE_URL=database.url, SECRET_KEY=SECRET, ENVIRONMENT="test",
               RUN_MIGRATIONS_ON_STARTUP="false", WATCH_INTERVAL_SECONDS="0", DATABASE_POOL_SIZE="6",
               DATABASE_MAX_OVERFLOW="4", DATABASE_POOL_TIMEOUT="120")
    env.update(settings)
    options = database.engine_args.get("connect_args", {}).get("options")
    if options:  # the test schema of this PostgreSQL session (libpq reads PGOPTIONS)
        env["PGOPTIONS"] = options
    return env


@contextmanager
def live_server(database: Database, *, workers: int = 1, **settings: str) -> Iterator[str]:
    """The service over `database` (already migrated) at the yielded base URL until the block ends.

    It runs in a child process (`uvicorn --factory api.main:create_app`, settings from the environment), so
    the server and the test's client do not share one interpreter lock.
    """
    with uvicorn_app(server_env(database, **settings), ["--workers", str(workers), "--backlog", "1024"]) as url:
        yield url


@dataclass(frozen=True)
class Answer:
    status_code: int
    headers: httpx.Headers  # case-insensitive, as from httpx
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


def _encode(host: str, request: dict[str, Any]) -> bytes:
    body = json.dumps(request.get("json")).encode() if "json" in request else b""
    lines = [f"{request['method']} {request['url']} HTTP/1.1", f"Host: {host}",
             f"Content-Length: {len(body)}", "Content-Type: application/json"]
    lines += [f"{name}: {value}" for name, value in request.get("headers", {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def _connection(host: str, port: int, queue: asyncio.Queue[tuple[int, bytes]],
                      out: list[Answer | None]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while not queue.empty():
            index, raw = queue.get_nowait()
            writer.write(raw)
            await writer.drain()
            status = int((await reader.readline()).split()[1])
            headers: list[tuple[str, str]] = []
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                headers.append((name.strip(), value.strip()))
            found = httpx.Headers(headers)
            body = await reader.readexactly(int(found.get("content-length", "0")))
            out[index] = Answer(status, found, body.decode())
    finally:
        writer.close()
        await writer.wait_closed()


def fire(url: str, requests: list[dict[str, Any]], *, connections: int = 50) -> list[Answer]:
    """Send `requests` (method, url, json, headers) over `connections` keep-alive sockets at once.

    A bare HTTP/1.1 client on asyncio streams: httpx's AsyncClient spent about 5 ms of CPU per request, half
    of what this suite's two cores had, and the point here is many requests in flight, not the client.
    """
    parsed = httpx.URL(url)
    host, port = parsed.host, parsed.port or 80

    async def run() -> list[Answer]:
        queue: asyncio.Queue[tuple[int, bytes]] = asyncio.Queue()
        for i, request in enumerate(requests):
            queue.put_nowait((i, _encode(f"{host}:{port}", request)))
        out: list[Answer | None] = [None] * len(requests)
        await asyncio.gather(*(_connection(host, port, queue, out)
                               for _ in range(min(connections, len(requests)))))
        assert all(a is not None for a in out)
        return [a for a in out if a is not None]

    return asyncio.run(run())
