"""The care rule form and the templates page in a real browser, on a phone."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from aftercare.care.services import care_setup_practice
from aftercare.testing import Personas
from tests.browser.conftest import TIMEOUT_MS, serious_accessibility_problems, sign_in

PHONE = {"width": 390, "height": 844}


def test_choosing_a_trigger_shows_its_settings_without_a_reload(
    browser_page: Page, personas: Personas
) -> None:
    care_setup_practice(practice=personas.practice)
    page = browser_page
    page.set_viewport_size(PHONE)
    sign_in(page, personas.owner)
    page.goto("/care/rules/new/")
    expect(page.get_by_label("Which visits")).to_be_visible()
    expect(page.get_by_label("Hours before the visit")).to_be_hidden()
    # Without a reload: the script shows the trigger's own settings, and no button to ask.
    expect(page.get_by_role("button", name="Show its settings")).to_have_count(0)
    page.locator("#id_trigger").select_option("before_appointment")
    expect(page.get_by_label("Hours before the visit")).to_be_visible()
    expect(page.get_by_label("Which visits")).to_be_hidden()
    expect(page.get_by_label("Days after it")).to_be_hidden()
    page.locator("#id_trigger").select_option("supply_started")
    expect(page.get_by_role("checkbox", name="Medication")).to_be_visible()
    expect(page.get_by_label("Days after it")).to_be_visible()
    # The template picker: names, and a preview for the example client.
    expect(page.get_by_role("radio", name="Birthday card")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert serious_accessibility_problems(page) == []


def test_choosing_the_action_shows_its_fields_without_a_reload(
    browser_page: Page, personas: Personas
) -> None:
    care_setup_practice(practice=personas.practice)
    page = browser_page
    page.set_viewport_size(PHONE)
    sign_in(page, personas.owner)
    page.goto("/care/rules/new/")
    # A message (the default): its template and kind, no task.
    expect(page.get_by_role("radio", name="Birthday card")).to_be_visible()
    expect(page.get_by_label("Kind of message")).to_be_visible()
    expect(page.get_by_label("Kind of task")).to_be_hidden()
    expect(page.get_by_label("Minutes it takes")).to_be_hidden()
    expect(page.get_by_role("button", name="Show what it needs")).to_have_count(0)
    page.get_by_label("What it does").select_option("task")
    expect(page.get_by_label("Kind of task")).to_be_visible()
    expect(page.get_by_label("Minutes it takes")).to_be_visible()
    expect(page.get_by_role("radio", name="Birthday card")).to_be_hidden()
    expect(page.get_by_label("Kind of message")).to_be_hidden()
    expect(page.get_by_label("Resource to share")).to_be_hidden()
    # The trigger's fields still follow the trigger while the action is a task.
    page.locator("#id_trigger").select_option("before_appointment")
    expect(page.get_by_label("Hours before the visit")).to_be_visible()
    expect(page.get_by_label("Kind of task")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert serious_accessibility_problems(page) == []
    page.get_by_label("What it does").select_option("message")
    expect(page.get_by_label("Kind of message")).to_be_visible()
    expect(page.get_by_label("Kind of task")).to_be_hidden()


def test_a_template_is_previewed_as_it_is_typed(browser_page: Page, personas: Personas) -> None:
    page = browser_page
    page.set_viewport_size(PHONE)
    sign_in(page, personas.owner)
    page.goto("/messages/templates/new/")
    page.get_by_label("Name", exact=True).fill("Winter check-in")
    page.get_by_label("Subject").fill("Keeping warm, {{ name }}?")
    page.get_by_label("Text", exact=True).fill("Dear {{ name }}, how are you?")
    preview = page.locator("#template-preview")
    expect(preview).to_contain_text("Email: Keeping warm, Alex?", timeout=TIMEOUT_MS)
    page.get_by_label("Text", exact=True).fill("Dear {{ nmae }}")
    expect(preview).to_contain_text("is not a placeholder we fill in", timeout=TIMEOUT_MS)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert serious_accessibility_problems(page) == []
