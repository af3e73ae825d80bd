from __future__ import annotations

import datetime as dt

from django.urls import reverse

from aftercare import clock
from aftercare.care.models import Touchpoint
from aftercare.care.reconcile import reconcile_client
from aftercare.care.services import care_setup_practice
from aftercare.testing import Personas, make_appointment

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


def test_the_client_page_shows_touchpoints_with_their_reasons_in_fixed_queries(
    owner_client, personas: Personas, django_assert_max_num_queries
):
    care_setup_practice(practice=personas.practice)
    personas.appointment.status = "attended"
    personas.appointment.save()
    with clock.at(NOW):
        reconcile_client(personas.client)
    url = reverse("clients-detail", args=[personas.client.pk])
    with django_assert_max_num_queries(40) as few:
        owner_client.get(url)
    baseline = len(few.captured_queries)
    for day in range(1, 15):
        make_appointment(personas.client, starts_at=NOW - dt.timedelta(days=day), status="attended")
    with clock.at(NOW):
        reconcile_client(personas.client)
    Touchpoint.objects.filter(kind="check_in").update(
        status="skipped", status_reason="Spoke on the phone instead."
    )
    with django_assert_max_num_queries(baseline):
        page = owner_client.get(url).content.decode()
    assert "Check in after a first visit" in page
    assert "Spoke on the phone instead." in page
    assert "kind-touchpoint" in page
