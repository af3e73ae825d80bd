"""A resource shared by hand from the client page reaches the client, like one shared by rule."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from aftercare import clock
from aftercare.messaging.models import Message
from aftercare.messaging.worker import Worker
from aftercare.resources.models import Resource, ResourceShare
from aftercare.resources.services import resource_create, resource_share
from aftercare.testing import Personas

pytestmark = pytest.mark.django_db

DAYTIME = dt.datetime(2027, 2, 1, 10, 0, tzinfo=dt.UTC)  # Monday 10:00 in London
NIGHT = dt.datetime(2027, 2, 1, 23, 30, tzinfo=dt.UTC)  # Monday 23:30 in London


@pytest.fixture
def sleep_hygiene(personas: Personas) -> Resource:
    return resource_create(
        actor=personas.actor(),
        data={"title": "Sleep hygiene", "body": "- **Same** wake time every day"},
    )


@pytest.fixture
def ruth(personas: Personas):  # type: ignore[no-untyped-def]
    personas.client.consent_information = True
    personas.client.save()
    return personas.client


def share_from_the_client_page(owner_client: HttpClient, client_pk: int, resource: Resource):  # type: ignore[no-untyped-def]
    return owner_client.post(
        reverse("resources-share", args=[client_pk]),
        {"resource": resource.pk, "note": "Asked about sleep"},
        follow=True,
    )


def test_a_resource_shared_by_hand_is_sent_with_its_signed_link(
    owner_client: HttpClient, personas: Personas, ruth, sleep_hygiene: Resource
) -> None:  # type: ignore[no-untyped-def]
    with clock.at(DAYTIME):
        page = share_from_the_client_page(owner_client, ruth.pk, sleep_hygiene)
    assert "Shared Sleep hygiene with Ruth Miller. It is on its way to Ruth by email." in page.text
    share = ResourceShare.objects.get()
    assert (share.note, share.shared_by) == ("Asked about sleep", personas.owner)
    message = Message.objects.get(client=ruth)
    assert (message.template_key, message.purpose, message.sent_by) == (
        "information",
        "information",
        personas.owner,
    )
    assert "Asked about sleep" not in message.text_body  # the note is for the record only
    with clock.at(DAYTIME):
        Worker().run_once()
    message.refresh_from_db()
    assert message.status == "sent"
    assert "Sleep hygiene" in message.text_body
    link = re.search(r"https?://\S+(/p/r/\S+/)", message.text_body).group(1)  # type: ignore[union-attr]
    with clock.at(DAYTIME + dt.timedelta(days=2)):
        portal = HttpClient().get(link)
    assert portal.status_code == 200
    assert "<strong>Same</strong> wake time" in portal.text


def test_without_consent_for_information_the_share_is_recorded_and_the_person_told(
    owner_client: HttpClient, personas: Personas, sleep_hygiene: Resource
) -> None:  # type: ignore[no-untyped-def]
    assert not personas.client.consent_information
    with clock.at(DAYTIME):
        page = share_from_the_client_page(owner_client, personas.client.pk, sleep_hygiene)
    assert "has not agreed to receive information messages" in page.text
    assert 'class="warning"' in page.text
    assert ResourceShare.objects.filter(client=personas.client).exists()
    assert not Message.objects.filter(client=personas.client).exists()


def test_a_client_with_no_usable_address_is_not_written_to_and_the_person_told(
    owner_client: HttpClient, ruth, sleep_hygiene: Resource
) -> None:  # type: ignore[no-untyped-def]
    ruth.email_unusable = True
    ruth.phone = ""
    ruth.save()
    with clock.at(DAYTIME):
        page = share_from_the_client_page(owner_client, ruth.pk, sleep_hygiene)
    assert "we have no usable email address or mobile number for Ruth Miller" in page.text
    assert ResourceShare.objects.filter(client=ruth).exists()
    assert not Message.objects.filter(client=ruth).exists()


def test_an_unsubscribed_client_gets_nothing(
    personas: Personas, ruth, sleep_hygiene: Resource
) -> None:  # type: ignore[no-untyped-def]
    ruth.opted_out_at = DAYTIME - dt.timedelta(days=1)
    ruth.save()
    with clock.at(DAYTIME):
        shared = resource_share(actor=personas.actor(), resource=sleep_hygiene, client=ruth)
    assert not shared.reached
    assert "unsubscribed" in shared.notices[0].text
    assert not Message.objects.filter(client=ruth).exists()


def test_a_share_at_night_waits_for_the_end_of_quiet_hours_and_says_so(
    owner_client: HttpClient, ruth, sleep_hygiene: Resource
) -> None:  # type: ignore[no-untyped-def]
    with clock.at(NIGHT):
        page = share_from_the_client_page(owner_client, ruth.pk, sleep_hygiene)
        Worker().run_once()
    assert "It goes to Ruth by email at 08:00 on Tuesday, their time" in page.text
    message = Message.objects.get(client=ruth)
    assert message.status == "queued"
    morning = dt.datetime(2027, 2, 2, 8, 1, tzinfo=dt.UTC)
    with clock.at(morning):
        Worker().run_once()
    message.refresh_from_db()
    assert message.status == "sent"
