"""The demo with its history, seeded once per run (tests/run_cache.py) into a SQLite file the tests copy:
seeding a month of history (`seed_demo`, as `dispatch serve --demo` does) takes about a minute."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import date
from pathlib import Path

import pytest

from api.commands import DemoSeed, seed_demo
from api.db import make_engine, make_sessionmaker, upgrade
from tests.run_cache import once_per_run


def seeded_demo(tmp_path_factory: pytest.TempPathFactory, *, today: date, days: int) -> tuple[Path, DemoSeed]:
    """A SQLite file holding the demo seeded for `today` with `days` of history, and what `seed_demo` returned."""
    key = f"demo-{today}-{days}"

    def seed(folder: Path) -> tuple[Path, DemoSeed]:
        db = folder / f"{key}.sqlite"
        for part in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):  # what a seeding that failed left behind
            part.unlink(missing_ok=True)
        engine = make_engine(f"sqlite:///{db}")
        try:
            upgrade(engine)
            with make_sessionmaker(engine)() as session:
                seeded = seed_demo(session, plan_date=today, history_days=days)
        finally:
            engine.dispose()
        assert seeded is not None
        return db, seeded

    return once_per_run(tmp_path_factory, key, seed)


def copy_demo(source: Path, target: Path) -> None:
    """`source` copied to `target` through SQLite's backup (consistent whatever its write-ahead log holds)."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
