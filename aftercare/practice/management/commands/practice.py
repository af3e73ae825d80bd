"""``aftercare practice create``: set up a real practice and its owner."""

from __future__ import annotations

import json
import zoneinfo
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email

from aftercare.practice.services import practice_create

# Exit status 2 means "you called me wrongly", as argparse does for a missing option.
USAGE_ERROR = 2


def usage_error(option: str, message: str) -> CommandError:
    return CommandError(f"{option}: {message}", returncode=USAGE_ERROR)


def checked_email(option: str, value: str) -> str:
    email = value.strip().lower()
    try:
        validate_email(email)
    except ValidationError as error:
        raise usage_error(option, f"{value!r} is not an email address") from error
    return email


def checked_time_zone(option: str, value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise usage_error(
            option, f"unknown time zone {value!r} (use an IANA name such as Europe/Berlin)"
        ) from error
    return value


def checked_country(option: str, value: str) -> str:
    code = value.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise usage_error(option, f"unknown country code {value!r} (use two letters, e.g. GB)")
    return code


class Command(BaseCommand):
    help = "Manage practices: `aftercare practice create --name NAME --owner-email EMAIL`."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        create = actions.add_parser(
            "create",
            help="Create a practice and its owner (a new owner's password is printed once).",
        )
        create.add_argument("--name", required=True, help="The practice's name.")
        create.add_argument("--owner-email", required=True, help="The owner's sign-in email.")
        create.add_argument("--owner-name", default="", help="The owner's full name.")
        create.add_argument("--time-zone", default=None, help="IANA time zone, e.g. Europe/Berlin.")
        create.add_argument(
            "--country", default="GB", help="ISO country code, the default region for phones."
        )
        create.add_argument(
            "--json", action="store_true", help="Print one JSON object and nothing else."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "create":
            self.create(options)

    def create(self, options: dict[str, Any]) -> None:
        from django.conf import settings

        name = options["name"].strip()
        if not name:
            raise usage_error("--name", "the practice needs a name")
        email = checked_email("--owner-email", options["owner_email"])
        time_zone = checked_time_zone("--time-zone", options["time_zone"] or settings.TIME_ZONE)
        country = checked_country("--country", options["country"])
        practice, user, password = practice_create(
            name=name,
            owner_email=email,
            time_zone=time_zone,
            country=country,
            owner_name=options["owner_name"].strip(),
        )
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {"practice_id": practice.pk, "owner_email": user.email, "password": password}
                )
            )
            return
        self.stdout.write(f"Created practice #{practice.pk} {practice.name} ({time_zone}).")
        self.stdout.write(f"Owner: {user.email}")
        if password:
            self.stdout.write(f"Password: {password}  (shown once; change it after signing in)")
        else:
            self.stdout.write("The owner already had an account and keeps their password.")
