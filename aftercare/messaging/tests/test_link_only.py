"""Link-only SMS and WhatsApp: every text to a client says there is a message and links to it.

Found trying it as a practice would: with SMS set to link only, a re-order reminder still named
the medication and a reply written from the client page carried health details, because only
automated messages were link-only and each template's short text carried its details.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from aftercare import clock
from aftercare.messaging import templating
from aftercare.messaging.inbound import receive_inbound
from aftercare.messaging.models import Message
from aftercare.messaging.services import message_queue
from aftercare.messaging.worker import Worker
from aftercare.testing import Personas

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 2, 1, 10, 0, tzinfo=dt.UTC)  # Monday 10:00 in London
HEALTH_DETAILS = {
    "supply_name": "Sertraline 50 mg",
    "title": "Living with grief",
    "subject": "Your blood results",
    "body": "Your blood results show low iron; take the tablets with orange juice.",
    "actions": "order Sertraline 50 mg by Monday 1 March",
    "referred_to": "the eating disorders clinic",
}
WORDS = ("Sertraline", "grief", "blood", "iron", "eating disorders")


@pytest.fixture(autouse=True)
def daytime():  # type: ignore[no-untyped-def]
    with clock.at(NOW):
        yield


@pytest.fixture
def texted(personas: Personas):  # type: ignore[no-untyped-def]
    personas.client.preferred_channel = "sms"
    personas.client.save()
    return personas.client


def link_in(text: str) -> str:
    return re.search(r"https?://[^/\s]+(/p/m/\S+/)", text).group(1)  # type: ignore[union-attr]


PRIVATE = [t for t in templating.default_templates() if t.private]


@pytest.mark.parametrize("channel", ["sms", "whatsapp"])
@pytest.mark.parametrize("template", PRIVATE, ids=lambda t: f"{t.key}-{t.language}")
def test_no_private_text_carries_its_details_only_the_link_to_them(
    personas: Personas, channel: str, template: templating.DefaultTemplate
) -> None:
    personas.client.language = template.language
    personas.client.save()
    message = message_queue(
        client=personas.client,
        template_key=template.key,
        channel=channel,
        details=HEALTH_DETAILS,
    )
    assert not any(word in message.text_body for word in WORDS), message.text_body
    assert "/p/m/" in message.text_body
    assert message.portal_text.strip()
    assert len(message.text_body) < 320


def test_a_reminder_naming_a_medication_says_only_that_there_is_a_message(
    personas: Personas, texted
) -> None:  # type: ignore[no-untyped-def]
    message = message_queue(
        client=texted,
        template_key="reorder_reminder",
        details={"supply_name": "Sertraline 50 mg", "runs_out_on": "Friday 12 February"},
    )
    assert "Sertraline" not in message.text_body
    assert "Sertraline" in message.portal_text
    page = HttpClient().get(link_in(message.text_body))
    assert page.status_code == 200
    assert "Sertraline 50 mg" in page.text
    assert "Riverside Practice" in page.text


def test_a_reply_written_on_the_client_page_goes_by_sms_as_a_link(
    owner_client: HttpClient, personas: Personas, texted
) -> None:  # type: ignore[no-untyped-def]
    receive_inbound(channel="sms", from_address=texted.phone, text="Any news on my bloods?")
    body = "Your blood results show low iron; take the tablets with orange juice."
    owner_client.post(reverse("messaging-reply", args=[texted.pk]), {"body": body})
    reply = Message.objects.get(template_key="personal")
    assert (reply.channel, reply.automated) == ("sms", False)
    assert "blood" not in reply.text_body and "iron" not in reply.text_body
    assert reply.text_body.startswith("Hello Ruth, there is a new message for you")
    Worker().run_once()
    reply.refresh_from_db()
    assert reply.status == "sent"
    page = HttpClient().get(link_in(reply.text_body))
    assert body in page.text
    # The practice sees both: what the text said, and what the client reads behind it.
    detail = owner_client.get(reverse("messaging-detail", args=[reply.pk])).text
    assert "What the client reads behind the link" in detail and body in detail
    client_page = owner_client.get(reverse("clients-detail", args=[texted.pk])).text
    assert body in client_page


def test_a_crisis_text_keeps_the_emergency_numbers_and_the_practitioner_is_alerted_as_before(
    personas: Personas, texted, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "AC" + "0" * 32, "token"
    settings.TWILIO_FROM = "+447700900999"
    personas.practice.emergency_numbers = "Emergency: 999 · NHS 111"
    personas.practice.save()
    personas.owner.phone = "+447700900321"
    personas.owner.save()
    receive_inbound(channel="sms", from_address=texted.phone, text="I want to end my life")
    support = Message.objects.get(template_key="crisis_support")
    assert "/p/m/" in support.text_body
    assert "If you need help now: Emergency: 999 · NHS 111" in support.text_body
    assert "worries" not in support.text_body
    # Staff alerts are not client messages: they go to the practitioner's own number as they
    # are, naming who wrote and how urgent, never what they wrote.
    alert = Message.objects.get(template_key="staff_alert", channel="sms")
    assert alert.to_address == "+447700900321"
    assert alert.portal_text == ""
    assert "Ruth Miller" in alert.text_body and "end my life" not in alert.text_body


def test_a_practitioner_whose_number_is_a_landline_gets_the_alert_by_email_not_by_text(
    personas: Personas, texted, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "AC" + "0" * 32, "token"
    settings.TWILIO_FROM = "+447700900999"
    personas.owner.phone = "+442079460958"  # the practice's desk phone in London
    personas.owner.save()
    receive_inbound(channel="sms", from_address=texted.phone, text="I want to end my life")
    alerts = Message.objects.filter(template_key="staff_alert")
    assert list(alerts.values_list("channel", "to_address")) == [("email", personas.owner.email)]


def test_an_acknowledgement_is_readable_where_the_client_wrote(personas: Personas, texted) -> None:  # type: ignore[no-untyped-def]
    receive_inbound(channel="sms", from_address=texted.phone, text="Feeling a bit better")
    ack = Message.objects.get(template_key="reply_acknowledgement")
    assert ack.text_body.startswith("Thank you, Ruth: your message reached Riverside Practice.")
    assert ack.portal_text == ""


def test_email_is_unchanged_by_link_only(personas: Personas) -> None:
    message = message_queue(
        client=personas.client, template_key="reorder_reminder", details=HEALTH_DETAILS
    )
    assert message.channel == "email"
    assert "Sertraline 50 mg" in message.text_body
    assert message.portal_text == ""


def test_the_link_only_text_is_a_template_the_practice_can_preview_and_edit(
    owner_client: HttpClient, personas: Personas
) -> None:
    page = owner_client.get(f"/messages/templates/message_link/en/?client={personas.client.pk}")
    assert page.status_code == 200
    assert "Read it here: http://127.0.0.1:8000/p/m/…/" in page.text
    assert "keep health details out of it" in page.text
    check_in = owner_client.get("/messages/templates/check_in/en/").text
    assert "Sent only when SMS are not link-only" in check_in
