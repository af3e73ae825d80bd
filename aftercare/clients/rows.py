"""The clients list's rows and the client page's timeline as markup, written in Python.

The list shows fifty clients a page; its template looked up eight values per row through the
template engine, about a quarter of the page's CPU (issue 16). ``list_rows`` writes the same
markup, every value escaped, as ``week_items`` does for the week and ``{% queue_items %}`` for
the care queue. ``timeline_items`` does the same for the client page's timeline (up to
``TIMELINE_LIMIT`` entries, each with its forms), which its template wrote value by value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from html import escape
from typing import Any

from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from aftercare.clients.selectors import ListRow
from aftercare.clients.timeline import TimelineAction, TimelineEntry
from aftercare.practice.templatetags.locale_formats import ldate

NO_TAGS = '<span class="muted">—</span>'


def list_rows(clients: Iterable[ListRow], detail_url: Callable[[int], str]) -> SafeString:
    """A ``<tr>`` per client (``selectors.ListRow``): name (and preferred name, archived),
    contact, practitioner, tags."""
    written = []
    for client in clients:
        name = f'<a href="{escape(detail_url(client.pk))}">{escape(client.full_name)}</a>'
        if client.preferred_name:
            name += f' <span class="muted">({escape(client.preferred_name)})</span>'
        if client.archived:
            name += ' <span class="status">Archived</span>'
        contact = f'<span class="nowrap">{escape(client.email)}</span><br>' if client.email else ""
        phone = client.phone_display
        if phone:
            contact += f'<span class="nowrap">{escape(phone)}</span>'
        by = escape(client.practitioner) if client.practitioner else "—"
        tags = "".join(f'<span class="tag">{escape(tag)}</span>' for tag in client.tags)
        tags = tags or NO_TAGS
        written.append(
            "\n      <tr>\n"
            f"        <td>{name}</td>\n"
            f"        <td>{contact}</td>\n"
            f"        <td>{by}</td>\n"
            f"        <td>{tags}</td>\n"
            "      </tr>\n    "
        )
    # Every value above went through ``escape`` (the standard library's, as Django's own
    # ``escape`` calls it, without its lazy-text wrapper: a tenth of this function).
    return mark_safe("".join(written))


def _text(value: Any) -> str:
    """``value`` as ``{{ value }}`` writes it: escaped, unless it is markup already."""
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return escape(str(value))


def _time(at: dt.datetime) -> str:
    """The ``<time>`` of an entry: ``{{ at|date:'c' }}`` and ``{{ at|ldate:"D j M Y, H:i" }}``."""
    if isinstance(at, dt.datetime) and timezone.is_aware(at):
        at = timezone.localtime(at)
    return f'<time datetime="{escape(at.isoformat())}">{escape(ldate(at, "D j M Y, H:i"))}</time>'


def _action_form(action: TimelineAction, *, csrf_field: str, next_field: str) -> str:
    fields = "".join(
        f'<input type="hidden" name="{_text(name)}" value="{_text(value)}">'
        for name, value in action.fields.items()
    )
    return (
        f'\n        <form method="post" action="{_text(action.url)}">\n'
        f"          {csrf_field}\n"
        f"          {fields}\n"
        f"          {next_field}\n"
        f'          <button type="submit" class="{_text(action.style)}">{_text(action.label)}'
        "</button>\n"
        "        </form>\n        "
    )


def timeline_items(entries: Iterable[TimelineEntry], *, here: str, csrf_field: str) -> SafeString:
    """An ``<li>`` per timeline entry, newest first as given: its time, status badge, title
    (linked when it has a URL), detail and one-click forms that come back to ``here``.

    ``csrf_field`` is what ``{% csrf_token %}`` writes on the page, the same in every form.
    """
    next_field = f'<input type="hidden" name="next" value="{escape(here)}">'
    written = []
    for entry in entries:
        status = (
            f'<span class="status status-{_text(entry.status)}">{_text(entry.badge)}</span>'
            if entry.status
            else ""
        )
        title = _text(entry.title)
        if entry.url:
            title = f'<a href="{_text(entry.url)}">{title}</a>'
        detail = f'<div class="muted">{_text(entry.detail)}</div>' if entry.detail else ""
        actions = ""
        if entry.actions:
            forms = "".join(
                _action_form(action, csrf_field=csrf_field, next_field=next_field)
                for action in entry.actions
            )
            actions = f'\n      <div class="actions">\n        {forms}\n      </div>\n      '
        written.append(
            f'\n    <li class="kind-{_text(entry.kind)}">\n'
            '      <div class="timeline-head">\n'
            f"        {_time(entry.at)}\n"
            f"        {status}\n"
            "      </div>\n"
            f"      <div>{title}</div>\n"
            f"      {detail}\n"
            f"      {actions}\n"
            "    </li>\n    "
        )
    # Every value above went through ``escape`` (or was markup already, as the template kept it).
    return mark_safe("".join(written))
