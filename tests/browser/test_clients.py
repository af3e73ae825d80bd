"""Stories in a real browser: the practice's clients."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from aftercare.clients.models import Client
from aftercare.testing import Personas
from tests.browser.conftest import sign_in


def test_the_owner_signs_in_adds_a_client_and_finds_them_in_the_list(
    browser_page: Page, personas: Personas
) -> None:
    page = browser_page
    sign_in(page, personas.owner)
    page.goto("/clients/")
    page.get_by_role("link", name="Add a client").first.click()
    page.get_by_label("Given name").fill("Hannah")
    page.get_by_label("Family name").fill("Okafor")
    page.get_by_label("Email").fill("hannah.okafor@example.org")
    # Pasted as people write it: longer than 20 characters, with an extension.
    page.get_by_label(re.compile(r"^Phone")).fill("+44 (0) 7711 / 123 456 ext. 12")
    page.get_by_role("button", name="Add client").click()
    expect(page.get_by_role("heading", name=re.compile("Hannah Okafor"))).to_be_visible()

    page.goto("/clients/")
    row = page.get_by_role("row", name=re.compile("Hannah Okafor"))
    expect(row).to_be_visible()
    expect(row).to_contain_text("hannah.okafor@example.org")
    client = Client.objects.get(given_name="Hannah", family_name="Okafor")
    assert client.practice == personas.practice
    assert (client.phone, client.phone_extension) == ("+447711123456", "12")
