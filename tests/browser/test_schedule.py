"""Stories in a real browser: finding a client as you type, booking and marking an appointment."""

from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import Page, expect

from aftercare.appointments.models import Appointment
from aftercare.testing import Personas, make_client
from tests.browser.conftest import sign_in


def test_the_list_narrows_as_you_type(browser_page: Page, personas: Personas) -> None:
    make_client(personas.practice, given_name="Peter", family_name="Pan", email="p@example.org")
    page = browser_page
    sign_in(page, personas.owner)
    page.goto("/clients/")
    expect(page.get_by_role("row", name=re.compile("Peter Pan"))).to_be_visible()
    page.get_by_label("Search").fill("ruth")  # no button press: htmx fetches the results
    expect(page.get_by_role("row", name=re.compile("Peter Pan"))).to_have_count(0)
    expect(page.get_by_role("row", name=re.compile("Ruth Miller"))).to_be_visible()
    expect(page).to_have_url(re.compile(r"q=ruth"))


def test_the_owner_books_from_the_client_page_and_marks_it_attended_on_the_day_view(
    browser_page: Page, personas: Personas
) -> None:
    page = browser_page
    sign_in(page, personas.owner)
    page.goto(f"/clients/{personas.client.pk}/")
    page.get_by_role("link", name="Book an appointment").click()
    expect(page.get_by_role("heading", name="Book an appointment for Ruth Miller")).to_be_visible()
    # Visit kinds are a list chosen by name; choosing one sets the end by its length.
    page.get_by_label("Kind of visit").select_option(label="First visit (60 min)")
    page.get_by_label("Starts").fill("2026-07-01T09:30")
    page.get_by_label("Ends").fill("2026-07-01T10:20")
    page.get_by_role("button", name="Book").click()
    expect(page.get_by_text("Booked Ruth Miller for Wed, 1 Jul 2026, 09:30.")).to_be_visible()

    appointment = Appointment.objects.get(kind="first_visit")
    # 09:30 in London during British Summer Time is 08:30 UTC.
    assert appointment.starts_at == dt.datetime(2026, 7, 1, 8, 30, tzinfo=dt.UTC)

    page.goto("/appointments/day/?date=2026-07-01")
    row = page.get_by_role("row", name=re.compile("Ruth Miller"))
    expect(row).to_contain_text("09:30–10:20")
    row.get_by_role("button", name="Mark attended").click()
    expect(page.get_by_role("row", name=re.compile("Ruth Miller"))).to_contain_text("Attended")
    appointment.refresh_from_db()
    assert appointment.status == "attended"
