"""Stories in a real browser: a client answers a check-in on their phone."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from aftercare.links import make_token
from aftercare.messaging.models import Direction, Message
from aftercare.messaging.services import message_queue
from aftercare.testing import Personas

PHONE = {"width": 390, "height": 844}


def test_a_client_answers_a_check_in_on_a_phone_and_is_told_when_it_will_be_read(
    browser_page: Page, personas: Personas
) -> None:
    personas.practice.emergency_numbers = "Emergency: 999 · NHS 111"
    personas.practice.save()
    sent = message_queue(client=personas.client, template_key="check_in")
    page = browser_page
    page.set_viewport_size(PHONE)
    page.goto(f"/p/c/{make_token('check_in', sent.check_in.pk)}/")
    expect(page.get_by_role("heading", name="How are you doing, Ruth?")).to_be_visible()
    # Nothing wider than the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_role("radio", name="4", exact=True).check()
    page.get_by_label("Any side effects or anything new since we met?").fill(
        "hot sweats and nausea since the new tablets"
    )
    page.get_by_label("I'd like you to contact me").check()
    page.get_by_role("button", name="Send my answer").click()
    expect(page.get_by_role("heading", name="Thank you, Ruth")).to_be_visible()
    note = page.locator("#when-read")
    expect(note).to_contain_text("When will this be read?")
    expect(note).to_contain_text(re.compile(r"Olivia Owner will read it"))
    expect(page.get_by_text("Emergency: 999 · NHS 111")).to_be_visible()
    reply = Message.objects.get(direction=Direction.INBOUND)
    assert reply.triage_level == "attention"
    assert reply.client == personas.client
