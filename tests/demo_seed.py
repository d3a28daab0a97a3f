"""The demo with its history, seeded once per test run into a SQLite file that the tests reading it copy.

Seeding a month of history (`seed_demo`, as `dispatch serve --demo` does) takes about a minute; a module-scoped
fixture runs once per xdist worker that gets one of the module's tests, so without this a module split across
the workers seeded it twice. The file lives in the run's own temporary directory: every run seeds for real.
"""

from __future__ import annotations

import fcntl
import os
import pickle
import sqlite3
from contextlib import closing
from datetime import date
from pathlib import Path

import pytest

from api.commands import DemoSeed, seed_demo
from api.db import make_engine, make_sessionmaker, upgrade


def _run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The temporary directory of this run, shared by its xdist workers (each has its own below it)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def seeded_demo(tmp_path_factory: pytest.TempPathFactory, *, today: date, days: int) -> tuple[Path, DemoSeed]:
    """A SQLite file holding the demo seeded for `today` with `days` of history, and what `seed_demo` returned;
    the first caller of the run seeds it, the others wait for it (a file lock) and read it."""
    stem = _run_dir(tmp_path_factory) / f"demo-{today}-{days}"
    db, seed = stem.with_suffix(".sqlite"), stem.with_suffix(".seed")
    with open(stem.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not seed.exists():  # written last: a seeding that failed half-way leaves none, and is done again
            for part in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
                part.unlink(missing_ok=True)
            engine = make_engine(f"sqlite:///{db}")
            try:
                upgrade(engine)
                with make_sessionmaker(engine)() as session:
                    seeded = seed_demo(session, plan_date=today, history_days=days)
            finally:
                engine.dispose()
            assert seeded is not None
            seed.write_bytes(pickle.dumps(seeded))
    return db, pickle.loads(seed.read_bytes())


def copy_demo(source: Path, target: Path) -> None:
    """`source` copied to `target` through SQLite's backup (consistent whatever its write-ahead log holds)."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
