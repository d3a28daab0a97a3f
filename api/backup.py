"""Backups of the embedded SQLite database: `dispatch db backup FILE` and `dispatch db restore FILE`.

A backup is SQLite's online backup API (Python's `sqlite3.Connection.backup`) copying every page in one step,
inside one read transaction of the source: a consistent snapshot, taken while the service keeps writing (in WAL
mode a reader never blocks the writer). Each transaction of the service is in the copy whole or not at all.
The copy is written beside FILE and renamed into place once checked, so a failed backup leaves no file behind.

A restore copies a backup into an empty database (no file, or a schema without a row) and brings its schema to
the code's revision (the migrations). It refuses a database that holds data. PostgreSQL has its own tools
(pg_dump, pg_restore): see the README.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

VERSION_TABLE = "alembic_version"  # Alembic's, in every database the service made
POSTGRES_HINT = ("back up PostgreSQL with its own tools: pg_dump --format=custom --file FILE DB, and "
                 "pg_restore --dbname DB FILE into an empty database (see the README)")


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why, naming the file."""


@dataclass(frozen=True)
class Copy:
    """What a backup or restore copied: rows per table, and the size of the file written."""

    path: Path
    rows: dict[str, int]
    size_bytes: int

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def sqlite_file(database_url: str) -> Path:
    """The file of a SQLite DATABASE_URL; BackupError for any other database."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        raise BackupError(f"DATABASE_URL is a {url.get_backend_name()} database, not the embedded SQLite file: "
                          f"{POSTGRES_HINT}")
    if not url.database or url.database == ":memory:":
        raise BackupError("DATABASE_URL is an in-memory SQLite database: there is no file to back up or restore")
    return Path(url.database).expanduser()


def _connect(path: Path, *, create: bool = False) -> sqlite3.Connection:
    # mode=rw never creates a file by mistake; busy_timeout waits out the service's brief write locks
    conn = sqlite3.connect(f"file:{path}?mode={'rwc' if create else 'rw'}", uri=True, timeout=30)
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def row_counts(conn: sqlite3.Connection, path: Path, role: str = "database") -> dict[str, int]:
    return {name: int(conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0])
            for name in _tables(conn, path, role)}


def _check(conn: sqlite3.Connection, path: Path) -> None:
    result = conn.execute("PRAGMA quick_check").fetchone()[0]
    if result != "ok":
        raise BackupError(f"{path} fails SQLite's integrity check: {result}")


def _tables(conn: sqlite3.Connection, path: Path, role: str) -> list[str]:
    # only through SQLite: opening and closing the file by other means in a process that has it open would
    # drop that process's locks on it (POSIX), and another connection could then delete the live WAL
    try:
        return [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    except sqlite3.DatabaseError as e:
        raise BackupError(f"{role} {path} is not a SQLite database ({e})") from None


def _read_dispatch_db(path: Path, role: str) -> sqlite3.Connection:
    """`path` opened, after checking it is a SQLite database the service made (it has Alembic's version)."""
    if not path.is_file():
        raise BackupError(f"{role} {path} does not exist" if not path.exists() else f"{role} {path} is not a file")
    conn = _connect(path)
    try:
        tables = _tables(conn, path, role)
    except BackupError:
        conn.close()
        raise
    if VERSION_TABLE not in tables:
        conn.close()
        raise BackupError(f"{role} {path} is a SQLite database but not one of this service (no {VERSION_TABLE} "
                          "table)")
    return conn


def backup(database_url: str, target: Path) -> Copy:
    """A consistent copy of the SQLite database of `database_url` in the new file `target`, taken online."""
    source = sqlite_file(database_url)
    target = target.expanduser()
    if target.exists():
        raise BackupError(f"backup file {target} already exists: choose a new name (a backup never overwrites)")
    if not target.parent.is_dir():
        raise BackupError(f"cannot write backup file {target}: folder {target.parent} does not exist")
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        with closing(_read_dispatch_db(source, "database")) as src, closing(_connect(partial, create=True)) as dst:
            src.backup(dst)  # pages=-1: every page in one step, one read transaction: a snapshot
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
            _check(dst, partial)
            rows = row_counts(dst, partial)
        os.replace(partial, target)
    except (sqlite3.Error, OSError) as e:
        raise BackupError(f"backup of {source} to {target} failed: {e}") from None
    finally:
        partial.unlink(missing_ok=True)
    log.info("backup of %s to %s: %d rows", source, target, sum(rows.values()))
    return Copy(target, rows, target.stat().st_size)


def _refuse_unless_empty(path: Path) -> None:
    if not path.exists():
        return
    with closing(_connect(path)) as conn:
        held = {name: n for name, n in row_counts(conn, path).items() if n and name != VERSION_TABLE}
    if held:
        what = ", ".join(f"{n} in {name}" for name, n in sorted(held.items()))
        raise BackupError(f"database {path} holds data ({what}): restore only into an empty database; move it "
                          "away first, or point DATABASE_URL at a new file")


def _known_revision(conn: sqlite3.Connection, path: Path) -> None:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    from api.db import alembic_config

    revisions = [r[0] for r in conn.execute(f"SELECT version_num FROM {VERSION_TABLE}")]
    script = ScriptDirectory.from_config(alembic_config())
    for rev in revisions:
        try:
            script.get_revision(rev)
        except CommandError:
            raise BackupError(f"backup {path} is at schema revision {rev!r}, which this version of the service "
                              "does not know (made by a newer version?)") from None


def restore(source: Path, database_url: str) -> Copy:
    """Copy the backup `source` into the empty SQLite database of `database_url`, then migrate it to head."""
    from api.db import make_engine, upgrade

    target = sqlite_file(database_url)
    source = source.expanduser()
    with closing(_read_dispatch_db(source, "backup")) as src:
        _known_revision(src, source)
        _check(src, source)
        _refuse_unless_empty(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with closing(_connect(target, create=True)) as dst:
                src.backup(dst)
        except sqlite3.Error as e:
            raise BackupError(f"restore of {source} into {target} failed: {e}") from None
    engine = make_engine(database_url)
    try:
        upgrade(engine)  # a backup of an older version gains the newer migrations
    finally:
        engine.dispose()
    with closing(_connect(target)) as conn:
        _check(conn, target)
        rows = row_counts(conn, target)
    log.info("restored %s into %s: %d rows", source, target, sum(rows.values()))
    return Copy(target, rows, target.stat().st_size)
