"""Backups of the SQLite database with SQLite's online backup API, and restoring one.

A file copy of a live SQLite database in WAL mode can tear: the database file and its
write-ahead log are copied at different moments. ``sqlite3.Connection.backup`` copies pages
under SQLite's own locking and restarts when a writer changed a page it had copied, so the copy
is one consistent moment even while the worker and the web server write.

PostgreSQL has its own tools: ``pg_dump`` and ``pg_restore`` (docs/security.md).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from django.conf import settings
from django.db import connections

from aftercare import clock


class BackupError(Exception):
    """The backup or restore cannot be done; the message says why and what to do."""


def sqlite_path() -> Path:
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.sqlite3":
        raise BackupError(
            "this installation uses PostgreSQL: back it up with pg_dump and restore with "
            "pg_restore (see docs/security.md)"
        )
    return Path(str(database["NAME"]))


def default_backup_path() -> Path:
    folder = Path(settings.DATA_DIR) / "backups"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder / f"aftercare-{clock.now():%Y%m%d-%H%M%S}.sqlite3"


def backup(target: Path | None = None) -> Path:
    """Copy the live database to ``target`` (0600) with the online backup API."""
    source_path = sqlite_path()
    target = target or default_backup_path()
    if target.exists():
        raise BackupError(f"{target} exists already; choose another name")
    target.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    source = sqlite3.connect(source_path, timeout=30)
    destination = sqlite3.connect(target)
    try:
        # Pages in steps, so writers are held up for moments only, never for the whole copy.
        source.backup(destination, pages=256)
        destination.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    finally:
        destination.close()
        source.close()
    check(target)
    return target


def check(path: Path) -> None:
    """Refuse a file that is not a sound Aftercare database."""
    if not path.is_file():
        raise BackupError(f"{path} is not a file")
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as database:
            result = database.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {name for (name,) in database.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is not an SQLite database ({error})") from error
    if result != "ok":
        raise BackupError(f"{path} failed SQLite's integrity check: {result}")
    if not {"django_migrations", "practice_practice", "clients_client"} <= tables:
        raise BackupError(f"{path} is an SQLite database but not one of Aftercare's")


def restore(path: Path) -> Path:
    """Replace the live database with the backup at ``path``; return a copy of what it was.

    Stop ``aftercare up`` (the server and the worker) first. The current database is backed
    up beside the others before it is overwritten, so a wrong restore can be undone.
    """
    check(path)
    live = sqlite_path()
    safety = backup(
        default_backup_path().with_name(f"before-restore-{clock.now():%Y%m%d-%H%M%S}.sqlite3")
    )
    for connection in connections.all():
        connection.close()
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    destination = sqlite3.connect(live, timeout=30)
    try:
        source.backup(destination)
        destination.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        destination.close()
        source.close()
    check(live)
    return safety
