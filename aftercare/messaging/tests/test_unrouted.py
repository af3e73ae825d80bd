"""An inbound text no practice can claim is kept for the operator, never dropped."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client as HttpClient

from aftercare.messaging.models import Direction, Message, UnroutedInbound
from aftercare.messaging.tests.test_hooks import post_signed, sms, twilio  # noqa: F401 - a fixture
from aftercare.testing import Personas

STRANGER = "+447700900123"


def run(*args: str) -> str:
    out = StringIO()
    call_command("inbound", *args, stdout=out)
    return out.getvalue()


@pytest.mark.usefixtures("twilio")
def test_a_text_from_an_unknown_number_with_two_practices_is_kept_once_and_assigned_later(
    personas: Personas, client: HttpClient, caplog: Any
) -> None:
    params = sms(STRANGER, "Hi, it's Maya on a new phone. Can we move Thursday?", "SM" + "5" * 32)
    for _ in range(2):  # Twilio retries its webhook: kept once
        response = post_signed(client, "/hooks/twilio/sms", params)
        assert response.status_code == 200
    assert not Message.objects.filter(direction=Direction.INBOUND).exists()
    [kept] = UnroutedInbound.objects.all()
    assert (kept.channel, kept.from_address) == ("sms", STRANGER)
    assert f"kept as unrouted #{kept.pk}" in caplog.text

    listing = run("list")
    assert f"#{kept.pk}" in listing and STRANGER in listing and "new phone" in listing

    said = run("assign", str(kept.pk), "--practice", str(personas.practice.pk))
    message = Message.objects.get(direction=Direction.INBOUND)
    assert f"is now message #{message.pk} of {personas.practice.name}" in said
    assert message.practice == personas.practice and message.client is None  # unmatched inbox
    assert message.text_body == params["Body"] and message.provider_id == params["MessageSid"]
    kept.refresh_from_db()
    assert kept.assigned_message == message and kept.assigned_at is not None
    assert "Nothing waiting" in run("list")
    assert f"→ message #{message.pk}" in run("list", "--all")


def test_assigning_says_what_is_wrong(personas: Personas) -> None:
    kept = UnroutedInbound.objects.create(channel="sms", from_address=STRANGER, text_body="hi")
    with pytest.raises(CommandError, match="No unrouted message #999"):
        run("assign", "999", "--practice", str(personas.practice.pk))
    with pytest.raises(CommandError, match=r"No practice #999; the practices: #\d+ "):
        run("assign", str(kept.pk), "--practice", "999")
    run("assign", str(kept.pk), "--practice", str(personas.practice.pk))
    with pytest.raises(CommandError, match="already assigned"):
        run("assign", str(kept.pk), "--practice", str(personas.practice.pk))
    assert Message.objects.filter(direction=Direction.INBOUND).count() == 1
