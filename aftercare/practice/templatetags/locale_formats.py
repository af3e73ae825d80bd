"""Template filters for dates, times and numbers in the practice's locale (see aftercare/locales.py).

Built in to every template (``TEMPLATES["OPTIONS"]["builtins"]``): ``{{ day|ldate:"j M Y" }}``,
``{{ amount|number:2 }}``, ``{{ weeks|counted:"week,weeks" }}``; and
``{% practice_locale practice %}``, which a client's portal page says first so that what follows
is written in its practice's locale.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.template.defaultfilters import date as django_date
from django.utils import timezone

from aftercare import locales

register = template.Library()


@register.filter
def ldate(value: Any, django_format: str = "j M Y") -> str:
    """``value`` (a date, datetime or time) in the locale in use, showing what the format shows."""
    if value in (None, ""):
        return ""
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    if isinstance(value, dt.date | dt.time) and django_format in locales.FORMATS:
        return locales.format_date(value, django_format)
    return django_date(value, django_format)


@register.filter
def number(value: Any, places: Any = None) -> str:
    """``1234.5`` as the locale writes it; ``|number:2`` with two decimals."""
    if value in (None, ""):
        return ""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    return locales.format_number(
        amount, locales.in_use(), places=None if places is None else int(places)
    )


@register.filter
def counted(value: Any, words: str) -> str:
    """``{{ 1|counted:"year,years" }}`` → "1 year"; ``{{ 3|counted:"year,years" }}`` → "3 years"."""
    one, _, other = words.partition(",")
    try:
        count = int(value)
    except (TypeError, ValueError):
        return f"{value} {other or one}"
    return locales.counted(count, one, other or one, locales.in_use())


@register.simple_tag
def practice_locale(practice: Any) -> str:
    """Use ``practice``'s locale for the rest of this request (a portal page has no sign-in)."""
    if practice is not None:
        locales.use(locales.locale_for(practice.language, practice.country))
    return ""


@register.simple_tag(takes_context=True)
def client_page_practice(context: Any) -> Any:
    """The practice a client-facing page speaks for: its client's, else the page's practice
    (a re-order or away-notice page), else None (a link that names nobody any more)."""
    client = context.get("client")
    practice = getattr(client, "practice", None) or context.get("practice")
    practice_locale(practice)
    return practice
