"""Every practice page of the demo practice, and the client's portal pages, on a phone: axe-core finds no serious or critical
violation, nothing is wider than the window, no key shows where words belong."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine
from playwright.sync_api import expect

from aftercare import demo_load
from aftercare.appointments.models import Appointment
from aftercare.care.models import CareRule
from aftercare.clients.demo import BOOKING_TOOL_ID
from aftercare.clients.models import Client
from aftercare.links import make_token
from aftercare.messaging.models import Message
from aftercare.messaging.services import message_queue
from aftercare.resources.models import Resource
from tests.browser.conftest import TIMEOUT_MS, serious_accessibility_problems, sign_in
from tests.browser.test_morning import NOW, PHONE, RAW_KEYS, WIDER_THAN_THE_WINDOW


@pytest.fixture(autouse=True)
def pinned() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


def practice_pages(practice) -> list[str]:  # type: ignore[no-untyped-def]
    client = Client.objects.filter(practice=practice, private_notes__gt="").order_by("pk").first()
    client = client or Client.objects.filter(practice=practice).order_by("pk").first()
    appointment = Appointment.objects.filter(practice=practice).order_by("pk").first()
    message = Message.objects.filter(practice=practice).order_by("pk").first()
    rule = CareRule.objects.filter(practice=practice).order_by("pk").first()
    resource = Resource.objects.filter(practice=practice).order_by("pk").first()
    twin = Client.objects.get(practice=practice, external_id=BOOKING_TOOL_ID)
    pages = [
        "/today/",
        "/today/?scope=practice",
        "/messages/inbox/",
        f"/messages/client/{client.pk}/",
        "/messages/outbox/",
        f"/messages/outbox/{message.pk}/",
        "/messages/unmatched/",
        "/messages/templates/",
        "/messages/templates/check_in/en/",
        "/messages/settings/",
        "/care/",
        "/care/hour/",
        "/care/hours/",
        "/care/rules/",
        "/care/rules/new/",
        f"/care/rules/{rule.pk}/",
        "/care/resources/",
        "/care/resources/new/",
        "/clients/",
        "/clients/new/",
        f"/clients/{client.pk}/",
        f"/clients/{client.pk}/edit/",
        f"/clients/{client.pk}/merge/",
        f"/clients/{client.pk}/merge/?other={twin.pk}",
        "/appointments/week/",
        "/appointments/week/?practitioner=all",
        "/appointments/day/",
        "/appointments/settings/",
        "/appointments/new/",
        f"/appointments/new/?client={client.pk}",
        f"/appointments/{appointment.pk}/edit/",
        f"/appointments/{appointment.pk}/move/",
        "/absences/",
        "/absences/new/",
        "/supplies/running-out/",
        f"/supplies/client/{client.pk}/new/",
        "/measures/worsened/",
        f"/care/clients/{client.pk}/promises/new/",
        f"/care/clients/{client.pk}/referrals/new/",
        "/settings/",
        "/settings/team/",
        "/settings/tokens/",
        "/settings/audit/",
        f"/settings/audit/?client={client.pk}&client_q=a&from=2026-11-01",
        "/account/",
        "/account/password/",
        "/no/such/page/",
    ]
    if resource is not None:
        pages.append(f"/care/resources/{resource.pk}/")
    return pages


def test_every_practice_page_on_a_phone(browser, live_server, transactional_db) -> None:  # type: ignore[no-untyped-def]
    demo = demo_load.load_demo_practice(seed=2, clients=30)
    context = browser.new_context(base_url=live_server.url, locale="en-GB", viewport=PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    page = context.new_page()
    problems: list[str] = []
    try:
        sign_in(page, demo.owner, demo.password)
        for path in practice_pages(demo.practice):
            response = page.goto(path)
            assert response is not None
            if response.status >= 500:
                problems.append(f"{path}: {response.status}")
                continue
            problems.extend(f"{path}: {line}" for line in serious_accessibility_problems(page))
            wide = page.evaluate(WIDER_THAN_THE_WINDOW)
            if wide:
                problems.append(f"{path}: wider than {PHONE['width']}px: {wide}")
            text = page.inner_text("body")
            key = RAW_KEYS.search(text)
            if key:
                problems.append(
                    f"{path}: shows a key: …{text[max(0, key.start() - 60) : key.end() + 30]}…"
                )
    finally:
        context.close()
    assert not problems, "\n".join(problems)


def test_every_portal_page_on_a_phone(browser_page, personas) -> None:  # type: ignore[no-untyped-def]
    """The client's pages carry the practice's name, never "Aftercare" or "Skip to content"."""
    sent = message_queue(client=personas.client, template_key="check_in")
    check_in = make_token("check_in", sent.check_in.pk)
    pages = [
        f"/p/c/{check_in}/",
        f"/p/prefs/{make_token('preferences', personas.client.pk)}/",
        f"/p/u/{make_token('unsubscribe', personas.client.pk)}/",
        "/p/c/not-a-real-link/",  # a forged link: no practice to name
        "/p/m/not-a-real-link/",
    ]
    page = browser_page
    page.set_viewport_size(PHONE)
    problems: list[str] = []
    for path in pages:
        page.goto(path)
        problems.extend(f"{path}: {line}" for line in serious_accessibility_problems(page))
        wide = page.evaluate(WIDER_THAN_THE_WINDOW)
        if wide:
            problems.append(f"{path}: wider than {PHONE['width']}px: {wide}")
        text = page.inner_text("body")
        if "Aftercare" in text or "Skip to content" in text:
            problems.append(f"{path}: says Aftercare or Skip to content")
        if "not-a-real-link" not in path and personas.practice.name not in text:
            problems.append(f"{path}: does not name the practice")
    assert not problems, "\n".join(problems)
