"""Stories in a real browser: a practice brings its clients in from a CSV."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from aftercare import clock
from aftercare.clients.models import Client
from aftercare.imports.jobs import run_waiting_imports
from aftercare.testing import Personas
from tests.browser.conftest import serious_accessibility_problems, sign_in

FILES = Path(__file__).resolve().parents[2] / "aftercare" / "imports" / "tests" / "files"


def test_the_owner_uploads_a_csv_maps_its_columns_reviews_the_dry_run_and_imports(
    browser_page: Page, personas: Personas, tmp_path: Path
) -> None:
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    sheet = tmp_path / "my clients.csv"
    sheet.write_bytes(
        "Vorname;Nachname;Mail;Geburtstag\r\n"
        "Jürgen;Müller;juergen@example.de;14.07.1982\r\n"
        "Anna;Schmidt;anna@@example.de;01.02.1975\r\n".encode("cp1252")
    )
    sign_in(page, personas.owner)
    page.goto("/imports/")
    page.get_by_label("Client file (.csv, .txt or .vcf)").set_input_files(str(sheet))
    page.get_by_role("button", name="Upload and check the columns").click()
    expect(page.get_by_role("heading", name="What does each column hold?")).to_be_visible()
    # "Vorname" and "Nachname" are known; "Mail" and "Geburtstag" are not: map them by hand.
    expect(page.get_by_label("Vorname")).to_have_value("given_name")
    page.get_by_label("Mail").select_option(label="Email")
    page.get_by_label("Geburtstag").select_option(label="Date of birth")
    page.get_by_label(re.compile("day/month/year")).check()
    assert serious_accessibility_problems(page) == []
    page.get_by_role("button", name="Check what would happen").click()

    summary = page.locator("#dry-run-summary")
    expect(summary).to_contain_text("1 new client, 0 updated, 0 unchanged, 1 refused")
    expect(page.get_by_role("row", name=re.compile("Row 3"))).to_contain_text(
        "'anna@@example.de' is not an email address"
    )
    assert not Client.objects.filter(email="juergen@example.de").exists()
    page.get_by_role("button", name="Import 1 client").click()
    expect(page.locator("#progress")).to_contain_text("Waiting for the worker")

    run_waiting_imports(clock.now())  # the worker's tick
    expect(page.get_by_text("1 created, 0 updated, 0 unchanged, 1 refused.")).to_be_visible()
    juergen = Client.objects.get(practice=personas.practice, email="juergen@example.de")
    assert (juergen.given_name, juergen.family_name) == ("Jürgen", "Müller")
    assert str(juergen.birth_date) == "1982-07-14"
    assert juergen.consent_care is False
