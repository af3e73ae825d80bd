"""Strict reading of JSON input before it reaches the shared Django forms.

Django forms were made for HTML posts, where everything is a string and a missing checkbox
means "false". JSON has types, so the API checks them first (a boolean must be ``true`` or
``false``, a date ``YYYY-MM-DD``, a time ISO 8601 *with* an offset) and says which field is
wrong, then hands the forms values they read unambiguously.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, TypeVar

from django.db.models import Model, QuerySet
from django.utils.dateparse import parse_datetime
from pydantic import BaseModel, BeforeValidator

from aftercare.api.errors import FieldErrors, json_type_name

ModelT = TypeVar("ModelT", bound=Model)


class FieldTypeError(ValueError):
    """The message says what the field should be."""


def as_text(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise FieldTypeError(f"Expected a string, got {json_type_name(value)}.")
    return value


def as_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise FieldTypeError(f"Expected true or false, got {json_type_name(value)}.")
    return value


def as_id(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise FieldTypeError(f"Expected an integer id or null, got {json_type_name(value)}.")
    return value


def as_date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise FieldTypeError(f"Expected a date as YYYY-MM-DD, got {json_type_name(value)}.")
    if len(value) != 10:
        raise FieldTypeError(f"{value!r} is not a date; use YYYY-MM-DD, e.g. 1984-02-29.")
    try:
        return dt.date.fromisoformat(value)
    except ValueError as error:
        raise FieldTypeError(f"{value!r} is not a date ({error}); use YYYY-MM-DD.") from error


def as_aware_datetime(value: Any) -> dt.datetime:
    """An ISO 8601 date and time with a UTC offset; a naive time is refused as ambiguous."""
    if not isinstance(value, str) or not value:
        raise FieldTypeError(
            f"Expected a date and time like 2026-11-20T10:00:00+01:00, got {json_type_name(value)}."
        )
    try:
        parsed = parse_datetime(value)
    except ValueError as error:
        raise FieldTypeError(f"{value!r} is not a valid date and time ({error}).") from error
    if parsed is None:
        raise FieldTypeError(
            f"{value!r} is not an ISO 8601 date and time; use e.g. 2026-11-20T10:00:00+01:00."
        )
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise FieldTypeError(
            f"{value!r} has no UTC offset; add one (e.g. +01:00 or Z) so the time is unambiguous."
        )
    return parsed


def as_decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise FieldTypeError(f"Expected a number, got {json_type_name(value)}.")
    try:
        number = Decimal(str(value))
    except InvalidOperation as error:
        raise FieldTypeError(f"{value!r} is not a number.") from error
    if not number.is_finite():
        raise FieldTypeError(f"{value!r} is not a number.")
    return number


def as_names(value: Any) -> list[str]:
    """A list of tag names (no commas: the shared form separates tags with them)."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise FieldTypeError('Expected a list of strings, e.g. ["sleep", "new medication"].')
    with_comma = [item for item in value if "," in item]
    if with_comma:
        raise FieldTypeError(f"A tag name cannot contain a comma: {with_comma[0]!r}.")
    return value


def convert(
    payload: Mapping[str, Any], converters: Mapping[str, Any]
) -> tuple[dict[str, Any], FieldErrors]:
    """Apply each field's converter; return the converted values and the errors per field."""
    values: dict[str, Any] = {}
    errors: FieldErrors = {}
    for name, value in payload.items():
        converter = converters.get(name)
        if converter is None:
            continue
        try:
            values[name] = converter(value)
        except FieldTypeError as error:
            errors[name] = [str(error)]
    return values, errors


def request_body_doc(schema: type[BaseModel], *, description: str = "") -> dict[str, Any]:
    """``openapi_extra`` documenting a JSON body that the handler reads itself.

    Handlers read the body after loading the object, so another practice's id is a 404 even
    with a bad body; the schema still documents every field.
    """
    json_schema = schema.model_json_schema()
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"application/json": {"schema": json_schema}},
        }
    }


def filter_by_status(
    queryset: QuerySet[ModelT], raw: str | None, allowed: list[str], errors: FieldErrors
) -> QuerySet[ModelT]:
    """Filter by a comma-separated ``status`` query parameter; an unknown one is a field error."""
    if not raw:
        return queryset
    statuses = [part.strip() for part in raw.split(",") if part.strip()]
    unknown = [status for status in statuses if status not in allowed]
    if unknown:
        errors["status"] = [f"Unknown status {unknown[0]!r}; use {', '.join(allowed)}."]
    return queryset.filter(status__in=statuses)


def filter_by_time_range(
    queryset: QuerySet[ModelT],
    field: str,
    starts: str | None,
    before: str | None,
    errors: FieldErrors,
) -> QuerySet[ModelT]:
    """Keep rows with ``from <= field < to`` (query parameters ``from`` and ``to``, with offsets)."""
    for name, value, lookup in (("from", starts, f"{field}__gte"), ("to", before, f"{field}__lt")):
        if value:
            try:
                queryset = queryset.filter(**{lookup: as_aware_datetime(value)})
            except FieldTypeError as error:
                errors[name] = [str(error)]
    return queryset


def _iso_date_text(value: Any) -> Any:
    """Only ``YYYY-MM-DD`` text (pydantic alone would read ``0`` as 1 January 1970)."""
    if isinstance(value, str) and len(value) == 10:
        return value
    if value is None or isinstance(value, dt.date):
        return value
    raise ValueError("Expected a date as YYYY-MM-DD.")


# A date in a query or body: YYYY-MM-DD and nothing else.
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date_text)]
