"""Inbound email as mail programs and providers really write it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient

from aftercare.messaging.addresses import addresses_in, email_address
from aftercare.messaging.models import Direction, Message, UnroutedInbound
from aftercare.testing import Personas, make_client

HOOK = "/hooks/email/inbound-token-0123456789"


@pytest.fixture
def inbound_settings(settings: Any) -> Any:
    settings.INBOUND_EMAIL_TOKEN = "inbound-token-0123456789"
    settings.REPLY_DOMAIN = "reply.example.org"
    return settings


def test_addresses_are_read_with_display_names_quotes_and_lists() -> None:
    assert email_address("Mara Eval <mara@example.org>") == "mara@example.org"
    assert email_address('"Eval, Mara" <mara@example.org>') == "mara@example.org"
    assert email_address("=?utf-8?q?Mar=C3=A9?= <mare@example.org>") == "mare@example.org"
    assert email_address("not an address") == ""
    assert addresses_in(["Riverside <hello@reply.example.org>, b@example.net", ""]) == [
        "hello@reply.example.org",
        "b@example.net",
    ]


@pytest.mark.usefixtures("inbound_settings")
def test_a_json_email_from_a_display_name_reaches_the_client(
    personas: Personas, client: HttpClient
) -> None:
    mara = make_client(
        personas.practice, given_name="Mara", family_name="Eval", email="mara@example.org", phone=""
    )
    payload = {
        "From": "Mara Eval <mara@example.org>",
        "To": "Riverside Practice <hello@reply.example.org>",
        "Subject": "Question about my tablets",
        "Text": "Can I take the new tablets with food?",
    }
    response = client.post(HOOK, payload, content_type="application/json")
    assert response.status_code == 200
    inbound = Message.objects.get(direction=Direction.INBOUND)
    assert inbound.client == mara
    assert inbound.from_address == "mara@example.org"
    assert inbound.text_body == "Can I take the new tablets with food?"
    assert not UnroutedInbound.objects.exists()


@pytest.mark.usefixtures("inbound_settings")
def test_a_json_email_without_a_sender_address_is_refused_with_a_reason(
    personas: Personas, client: HttpClient
) -> None:
    response = client.post(
        HOOK,
        {"from": "Mara Eval", "to": "hello@reply.example.org"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "from and to are required" in response.json()["error"]
    assert not Message.objects.filter(direction=Direction.INBOUND).exists()
