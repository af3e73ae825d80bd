"""The client picker in a real browser, on a phone: the emergency list chosen by name."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from playwright.sync_api import Page, expect

from aftercare import clock
from aftercare.absences.models import Absence
from aftercare.testing import Personas, make_appointment, make_client
from tests.browser.conftest import TIMEOUT_MS, sign_in

PHONE = {"width": 390, "height": 844}
# A Monday afternoon in London: the session cookie and the practice's today agree.
NOW = dt.datetime(2026, 11, 30, 14, 30, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def pinned() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


def namesakes_and_a_newcomer(personas: Personas):  # type: ignore[no-untyped-def]
    other_ruth = make_client(personas.practice, email="ruth.m@example.net", phone="+447700900123")
    nina = make_client(
        personas.practice,
        given_name="Nina",
        family_name="Adler",
        email="nina@example.org",
        primary_practitioner=personas.owner,
    )
    make_appointment(
        nina,
        personas.owner,
        kind="first_visit",
        status="attended",
        starts_at=clock.now() - dt.timedelta(days=3),
    )
    return other_ruth, nina


def fill_the_absence(page: Page) -> None:
    first = clock.today(dt.UTC) + dt.timedelta(days=30)
    page.get_by_label("First day").fill(f"{first:%Y-%m-%d}")
    page.get_by_label("Last day").fill(f"{first + dt.timedelta(days=14):%Y-%m-%d}")
    page.get_by_label("Cover contact").fill("Dr Colin, 020 7946 0000")


def test_the_emergency_list_is_picked_by_name_as_you_type_on_a_phone(
    browser_page: Page, personas: Personas
) -> None:
    other_ruth, nina = namesakes_and_a_newcomer(personas)
    page = browser_page
    page.set_viewport_size(PHONE)
    sign_in(page, personas.owner)
    page.goto("/absences/new/")
    fill_the_absence(page)
    # The newcomer is suggested with why, before any preview.
    expect(page.get_by_label("Nina Adler")).not_to_be_checked()
    expect(page.get_by_text("Suggested: first visit on")).to_be_visible()
    # Type: both Ruth Millers appear, told apart by email and phone.
    search = page.get_by_label("Find a client by name, email or phone")
    search.press_sequentially("ruth", delay=50)
    results = page.locator("#emergency_client_ids-results")
    expect(results.get_by_text("ruth.m@example.net · +44 7700 900123")).to_be_visible()
    expect(results.get_by_text("ruth@example.org · +44 7911 123456")).to_be_visible()
    results.get_by_label("ruth.m@example.net").check()
    # Typing on never loses a tick.
    search.fill("")
    search.press_sequentially("0791", delay=50)
    expect(results.get_by_label("ruth@example.org")).to_be_visible()
    expect(results.get_by_label("ruth.m@example.net")).to_be_checked()
    # The suggestion, ticked from the keyboard.
    page.get_by_label("Nina Adler").focus()
    page.keyboard.press("Space")
    expect(page.get_by_label("Nina Adler")).to_be_checked()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    row = page.locator("label.picker-row", has_text="Nina Adler").bounding_box()
    assert row is not None and row["height"] >= 44
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", name="The emergency list (2)")).to_be_visible(
        timeout=TIMEOUT_MS
    )
    page.get_by_role("button", name="Save the absence").click()
    expect(page.get_by_text("Planned the absence of Olivia Owner.")).to_be_visible()
    absence = Absence.objects.get()
    assert sorted(e.client_id for e in absence.emergency_entries.all()) == sorted(
        [other_ruth.pk, nina.pk]
    )


def test_without_javascript_search_reloads_the_form_and_keeps_the_ticks(
    browser,
    live_server,
    personas: Personas,  # type: ignore[no-untyped-def]
) -> None:
    other_ruth, nina = namesakes_and_a_newcomer(personas)
    context = browser.new_context(
        base_url=live_server.url, java_script_enabled=False, viewport=PHONE
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        sign_in(page, personas.owner)
        page.goto("/absences/new/")
        fill_the_absence(page)
        page.get_by_label("Nina Adler").check()
        page.get_by_label("Find a client by name, email or phone").fill("ruth.m@")
        page.get_by_role("button", name="Search").click()
        expect(page.get_by_label("Cover contact")).to_have_value("Dr Colin, 020 7946 0000")
        expect(page.get_by_label("Nina Adler")).to_be_checked()
        page.get_by_label("ruth.m@example.net").check()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.get_by_role("button", name="Save the absence").click()
        expect(page.get_by_text("Planned the absence of Olivia Owner.")).to_be_visible()
    finally:
        context.close()
    absence = Absence.objects.get()
    assert sorted(e.client_id for e in absence.emergency_entries.all()) == sorted(
        [other_ruth.pk, nina.pk]
    )
