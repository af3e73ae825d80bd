"""Dates as practices write them, and which order a file writes them in. Pure (no Django).

A file is read in one order, decided once for the whole file (a spreadsheet never mixes
them, and deciding per value would read 03/04 both ways in one column):

1. ISO dates (``1984-02-29``, also with a time) are read as they are, whatever the file.
2. Every other date has three numbers. A first number above 12 proves day first
   (``29/02/1984``), a second one above 12 proves month first (``07/14/1990``).
3. Proof one way only decides. Proof both ways means the file contradicts itself: ask.
4. No proof (every day is 12 or less): dots mean day first (``14.07.1982``, as German,
   Swiss and Scandinavian software writes them); then the tool the file came from, when it
   documents its order (SimplePractice writes month first); then the practice's country
   (the United States writes month first, Canada and the Philippines both ways: ask; the
   rest of the world day first).
"""

from __future__ import annotations

import datetime as dt
import re

DAY_FIRST = "dmy"
MONTH_FIRST = "mdy"
ORDERS = {DAY_FIRST: "day/month/year", MONTH_FIRST: "month/day/year"}

MONTH_FIRST_COUNTRIES = {"US", "FM", "MH", "PW", "AS", "GU", "MP", "PR", "VI", "UM"}
BOTH_WAYS_COUNTRIES = {"CA", "PH"}

ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$")
NUMERIC = re.compile(r"^(\d{1,2})([./-])(\d{1,2})\2(\d{2}|\d{4})(?: .*)?$")


class DateError(ValueError):
    """Not a date in the file's order; the message says what was expected."""


def decide_order(values: list[str], *, country: str, hint: str = "") -> str | None:
    """The file's order (``"dmy"`` or ``"mdy"``), or None when only a person can tell."""
    day_first = month_first = dots = numeric = 0
    for value in values:
        match = NUMERIC.match(value.strip())
        if not match:
            continue
        numeric += 1
        first, separator, second = int(match[1]), match[2], int(match[3])
        day_first += first > 12
        month_first += second > 12
        dots += separator == "."
    if not numeric:
        return DAY_FIRST  # ISO dates or none at all: either order reads them the same
    if day_first and month_first:
        return None
    if day_first:
        return DAY_FIRST
    if month_first:
        return MONTH_FIRST
    if dots:
        return DAY_FIRST
    if hint in ORDERS:
        return hint
    country = country.upper()
    if country in MONTH_FIRST_COUNTRIES:
        return MONTH_FIRST
    if country in BOTH_WAYS_COUNTRIES:
        return None
    return DAY_FIRST


def parse_date(text: str, order: str, *, today: dt.date) -> dt.date | None:
    """``text`` as a date read in ``order``; None for an empty cell.

    Two-digit years are the latest year that is not in the future (birth dates).
    """
    value = text.strip()
    if not value:
        return None
    iso = ISO.match(value)
    if iso:
        year, month, day = int(iso[1]), int(iso[2]), int(iso[3])
    else:
        match = NUMERIC.match(value)
        if not match:
            raise DateError(f"{value!r} is not a date (write it as {ORDERS[order]})")
        first, second, year = int(match[1]), int(match[3]), int(match[4])
        day, month = (first, second) if order == DAY_FIRST else (second, first)
        if len(match[4]) == 2:
            year += 2000 if 2000 + year <= today.year else 1900
    try:
        return dt.date(year, month, day)
    except ValueError as error:
        raise DateError(
            f"{value!r} is not a date read as {ORDERS[order]} ({error})"
            if not iso
            else f"{value!r} is not a date ({error})"
        ) from error
