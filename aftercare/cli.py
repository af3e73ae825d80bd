"""The ``aftercare`` command: Django's management commands with Aftercare's settings.

``aftercare up``, ``aftercare demo``, ``aftercare practice create`` … are management
commands in the apps; this wrapper only points Django at the right settings.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftercare.settings")
    from django.core.management import execute_from_command_line

    args = sys.argv[1:] if argv is None else argv
    execute_from_command_line(["aftercare", *args])


if __name__ == "__main__":
    main()
