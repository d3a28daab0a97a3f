"""A PostgreSQL cluster of the test's own (initdb into a temp folder, on a free port) that a test may stop and
start: the machine's shared server is never restarted.

As root (initdb refuses root) the cluster belongs to the `postgres` user and its commands run through
`runuser`. Missing binaries or user: the test is skipped with the reason.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.uvicorn_server import free_port

BIN_DIRS = [Path(p) for p in ("/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin")]


def _bin_dir() -> Path | None:
    for d in BIN_DIRS:
        if (d / "initdb").exists() and (d / "pg_ctl").exists():
            return d
    found = shutil.which("initdb")
    return Path(found).parent if found and shutil.which("pg_ctl") else None


@dataclass
class PrivatePostgres:
    url: str
    data: Path
    bin_dir: Path
    owner: str | None  # the user the cluster runs as when the test runs as root
    options: str
    log: Path

    def _run(self, *args: str) -> None:
        cmd = [str(self.bin_dir / args[0]), *args[1:]]
        if self.owner is not None:
            cmd = ["runuser", "-u", self.owner, "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False, cwd="/")
        if done.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(args[:2])} failed: {done.stdout}{done.stderr}\n{log[-2000:]}")

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-o", self.options, "-l", str(self.log), "-w", "start")

    def stop(self) -> None:
        """A fast shutdown, as a restart does: open sessions are ended, their transactions rolled back."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    bin_dir = _bin_dir()
    if bin_dir is None:
        pytest.skip("no initdb/pg_ctl (PostgreSQL server binaries) on this machine for a private cluster")
    owner = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root, and no 'postgres' user to own a private cluster (initdb refuses root)")
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser to start a private cluster as 'postgres'")
        owner = "postgres"
    # not under pytest's tmp_path: that folder is private to root, and the cluster's owner must reach it
    root = Path(tempfile.mkdtemp(prefix="dispatch-pg-"))
    if owner is not None:
        shutil.chown(root, user=owner)
    port = free_port()
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    cluster = PrivatePostgres(url=f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", data=root / "data",
                              bin_dir=bin_dir, owner=owner, options=options, log=root / "server.log")
    try:
        cluster._run("initdb", "-D", str(cluster.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
        cluster.start()
        yield cluster
    finally:
        if (cluster.data / "postmaster.pid").exists():
            cluster._run("pg_ctl", "-D", str(cluster.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)
