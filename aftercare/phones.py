"""Phone numbers: parse what people type, store E.164. Pure (no Django).

What a person types is read whole — ``+49 (0) 30 / 901 820 12``, ``(202) 555-0147``,
``+44 7911 123456 ext. 12`` — and either stored as exactly that number or refused with the
reason: never cut to a length, never a letter read as a digit (``0800 FLOWERS``), an extension
kept apart from the number it belongs to. Landlines are fine to call but cannot receive SMS or
WhatsApp (``can_receive_texts``).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import phonenumbers

# A bound on what is read at all: longer than any number written with spaces and an extension.
MAX_PHONE_INPUT = 100
# ``ext. 12``, ``ext 12``, ``extension 12``, ``x12``, ``#12``, ``;ext=12`` at the end.
EXTENSION = re.compile(
    r"\s*(?:;\s*ext=|,?\s*(?:extension|ext\.?|x|#)\s*:?)\s*(?P<digits>\d{1,10})\s*$",
    re.IGNORECASE,
)
# Characters people write numbers with; anything else (a letter) is not read as a digit.
NUMBER_CHARACTERS = re.compile(r"^\+?[\d\s()\-./\u00a0\u2010-\u2015]+$")
# Number types that cannot receive a text message (a US number is FIXED_LINE_OR_MOBILE: can).
NOT_FOR_TEXTS = frozenset(
    {
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.TOLL_FREE,
        phonenumbers.PhoneNumberType.PREMIUM_RATE,
        phonenumbers.PhoneNumberType.SHARED_COST,
        phonenumbers.PhoneNumberType.UAN,
        phonenumbers.PhoneNumberType.VOICEMAIL,
    }
)


@dataclass(frozen=True)
class Phone:
    number: str  # E.164, "" when nothing was typed
    extension: str = ""  # digits only
    landline: bool = False  # cannot receive SMS or WhatsApp


def parse_phone(raw: str, default_region: str) -> Phone:
    """Read a number as a person typed it: the E.164 number, its extension, whether it texts.

    1. Nothing typed is no number; more than ``MAX_PHONE_INPUT`` characters is refused.
    2. An extension at the end (``ext. 12``, ``x12``, ``#12``) is taken off into its own part.
    3. What remains may hold only digits, one leading ``+`` and the punctuation people write
       numbers with — a letter is refused rather than read as a digit.
    4. It must be a valid number of its country (the practice's when it has no ``+``).

    Raises PhoneError with a message a person can act on.
    """
    text = raw.strip()
    if not text:
        return Phone("")
    if len(text) > MAX_PHONE_INPUT:
        raise PhoneError(
            f"A phone number has at most {MAX_PHONE_INPUT} characters; this has {len(text)}."
        )
    extension = ""
    match = EXTENSION.search(text)
    if match:
        extension = match.group("digits")
        text = text[: match.start()].strip()
    if not NUMBER_CHARACTERS.match(text):
        raise PhoneError(
            f"{raw.strip()!r} is not a phone number: use digits, spaces and + ( ) - / . only "
            "(an extension goes at the end, e.g. ext. 12)"
        )
    number = normalize_phone(text, default_region)
    return Phone(number, extension, landline=not can_receive_texts(number))


@functools.lru_cache(maxsize=4096)
def can_receive_texts(e164: str) -> bool:
    """Whether SMS and WhatsApp can reach this stored number (not a landline, not toll-free)."""
    if not e164:
        return False
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(number) not in NOT_FOR_TEXTS


class PhoneError(ValueError):
    """The text is not a usable mobile/landline number; the message says why."""


def format_extension(extension: str) -> str:
    return f" ext. {extension}" if extension else ""


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
