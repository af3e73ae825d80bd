"""The supplies and absences stories in a real browser."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import Page, expect

from aftercare import clock
from aftercare.absences.models import Absence
from aftercare.supplies.models import Supply
from aftercare.supplies.reorder_link import reorder_token
from aftercare.supplies.tests.factories import add_supply
from aftercare.testing import Personas, make_appointment, make_client
from tests.browser.conftest import sign_in

PHONE = {"width": 390, "height": 844}


def test_a_client_re_orders_with_one_tap_on_a_phone(browser_page: Page, personas: Personas) -> None:
    today = clock.today(personas.practice.tz)
    supply = add_supply(personas.actor(), personas.client, started_on=today - dt.timedelta(days=70))
    page = browser_page
    page.set_viewport_size(PHONE)
    page.goto(f"/supplies/r/{reorder_token(supply.pk, supply.started_on)}/")
    expect(page.get_by_role("heading", name="Re-order Magnesium citrate")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_role("button", name="Re-order Magnesium citrate").click()
    expect(page.get_by_text("Thank you — your re-order is in.")).to_be_visible()
    ready = today + dt.timedelta(days=14)
    # The practice's locale (en-GB) writes the day as "Monday, 14 December 2026".
    expect(
        page.get_by_text(f"It will be ready on {ready:%A}, {ready.day} {ready:%B %Y}")
    ).to_be_visible()
    # A client's page carries the practice's name, never ours.
    expect(page.get_by_text(personas.practice.name).first).to_be_visible()
    assert "Aftercare" not in page.content()
    assert page.get_by_text("Skip to content").count() == 0
    assert Supply.objects.get(pk=supply.pk).status == "reorder_requested"


def test_a_practitioner_previews_an_absence_ticks_the_emergency_list_and_saves(
    browser_page: Page, personas: Personas
) -> None:
    today = clock.today(personas.practice.tz)
    newcomer = make_client(
        personas.practice, given_name="Nina", primary_practitioner=personas.owner
    )
    make_appointment(
        newcomer,
        personas.owner,
        kind="first_visit",
        status="attended",
        starts_at=clock.now() - dt.timedelta(days=3),
    )
    page = browser_page
    sign_in(page, personas.owner)
    page.goto("/absences/new/")
    first = today + dt.timedelta(days=30)
    page.get_by_label("First day").fill(f"{first:%Y-%m-%d}")
    page.get_by_label("Last day").fill(f"{first + dt.timedelta(days=20):%Y-%m-%d}")
    page.get_by_label("Cover contact").fill("Dr Colin, 020 7946 0000")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", name="Preview: what this absence will do")).to_be_visible()
    page.get_by_label("Nina Miller").check()
    page.get_by_role("button", name="Update the preview").click()
    expect(page.get_by_text("you can still reach me: you are on my emergency list")).to_be_visible()
    page.get_by_role("button", name="Save the absence").click()
    expect(page.get_by_text("Planned the absence of Olivia Owner.")).to_be_visible()
    absence = Absence.objects.get()
    assert [e.client_id for e in absence.emergency_entries.all()] == [newcomer.pk]
