"""The ``aftercare`` command: Django's management commands with Aftercare's settings.

``aftercare up``, ``aftercare demo``, ``aftercare practice create`` … are management
commands in the apps; this wrapper points Django at the right settings and, before one of
our commands that needs the database, makes sure the database is there: the commands that set
a practice up migrate it first (as ``up`` does), the others say in one line what to run instead
of ending in a "no such table" traceback.
"""

from __future__ import annotations

import os
import sys

# Our commands that create a practice on a fresh data folder: they migrate first, like ``up``.
MIGRATE_FIRST = frozenset({"demo", "practice"})
# Our commands that do without a migrated database: ``up`` migrates itself, ``backup`` and
# ``restore`` copy whole database files, ``bench`` makes a throw-away database per benchmark.
NO_DATABASE_NEEDED = frozenset({"up", "backup", "restore", "bench"})
HELP_FLAGS = frozenset({"-h", "--help", "--version"})


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftercare.settings")
    from django.core.management import execute_from_command_line

    args = sys.argv[1:] if argv is None else argv
    if args and not HELP_FLAGS.intersection(args):
        problem = prepare_database(args[0])
        if problem:
            sys.stderr.write(problem + "\n")
            raise SystemExit(1)
    execute_from_command_line(["aftercare", *args])


def prepare_database(command: str) -> str | None:
    """Make the database ready for ``command``, or return the one line that says what to run.

    1. Django's own commands (``migrate``, ``shell`` …) and ours that need no database pass.
    2. A database that cannot be reached is named, with the setting to check.
    3. Unapplied migrations: ``demo`` and ``practice`` apply them; every other command stops
       and says to run ``aftercare migrate`` (two processes migrating at once would race).
    """
    import django

    django.setup()
    from django.core.management import call_command, get_commands
    from django.db import DatabaseError, connection
    from django.db.migrations.executor import MigrationExecutor

    app = get_commands().get(command)
    if not isinstance(app, str) or not app.startswith("aftercare"):
        return None
    if command in NO_DATABASE_NEEDED:
        return None
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return (
            f"aftercare {command}: cannot reach the database ({reason}); "
            "check AFTERCARE_DATABASE_URL."
        )
    if not plan:
        return None
    if command in MIGRATE_FIRST:
        call_command("migrate", interactive=False, verbosity=0)
        return None
    state = "is not set up yet" if not executor.loader.applied_migrations else "needs upgrading"
    return (
        f"aftercare {command}: the database {state}; "
        "run `aftercare migrate` (or `aftercare up`) first."
    )


if __name__ == "__main__":
    main()
