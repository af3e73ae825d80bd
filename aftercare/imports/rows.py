"""Rows of a client list checked one by one, before anything is written. Pure (no models).

``read_client_rows`` turns a table and its mapping into ``ClientRow``s (values ready for the
database) and ``Refusal``s (the row's number and what is wrong with it, in words a
practitioner can act on). A refused row never stops the rows around it.

What a row may leave out is left alone on update: only mapped columns are compared, so a
file without a consent column never withdraws (or grants) consent, and an empty cell of a
mapped column is a value (it clears the field), except the match keys and the name.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from aftercare.imports.columns import ADDRESS_PARTS, CONSENT_FIELDS
from aftercare.imports.dates import DateError, parse_date
from aftercare.imports.tabular import Table
from aftercare.phones import PhoneError, normalize_phone

CHANNELS = {"email", "sms", "whatsapp", "post", "phone"}
LANGUAGE_CODES = {"en", "de", "fr", "es", "nl"}
YES = {"yes", "y", "true", "1", "x", "✓", "✔", "accepted", "agreed", "opted in", "on", "ja", "oui"}
NO = {"no", "n", "false", "0", "", "declined", "rejected", "opted out", "off", "nein", "non"}
ARCHIVED = {"archived", "inactive", "discharged", "former", "deleted", "closed"}
ACTIVE = {"active", "current", "prospect", "prospective", "new", "waitlist", ""}
MAX_LENGTHS = {
    "given_name": 100,
    "family_name": 100,
    "preferred_name": 100,
    "pronouns": 30,
    "external_id": 200,
    "email": 254,
}


@dataclass
class ClientRow:
    number: int
    values: dict[str, Any]
    tags: list[str] | None = None


@dataclass
class Refusal:
    row: int
    reason: str


@dataclass
class ReadRows:
    rows: list[ClientRow] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)


def read_client_rows(
    table: Table,
    mapping: dict[str, str],
    *,
    country: str,
    date_order: str,
    today: dt.date,
) -> ReadRows:
    """Check every row of ``table`` read through ``mapping`` (``{header: field}``)."""
    columns = {
        field_name: index
        for index, header in enumerate(table.headers)
        if (field_name := mapping.get(header, ""))
    }
    result = ReadRows()
    for number, cells in table.rows:
        raw = {name: cells[i] if i < len(cells) else "" for name, i in columns.items()}
        try:
            values, tags = client_values(raw, country=country, date_order=date_order, today=today)
        except RowError as error:
            result.refused.append(Refusal(number, str(error)))
            continue
        result.rows.append(ClientRow(number, values, tags))
    return result


class RowError(ValueError):
    pass


def client_values(
    raw: dict[str, str], *, country: str, date_order: str, today: dt.date
) -> tuple[dict[str, Any], list[str] | None]:
    """One row's cells (by field) → client field values; raises RowError naming the problem."""
    values: dict[str, Any] = {}
    given, family = raw.get("given_name", ""), raw.get("family_name", "")
    if "full_name" in raw and not given:
        given, _, rest = raw["full_name"].strip().partition(" ")
        family = family or rest.strip()
    if not given:
        raise RowError("the first name is empty")
    values["given_name"], values["family_name"] = given, family
    for name in ("external_id", "preferred_name", "pronouns", "private_notes"):
        if name in raw:
            values[name] = raw[name]
    for name, limit in MAX_LENGTHS.items():
        if len(values.get(name, "")) > limit:
            raise RowError(f"the {name.replace('_', ' ')} is longer than {limit} characters")
    if "email" in raw:
        values["email"] = raw["email"].strip().lower()
        if values["email"]:
            try:
                validate_email(values["email"])
            except ValidationError as error:
                raise RowError(f"{raw['email']!r} is not an email address") from error
    if "phone" in raw or "other_phone" in raw:
        typed = raw.get("phone", "") or raw.get("other_phone", "")
        try:
            values["phone"] = normalize_phone(typed, country)
        except PhoneError as error:
            raise RowError(str(error)) from error
    if "birth_date" in raw:
        try:
            values["birth_date"] = parse_date(raw["birth_date"], date_order, today=today)
        except DateError as error:
            raise RowError(f"date of birth: {error}") from error
        if values["birth_date"] and values["birth_date"] > today:
            raise RowError(f"the date of birth {raw['birth_date']!r} is in the future")
    address = postal_address(raw)
    if address is not None:
        values["postal_address"] = address
    for name in CONSENT_FIELDS:
        if name in raw:
            values[name] = yes_or_no(raw[name], name.replace("_", " "))
    if "archived" in raw:
        values["archived"] = is_archived(raw["archived"])
    if raw.get("time_zone"):
        try:
            zoneinfo.ZoneInfo(raw["time_zone"].strip())
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
            raise RowError(f"{raw['time_zone']!r} is not a time zone") from error
        values["time_zone"] = raw["time_zone"].strip()
    if raw.get("language"):
        code = raw["language"].strip().lower()
        if code not in LANGUAGE_CODES:
            raise RowError(f"{raw['language']!r} is not a language Aftercare writes in")
        values["language"] = code
    if raw.get("preferred_channel"):
        channel = raw["preferred_channel"].strip().lower()
        if channel not in CHANNELS:
            raise RowError(f"{raw['preferred_channel']!r} is not a channel")
        values["preferred_channel"] = channel
    tags = None
    if "tags" in raw:
        tags = sorted({t.strip().lower()[:50] for t in split_tags(raw["tags"]) if t.strip()})
    return values, tags


def split_tags(text: str) -> Iterable[str]:
    for separator in (";", "|"):
        text = text.replace(separator, ",")
    return text.split(",")


def postal_address(raw: dict[str, str]) -> str | None:
    """The whole address, or its parts one a line (None when the file has neither)."""
    if "postal_address" in raw:
        return raw["postal_address"].strip()
    parts = [raw[name] for name in ADDRESS_PARTS if name in raw]
    if not parts and not any(name in raw for name in ADDRESS_PARTS):
        return None
    lines = [raw.get(n, "") for n in ("address_1", "address_2", "address_3")]
    town = " ".join(raw.get(n, "") for n in ("city", "region", "postcode") if raw.get(n))
    return "\n".join(line for line in [*lines, town, raw.get("country", "")] if line.strip())


def yes_or_no(text: str, what: str) -> bool:
    value = text.strip().lower()
    if value in YES:
        return True
    if value in NO:
        return False
    raise RowError(f"{what}: {text!r} is neither yes nor no")


def is_archived(text: str) -> bool:
    value = text.strip().lower()
    if value in ARCHIVED or value in YES - {""}:
        return True
    if value in ACTIVE or value in NO:
        return False
    raise RowError(f"status {text!r}: write active or archived")
