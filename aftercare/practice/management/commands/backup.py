"""``aftercare backup [--to PATH]``: a consistent copy of the live SQLite database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from aftercare.practice.backups import BackupError, backup


class Command(BaseCommand):
    help = "Back up the SQLite database while Aftercare runs (SQLite's online backup API)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--to",
            default="",
            help="The backup file to write (default: DATA_DIR/backups/aftercare-DATE.sqlite3).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            path = backup(Path(options["to"]) if options["to"] else None)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Backed up to {path} (integrity checked).")
