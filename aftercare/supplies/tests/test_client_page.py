from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from aftercare import clock
from aftercare.supplies.tests.factories import add_supply
from aftercare.testing import Personas

pytestmark = pytest.mark.django_db


def test_the_client_page_lists_supplies_with_their_run_out_day(
    owner_client: HttpClient, personas: Personas
) -> None:
    add_supply(personas.actor(), personas.client, name="Arnica 30C", kind="remedy")
    with clock.at(dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)):
        response = owner_client.get(reverse("clients-detail", args=[personas.client.pk]))
    assert response.status_code == 200
    assert "Arnica 30C" in response.text
    assert "30 Jan 2027" in response.text
    assert "Started Arnica 30C" in response.text
    assert reverse("supplies-create", args=[personas.client.pk]) in response.text


def test_the_supplies_panel_costs_the_same_queries_for_many_supplies(
    owner_client: HttpClient, personas: Personas, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    url = reverse("clients-detail", args=[personas.client.pk])
    add_supply(personas.actor(), personas.client)
    with django_assert_max_num_queries(100) as one:
        owner_client.get(url)
    for number in range(10):
        add_supply(personas.actor(), personas.client, name=f"Supply {number}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = owner_client.get(url)
    assert "Supply 9" in response.text


def test_marking_re_ordered_from_the_client_page_returns_to_it(
    owner_client: HttpClient, personas: Personas
) -> None:
    supply = add_supply(personas.actor(), personas.client)
    page = reverse("clients-detail", args=[personas.client.pk])
    response = owner_client.post(
        reverse("supplies-status", args=[supply.pk]), {"status": "reordered", "next": page}
    )
    assert response["Location"] == page
    supply.refresh_from_db()
    assert supply.status == "reordered"
