"""The real app under uvicorn in a child process on a free localhost port, for tests that need sockets."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from benchmarks.api_load import wait_ready

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def uvicorn_process(env: Mapping[str, str],
                    extra_args: Sequence[str] = ()) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`uvicorn --factory api.main:create_app` with settings from `env`; yields the base URL once healthy, and
    the process (one worker: the process serving the requests), for a test that kills it."""
    port = free_port()
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "api.main:create_app", "--host", "127.0.0.1",
           "--port", str(port), "--no-access-log", "--log-level", "warning", *extra_args]
    proc = subprocess.Popen(cmd, env=dict(env), cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, proc)
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def uvicorn_app(env: Mapping[str, str], extra_args: Sequence[str] = ()) -> Iterator[str]:
    """`uvicorn --factory api.main:create_app` with settings from `env`; yields the base URL once healthy."""
    with uvicorn_process(env, extra_args) as (url, _proc):
        yield url
