"""``{% queue_items %}`` writes what the care queue's item template wrote, every value escaped."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.template import engines
from django.test import RequestFactory

from aftercare.queue.items import QueueItem

# The item cards as their template wrote them before the tag wrote them in Python.
OLD_TEMPLATE = """{% url 'care-queue-act' as act_url %}{% for item in queue_items %}<li class="card queue-item" id="item-{{ item.id|slugify }}" data-item="{{ item.id }}">
  <div class="queue-head">
    <span class="status urgency-{{ item.urgency }}">{{ item.urgency|capfirst }}</span>
    <strong class="queue-title">{{ item.title }}</strong>
    {% if item.client_name %}<span> · {% if item.url %}<a href="{{ item.url }}">{{ item.client_name }}</a>{% else %}{{ item.client_name }}{% endif %}</span>{% endif %}
  </div>
  <p class="muted">{{ item.reason }}{% if item.due_at %} · due {{ item.due_at|ldate:"D j M, H:i" }}{% endif %} · about {{ item.estimated_minutes }} min</p>
  {% if error %}<p class="errorlist" role="alert">{{ error }}</p>{% endif %}
  <div class="actions">
    {% if "done" in item.actions %}
    <form method="post" action="{{ act_url }}"{% if not plain_forms %} hx-post="{{ act_url }}" hx-target="closest li" hx-swap="outerHTML"{% endif %}>
      {% csrf_token %}<input type="hidden" name="item" value="{{ item.id }}"><input type="hidden" name="next" value="{{ next_url }}">
      <button type="submit" name="action" value="done" data-shortcut="d">{{ item.done_label }}</button>
    </form>
    {% endif %}
    {% if "snooze" in item.actions %}
    <form method="post" action="{{ act_url }}"{% if not plain_forms %} hx-post="{{ act_url }}" hx-target="closest li" hx-swap="outerHTML"{% endif %} class="inline-form">
      {% csrf_token %}<input type="hidden" name="item" value="{{ item.id }}"><input type="hidden" name="next" value="{{ next_url }}">
      <label class="visually-hidden" for="until-{{ item.id|slugify }}">Snooze until</label>
      <input type="date" id="until-{{ item.id|slugify }}" name="until" value="{{ tomorrow|date:'Y-m-d' }}" min="{{ tomorrow|date:'Y-m-d' }}">
      <button type="submit" name="action" value="snooze" class="secondary" data-shortcut="s">Snooze</button>
    </form>
    {% endif %}
    {% if "skip" in item.actions %}
    <form method="post" action="{{ act_url }}"{% if not plain_forms %} hx-post="{{ act_url }}" hx-target="closest li" hx-swap="outerHTML"{% endif %} class="inline-form">
      {% csrf_token %}<input type="hidden" name="item" value="{{ item.id }}"><input type="hidden" name="next" value="{{ next_url }}">
      <label class="visually-hidden" for="reason-{{ item.id|slugify }}">Why skip?</label>
      <input type="text" id="reason-{{ item.id|slugify }}" name="reason" placeholder="Why skip?" maxlength="300">
      <button type="submit" name="action" value="skip" class="secondary">Skip</button>
    </form>
    {% endif %}
    {% if "open" in item.actions and item.url %}<a class="button secondary" href="{{ item.url }}">Open client</a>{% endif %}
  </div>
</li>{% endfor %}"""

ITEMS = [
    QueueItem(
        id="flagged_reply:7",
        kind="flagged_reply",
        client_id=3,
        client_name='Ann "<b>" O\'Neil & Co',
        title="urgent: <worse>",
        reason="Said: 'I feel worse' & more",
        urgency="urgent",
        due_at=dt.datetime(2026, 11, 30, 9, 5, tzinfo=dt.UTC),
        actions=("done", "open"),
        done_label="Read",
        url="/clients/3/",
    ),
    QueueItem(
        id="touchpoint:12",
        kind="task",
        client_id=None,
        client_name="",
        title="Call back",
        estimated_minutes=15,
    ),
    QueueItem(
        id="promise:4",
        kind="promise",
        client_id=5,
        client_name="Bo",
        title="Promise: send it",
        actions=("done", "snooze", "skip"),
        url="",
    ),
]


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"plain_forms": True},
        {"error": "Choose a day after <today>"},
    ],
)
def test_the_tag_writes_what_the_template_wrote(extra: dict[str, object]) -> None:
    request = RequestFactory().get("/care/")
    context = {
        "queue_items": ITEMS,
        "tomorrow": dt.date(2026, 12, 1),
        "next_url": "/care/?scope=mine&x=<y>",
        **extra,
    }
    django = engines["django"]
    ours = django.from_string("{% load queue_items %}{% queue_items queue_items %}")
    theirs = django.from_string(OLD_TEMPLATE)

    def words(html: str) -> list[str]:
        # A page's CSRF value is masked anew for each page.
        html = re.sub(r'csrfmiddlewaretoken" value="[^"]+"', 'csrfmiddlewaretoken" value=""', html)
        return [line.strip() for line in html.splitlines() if line.strip()]

    written = ours.render(context, request)
    assert words(written) == words(theirs.render(context, request))
    assert "csrfmiddlewaretoken" in written and "&lt;b&gt;" in written
