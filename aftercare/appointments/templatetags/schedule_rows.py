"""``{% day_rows entries %}``: the day page's rows, written in Python (``appointments.rows``),
with the CSRF field every other form of the page has."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from aftercare.appointments import rows
from aftercare.appointments.selectors import DayEntry
from aftercare.form_renderer import csrf_field

register = template.Library()


@register.simple_tag(takes_context=True)
def day_rows(context: template.Context, entries: list[DayEntry]) -> SafeString:
    """The ``<tr>`` of each of ``entries``; the page's ``here`` and ``everyone`` say where its
    forms come back to and whether each row names its practitioner."""
    here = context["here"]
    return rows.day_rows(
        entries,
        rows.ScheduleText(here=here),
        everyone=context["everyone"],
        here=here,
        csrf_field=csrf_field(context.get("csrf_token")),
    )
