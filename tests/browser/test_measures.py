"""In a real browser: a client answers a PHQ-9 on a phone; the practitioner sees the chart."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import Page, expect

from aftercare.links import make_token
from aftercare.measures.models import Measure
from aftercare.measures.services import measure_fill_in_session, measure_send
from aftercare.testing import Personas
from tests.browser.conftest import serious_accessibility_problems, sign_in

PHONE = {"width": 390, "height": 844}
# Answers to questions 1–9: "Several days" … a total of 9 (mild), question 9 "Not at all".
ANSWERS = ["Several days"] * 8 + ["Not at all"]


def test_a_client_answers_a_phq9_on_a_phone_and_the_practitioner_sees_the_chart(
    browser_page: Page, personas: Personas
) -> None:
    personas.practice.emergency_numbers = "Emergency: 999 · Samaritans 116 123"
    personas.practice.save()
    # An earlier PHQ-9, filled in together at the last session: the chart has two points.
    earlier = {str(i): 2 for i in range(1, 9)} | {"9": 0, "10": 1}
    first = measure_fill_in_session(
        actor=personas.actor(), client=personas.client, questionnaire_key="phq9", answers=earlier
    )
    Measure.objects.filter(pk=first.pk).update(
        completed_at=first.completed_at - dt.timedelta(days=28)
    )
    sent = measure_send(actor=personas.actor(), client=personas.client, questionnaire_key="phq9")
    page = browser_page
    page.set_viewport_size(PHONE)
    page.goto(f"/p/q/{make_token('measure', sent.pk)}/")
    for number, label in enumerate(ANSWERS, start=1):
        expect(page.get_by_role("heading", name=f"Question {number} of ")).to_be_visible()
        # One question per screen, nothing wider than the phone.
        assert page.get_by_role("radio").count() == 4
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        expect(page.get_by_text("No permission required to reproduce")).to_be_visible()
        if number == 1:
            assert serious_accessibility_problems(page) == []
        page.get_by_role("radio", name=label, exact=True).check()
        page.get_by_role("button", name="Send my answers" if number == 10 else "Next").click()
    # Question 10 is asked because some answers were above "Not at all".
    expect(page.get_by_role("heading", name="Question 10 of 10")).to_be_visible()
    page.get_by_role("radio", name="Somewhat difficult").check()
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("heading", name="Thank you, Ruth")).to_be_visible()
    assert serious_accessibility_problems(page) == []
    sent.refresh_from_db()
    assert sent.total == 8 and sent.band_label == "Mild"

    # The practitioner opens the client page and sees the chart, on a phone too.
    sign_in(page, personas.owner)
    page.goto(f"/clients/{personas.client.pk}/")
    section = page.locator(".client-section", has_text="Questionnaires and scores")
    chart = section.locator("svg.score-chart").first
    expect(chart).to_be_visible()
    expect(chart.locator("text", has_text="8").first).to_be_attached()
    expect(section.get_by_text("8 points better (reliable change)").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert serious_accessibility_problems(page, ".client-section") == []
