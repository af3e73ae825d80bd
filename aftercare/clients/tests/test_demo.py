"""The demo has one person with two records, and the merge page suggests joining them."""

from __future__ import annotations

import pytest
from django.test import Client as WebClient

from aftercare.clients.demo import BOOKING_TOOL_ID
from aftercare.clients.models import Client
from aftercare.demo_load import load_demo_practice

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_likely_duplicate_to_merge(client: WebClient) -> None:
    result = load_demo_practice(seed=7, clients=20, batch_clients=20)
    twin = Client.objects.get(practice=result.practice, external_id=BOOKING_TOOL_ID)
    original = Client.objects.get(
        practice=result.practice,
        given_name=twin.given_name,
        family_name=twin.family_name,
        external_id="",
    )
    assert (original.birth_date, original.phone) == (twin.birth_date, twin.phone)
    assert twin.appointments.count() == 1
    client.force_login(result.owner)
    page = client.get(f"/clients/{original.pk}/merge/").content.decode()
    assert "the same mobile number and the same name and birth date" in page
    response = client.post(
        f"/clients/{original.pk}/merge/", {"other": twin.pk, "take_email": "other"}
    )
    assert response.status_code == 302
    original.refresh_from_db()
    assert original.email == twin.email and original.external_id == BOOKING_TOOL_ID
    assert not Client.objects.filter(pk=twin.pk).exists()
