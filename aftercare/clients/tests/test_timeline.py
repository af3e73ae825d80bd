from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client as WebClient

from aftercare.appointments.selectors import appointment_timeline
from aftercare.clients import timeline
from aftercare.clients.timeline import (
    ClientSection,
    TimelineAction,
    TimelineEntry,
    register_client_section,
    register_timeline_provider,
    sections_for,
    timeline_for,
)
from aftercare.testing import Personas


@pytest.fixture
def clean_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the appointments provider, during the test; the apps' registrations come back after."""
    monkeypatch.setattr(timeline, "_timeline_providers", [appointment_timeline])
    monkeypatch.setattr(timeline, "_section_providers", [])


def checkin_entries(client, actor):  # type: ignore[no-untyped-def]
    return [
        TimelineEntry(
            at=dt.datetime(2026, 11, 25, 9, tzinfo=dt.UTC),
            kind="check_in",
            title="Check-in answered",
            detail="Feeling better" if actor.sees_private_notes else "",
            status="attention",
            url="/somewhere/",
            actions=(TimelineAction("Mark read", "/read/", {"id": "7"}),),
        )
    ]


def promises_section(client, actor):  # type: ignore[no-untyped-def]
    return ClientSection(
        title="Promises", template_name="practice/_form_errors.html", context={}, order=5
    )


def nothing_section(client, actor):  # type: ignore[no-untyped-def]
    return None


def test_entries_of_all_providers_are_merged_newest_first(
    personas: Personas, clean_registry: None
) -> None:
    register_timeline_provider(checkin_entries)
    register_timeline_provider(checkin_entries)  # twice is harmless
    entries = timeline_for(personas.client, personas.actor())
    assert [entry.kind for entry in entries] == ["check_in", "appointment"]
    assert entries[1].status == "booked" and entries[1].badge == "Booked"
    assert timeline_for(personas.client, personas.actor(), limit=1)[0].kind == "check_in"


def test_sections_come_in_order_and_empty_ones_are_left_out(
    personas: Personas, clean_registry: None
) -> None:
    register_client_section(nothing_section)
    register_client_section(promises_section)
    assert [s.title for s in sections_for(personas.client, personas.actor())] == ["Promises"]


def test_the_client_page_shows_registered_entries_sections_and_actions(
    owner_client: WebClient, personas: Personas, clean_registry: None
) -> None:
    register_timeline_provider(checkin_entries)
    register_client_section(promises_section)
    page = owner_client.get(f"/clients/{personas.client.pk}/").content.decode()
    assert "Check-in answered" in page and "Feeling better" in page
    assert '<h2 id="section-1">Promises</h2>' in page
    assert 'action="/read/"' in page and 'name="id" value="7"' in page
    assert f'name="next" value="/clients/{personas.client.pk}/"' in page


def test_providers_get_the_actor_to_hide_what_assistants_may_not_see(
    client: WebClient, personas: Personas, clean_registry: None
) -> None:
    register_timeline_provider(checkin_entries)
    client.force_login(personas.assistant)
    page = client.get(f"/clients/{personas.client.pk}/").content.decode()
    assert "Check-in answered" in page and "Feeling better" not in page
