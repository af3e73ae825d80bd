"""The outbox: pages without a count, and its rows written in Python, escaped, as the template
wrote them."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.template import engines
from django.urls import reverse

from aftercare import clock
from aftercare.messaging import inbox, views
from aftercare.messaging.models import Direction, Message, MessageStatus
from aftercare.messaging.outbox_rows import OutboxPage, outbox_rows
from aftercare.testing import Personas, make_client

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 30, 14, 30, tzinfo=dt.UTC)

# The rows as the outbox template wrote them before ``outbox_rows``.
TEMPLATE_ROWS = """{% load locale_formats %}{% for row in rows %}{% with message=row.message %}
    <tr>
      <td>{{ message.created_at|ldate:"j M H:i" }}</td>
      <td>{% if message.template_key == "staff_alert" %}Staff alert to {{ message.to_address }}{% elif message.client %}{{ message.client.full_name }}{% else %}{{ message.to_address }}{% endif %}</td>
      <td>{{ message.get_channel_display }}</td>
      <td class="wrap"><a href="{% url 'messaging-detail' message.pk %}">{{ message.subject|default:message.text_body|truncatechars:60 }}</a></td>
      <td>{{ row.status }}{% if message.status_reason %}<br><small>{{ message.status_reason }}</small>{% endif %}</td>
    </tr>
  {% endwith %}{% endfor %}"""


@pytest.fixture(autouse=True)
def frozen_now():  # type: ignore[no-untyped-def]
    with clock.at(NOW):
        yield NOW


def sent(personas: Personas, text: str, **fields: Any) -> Message:
    defaults: dict[str, Any] = {
        "client": personas.client,
        "channel": "email",
        "status": "sent",
        "to_address": "ruth@example.org",
    }
    defaults.update(fields)
    return Message.objects.create(
        practice=personas.practice, direction=Direction.OUTBOUND, text_body=text, **defaults
    )


def squeezed(html: str) -> str:
    return re.sub(r"\s+", " ", html).strip()


def test_the_rows_are_the_markup_the_template_wrote(personas: Personas) -> None:
    """Every kind of row: a client's, a staff alert, one to an address only, one with a reason,
    a subject and none, long and accented words (cut as ``truncatechars`` cuts them)."""
    sent(personas, "Your check-in", subject="How are you?", provider_id="preview")
    sent(personas, "Body only, no subject", channel="sms", status="failed", status_reason="No")
    sent(personas, "Alert", template_key="staff_alert", to_address="+447700900123", client=None)
    sent(personas, "To an address", client=None, to_address="someone@example.org")
    sent(personas, "Café " * 30, status="uncertain", created_at=NOW - dt.timedelta(days=3))
    sent(personas, "x" * 61, status="cancelled", subject="")
    sent(personas, "Cafe\u0301 e\u0301te\u0301 " * 8, channel="whatsapp", status="queued")
    messages = Message.objects.filter(direction=Direction.OUTBOUND).order_by("-created_at", "-id")
    page = OutboxPage.of(personas.practice.pk, 1, 50)
    assert len(page.rows) == 7
    expected = (
        engines["django"]
        .from_string(TEMPLATE_ROWS)
        .render(
            {
                "rows": [
                    {"message": message, "status": inbox.status_words(message)}
                    for message in messages.select_related("client")
                ]
            }
        )
    )
    assert squeezed(outbox_rows(page.rows)) == squeezed(expected)


def test_status_words_are_the_inboxs_for_every_kind_of_message(personas: Personas) -> None:
    for status in MessageStatus.values:
        for provider_id in ("preview", "SM123"):
            for template_key in ("staff_alert", "recall"):
                sent(
                    personas,
                    "Hi",
                    status=status,
                    provider_id=provider_id,
                    template_key=template_key,
                )
    messages = Message.objects.filter(direction=Direction.OUTBOUND).order_by("-created_at", "-id")
    rows = OutboxPage.of(personas.practice.pk, 1, 100).rows
    assert [row.status_words for row in rows] == [inbox.status_words(m) for m in messages]


def test_what_a_client_wrote_is_escaped(owner_client: Any, personas: Personas) -> None:  # type: ignore[no-untyped-def]
    client = make_client(
        personas.practice, given_name="<script>alert('name')</script>", family_name="O'Brien & Co"
    )
    sent(personas, "Hi", client=client, subject='<script>alert("subject")</script>')
    sent(
        personas,
        "<img src=x onerror=alert(1)>",
        client=None,
        to_address='"><script>alert(2)</script>',
        status_reason="<b>bounced</b>",
    )
    page = owner_client.get(reverse("messaging-outbox")).content.decode()
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "<b>bounced" not in page
    assert "&lt;script&gt;alert(&#x27;name&#x27;)&lt;/script&gt; O&#x27;Brien &amp; Co" in page
    assert "&lt;script&gt;alert(&quot;subject&quot;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert "<br><small>&lt;b&gt;bounced&lt;/b&gt;</small>" in page


def test_pages_join_up_without_a_count_and_keep_the_filter(
    owner_client: Any, personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    for number in range(5):
        sent(personas, f"Message {number}", created_at=NOW - dt.timedelta(hours=number))
    sent(personas, "Failed one", status="failed")
    outbox = reverse("messaging-outbox")
    shown = []
    for number in (1, 2, 3):
        page = owner_client.get(f"{outbox}?page={number}&status=sent").content.decode()
        shown += re.findall(r"Message \d", page)
        assert "Failed one" not in page
        assert f"Page {number}" in page
        assert (f'href="?page={number + 1}&status=sent">Older</a>' in page) == (number < 3)
        assert (f'href="?page={number - 1}&status=sent">Newer</a>' in page) == (number > 1)
    assert shown == [f"Message {number}" for number in range(5)]

    past_the_end = owner_client.get(f"{outbox}?page=4&status=sent").content.decode()
    assert "Nothing on this page." in past_the_end
    assert '<a href="?page=1&status=sent">Back to the first page</a>' in past_the_end
    assert "Nothing sent yet." not in past_the_end
    # A page number that is not one is the first page.
    first = owner_client.get(f"{outbox}?page=nope").content.decode()
    assert "Failed one" in first and "Page 1" in first


def test_an_empty_outbox_says_nothing_was_sent(owner_client: Any, personas: Personas) -> None:  # type: ignore[no-untyped-def]
    page = owner_client.get(reverse("messaging-outbox")).content.decode()
    assert '<td colspan="5">Nothing sent yet.</td>' in page
    assert "Page 1" not in page
