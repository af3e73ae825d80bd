"""The pure demo generator: realistic, varied and deterministic."""

from __future__ import annotations

import collections
import datetime as dt

import phonenumbers
import pytest

from aftercare import demo

TODAY = dt.date(2026, 11, 27)


@pytest.fixture(scope="module")
def clients() -> list[demo.DemoClient]:
    return list(demo.demo_clients(seed=7, count=600, today=TODAY))


def test_the_same_seed_gives_the_same_clients_and_another_seed_others() -> None:
    first = list(demo.demo_clients(seed=1, count=50, today=TODAY))
    assert first == list(demo.demo_clients(seed=1, count=50, today=TODAY))
    assert first != list(demo.demo_clients(seed=2, count=50, today=TODAY))


def test_a_client_is_the_same_whatever_the_batch_it_is_generated_in() -> None:
    whole = list(demo.demo_clients(seed=1, count=30, today=TODAY))
    pieces = list(demo.demo_clients(seed=1, count=10, today=TODAY)) + list(
        demo.demo_clients(seed=1, count=30, today=TODAY, start=10)
    )
    assert pieces == whole
    assert demo.demo_client(seed=1, index=12, today=TODAY) == whole[12]


def test_even_a_small_demo_has_a_client_born_on_29_february() -> None:
    births = [c.birth_date for c in demo.demo_clients(seed=5, count=40, today=TODAY)]
    assert any(b is not None and (b.month, b.day) == (2, 29) for b in births)


def test_clients_have_about_ten_appointments_over_two_years_and_some_upcoming(
    clients: list[demo.DemoClient],
) -> None:
    appointments = [a for c in clients for a in c.appointments]
    assert 8.5 <= len(appointments) / len(clients) <= 11.5
    window_start = dt.datetime.combine(TODAY, dt.time(), tzinfo=dt.UTC) - dt.timedelta(days=731)
    window_end = dt.datetime.combine(TODAY, dt.time(), tzinfo=dt.UTC) + dt.timedelta(days=46)
    assert all(window_start <= a.starts_at <= window_end for a in appointments)
    assert all(a.ends_at > a.starts_at for a in appointments)
    local_days = {a.starts_at.astimezone(demo.PRACTICE_TZ).weekday() for a in appointments}
    assert local_days <= {0, 1, 2, 3, 4}, "sessions are on weekdays"
    statuses = collections.Counter(a.status for a in appointments)
    assert set(statuses) == {"attended", "no_show", "late_cancelled", "cancelled", "booked"}
    assert statuses["attended"] > len(appointments) / 2
    noon = dt.datetime.combine(TODAY, dt.time(12), tzinfo=demo.PRACTICE_TZ)
    assert all(a.status in {"booked", "cancelled"} for a in appointments if a.starts_at > noon)


def test_each_client_starts_with_a_first_visit_then_follow_ups(
    clients: list[demo.DemoClient],
) -> None:
    for client in clients:
        kinds = [a.kind for a in client.appointments]
        assert kinds[:1] == ["first_visit"]
        assert set(kinds[1:]) <= {"follow_up"}
        assert [a.starts_at for a in client.appointments] == sorted(
            a.starts_at for a in client.appointments
        )
        assert client.created_at < client.appointments[0].starts_at


def test_most_clients_live_in_the_practices_time_zone_some_abroad_with_valid_phones(
    clients: list[demo.DemoClient],
) -> None:
    abroad = [c for c in clients if c.time_zone]
    assert 0.05 < len(abroad) / len(clients) < 0.25
    assert len({c.time_zone for c in abroad}) >= 4
    for client in clients:
        if client.phone:
            number = phonenumbers.parse(client.phone)
            assert phonenumbers.is_valid_number(number), client.phone
            if not client.time_zone:
                assert phonenumbers.region_code_for_number(number) == "GB"


def test_every_client_can_be_reached_on_their_preferred_channel(
    clients: list[demo.DemoClient],
) -> None:
    channels = collections.Counter(c.preferred_channel for c in clients)
    assert set(channels) == {"email", "sms", "whatsapp", "post", "phone"}
    for client in clients:
        if client.preferred_channel == "email":
            assert client.email
        if client.preferred_channel in {"sms", "whatsapp", "phone"}:
            assert client.phone
        assert client.postal_address


def test_clients_have_tags_consent_and_unique_email_addresses(
    clients: list[demo.DemoClient],
) -> None:
    emails = [c.email for c in clients if c.email]
    assert len(emails) == len(set(emails))
    assert all(e.isascii() and e.endswith("@example.org") for e in emails)
    assert {tag for c in clients for tag in c.tags} == set(demo.TAGS)
    assert any(not c.consent_care for c in clients)
    assert any(c.consent_celebrations for c in clients)
    assert {c.primary_practitioner for c in clients} == set(demo.PRACTITIONERS)


def test_ascii_name_makes_names_usable_in_email_addresses() -> None:
    assert demo.ascii_name("García") == "garcia"
    assert demo.ascii_name("O'Brien") == "obrien"
    assert demo.ascii_name("Müller") == "muller"
