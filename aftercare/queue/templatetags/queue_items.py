"""``{% queue_items items %}``: the care queue's items as ``<li>`` cards, written in Python
(and ``{% today_entries entries %}``: a Today card's entries, the same way).

The queue page shows up to a hundred items; its template, per item, looked up some thirty
variables, slugified the id three times and wrote the CSRF field up to three times, which made
the rendering about as costly as reading the queue (issue 16). Here each item is one f-string
with every value escaped, the page's parts (the CSRF field, the action's URL, tomorrow's
date, the ``next`` address) are made once, and the markup is what the template wrote.
"""

from __future__ import annotations

import html

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst, slugify

from aftercare.form_renderer import csrf_field
from aftercare.practice.templatetags.locale_formats import ldate
from aftercare.queue.items import QueueItem
from aftercare.queue.today import TodayEntry


def escape(value: object) -> str:
    """Django's ``escape`` (the standard library's on the value as text) without its lazy-text
    wrapper, which cost more than the escaping for the page's thousands of values."""
    return html.escape(str(value))


register = template.Library()


@register.simple_tag(takes_context=True)
def queue_items(context: template.Context, items: list[QueueItem]) -> SafeString:
    """Each item's card: urgency, title, client, reason and due time, and its action forms."""
    act_url = escape(reverse("care-queue-act"))
    csrf = csrf_field(context.get("csrf_token"))
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


@register.simple_tag(takes_context=True)
def today_entries(context: template.Context, entries: tuple[TodayEntry, ...]) -> SafeString:
    """A Today card's entries as ``<li>`` lines: urgency, who, when, the client's words, the
    reason, a call link for an urgent reply, and the entry's buttons.

    Today shows up to seven cards of five entries; looked up through the template engine they
    cost about a quarter of the page's CPU. Written here as the care queue's items are, every
    value escaped; the markup is what ``queue/today.html`` wrote (tests/test_today_entries.py).
    """
    csrf = csrf_field(context.get("csrf_token"))
    next_field = f'<input type="hidden" name="next" value="{escape(context.get("next_url", ""))}">'
    return mark_safe("".join(_entry(entry, csrf, next_field) for entry in entries))  # escaped


def _entry(entry: TodayEntry, csrf: str, next_field: str) -> str:
    title = escape(entry.title)
    urgency = escape(entry.urgency)
    badge = ""
    if entry.urgency and entry.urgency != "routine":
        badge = f'<span class="status urgency-{urgency}">{escape(capfirst(entry.urgency))}</span>'
    when = ""
    if entry.when:
        said = (
            f"{escape(entry.when_label)} {escape(ldate(entry.when, 'H:i'))}"
            if entry.when_label
            else escape(ldate(entry.when, "D j M, H:i"))
        )
        when = f'<span class="muted">{said}</span>'
    detail = f'<p class="today-detail">{escape(entry.detail)}</p>' if entry.detail else ""
    note = f'<p class="muted">{escape(entry.note)}</p>' if entry.note else ""
    call = ""
    if entry.phone:
        call = (
            f'<a class="button call" href="tel:{escape(entry.phone)}">'
            f"Call {escape(entry.phone_label or entry.phone)}</a>"
        )
    hidden_title = f'<span class="visually-hidden"> — {title}</span>'
    buttons = []
    for action, secondary in entry.buttons:
        label = escape(action.label)
        if action.method == "post":
            fields = "".join(
                f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
                for name, value in action.fields.items()
            )
            own_next = "" if action.fields.get("next") else next_field
            button_class = ' class="secondary"' if secondary else ""
            buttons.append(
                f'<form method="post" action="{escape(action.url)}">{csrf}{fields}{own_next}'
                f'<button type="submit"{button_class}>{label}{hidden_title}</button></form>'
                "\n        "
            )
        else:
            link_class = "button secondary" if secondary else "button"
            buttons.append(
                f'<a class="{link_class}" href="{escape(action.url)}">{label}{hidden_title}</a>'
                "\n        "
            )
    marked = f" today-{urgency}" if entry.urgency else ""
    return (
        f'\n    <li class="today-entry{marked}">\n'
        f'      <div class="today-entry-head">\n'
        f"        {badge}\n"
        f"        <strong>{title}</strong>\n"
        f"        {when}\n"
        f"      </div>\n"
        f"      {detail}\n"
        f"      {note}\n"
        f'      <div class="actions">\n'
        f"        {call}\n"
        f"        {''.join(buttons)}\n"
        f"      </div>\n"
        f"    </li>\n    "
    )
