"""Dates, times and numbers as the practice's people write them (pure: Babel, no Django models).

A practice's *locale* comes from its language and country (``en`` + ``GB`` → ``en_GB``: "30 Nov
2026", "14:30", "1,234.5"; ``en`` + ``US`` → "Nov 30, 2026", "2:30 PM"; ``de`` + ``DE`` →
"30. Nov. 2026", "1.234,5"). Pages format with the template filters of
``practice/templatetags/locale_formats.py`` (``|ldate:"j M Y"``, ``|number``, ``|counted``),
which read the locale *in use*: set for a practice's pages by ``practice_required`` and for a
client's portal page by its base template, for the length of the request.

The filters take the ``date`` filter's format strings, so a page says which parts it shows (day,
month, year, weekday, time) and the locale says in which order and words: ``FORMATS`` maps each
to a CLDR skeleton.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import functools
from collections.abc import Iterator
from decimal import Decimal

from babel import Locale, UnknownLocaleError
from babel.dates import format_skeleton, format_time
from babel.numbers import format_decimal

DEFAULT_LOCALE = "en_GB"

# The date filter's formats the pages use → (the date's skeleton or "", with the time, seconds).
FORMATS: dict[str, tuple[str, bool, bool]] = {
    "j M Y": ("yMMMd", False, False),
    "j F Y": ("yMMMMd", False, False),
    "j M": ("MMMd", False, False),
    "j F": ("MMMMd", False, False),
    "M Y": ("yMMM", False, False),
    "D j": ("Ed", False, False),
    "D j M": ("MMMEd", False, False),
    "D j M Y": ("yMMMEd", False, False),
    "l j M": ("MMMEd", False, False),
    "l j F": ("MMMMEEEEd", False, False),
    "l j F Y": ("yMMMMEEEEd", False, False),
    "H:i": ("", True, False),
    "H:i:s": ("", True, True),
    "j M H:i": ("MMMd", True, False),
    "j M, H:i": ("MMMd", True, False),
    "j F, H:i": ("MMMMd", True, False),
    "j M Y H:i": ("yMMMd", True, False),
    "j M Y, H:i": ("yMMMd", True, False),
    "j M H:i:s": ("MMMd", True, True),
    "D j M H:i": ("MMMEd", True, False),
    "D j M, H:i": ("MMMEd", True, False),
    "D j M Y, H:i": ("yMMMEd", True, False),
    "l j M, H:i": ("MMMEd", True, False),
    "l j F, H:i": ("MMMMEEEEd", True, False),
    "l j F Y, H:i": ("yMMMMEEEEd", True, False),
}

_in_use: contextvars.ContextVar[str] = contextvars.ContextVar("locale", default=DEFAULT_LOCALE)


@functools.lru_cache(maxsize=256)
def locale_for(language: str, country: str) -> str:
    """The locale of a practice: its language in its country, else the language alone."""
    for candidate in (f"{language}_{country.upper()}", language or "en"):
        try:
            return str(Locale.parse(candidate))
        except (UnknownLocaleError, ValueError):
            continue
    return DEFAULT_LOCALE


def in_use() -> str:
    return _in_use.get()


def use(locale: str) -> contextvars.Token[str]:
    """Use ``locale`` from now on in this context (a request); ``reset`` with the token."""
    return _in_use.set(locale)


def reset(token: contextvars.Token[str]) -> None:
    _in_use.reset(token)


@contextlib.contextmanager
def using(locale: str) -> Iterator[None]:
    token = use(locale)
    try:
        yield
    finally:
        reset(token)


@functools.lru_cache(maxsize=64)
def _parsed(locale: str) -> Locale:
    """Babel's locale object, parsed once: a page of 100 dates parsed it 300 times."""
    return Locale.parse(locale)


def format_when(
    value: dt.date | dt.datetime | dt.time, django_format: str, locale: str
) -> str | None:
    """``value`` in ``locale`` showing what ``django_format`` shows; None for a format not known."""
    known = FORMATS.get(django_format)
    if known is None:
        return None
    skeleton, with_time, seconds = known
    babel_locale = _parsed(locale)
    parts = []
    if skeleton and not isinstance(value, dt.time):
        parts.append(format_skeleton(skeleton, value, locale=babel_locale))
    if with_time and not (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        moment = value.time() if isinstance(value, dt.datetime) else value
        parts.append(format_time(moment, "medium" if seconds else "short", locale=babel_locale))
    if len(parts) == 2:
        pattern = babel_locale.datetime_formats["medium"]
        return str(pattern).replace("{1}", parts[0]).replace("{0}", parts[1])
    return parts[0] if parts else ""


def format_number(value: int | float | Decimal, locale: str, *, places: int | None = None) -> str:
    """``1234.5`` as ``1,234.5`` (en), ``1.234,5`` (de); ``places`` fixes the decimals."""
    if places is None:
        return format_decimal(value, locale=locale)
    pattern = "#,##0" + ("." + "0" * places if places else "")
    return format_decimal(value, format=pattern, locale=locale)


def counted(count: int, one: str, other: str, locale: str) -> str:
    """``1 year``, ``2 years``: the number as the locale writes it, the word as English needs.

    The words are the page's (English), so English decides which one: ``one`` only for 1.
    """
    word = one if count == 1 else other
    return f"{format_number(count, locale)} {word}"


def plural(count: int, one: str, other: str) -> str:
    """``counted`` in the locale in use: "1 day", "3 days" (for words made outside a template)."""
    return counted(count, one, other, in_use())
