"""``aftercare restore PATH``: replace the database with a checked backup."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from aftercare.practice.backups import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore the SQLite database from a backup after checking its integrity. Stop "
        "`aftercare up` first; the current database is kept as a before-restore backup."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="A file written by `aftercare backup`.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            safety = restore(Path(options["path"]))
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Restored {options['path']} (integrity checked). The database as it was is "
            f"kept in {safety}."
        )
