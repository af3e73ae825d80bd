"""Sensible ranges for the dates people enter, around today. Pure (no Django).

Every date a person or a program hands Aftercare — an appointment, the start of a supply, an
absence — is checked against a range around today before it is stored: an appointment typed
in year 9999 once made the planner's date arithmetic overflow for the whole practice. The
ranges are wide enough for real use (imported history, bookings years ahead) and narrow enough
that every date computed from them (a check-in 3 days after, a recall 8 weeks after, a run-out
and its lead time) stays a real date. Each check returns the sentence a person reads, or None.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from aftercare.locales import counted, format_date, in_use

# An appointment lasts less than a day; a preparation lead time is less than a year.
MAX_APPOINTMENT_LENGTH = dt.timedelta(hours=24)
MAX_LEAD_TIME_DAYS = 364
# An absence lasts at most a year; a supply lasts (runs out) within ten years of its start.
MAX_ABSENCE_DAYS = 366
MAX_SUPPLY_YEARS = 10


def shift_years(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` later (or earlier); 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def years(count: int, locale: str | None = None) -> str:
    return counted(count, "year", "years", locale or in_use())


def day_text(day: dt.date, locale: str | None = None) -> str:
    """ "3 Mar 2027" as ``locale`` writes it (None: the locale in use)."""
    return format_date(day, "j M Y", locale)


@dataclass(frozen=True)
class DateRange:
    """``what`` may be at most ``years_back`` years before today and ``years_ahead`` after."""

    what: str
    years_back: int
    years_ahead: int

    def problem(self, day: dt.date, today: dt.date, locale: str | None = None) -> str | None:
        earliest, latest = (
            shift_years(today, -self.years_back),
            shift_years(today, self.years_ahead),
        )
        if day < earliest:
            return (
                f"{self.what} can be at most {years(self.years_back, locale)} ago (from "
                f"{day_text(earliest, locale)}); {day_text(day, locale)} is earlier."
            )
        if day > latest:
            return (
                f"{self.what} can be at most {years(self.years_ahead, locale)} ahead (until "
                f"{day_text(latest, locale)}); {day_text(day, locale)} is later."
            )
        return None


APPOINTMENT_DAYS = DateRange("An appointment", years_back=30, years_ahead=5)
SUPPLY_START = DateRange("A supply's start", years_back=10, years_ahead=1)
ABSENCE_DAYS = DateRange("An absence", years_back=1, years_ahead=3)
# ``aftercare tick --at``, ``worker --at``, ``preview --from/--to``: replaying or looking ahead.
COMMAND_DAYS = DateRange("The date", years_back=30, years_ahead=10)


def appointment_length_problem(starts_at: dt.datetime, ends_at: dt.datetime) -> str | None:
    if ends_at <= starts_at:
        return "The end must be after the start."
    if ends_at - starts_at >= MAX_APPOINTMENT_LENGTH:
        return "An appointment lasts less than a day: check the end's date and time."
    return None


def lead_time_problem(days: int) -> str | None:
    if days < 0:
        return "The lead time cannot be negative."
    if days > MAX_LEAD_TIME_DAYS:
        return f"A lead time is less than a year (at most {MAX_LEAD_TIME_DAYS} days)."
    return None


def absence_length_problem(first_day: dt.date, last_day: dt.date) -> str | None:
    if (last_day - first_day).days + 1 > MAX_ABSENCE_DAYS:
        return f"An absence lasts at most a year ({MAX_ABSENCE_DAYS} days); split a longer one."
    return None
