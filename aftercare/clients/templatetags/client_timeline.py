"""``{% timeline_items timeline %}``: the client page's timeline entries, written in Python
(``clients.rows``), with the CSRF field every other form of the page has."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from aftercare.clients import rows
from aftercare.clients.timeline import TimelineEntry
from aftercare.form_renderer import csrf_field

register = template.Library()


@register.simple_tag(takes_context=True)
def timeline_items(context: template.Context, entries: list[TimelineEntry]) -> SafeString:
    """The ``<li>`` of each of ``entries``; their forms come back to the page's ``here``."""
    return rows.timeline_items(
        entries, here=context["here"], csrf_field=csrf_field(context.get("csrf_token"))
    )
