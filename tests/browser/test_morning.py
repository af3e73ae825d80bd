"""A practitioner's morning on the demo practice, in a real browser, on a desk and on a phone.

Sign in → Today → open the crisis reply → the call link is there → answer → the inbox shows it
read → book a follow-up in the week view → plan an absence choosing the emergency list with the
picker → invite an assistant, who chooses a password, signs in and sees no private notes.

On every page: axe-core finds no serious or critical violation, the page is no wider than the
window, no raw key shows where words belong, and the time to first paint is recorded (printed
at the end, against the 100-client demo). At 1366 px the walk also takes the screenshots of
``docs/using-aftercare.md``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from django.core import mail
from playwright.sync_api import Page, expect

from aftercare import demo_load
from aftercare.appointments.models import Appointment
from aftercare.clients.models import Client
from aftercare.messaging.models import Direction, Message
from tests.browser.conftest import TIMEOUT_MS, serious_accessibility_problems, sign_in

# A Monday afternoon in London, like every test (the root conftest pins the same moment).
NOW = dt.datetime(2026, 11, 30, 14, 30, tzinfo=dt.UTC)
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DESK = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
# Keys of the code that must never reach a page where a person reads words.
RAW_KEYS = re.compile(
    r"\b(check_in|follow_up|first_visit|flagged_reply|staff_alert|reorder_requested|no_show|"
    r"late_cancelled|queue_item|triage_level|whatsapp|sms|email_unusable)\b"
)
# The elements that stick out of the window (the innermost first), when the page is too wide.
WIDER_THAN_THE_WINDOW = """
(() => {
  if (document.documentElement.scrollWidth <= window.innerWidth) return [];
  const out = e => e.getBoundingClientRect().right > window.innerWidth + 1;
  return [...document.querySelectorAll('body *')]
    .filter(e => out(e) && ![...e.children].some(out))
    .slice(0, 3)
    .map(e => e.tagName.toLowerCase() + '.' + e.className + ' ' + (e.textContent || '').trim().slice(0, 60));
})()
"""
ASSISTANT_PASSWORD = "tea, biscuits and a long passphrase"


@pytest.fixture(autouse=True)
def pinned() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


class Walk:
    """Checks every page the walk reaches and remembers how fast it painted."""

    def __init__(self, page: Page, width: int) -> None:
        self.page = page
        self.width = width
        self.paints: dict[str, float] = {}

    def check(self, name: str, *, screenshot: str = "") -> None:
        page = self.page
        page.wait_for_load_state("load")
        problems = serious_accessibility_problems(page)
        assert not problems, f"{name} at {self.width}px: {problems}"
        wide = page.evaluate(WIDER_THAN_THE_WINDOW)
        assert not wide, f"{name} is wider than {self.width}px: {wide}"
        text = page.inner_text("body")
        key = RAW_KEYS.search(text)
        assert key is None, (
            f"{name} shows a key: …{text[max(0, key.start() - 80) : key.end() + 40]}…"
        )
        paint = page.evaluate(
            "(performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || 0"
        )
        self.paints[name] = round(paint)
        if screenshot and self.width == DESK["width"]:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"{screenshot}.png"), full_page=False)


@pytest.mark.parametrize("viewport", [DESK, PHONE], ids=["1366px", "390px"])
def test_a_practitioners_morning(browser, live_server, transactional_db, viewport) -> None:  # type: ignore[no-untyped-def]
    demo = demo_load.load_demo_practice(seed=1, clients=100)
    context = browser.new_context(base_url=live_server.url, locale="en-GB", viewport=viewport)
    context.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    page = context.new_page()
    walk = Walk(page, viewport["width"])
    try:
        _morning(page, walk, demo)
    finally:
        context.close()
    print(f"\nTime to first paint at {viewport['width']}px (ms):", walk.paints)


def _morning(page: Page, walk: Walk, demo: demo_load.DemoPractice) -> None:
    # 1. Sign in: Today is the first page.
    sign_in(page, demo.owner, demo.password)
    expect(page).to_have_url(re.compile(r"/today/$"))
    expect(page.get_by_role("heading", name=re.compile("^Today"))).to_be_visible()
    walk.check("Today", screenshot="today")

    # 2. The crisis reply comes first, in the client's own words, with a call link.
    replies = page.locator("#today-replies")
    first = replies.locator(".today-entry").first
    expect(first.locator(".urgency-crisis")).to_have_text("Crisis")
    expect(first).to_contain_text("I just want to end it all")
    expect(first).to_contain_text("Flagged for: crisis language")
    call = first.locator("a[href^='tel:']")
    expect(call).to_be_visible()
    crisis = Message.objects.get(direction=Direction.INBOUND, triage_level="crisis")
    client = Client.objects.get(pk=crisis.client_id)
    assert call.get_attribute("href") == f"tel:{client.phone}"

    # 3. Open it and answer.
    first.get_by_role("link", name=re.compile("^Answer")).click()
    expect(
        page.get_by_role("heading", name=f"Conversation with {client.full_name}")
    ).to_be_visible()
    walk.check("Conversation")
    page.get_by_label("SMS").check()
    page.get_by_label("Message").fill("I'm so glad you wrote. I'll ring you in ten minutes.")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_text("Your message is in the outbox.")).to_be_visible()
    expect(page.locator(".bubble-out").last).to_contain_text("I'll ring you in ten minutes")
    crisis.refresh_from_db()
    assert crisis.acknowledged_at is not None

    # 4. The inbox shows it read; the other replies still wait.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Inbox").click()
    expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
    walk.check("Inbox", screenshot="inbox")
    row = page.locator(".inbox-row", has_text="I just want to end it all")
    expect(row.locator(".status").first).to_have_text("Read")
    expect(page.locator(".inbox-row.unread").first).to_be_visible()

    # 5. Book a follow-up tomorrow in the week view.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Schedule").click()
    expect(page.get_by_role("heading", name=re.compile("week"))).to_be_visible()
    walk.check("Week", screenshot="week")
    page.get_by_role("link", name="Book on Tue 1").click()
    walk.check("Find the client")
    page.get_by_label("Who is the appointment for?").fill(client.family_name)
    page.get_by_role("button", name="Find").click()
    page.get_by_role("link", name=re.compile(re.escape(client.full_name))).first.click()
    expect(page.get_by_label("Starts")).to_have_value("2026-12-01T09:00")
    page.get_by_label("Kind of visit").select_option("follow_up")
    expect(page.get_by_label("Ends")).to_have_value("2026-12-01T09:50")
    walk.check("Book an appointment")
    page.get_by_role("button", name="Book", exact=True).click()
    expect(
        page.get_by_text(f"Booked {client.full_name} for Tue, 1 Dec 2026, 09:00.")
    ).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("week"))).to_be_visible()
    assert Appointment.objects.filter(client=client, starts_at__date=dt.date(2026, 12, 1)).exists()

    # 6. Plan an absence, choosing the emergency list with the picker.
    page.goto("/absences/new/")
    page.get_by_label("First day").fill("2027-02-08")
    page.get_by_label("Last day").fill("2027-02-14")
    page.get_by_label("Cover contact").fill("Dr Colin, 0117 496 0001")
    search = page.get_by_label("Find a client by name, email or phone")
    search.press_sequentially(client.family_name, delay=30)
    # Found as you type (or already suggested: she wrote in crisis lately).
    pick = page.locator("label.picker-row", has_text=client.full_name).first
    expect(pick).to_be_visible()
    pick.locator("input").check()
    walk.check("Absence planner")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", name="Preview: what this absence will do")).to_be_visible()
    walk.check("Absence preview", screenshot="absence-planner")
    page.get_by_role("button", name="Save the absence").click()
    expect(page.get_by_text(re.compile("Planned the absence of"))).to_be_visible()

    # 7. A client's page (for the screenshot, and as the assistant will see it).
    page.goto(f"/clients/{client.pk}/")
    expect(page.get_by_role("heading", name="Private notes")).to_be_visible()
    walk.check("Client", screenshot="client")

    # 8. Invite an assistant, who signs in and sees no private notes.
    page.goto("/settings/team/")
    walk.check("Team")
    page.get_by_label("Email:", exact=True).fill("amy.assistant@example.org")
    page.get_by_label("Name:", exact=True).fill("Amy Assistant")
    page.get_by_label("Role:", exact=True).select_option("assistant")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_text("Invitation sent to amy.assistant@example.org.")).to_be_visible()
    link = re.search(r"https?://\S+/join/\S+/", mail.outbox[-1].body).group(0)
    page.get_by_role("button", name="Sign out").click()
    page.goto(link)
    expect(page.get_by_role("heading", name="Welcome, Amy Assistant")).to_be_visible()
    walk.check("Join")
    page.get_by_label("New password:", exact=True).fill(ASSISTANT_PASSWORD)
    page.get_by_label("New password confirmation:").fill(ASSISTANT_PASSWORD)
    page.get_by_role("button", name="Choose this password").click()
    expect(page.get_by_role("heading", name=re.compile("^Today"))).to_be_visible()
    walk.check("Today (assistant)")
    page.goto(f"/clients/{client.pk}/")
    expect(page.get_by_role("heading", name=client.full_name)).to_be_visible()
    expect(page.get_by_role("heading", name="Private notes")).to_have_count(0)
    walk.check("Client (assistant)")
