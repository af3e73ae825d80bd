"""In a real browser, on the demo practice: the client's-eye view and the lost clients."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from aftercare.demo_load import load_demo_practice
from aftercare.insights.models import ClientInsight
from aftercare.supplies.models import Supply
from tests.browser.conftest import serious_accessibility_problems, sign_in

PHONE = {"width": 390, "height": 844}


def test_the_clients_eye_view_and_the_lost_clients_on_the_demo_practice(
    browser_page: Page,
) -> None:
    demo = load_demo_practice(seed=7, clients=40, batch_clients=40)
    page = browser_page
    page.set_viewport_size(PHONE)
    sign_in(page, demo.owner, demo.password)

    # The client whose check-ins dipped after a new medication, as they lived it.
    client = Supply.objects.get(practice=demo.practice, name="Amitriptyline 10 mg").client
    page.goto(f"/clients/{client.pk}/")
    page.get_by_role("link", name="See the relationship as the client lived it").click()
    expect(
        page.get_by_role("heading", name=f"Would {client.given_name} feel cared for?")
    ).to_be_visible()
    expect(page.get_by_role("heading", name="Care score:")).to_be_visible()
    expect(page.get_by_role("rowheader", name="Checked in after the last visit")).to_be_visible()
    expect(page.locator("svg.score-chart").first).to_be_visible()
    expect(page.locator("li", has_text="Started Amitriptyline 10 mg").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert serious_accessibility_problems(page) == []

    # The lost clients, with the reason the demo gave one of them, and one click to reach out.
    lost = next(
        insight
        for insight in ClientInsight.objects.filter(
            practice=demo.practice, lost_since__isnull=False
        ).select_related("client")
        if "unanswered_message" in insight.likely_reasons
    )
    page.goto("/insights/lost/")
    expect(page.get_by_role("heading", name="Clients who quietly left")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=lost.client.full_name)
    expect(row).to_contain_text("A message of theirs went unanswered")
    assert serious_accessibility_problems(page) == []
    row.get_by_role("button", name=f"Reach out to {lost.client.full_name}").click()
    expect(
        page.get_by_text(f"Added to the care queue: reach out to {lost.client.full_name}.")
    ).to_be_visible()
    expect(page.get_by_role("row").filter(has_text=lost.client.full_name)).to_contain_text(
        "In the care queue"
    )

    # The dashboard: the spread of scores and the lowest.
    page.goto("/insights/")
    expect(page.get_by_role("heading", name="How the scores spread")).to_be_visible()
    expect(page.get_by_role("heading", name="The lowest scores")).to_be_visible()
    assert serious_accessibility_problems(page) == []

    # Month by month: five charts with their numbers, on a phone too.
    page.goto("/insights/trends/")
    expect(page.get_by_role("heading", name="Check-ins after visits")).to_be_visible()
    assert page.locator("svg.score-chart").count() == 5
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert serious_accessibility_problems(page) == []
