"""The trends page's month tables as ``<tr>`` markup, written in Python.

Five tables of twelve months: through the template engine their rows were about a fifth of the
page's CPU. ``month_rows`` writes the same markup, every value escaped, as
``clients/rows.py:list_rows`` does for the clients list.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import TYPE_CHECKING

from django.utils.safestring import SafeString, mark_safe

from aftercare.practice.templatetags.locale_formats import ldate

if TYPE_CHECKING:
    from aftercare.insights.trends import MonthShare


def month_rows(months: Iterable[MonthShare]) -> SafeString:
    """A ``<tr>`` per month: the month (``ldate:"M Y"``), its share, and "met of total"."""
    written = []
    for share in months:
        percent = share.percent
        shown = "—" if percent is None else f"{percent}%"
        written.append(
            f'<tr><th scope="row">{escape(ldate(share.month, "M Y"))}</th>'
            f"<td>{shown}</td><td>{share.met} of {share.total}</td></tr>"
        )
    return mark_safe("".join(written))
