"""Dates, times and numbers as the practice's people write them (pure: Babel, no Django models).

A practice's *locale* comes from its language and country (``en`` + ``GB`` → ``en_GB``: "30 Nov
2026", "14:30", "1,234.5"; ``en`` + ``US`` → "Nov 30, 2026", "2:30 PM"; ``de`` + ``DE`` →
"30. Nov. 2026", "1.234,5"). Pages format with the template filters of
``practice/templatetags/locale_formats.py`` (``|ldate:"j M Y"``, ``|number``, ``|counted``),
which read the locale *in use*: set for a practice's pages by ``practice_required`` and for a
client's portal page by its base template, for the length of the request.

The filters take the ``date`` filter's format strings, so a page says which parts it shows (day,
month, year, weekday, time) and the locale says in which order and words: ``FORMATS`` maps each
to a CLDR skeleton. Texts built in Python (message details, Today lines, form errors) call
``format_date`` with the same formats: with ``locale=None`` the locale in use (a request), and in
the worker, the tick and the planner the locale of the practice the text is for
(``practice_locale``, ``PracticePolicy.locale``).

Cheap enough for the sweep, which writes thousands of days: the Babel pattern of each
(locale, format) is worked out once, and a day's text is remembered (a sweep meets few days).
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import functools
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import DateTimePattern, match_skeleton, parse_pattern
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
    "l": ("EEEE", False, False),
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


def practice_locale(practice: Any) -> str:
    """The locale of ``practice`` (anything with a ``language`` and a ``country``)."""
    return locale_for(practice.language, practice.country)


def _widened(pattern: str, skeleton: str) -> str:
    """``pattern`` with its weekday and month names as wide as ``skeleton`` asks.

    CLDR says a matched pattern takes the requested field widths; Babel's ``format_skeleton``
    does not, so "Monday, March 1" would come out as "Mon, March 1" in en_US.
    """
    # Weekday names: E, EE and EEE are all the short name; c (standalone) from ccc. Month
    # names: from MMM (M and MM are numbers); L (standalone) likewise.
    names = {"E": r"E+|c{3,}", "M": r"M{3,}|L{3,}"}
    parts = pattern.split("'")
    for letter, runs in names.items():
        width = skeleton.count(letter)
        if width >= 3:
            for index in range(0, len(parts), 2):  # outside quoted literals
                parts[index] = re.sub(
                    runs, lambda run, width=width: run.group(0)[0] * width, parts[index]
                )
    return "'".join(parts)


@functools.lru_cache(maxsize=512)
def _patterns(
    locale: str, django_format: str
) -> tuple[Locale, DateTimePattern | None, DateTimePattern | None, str] | None:
    """The Babel patterns of a format in a locale (matching a skeleton is the slow part)."""
    known = FORMATS.get(django_format)
    if known is None:
        return None
    skeleton, with_time, seconds = known
    parsed = Locale.parse(locale)
    date_pattern = None
    if skeleton:
        skeletons = parsed.datetime_skeletons
        matched = skeleton if skeleton in skeletons else match_skeleton(skeleton, skeletons)
        pattern = str(skeletons[matched]) if matched else str(parsed.date_formats["medium"])
        date_pattern = parse_pattern(_widened(pattern, skeleton))
    time_pattern = parsed.time_formats["medium" if seconds else "short"] if with_time else None
    return parsed, date_pattern, time_pattern, str(parsed.datetime_formats["medium"])


@functools.lru_cache(maxsize=8192)
def _day_part(day: dt.date, django_format: str, locale: str) -> str:
    """A day as a format shows it (a sweep meets few days, thousands of times: remembered)."""
    parsed, date_pattern, _, _ = _patterns(locale, django_format)  # type: ignore[misc]
    return date_pattern.apply(day, parsed)  # type: ignore[union-attr]


@functools.lru_cache(maxsize=4096)
def _time_part(time: dt.time, django_format: str, locale: str) -> str:
    parsed, _, time_pattern, _ = _patterns(locale, django_format)  # type: ignore[misc]
    return time_pattern.apply(time, parsed)  # type: ignore[union-attr]


def format_when(
    value: dt.date | dt.datetime | dt.time, django_format: str, locale: str
) -> str | None:
    """``value`` in ``locale`` showing what ``django_format`` shows; None for a format not known."""
    if type(value) is dt.date:  # the sweep's case: one lookup
        return _day_text(value, django_format, locale)
    return _compose(value, django_format, locale)


@functools.lru_cache(maxsize=8192)
def _day_text(day: dt.date, django_format: str, locale: str) -> str | None:
    return _compose(day, django_format, locale)


def _compose(value: dt.date | dt.datetime | dt.time, django_format: str, locale: str) -> str | None:
    patterns = _patterns(locale, django_format)
    if patterns is None:
        return None
    _, date_pattern, time_pattern, glue = patterns
    is_day = isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    parts = []
    if date_pattern is not None and not isinstance(value, dt.time):
        day = value.date() if isinstance(value, dt.datetime) else value
        parts.append(_day_part(day, django_format, locale))
    if time_pattern is not None and not is_day:
        time = value.time() if isinstance(value, dt.datetime) else value
        parts.append(_time_part(time.replace(tzinfo=None), django_format, locale))  # type: ignore[union-attr]
    if len(parts) == 2:
        return glue.replace("{1}", parts[0]).replace("{0}", parts[1])
    return parts[0] if parts else ""


def format_date(
    value: dt.date | dt.datetime | dt.time, django_format: str = "j M Y", locale: str | None = None
) -> str:
    """``value`` as ``locale`` writes what ``django_format`` shows (one of ``FORMATS``).

    ``format_date(day, "l j F Y")``: "Monday, 1 March 2027" (en_GB), "Monday, March 1, 2027"
    (en_US), "Montag, 1. März 2027" (de_DE). ``locale=None``: the locale in use. A datetime is
    written as it is (make it local first).
    """
    formatted = format_when(value, django_format, locale or _in_use.get())
    if formatted is None:
        raise ValueError(f"No locale format for {django_format!r}; add it to locales.FORMATS.")
    return formatted


def format_day_at(
    moment: dt.datetime, date_format: str = "l j F", locale: str | None = None
) -> str:
    """A moment in an English sentence: "Monday 1 March at 14:30" (en_GB), "Monday, March 1 at
    2:30 PM" (en_US); the day as ``date_format`` shows it, the time as the locale writes it."""
    return f"{format_date(moment, date_format, locale)} at {format_date(moment, 'H:i', locale)}"


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
