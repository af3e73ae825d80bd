"""``{{ message|status_words }}``: what became of a message, in words (never "Sent" in preview)."""

from __future__ import annotations

from django import template

from aftercare.messaging.inbox import status_words as _status_words
from aftercare.messaging.models import Message

register = template.Library()


@register.filter
def status_words(message: Message) -> str:
    return _status_words(message)
