"""Stories in a real browser: walking a care hour."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import Page, expect

from aftercare import clock
from aftercare.queue.tests.factories import NOW, make_care_hour, make_task
from aftercare.testing import Personas
from tests.browser.conftest import sign_in


def test_the_owner_walks_a_care_hour_completing_one_item_and_snoozing_another(
    browser_page: Page, personas: Personas
) -> None:
    page = browser_page
    make_care_hour(personas.owner, personas.client)  # Tuesday 08:00–09:00, London
    first = make_task(personas.client, title="Call Ruth about the new tablets", value=90)
    second = make_task(personas.client, title="Write Ruth a note", value=60)
    too_long = make_task(personas.client, title="Long case review", value=95, estimated_minutes=90)
    sign_in(page, personas.owner)

    # The live server shares this process, so it runs as of the frozen instant too.
    with clock.at(NOW):  # Tuesday 08:15 in London: 45 minutes of the care hour left
        page.goto("/care/hour/")
        expect(page.get_by_text("45 minutes left")).to_be_visible()
        expect(page.get_by_role("heading", name="Item 1 of 2")).to_be_visible()
        expect(page.get_by_text("Call Ruth about the new tablets")).to_be_visible()
        expect(page.get_by_text("Long case review")).to_have_count(0)

        page.get_by_role("button", name="Done").click()
        expect(page.get_by_text("Write Ruth a note")).to_be_visible()
        expect(page.get_by_text("Call Ruth about the new tablets")).to_have_count(0)

        # Keyboard: "s" snoozes the current item to the date in its field (tomorrow). The
        # shortcuts' script is deferred: the page can show before it listens (seen at 02:30
        # under faketime on a loaded machine), so wait for it as a person's first key would.
        page.wait_for_load_state("domcontentloaded")
        page.locator("body").press("s")
        expect(page.get_by_text("Snoozed.")).to_be_visible()
        expect(page.get_by_text("Write Ruth a note")).to_have_count(0)
        expect(page.get_by_text("Nothing in the queue fits this care hour")).to_be_visible()

    first.refresh_from_db()
    second.refresh_from_db()
    too_long.refresh_from_db()
    assert (first.status, first.completed_by) == ("done", personas.owner)
    assert first.completed_at == NOW
    assert second.status == "due"
    assert second.snoozed_until == dt.datetime(2026, 11, 25, 0, 0, tzinfo=dt.UTC)
    assert too_long.status == "due"
