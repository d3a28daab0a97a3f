"""Values made once per test run and shared by its xdist workers: the first process that asks makes the value,
behind a file lock in the run's temporary directory, and the others wait for it and read its pickle. A
module-scoped fixture runs once per worker that gets one of the module's tests, so an expensive one was made
twice whenever its module was split across the workers. The directory is the run's own: every run makes them
afresh."""

from __future__ import annotations

import fcntl
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

T = TypeVar("T")


def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The temporary directory of this run, shared by its xdist workers (each has its own below it)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def once_per_run(tmp_path_factory: pytest.TempPathFactory, key: str, make: Callable[[Path], T]) -> T:
    """`make(directory)` for `key`, called by the first process of the run that asks (it may leave files in
    the directory, the run's); the others get its value back from the pickle."""
    folder = run_dir(tmp_path_factory)
    stored = folder / f"{key}.pickle"
    with open(folder / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not stored.exists():  # written last: a make that failed leaves none, and the next asker tries again
            value = make(folder)
            stored.write_bytes(pickle.dumps(value))
            return value
    return pickle.loads(stored.read_bytes())
