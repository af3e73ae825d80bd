"""Template filters for client data: ``{% load clients %}``."""

from __future__ import annotations

from django import template

from aftercare.phones import format_phone

register = template.Library()


@register.filter(name="phone")
def phone(e164: str) -> str:
    """A stored E.164 number as people read it: ``+44 7911 123456``."""
    return format_phone(e164 or "")
