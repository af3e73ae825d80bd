"""``{% timeline_items timeline %}``: the client page's timeline entries, written in Python
(``clients.rows``), with the CSRF field every other form of the page has."""

from __future__ import annotations

from html import escape

from django import template
from django.utils.safestring import SafeString

from aftercare.clients import rows
from aftercare.clients.timeline import TimelineEntry

register = template.Library()


def _csrf_field(context: template.Context) -> str:
    """What ``{% csrf_token %}`` writes (nothing where the page has no token)."""
    value = context.get("csrf_token")
    if not value or value == "NOTPROVIDED":
        return ""
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(str(value))}">'


@register.simple_tag(takes_context=True)
def timeline_items(context: template.Context, entries: list[TimelineEntry]) -> SafeString:
    """The ``<li>`` of each of ``entries``; their forms come back to the page's ``here``."""
    return rows.timeline_items(entries, here=context["here"], csrf_field=_csrf_field(context))
