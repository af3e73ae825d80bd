"""Consent requests: an imported client without a consent column is asked by their first message."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client as HttpClient

from aftercare import clock
from aftercare.appointments.models import Appointment
from aftercare.care.advance import advance_touchpoints
from aftercare.care.models import Touchpoint
from aftercare.care.reconcile import reconcile_client
from aftercare.care.services import care_setup_practice
from aftercare.clients.models import Client, ConsentEvent, ConsentRequest
from aftercare.imports.clients import import_clients
from aftercare.imports.reading import read_client_file
from aftercare.links import make_token
from aftercare.messaging import consent
from aftercare.messaging.consent import send_due_consent_requests
from aftercare.messaging.models import Direction, Message
from aftercare.messaging.worker import Worker
from aftercare.testing import Personas

pytestmark = pytest.mark.django_db

# A plain spreadsheet, as a practice keeps it: no consent column.
SHEET = b"First name,Last name,Email,Mobile\r\nHannah,O'Brien,hannah@example.org,07911 234567\r\n"
VISIT = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)


def import_sheet(personas: Personas, data: bytes = SHEET) -> Client:
    rows = read_client_file(data, practice=personas.practice).rows(personas.practice)
    import_clients(actor=personas.actor(), rows=rows.rows, refused=rows.refused, dry_run=False)
    return Client.objects.get(practice=personas.practice, email="hannah@example.org")


@pytest.fixture
def hannah(personas: Personas) -> Client:
    """Hannah, imported without consent, seen for a first visit: a check-in is planned."""
    care_setup_practice(practice=personas.practice)
    hannah = import_sheet(personas)
    Client.objects.filter(pk=hannah.pk).update(created_at=VISIT - dt.timedelta(days=30))
    Appointment.objects.create(
        practice=personas.practice,
        client=hannah,
        practitioner=personas.owner,
        starts_at=VISIT,
        ends_at=VISIT + dt.timedelta(minutes=50),
        kind="first_visit",
        status="attended",
    )
    reconcile_client(hannah.pk, now=VISIT + dt.timedelta(hours=2))
    hannah.refresh_from_db()
    return hannah


def check_in_of(client: Client) -> Touchpoint:
    return Touchpoint.objects.get(client=client, template_key="check_in", action="message")


def tick(at: dt.datetime) -> int:
    """What ``aftercare tick`` does for this: the care engine's advance, then the step."""
    with clock.at(at):
        advance_touchpoints(at)
        return send_due_consent_requests(at)


def consent_link(smtp_server: Any) -> str:
    body = smtp_server.messages[-1].get_body(("plain",)).get_content()
    return re.search(r"https?://\S+(/p/k/\S+/)", body).group(1)


def test_an_import_without_a_consent_column_marks_the_client_to_ask(hannah: Client) -> None:
    assert hannah.consent_request == ConsentRequest.TO_ASK
    assert not hannah.consent_care
    assert not ConsentEvent.objects.filter(client=hannah).exists()
    check_in = check_in_of(hannah)
    assert check_in.blocked and check_in.held_back_reason == "No consent for care messages."


def test_a_consent_column_means_nobody_is_asked(personas: Personas) -> None:
    sheet = SHEET.replace(b"Mobile\r\n", b"Mobile,Care messages consent\r\n").replace(
        b"567\r\n", b"567,yes\r\n"
    )
    hannah = import_sheet(personas, sheet)
    assert hannah.consent_care and hannah.consent_request == ConsentRequest.NOT_NEEDED


def test_first_care_sends_one_consent_request_then_a_yes_lets_care_go(
    personas: Personas, hannah: Client, smtp_server: Any, client: HttpClient
) -> None:
    check_in = check_in_of(hannah)
    due = check_in.due_at + dt.timedelta(minutes=5)
    assert tick(check_in.due_at - dt.timedelta(minutes=1)) == 0  # care would not reach her yet
    assert tick(due) == 1
    assert tick(due + dt.timedelta(hours=1)) == 0  # asked once, not every tick
    request = Message.objects.get(client=hannah, direction=Direction.OUTBOUND)
    assert (request.template_key, request.purpose, request.channel) == (
        "consent_request",
        "consent",
        "email",
    )
    hannah.refresh_from_db()
    assert hannah.consent_request == ConsentRequest.ASKED and hannah.consent_asked_at == due
    check_in.refresh_from_db()
    assert check_in.status == "planned"  # waits for the answer, is not skipped

    with clock.at(due):
        Worker().run_until_idle()
    assert [m["Subject"] for m in smtp_server.messages] == [
        "May Riverside Practice keep in touch, Hannah?"
    ]
    assert not Message.objects.filter(client=hannah, template_key="check_in").exists()

    path = consent_link(smtp_server)
    page = client.get(path)
    assert page.status_code == 200
    assert b"May we keep in touch, Hannah?" in page.content
    incomplete = client.post(path, {"consent_care": "yes"})
    assert incomplete.status_code == 400
    assert b"Please answer yes or no for each kind of message." in incomplete.content
    answer = {"consent_care": "yes", "consent_information": "no", "consent_celebrations": "yes"}
    thanks = client.post(path, answer)
    assert b"will only send what you agreed to" in thanks.content

    hannah.refresh_from_db()
    assert (hannah.consent_care, hannah.consent_information, hannah.consent_celebrations) == (
        True,
        False,
        True,
    )
    assert hannah.consent_request == ConsentRequest.ANSWERED
    assert sorted(
        ConsentEvent.objects.filter(client=hannah).values_list("purpose", "granted", "how")
    ) == [
        ("care", True, "consent request"),
        ("celebrations", True, "consent request"),
        ("information", False, "consent request"),
    ]
    later = due + dt.timedelta(minutes=10)
    reconcile_client(hannah.pk, now=later)
    tick(later)
    with clock.at(later):
        Worker().run_until_idle()
    check_in.refresh_from_db()
    assert check_in.status == "sent"
    assert smtp_server.messages[-1]["Subject"] == "How are you doing, Hannah?"


