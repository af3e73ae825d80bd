"""``{% queue_items items %}``: the care queue's items as ``<li>`` cards, written in Python.

The queue page shows up to a hundred items; its template, per item, looked up some thirty
variables, slugified the id three times and wrote the CSRF field up to three times, which made
the rendering about as costly as reading the queue (issue 16). Here each item is one f-string
with every value escaped, the page's parts (the CSRF field, the action's URL, tomorrow's
date, the ``next`` address) are made once, and the markup is what the template wrote.
"""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst, slugify

from aftercare.practice.templatetags.locale_formats import ldate
from aftercare.queue.items import QueueItem

register = template.Library()


def _csrf_field(context: template.Context) -> str:
    """What ``{% csrf_token %}`` writes (nothing where the page has no token)."""
    value = context.get("csrf_token")
    if not value or value == "NOTPROVIDED":
        return ""
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(value)}">'


@register.simple_tag(takes_context=True)
def queue_items(context: template.Context, items: list[QueueItem]) -> SafeString:
    """Each item's card: urgency, title, client, reason and due time, and its action forms."""
    act_url = escape(reverse("care-queue-act"))
    csrf = _csrf_field(context)
    next_url = escape(context.get("next_url", ""))
    tomorrow = context.get("tomorrow")
    day = escape(tomorrow.isoformat()) if tomorrow else ""
    htmx = (
        ""
        if context.get("plain_forms")
        else f' hx-post="{act_url}" hx-target="closest li" hx-swap="outerHTML"'
    )
    error = context.get("error")
    error_line = f'\n  <p class="errorlist" role="alert">{escape(error)}</p>' if error else ""
    written = [_item(item, act_url, csrf, next_url, day, htmx, error_line) for item in items]
    # Every value above went through ``escape``.
    return mark_safe("".join(written))


def _item(
    item: QueueItem,
    act_url: str,
    csrf: str,
    next_url: str,
    day: str,
    htmx: str,
    error_line: str,
) -> str:
    slug = escape(slugify(item.id))
    item_id = escape(item.id)
    url = escape(item.url)
    hidden = (
        f'{csrf}<input type="hidden" name="item" value="{item_id}">'
        f'<input type="hidden" name="next" value="{next_url}">'
    )
    client = ""
    if item.client_name:
        name = escape(item.client_name)
        linked = f'<a href="{url}">{name}</a>' if url else name
        client = f"<span> · {linked}</span>"
    due = f" · due {escape(ldate(item.due_at, 'D j M, H:i'))}" if item.due_at else ""
    forms: list[str] = []
    if "done" in item.actions:
        forms.append(
            f'\n    <form method="post" action="{act_url}"{htmx}>\n      {hidden}\n'
            f'      <button type="submit" name="action" value="done" data-shortcut="d">'
            f"{escape(item.done_label)}</button>\n    </form>"
        )
    if "snooze" in item.actions:
        forms.append(
            f'\n    <form method="post" action="{act_url}"{htmx} class="inline-form">\n'
            f"      {hidden}\n"
            f'      <label class="visually-hidden" for="until-{slug}">Snooze until</label>\n'
            f'      <input type="date" id="until-{slug}" name="until" value="{day}" min="{day}">\n'
            f'      <button type="submit" name="action" value="snooze" class="secondary" '
            f'data-shortcut="s">Snooze</button>\n    </form>'
        )
    if "skip" in item.actions:
        forms.append(
            f'\n    <form method="post" action="{act_url}"{htmx} class="inline-form">\n'
            f"      {hidden}\n"
            f'      <label class="visually-hidden" for="reason-{slug}">Why skip?</label>\n'
            f'      <input type="text" id="reason-{slug}" name="reason" placeholder="Why skip?" '
            f'maxlength="300">\n'
            f'      <button type="submit" name="action" value="skip" class="secondary">Skip'
            f"</button>\n    </form>"
        )
    if "open" in item.actions and item.url:
        forms.append(f'\n    <a class="button secondary" href="{url}">Open client</a>')
    return (
        f'<li class="card queue-item" id="item-{slug}" data-item="{item_id}">\n'
        f'  <div class="queue-head">\n'
        f'    <span class="status urgency-{escape(item.urgency)}">'
        f"{escape(capfirst(item.urgency))}</span>\n"
        f'    <strong class="queue-title">{escape(item.title)}</strong>\n'
        f"    {client}\n"
        f"  </div>\n"
        f'  <p class="muted">{escape(item.reason)}{due} · about {item.estimated_minutes} min</p>'
        f"{error_line}\n"
        f'  <div class="actions">{"".join(forms)}\n  </div>\n'
        f"</li>"
    )
