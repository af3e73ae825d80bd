"""Resources pages, and promises, sharing and referrals from the client page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from aftercare import clock
from aftercare.clients import events
from aftercare.promises.models import Promise, Referral
from aftercare.promises.services import referral_create
from aftercare.queue.tests.factories import NOW, make_promise
from aftercare.resources.models import Resource, ResourceShare
from aftercare.resources.services import resource_create, resource_share
from aftercare.testing import Personas

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_now():  # type: ignore[no-untyped-def]
    with clock.at(NOW):
        yield NOW


@pytest.fixture
def changed_clients():  # type: ignore[no-untyped-def]
    seen: list[int] = []

    def hook(client):  # type: ignore[no-untyped-def]
        seen.append(client.pk)

    events.on_client_changed(hook)
    yield seen
    events._hooks.remove(hook)


def make_resource(personas: Personas, **data: str) -> Resource:
    return resource_create(
        actor=personas.actor(),
        data={"title": "Sleep hygiene", "body": "- **Same** wake time", "topics": "Sleep", **data},
    )


def test_a_resource_is_created_shown_sanitised_and_edited(owner_client, personas: Personas) -> None:  # type: ignore[no-untyped-def]
    response = owner_client.post(
        reverse("resources-create"),
        {"title": "Grief", "body": "**Be gentle**<script>x()</script>", "topics": "grief, Loss"},
    )
    resource = Resource.objects.get(title="Grief")
    assert response["Location"] == reverse("resources-detail", args=[resource.pk])
    assert resource.topics == "grief, loss"
    page = owner_client.get(response["Location"]).content.decode()
    assert "<strong>Be gentle</strong>" in page
    assert "<script>x()" not in page
    owner_client.post(
        reverse("resources-edit", args=[resource.pk]),
        {"title": "Grief and loss", "body": "text", "topics": ""},
    )
    resource.refresh_from_db()
    assert resource.title == "Grief and loss"
    assert "Grief and loss" in owner_client.get(reverse("resources-list")).content.decode()


def test_a_resource_needs_a_title_and_a_body_or_link(owner_client) -> None:  # type: ignore[no-untyped-def]
    response = owner_client.post(reverse("resources-create"), {"title": "Empty"})
    assert response.status_code == 400
    assert "Write the text or give a link" in response.content.decode()
    assert not Resource.objects.exists()


def test_a_shared_resource_cannot_be_deleted_but_an_unshared_one_can(
    owner_client, personas: Personas
) -> None:  # type: ignore[no-untyped-def]
    shared, unshared = make_resource(personas), make_resource(personas, title="Unused")
    resource_share(actor=personas.actor(), resource=shared, client=personas.client)
    owner_client.post(reverse("resources-delete", args=[shared.pk]))
    owner_client.post(reverse("resources-delete", args=[unshared.pk]))
    assert list(Resource.objects.values_list("title", flat=True)) == ["Sleep hygiene"]


def test_sharing_from_the_client_page_records_it_and_tells_the_care_engine(
    owner_client, personas: Personas, changed_clients: list[int]
) -> None:  # type: ignore[no-untyped-def]
    resource = make_resource(personas)
    response = owner_client.post(
        reverse("resources-share", args=[personas.client.pk]),
        {"resource": resource.pk, "note": "Asked about sleep"},
    )
    assert response["Location"] == reverse("clients-detail", args=[personas.client.pk])
    share = ResourceShare.objects.get()
    assert (share.client, share.shared_by, share.note) == (
        personas.client,
        personas.owner,
        "Asked about sleep",
    )
    assert personas.client.pk in changed_clients


def test_another_practices_resource_cannot_be_shared_or_seen(client, personas: Personas) -> None:  # type: ignore[no-untyped-def]
    resource = make_resource(personas)
    client.force_login(personas.outsider)
    assert client.get(reverse("resources-detail", args=[resource.pk])).status_code == 404
    assert client.get(reverse("resources-edit", args=[resource.pk])).status_code == 404
    assert client.post(reverse("resources-delete", args=[resource.pk])).status_code == 404
    # The outsider's own client, but the owner's resource: refused, nothing shared.
    client.post(
        reverse("resources-share", args=[personas.other_client.pk]), {"resource": resource.pk}
    )
    assert not ResourceShare.objects.exists()
    assert "Sleep hygiene" not in client.get(reverse("resources-list")).content.decode()


def test_a_promise_is_recorded_from_the_client_page_in_the_practice_time_zone(
    owner_client, personas: Personas
) -> None:  # type: ignore[no-untyped-def]
    url = reverse("promises-create", args=[personas.client.pk])
    assert owner_client.get(url).status_code == 200
    response = owner_client.post(
        url, {"what": "Call after the scan", "due": "moment", "due_at": "2026-07-01T10:00"}
    )
    assert response.status_code == 302
    promise = Promise.objects.get()
    # 10:00 in London in summer is 09:00 UTC.
    assert promise.due_at == dt.datetime(2026, 7, 1, 9, 0, tzinfo=dt.UTC)
    assert (promise.practitioner, promise.source) == (personas.owner, "by_hand")


def test_a_promise_window_that_ends_before_it_starts_is_refused(
    owner_client, personas: Personas
) -> None:  # type: ignore[no-untyped-def]
    response = owner_client.post(
        reverse("promises-create", args=[personas.client.pk]),
        {
            "what": "Reachable",
            "due": "window",
            "due_from": "2026-12-10T09:00",
            "due_until": "2026-12-01T09:00",
        },
    )
    assert response.status_code == 400
    assert "The window must end after it starts." in response.content.decode()
    assert not Promise.objects.exists()


def test_a_referral_is_recorded_triggers_replanning_and_gets_an_outcome(
    owner_client, personas: Personas, changed_clients: list[int]
) -> None:  # type: ignore[no-untyped-def]
    url = reverse("referrals-create", args=[personas.client.pk])
    response = owner_client.post(url, {"referred_to": "", "why": ""})
    assert response.status_code == 400
    assert not Referral.objects.exists()
    owner_client.post(url, {"referred_to": "Dr Shah, sleep clinic", "why": "Insomnia for months"})
    referral = Referral.objects.get()
    assert personas.client.pk in changed_clients
    owner_client.post(
        reverse("referrals-outcome", args=[referral.pk]),
        {"outcome": "First appointment booked"},
    )
    referral.refresh_from_db()
    assert (referral.outcome, referral.outcome_at) == ("First appointment booked", NOW)


def test_the_outsider_cannot_reach_the_client_page_forms(client, personas: Personas) -> None:  # type: ignore[no-untyped-def]
    referral = referral_create(
        actor=personas.actor(), client=personas.client, referred_to="X", why="Y"
    )
    client.force_login(personas.outsider)
    for name in ("promises-create", "referrals-create"):
        assert client.get(reverse(name, args=[personas.client.pk])).status_code == 404
    assert client.post(reverse("resources-share", args=[personas.client.pk])).status_code == 404
    response = client.post(reverse("referrals-outcome", args=[referral.pk]), {"outcome": "forged"})
    assert response.status_code == 404


def test_the_client_page_shows_promises_shares_and_referrals_in_fixed_queries(
    owner_client, personas: Personas, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    url = reverse("clients-detail", args=[personas.client.pk])
    with django_assert_max_num_queries(40) as few:
        owner_client.get(url)
    baseline = len(few.captured_queries)
    resource = make_resource(personas)
    for number in range(15):
        make_promise(personas.client, what=f"Promise {number}")
        resource_share(actor=personas.actor(), resource=resource, client=personas.client)
        referral_create(
            actor=personas.actor(), client=personas.client, referred_to=f"Clinic {number}", why="w"
        )
    with django_assert_max_num_queries(baseline):
        page = owner_client.get(url).content.decode()
    assert "Promised: Promise 14" in page
    assert "Shared: Sleep hygiene" in page
    assert "Referred to Clinic 14" in page


def test_an_assistant_does_not_see_why_a_client_was_referred(client, personas: Personas) -> None:  # type: ignore[no-untyped-def]
    referral_create(
        actor=personas.actor(), client=personas.client, referred_to="Clinic", why="Panic attacks"
    )
    client.force_login(personas.assistant)
    page = client.get(reverse("clients-detail", args=[personas.client.pk])).content.decode()
    assert "Referred to Clinic" in page
    assert "Panic attacks" not in page
