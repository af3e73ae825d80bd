"""Phone numbers: parse what people type, store E.164. Pure (no Django)."""

from __future__ import annotations

import phonenumbers


class PhoneError(ValueError):
    """The text is not a usable mobile/landline number; the message says why."""


def normalize_phone(raw: str, default_region: str) -> str:
    """Return ``raw`` as an E.164 number (``+447911123456``), reading it in ``default_region``.

    Raises PhoneError with a message a person can act on.
    """
    text = raw.strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, default_region.upper() or None)
    except phonenumbers.NumberParseException as error:
        raise PhoneError(f"{text!r} is not a phone number ({error_reason(error)})") from error
    if not phonenumbers.is_valid_number(number):
        raise PhoneError(
            f"{text!r} is not a valid phone number for {default_region.upper()}; "
            "write it with the country code, e.g. +44 7911 123456"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """Format a stored E.164 number for people to read."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def error_reason(error: phonenumbers.NumberParseException) -> str:
    return {
        phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "unknown country code",
        phonenumbers.NumberParseException.NOT_A_NUMBER: "it has no digits a phone number could have",
        phonenumbers.NumberParseException.TOO_SHORT_NSN: "too short",
        phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "too short after the international prefix",
        phonenumbers.NumberParseException.TOO_LONG: "too long",
    }.get(error.error_type, "unreadable")
