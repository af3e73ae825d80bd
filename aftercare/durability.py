"""Whether a commit waits for the disk.

Every commit of the web waits for the disk (SQLite in WAL mode with ``synchronous=FULL``,
PostgreSQL with ``synchronous_commit = on``): a change the app confirmed survives a power cut.
Two kinds of write need not wait, because what they record is not lost with them:

- the worker's claims and outcomes (``commits_wait_for_disk(durable=False)`` for its
  connection): an fsync per message was most of its time;
- the row a page that only reads appends to the audit trail (``without_waiting_for_disk``): on
  every page that shows clients, an fsync a request, and under load a write lock held through
  it while every other such page waited its turn.

Not waiting, a commit still survives the process being killed — the database has it — but the
last ones may be lost with the *database machine's* power (SQLite: those since the last commit
that waited or the last checkpoint; PostgreSQL: at most ``3 × wal_writer_delay``, 0.6 s). The
log is written in order, so the next commit that waits makes every one before it durable too,
and what is lost is always a tail of whole transactions: the audit trail's hash chain still
verifies. See docs/deployment.md ("Durability").
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.db import connection, transaction


def commits_wait_for_disk(*, durable: bool) -> None:
    """Set whether this connection's commits wait for the disk (``durable``) or not, from now
    on. A no-op inside a transaction (SQLite refuses the change there; tests run inside one)."""
    if connection.in_atomic_block:
        return
    if connection.vendor == "sqlite":
        statement = f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}"
    elif connection.vendor == "postgresql":
        statement = f"SET synchronous_commit TO {'on' if durable else 'off'}"
    else:
        return
    with connection.cursor() as cursor:
        cursor.execute(statement)


@contextlib.contextmanager
def without_waiting_for_disk() -> Iterator[None]:
    """The block as one transaction of its own whose commit does not wait for the disk.

    Inside a caller's transaction the block is simply part of it (as durable as the caller's
    commit). On PostgreSQL ``SET LOCAL`` lasts only as long as the transaction; SQLite's
    setting belongs to the connection, so it is set before the transaction begins and given
    back after it ends, whatever happened (a connection is kept from one request to the next).
    """
    if connection.in_atomic_block:
        yield
        return
    if connection.vendor not in ("sqlite", "postgresql"):
        with transaction.atomic():
            yield
        return
    if connection.vendor == "postgresql":
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO off")
            yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        (before,) = cursor.fetchone()
        cursor.execute("PRAGMA synchronous=NORMAL")
    try:
        with transaction.atomic():
            yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA synchronous={int(before)}")
