"""Moving a booking in a real browser: dragged to another day, or to an hour of a day, in the
week at 1366 px, and with the Move form (the keyboard and phone way) at 390 px. The client will be told, and each page
passes axe-core and fits the window."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from aftercare.appointments.models import Appointment
from aftercare.care.services import care_setup_practice
from aftercare.testing import Personas, make_appointment
from tests.browser.conftest import serious_accessibility_problems, sign_in
from tests.browser.test_morning import PHONE, WIDER_THAN_THE_WINDOW

THURSDAY_TEN = dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.UTC)  # 10:00 in London


@pytest.fixture
def booked(personas: Personas) -> Appointment:
    care_setup_practice(practice=personas.practice)
    return make_appointment(personas.client, personas.owner, starts_at=THURSDAY_TEN)


def test_a_booking_dragged_to_another_day_moves_there_at_its_time(
    browser_page: Page, personas: Personas, booked: Appointment
) -> None:
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, personas.owner)
    page.goto(f"/appointments/week/?date=2026-12-03&practitioner={personas.owner.pk}")
    assert serious_accessibility_problems(page) == []
    booking = page.locator(".week-appointment", has_text="Ruth Miller").first
    friday = page.locator('.week-day[data-day="2026-12-04"]')
    # Onto the day's name (not one of its hours): the day changes, the time stays.
    booking.drag_to(friday.get_by_role("heading"))
    expect(
        page.get_by_text(re.compile(r"Moved Ruth Miller to Fri, 4 Dec 2026, 10:00\."))
    ).to_be_visible()
    expect(page.get_by_text(re.compile("will be told of the new time by email"))).to_be_visible()
    expect(friday.locator(".week-appointment", has_text="Ruth Miller")).to_contain_text(
        "10:00–10:50"
    )
    booked.refresh_from_db()
    assert booked.starts_at == THURSDAY_TEN + dt.timedelta(days=1)


def test_a_booking_dragged_onto_an_hour_moves_to_that_day_and_quarter_hour(
    browser_page: Page, personas: Personas, booked: Appointment
) -> None:
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, personas.owner)
    page.goto(f"/appointments/week/?date=2026-12-03&practitioner={personas.owner.pk}")
    booking = page.locator(".week-appointment", has_text="Ruth Miller").first
    friday = page.locator('.week-day[data-day="2026-12-04"]')
    two_pm = friday.locator('.week-hour[data-time="14:00"]')
    expect(two_pm).to_be_visible()
    # The week at the top of the window, so that the booking and the hour are both in view
    # (Playwright's drag does not scroll between the two).
    page.locator(".week").evaluate("week => week.scrollIntoView()")
    assert serious_accessibility_problems(page) == []
    box = two_pm.bounding_box()
    assert box is not None
    # Three-fifths down the hour: its third quarter, 14:30.
    booking.drag_to(two_pm, target_position={"x": box["width"] / 2, "y": box["height"] * 0.6})
    expect(
        page.get_by_text(re.compile(r"Moved Ruth Miller to Fri, 4 Dec 2026, 14:30\."))
    ).to_be_visible()
    expect(friday.locator(".week-appointment", has_text="Ruth Miller")).to_contain_text(
        "14:30–15:20"
    )
    assert serious_accessibility_problems(page) == []
    booked.refresh_from_db()
    assert booked.starts_at == dt.datetime(2026, 12, 4, 14, 30, tzinfo=dt.UTC)
    assert booked.ends_at == dt.datetime(2026, 12, 4, 15, 20, tzinfo=dt.UTC)


def test_a_booking_moved_with_the_form_on_a_phone(
    browser_page: Page, personas: Personas, booked: Appointment
) -> None:
    page = browser_page
    page.set_viewport_size(PHONE)
    sign_in(page, personas.owner)
    page.goto(f"/appointments/week/?date=2026-12-03&practitioner={personas.owner.pk}")
    # On a phone the week stays a list: no hours to drop on (the Move form is the way).
    expect(page.locator(".week-hour").first).to_be_hidden()
    assert page.evaluate(WIDER_THAN_THE_WINDOW) == []
    page.get_by_role("link", name="Move Ruth Miller’s appointment at 10:00").click()
    expect(page.get_by_role("heading", name="Move Ruth Miller’s appointment")).to_be_visible()
    assert page.evaluate(WIDER_THAN_THE_WINDOW) == []
    assert serious_accessibility_problems(page) == []
    expect(page.get_by_label("New day")).to_have_value("2026-12-03")
    expect(page.get_by_label("New start")).to_have_value("10:00")
    expect(page.get_by_text(re.compile("Ruth Miller will be told of the new time"))).to_be_visible()
    page.get_by_label("New day").fill("2026-12-07")
    page.get_by_label("New start").fill("11:30")
    page.get_by_label("New start").dispatch_event("change")
    expect(page.locator("[data-move-ends]")).to_have_text("12:20")
    page.get_by_role("button", name="Move the appointment").click()
    expect(
        page.get_by_text(re.compile(r"Moved Ruth Miller to Mon, 7 Dec 2026, 11:30\."))
    ).to_be_visible()
    assert page.evaluate(WIDER_THAN_THE_WINDOW) == []
    booked.refresh_from_db()
    assert booked.starts_at == dt.datetime(2026, 12, 7, 11, 30, tzinfo=dt.UTC)
    assert booked.ends_at == dt.datetime(2026, 12, 7, 12, 20, tzinfo=dt.UTC)
