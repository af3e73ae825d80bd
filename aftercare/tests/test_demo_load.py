"""Writing the demo practice: bulk inserts that match the generator, and the app hooks."""

from __future__ import annotations

import datetime as dt
import os
import random
from pathlib import Path
from typing import Any

import pytest

from aftercare import clock, demo, demo_load
from aftercare.appointments.models import Appointment, Kind, Status
from aftercare.clients.models import Channel, Client, ConsentEvent
from aftercare.phones import format_phone
from aftercare.practice.models import AuditEvent, Membership, Practice, Role

pytestmark = pytest.mark.django_db


def test_the_generators_values_are_the_models_choices() -> None:
    assert {demo.ATTENDED, demo.NO_SHOW, demo.LATE_CANCELLED, demo.CANCELLED, demo.BOOKED} == set(
        Status.values
    )
    assert {demo.FIRST_VISIT, demo.FOLLOW_UP} == {value for value, _label in Kind.CHOICES}
    assert {channel for channel, _weight in demo.CHANNELS} == set(Channel.values)
    assert {member.role for member in demo.STAFF} == set(Role.values)


def test_it_writes_the_generated_clients_and_appointments() -> None:
    result = demo_load.load_demo_practice(seed=3, clients=25, batch_clients=10)
    practice = result.practice
    today = clock.now().astimezone(demo.PRACTICE_TZ).date()
    expected = list(demo.demo_clients(seed=3, count=25, today=today))
    # The generated clients (the imports demo adds a few from a file, with their external id).
    rows = list(
        Client.objects.filter(practice=practice, external_id="")
        .order_by("pk")
        .prefetch_related("tags")
    )
    assert [(c.given_name, c.family_name, c.birth_date, c.phone) for c in rows] == [
        (e.given_name, e.family_name, e.birth_date, e.phone) for e in expected
    ]
    assert [sorted(t.name for t in c.tags.all()) for c in rows] == [list(e.tags) for e in expected]
    # Written in bulk, past Client.save: the pages' display of each number is there all the same.
    assert [c.phone_display for c in rows] == [format_phone(e.phone) for e in expected]
    assert any(c.phone_display for c in rows)
    assert result.appointments == sum(len(e.appointments) for e in expected)
    assert Appointment.objects.filter(practice=practice, source="demo").count() == (
        result.appointments
    )
    assert ConsentEvent.objects.filter(
        client__practice=practice, client__external_id=""
    ).count() == (25 * 3)
    consents = ConsentEvent.objects.filter(client=rows[0]).order_by("purpose")
    assert [(e.purpose, e.granted, e.at) for e in consents] == sorted(
        (purpose, getattr(expected[0], f"consent_{purpose}"), expected[0].created_at)
        for purpose in ("care", "celebrations", "information")
    )
    first = rows[0]
    assert list(
        Appointment.objects.filter(client=first)
        .order_by("starts_at")
        .values_list("starts_at", "status")
    ) == [(a.starts_at, a.status) for a in expected[0].appointments]
    stored = Appointment.objects.filter(client=first).order_by("starts_at").first()
    assert stored is not None
    visit = expected[0].appointments[0]
    assert (stored.ends_at, stored.kind, stored.fee, stored.practitioner.full_name) == (
        visit.ends_at,
        visit.kind,
        visit.fee,
        demo.STAFF[visit.practitioner].full_name,
    )
    assert stored.created_at <= stored.starts_at


def test_the_owner_signs_in_with_the_password_and_the_team_has_every_role() -> None:
    result = demo_load.load_demo_practice(seed=1, clients=3)
    assert result.owner.check_password(result.password)
    roles = sorted(
        Membership.objects.filter(practice=result.practice).values_list("role", flat=True)
    )
    assert roles == ["assistant", "owner", "practitioner", "practitioner"]
    others = [
        m.user for m in Membership.objects.filter(practice=result.practice).exclude(role="owner")
    ]
    assert not any(user.has_usable_password() for user in others)
    # One audit event for the practice, none per client: bulk inserts skip per-row work.
    # (Feature demos may record their few records, such as the demo absence and the demo
    # import, which goes through the real import like a practitioner's file, and the fee
    # policy's two missed visits, marked through the services that audit each fee decision.)
    events = AuditEvent.objects.filter(practice=result.practice).exclude(via="import")
    assert events.filter(object_type="practice.practice").count() == 1
    assert not events.filter(object_type="clients.client").exists()
    fee_demo = Appointment.objects.filter(practice=result.practice, fee_decided_at__isnull=False)
    assert (
        not events.filter(object_type="appointments.appointment")
        .exclude(object_id__in=[str(pk) for pk in fee_demo.values_list("pk", flat=True)])
        .exists()
    )