def test_a_no_sends_nothing_and_the_practitioner_sees_it(
    personas: Personas,
    hannah: Client,
    smtp_server: Any,
    client: HttpClient,
    owner_client: HttpClient,
) -> None:
    check_in = check_in_of(hannah)
    due = check_in.due_at + dt.timedelta(minutes=5)
    tick(due)
    page = owner_client.get(f"/clients/{hannah.pk}/").content.decode()
    assert f"Asked on {due.day} {due:%b %Y}, no answer yet." in page
    assert "Send the consent request again" in page

    path = "/p/k/" + make_token("consent", hannah.pk) + "/"
    no = {"consent_care": "no", "consent_information": "no", "consent_celebrations": "no"}
    thanks = client.post(path, no)
    assert b"we will not send you automated messages" in thanks.content
    later = due + dt.timedelta(minutes=10)
    reconcile_client(hannah.pk, now=later)
    tick(later)
    with clock.at(later):
        Worker().run_until_idle()
    check_in.refresh_from_db()
    assert check_in.status == "skipped"
    assert not Message.objects.filter(client=hannah, template_key="check_in").exists()
    page = owner_client.get(f"/clients/{hannah.pk}/").content.decode()
    assert "Hannah answered the consent request" in page
    assert "Care messages (check-ins, reminders): <strong>no</strong>" in page
    assert "Send the consent request" not in page


def test_the_practitioner_sends_the_request_again_by_hand_within_their_practice(
    personas: Personas, hannah: Client, owner_client: HttpClient, client: HttpClient
) -> None:
    tick(check_in_of(hannah).due_at + dt.timedelta(minutes=5))
    response = owner_client.post(f"/messages/client/{hannah.pk}/consent-request/")
    assert response.status_code == 302
    assert Message.objects.filter(client=hannah, template_key="consent_request").count() == 2
    client.force_login(personas.outsider)
    assert client.post(f"/messages/client/{hannah.pk}/consent-request/").status_code == 404
    assert Message.objects.filter(client=hannah, template_key="consent_request").count() == 2


def test_a_forged_or_expired_link_is_refused_with_a_clear_page(
    personas: Personas, hannah: Client, client: HttpClient
) -> None:
    forged = client.get("/p/k/" + make_token("consent", hannah.pk)[:-3] + "abc/")
    assert forged.status_code == 404
    assert b"We could not open this link" in forged.content
    other_page = client.get("/p/k/" + make_token("preferences", hannah.pk) + "/")
    assert other_page.status_code == 404
    with clock.at(clock.now() - dt.timedelta(days=91)):
        old = make_token("consent", hannah.pk)
    expired = client.post(
        f"/p/k/{old}/",
        {"consent_care": "yes", "consent_information": "yes", "consent_celebrations": "yes"},
    )
    assert expired.status_code == 410
    assert b"This link has expired" in expired.content
    hannah.refresh_from_db()
    assert not hannah.consent_care
    assert hannah.consent_request == ConsentRequest.TO_ASK


def test_without_an_email_address_the_request_goes_by_sms_with_the_link_in_the_text(
    personas: Personas, hannah: Client
) -> None:
    Client.objects.filter(pk=hannah.pk).update(email="")
    reconcile_client(hannah.pk, now=VISIT + dt.timedelta(hours=3))
    tick(check_in_of(hannah).due_at + dt.timedelta(minutes=5))
    request = Message.objects.get(client=hannah, template_key="consent_request")
    assert (request.channel, request.to_address) == ("sms", "+447911234567")
    assert request.text_body.startswith("Hello Hannah, Riverside Practice asks: may we keep")
    assert "/p/k/" in request.text_body  # the link itself, nothing about her health


def test_one_client_whose_request_cannot_be_made_does_not_keep_the_others_from_being_asked(
    personas: Personas, hannah: Client, monkeypatch: Any
) -> None:
    sheet = b"First name,Last name,Email\r\nOmar,Haddad,omar@example.org\r\n"
    rows = read_client_file(sheet, practice=personas.practice).rows(personas.practice)
    import_clients(actor=personas.actor(), rows=rows.rows, refused=rows.refused, dry_run=False)
    omar = Client.objects.get(practice=personas.practice, email="omar@example.org")
    Client.objects.filter(pk=omar.pk).update(created_at=VISIT - dt.timedelta(days=30))
    Appointment.objects.create(
        practice=personas.practice,
        client=omar,
        practitioner=personas.owner,
        starts_at=VISIT,
        ends_at=VISIT + dt.timedelta(minutes=50),
        kind="first_visit",
        status="attended",
    )
    reconcile_client(omar.pk, now=VISIT + dt.timedelta(hours=2))
    real_send = consent.consent_request_send

    def send_but_not_to_hannah(*, client: Client, actor: Any = None) -> Message:
        if client.pk == hannah.pk:
            raise ValueError("a row this code cannot write")
        return real_send(client=client, actor=actor)

    monkeypatch.setattr(consent, "consent_request_send", send_but_not_to_hannah)
    due = max(check_in_of(hannah).due_at, check_in_of(omar).due_at) + dt.timedelta(minutes=5)
    assert tick(due) == 1
    hannah.refresh_from_db()
    omar.refresh_from_db()
    assert omar.consent_request == ConsentRequest.ASKED
    assert hannah.consent_request == ConsentRequest.TO_ASK  # the claim rolled back: asked later
    assert not Message.objects.filter(client=hannah, direction=Direction.OUTBOUND).exists()
