"""``{% today_entries %}`` writes what queue/today.html's entry loop wrote, every value escaped."""

from __future__ import annotations

import datetime as dt

from django.template import engines

from aftercare.queue.today import TodayAction, TodayEntry

# The entries of a card as queue/today.html's loop wrote them before ``today_entries`` (the
# white space around the loop, inside ``<ul>``, left out).
OLD_TEMPLATE = """{% for entry in card.entries %}
    <li class="today-entry{% if entry.urgency %} today-{{ entry.urgency }}{% endif %}">
      <div class="today-entry-head">
        {% if entry.urgency and entry.urgency != "routine" %}<span class="status urgency-{{ entry.urgency }}">{{ entry.urgency|capfirst }}</span>{% endif %}
        <strong>{{ entry.title }}</strong>
        {% if entry.when %}<span class="muted">{% if entry.when_label %}{{ entry.when_label }} {{ entry.when|ldate:"H:i" }}{% else %}{{ entry.when|ldate:"D j M, H:i" }}{% endif %}</span>{% endif %}
      </div>
      {% if entry.detail %}<p class="today-detail">{{ entry.detail }}</p>{% endif %}
      {% if entry.note %}<p class="muted">{{ entry.note }}</p>{% endif %}
      <div class="actions">
        {% if entry.phone %}<a class="button call" href="tel:{{ entry.phone }}">Call {{ entry.phone_label|default:entry.phone }}</a>{% endif %}
        {% for action, secondary in entry.buttons %}{% if action.method == "post" %}<form method="post" action="{{ action.url }}">{% csrf_token %}{% for name, value in action.fields.items %}<input type="hidden" name="{{ name }}" value="{{ value }}">{% endfor %}{% if not action.fields.next %}<input type="hidden" name="next" value="{{ next_url }}">{% endif %}<button type="submit"{% if secondary %} class="secondary"{% endif %}>{{ action.label }}<span class="visually-hidden"> — {{ entry.title }}</span></button></form>{% else %}<a class="button{% if secondary %} secondary{% endif %}" href="{{ action.url }}">{{ action.label }}<span class="visually-hidden"> — {{ entry.title }}</span></a>{% endif %}
        {% endfor %}
      </div>
    </li>
    {% endfor %}"""
NEW_TEMPLATE = "{% load queue_items %}{% today_entries card.entries %}"

AT = dt.datetime(2026, 11, 30, 14, 30, tzinfo=dt.UTC)
ENTRIES = (
    TodayEntry(
        title='<script>alert("x")</script> O\'Brien & Co',
        client_id=1,
        detail="I can't sleep & the <b>tablets</b> make me dizzy",
        note="Flagged for: side effect: 'dizzy'",
        when=AT,
        urgency="urgent",
        phone="+447911123456",
        phone_label="07911 123456",
        action=TodayAction("Answer", "/messages/client/1/?a=1&b=2"),
        secondary=TodayAction(
            "Mark read",
            "/care/act/",
            method="post",
            fields={"item": "flagged_reply:7", "action": "done", "next": "/today/?scope=mine"},
        ),
    ),
    TodayEntry(
        title="Ruth Miller",
        client_id=2,
        detail="Check-in (follow-up) with Dr <Ann>",
        note="Booked",
        when=AT + dt.timedelta(days=1),
        when_label="Tomorrow",
        action=TodayAction(
            "Mark attended", "/appointments/3/status/", method="post", fields={"status": "x&y"}
        ),
        secondary=TodayAction("Open client", "/clients/2/"),
    ),
    TodayEntry(title="Routine reply", urgency="routine", phone="+447911000000"),
    TodayEntry(title="Nothing else"),
)


def render(template: str, **context: object) -> str:
    return engines["django"].from_string(template).render(context)


def test_the_entries_are_the_templates_markup_with_every_value_escaped() -> None:
    """The same markup for entries of every shape: a reply with a call link, an appointment
    whose form has no ``next`` of its own, a routine entry, a bare title; with and without
    the page's CSRF token."""
    card = {"entries": ENTRIES}
    for token in ("token&<1>", None):
        context = {"card": card, "next_url": "/today/?scope=practice&x=<1>"}
        if token:
            context["csrf_token"] = token
        ours = render(NEW_TEMPLATE, **context)
        assert ours == render(OLD_TEMPLATE, **context)
    assert "<script>" not in ours and "&lt;script&gt;" in ours
    assert 'href="tel:+447911123456">Call 07911 123456</a>' in ours
    assert (
        '<input type="hidden" name="next" value="/today/?scope=practice&amp;x=&lt;1&gt;">' in ours
    )
    assert "Tomorrow 14:30" in ours


def test_no_entries_write_nothing() -> None:
    assert render(NEW_TEMPLATE, card={"entries": ()}) == ""
