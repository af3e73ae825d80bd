"""A link-only text read on a phone: the message behind the link, thumb-friendly."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from playwright.sync_api import Page, expect

from aftercare.links import make_token
from aftercare.messaging.services import message_queue
from aftercare.testing import Personas

PHONE = {"width": 390, "height": 844}
NOW = dt.datetime(2026, 11, 30, 14, 30, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def pinned() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


def test_a_client_reads_a_link_only_check_in_and_answers_with_one_tap(
    browser_page: Page, personas: Personas
) -> None:
    personas.client.preferred_channel = "sms"
    personas.client.save()
    sent = message_queue(client=personas.client, template_key="check_in")
    assert "/p/m/" in sent.text_body and "side effects" not in sent.text_body
    page = browser_page
    page.set_viewport_size(PHONE)
    page.goto(f"/p/m/{make_token('message', sent.pk)}/")
    expect(page.get_by_role("heading", name="How are you doing, Ruth?")).to_be_visible()
    expect(page.get_by_text("Riverside Practice").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    answer = page.get_by_role("link", name="Answer now")
    box = answer.bounding_box()
    assert box is not None and box["height"] >= 44 and box["width"] >= 300
    answer.click()
    expect(page.get_by_role("heading", name="How are you doing, Ruth?")).to_be_visible()
    expect(page.get_by_role("button", name="Send my answer")).to_be_visible()