def test_a_second_demo_practice_gets_its_own_staff_addresses() -> None:
    first = demo_load.load_demo_practice(seed=1, clients=1)
    second = demo_load.load_demo_practice(seed=1, clients=1)
    assert first.owner.email == "owner@riverside-demo-practice.example"
    assert second.owner.email == "owner@riverside-demo-practice-2.example"
    assert Practice.objects.count() == 2
    # The number clients text is one practice's: the first has it, the second goes without.
    numbers = Practice.objects.order_by("pk").values_list("sms_number", flat=True)
    assert list(numbers) == ["+447700100800", ""]


def test_every_apps_demo_hook_gets_the_practice_a_seeded_rng_and_now(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = []

    def add_demo_data(practice: Practice, *, rng: random.Random, now: dt.datetime) -> None:
        calls.append((practice, rng.random(), now))
        assert Client.objects.filter(practice=practice).count() == 2, "after the core data"

    monkeypatch.setattr(demo_load, "demo_hooks", lambda: [("care", add_demo_data)])
    monkeypatch.setattr(demo_load, "demo_finishers", lambda: [])
    instant = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)
    with clock.at(instant):
        result = demo_load.load_demo_practice(seed=9, clients=2)
    assert calls == [(result.practice, random.Random("aftercare-demo:9:care").random(), instant)]
    assert set(result.seconds) == {"core data", "care"}


def test_demo_hooks_finds_exactly_the_apps_that_have_a_demo_module() -> None:
    package = Path(demo_load.__file__).parent
    expected = sorted(path.parent.name for path in package.glob("*/demo.py"))
    found = demo_load.demo_hooks()
    assert sorted(label for label, _hook in found) == expected
    assert all(callable(hook) for _label, hook in found)


@pytest.mark.django_db
def test_the_demo_plans_care_once_after_every_apps_data_is_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from aftercare.care import demo as care_demo
    from aftercare.supplies.models import Supply

    plans = []
    real = care_demo.reconcile_all

    def counting(**kwargs: object) -> object:
        plans.append(Supply.objects.count())  # what the other apps added is there already
        return real(**kwargs)

    monkeypatch.setattr(care_demo, "reconcile_all", counting)
    with clock.at(dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)):
        result = demo_load.load_demo_practice(seed=3, clients=20)
    assert len(plans) == 1 and plans[0] > 0
    # Care plans first; the finishers after it (insights' scores) read what it planned.
    assert next(label for label, _ in demo_load.demo_finishers()) == "care"
    assert "care (finish)" in result.seconds


@pytest.mark.skipif(
    not os.environ.get("AFTERCARE_TEST_DATABASE_URL", "").startswith("postgres"),
    reason="PostgreSQL's planner statistics",
)
def test_a_bulk_load_on_postgresql_leaves_fresh_planner_statistics(monkeypatch: Any) -> None:
    from django.db import connection

    monkeypatch.setattr(demo_load, "ANALYZE_FROM", 5)
    result = demo_load.load_demo_practice(seed=2, clients=7)
    assert "analyze" in result.seconds
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'clients_client'")
        estimated = cursor.fetchone()[0]
    assert estimated == Client.objects.count()


def test_a_small_demo_needs_no_analyze() -> None:
    assert "analyze" not in demo_load.load_demo_practice(seed=2, clients=3).seconds


@pytest.mark.skipif(
    not os.environ.get("AFTERCARE_TEST_DATABASE_URL", "").startswith("postgres"),
    reason="PostgreSQL's planner statistics",
)
def test_the_care_plan_of_a_bulk_load_sees_statistics_of_what_it_wrote(
    monkeypatch: Any,
) -> None:
    """The finishers plan every client batch by batch inside the load's transaction: PostgreSQL
    must know the appointments are there (ANALYZE in the same transaction counts them), or it
    reads every appointment for each batch (50 minutes at 1,000,000 clients)."""
    from django.db import connection

    from aftercare.care import demo as care_demo

    seen = []
    real = care_demo.reconcile_all

    def planning(**kwargs: object) -> object:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples FROM pg_class WHERE relname = 'appointments_appointment'"
            )
            seen.append(cursor.fetchone()[0])
        return real(**kwargs)

    monkeypatch.setattr(demo_load, "ANALYZE_FROM", 5)
    monkeypatch.setattr(care_demo, "reconcile_all", planning)
    result = demo_load.load_demo_practice(seed=2, clients=7)
    assert seen == [Appointment.objects.count()]
    assert "analyze (before planning)" in result.seconds
