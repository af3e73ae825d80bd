"""The sweep plans a client again exactly when an input of their plan changed (issue 16).

Each change below is made the way the app makes it but with no event re-planning the client
(the on-commit callbacks are not run), so only the sweep's fingerprint can notice it.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aftercare import clock
from aftercare.absences.models import Absence
from aftercare.care import fingerprints
from aftercare.care.models import CarePolicy, CareRule, PlanFingerprint, Touchpoint
from aftercare.care.reconcile import ReconcileResult, reconcile_all
from aftercare.care.services import care_setup_practice
from aftercare.clients.models import Client, Tag
from aftercare.promises.models import Referral
from aftercare.supplies.tests.factories import add_supply
from aftercare.testing import Personas, make_appointment, make_client


@pytest.fixture
def care(personas: Personas) -> Personas:
    care_setup_practice(practice=personas.practice)
    personas.appointment.status = "attended"
    personas.appointment.save()
    return personas


@pytest.fixture
def bystander(care: Personas) -> Client:
    """A client of the same practice nothing happens to."""
    client = make_client(care.practice, given_name="Ben", email="ben@example.org")
    make_appointment(client, care.owner, status="attended")
    return client


def sweep(care: Personas, **kwargs) -> ReconcileResult:
    return reconcile_all(practice_id=care.practice.pk, **kwargs)


def planned_again(result: ReconcileResult) -> set[int]:
    return set(result.planned)


@pytest.fixture
def swept(care: Personas, bystander: Client) -> Personas:
    """Planned once; a second sweep finds nothing changed and plans nobody."""
    sweep(care)
    again = sweep(care)
    assert again.clients == 2 and again.unchanged == 2 and again.planned == {}
    return care


def test_a_steady_sweep_plans_nobody_and_stores_one_fingerprint_per_client(swept, bystander):
    assert set(PlanFingerprint.objects.values_list("client_id", flat=True)) == {
        swept.client.pk,
        bystander.pk,
    }
    assert sweep(swept).changed == 0


def test_booking_an_appointment_plans_that_client_again(swept, bystander):
    visit = make_appointment(
        swept.client, swept.owner, starts_at=clock.now() + dt.timedelta(days=3)
    )
    result = sweep(swept)
    assert planned_again(result) == {swept.client.pk}
    assert Touchpoint.objects.filter(key__endswith=f":appt{visit.pk}", status="planned").exists()


def test_moving_an_appointment_moves_its_reminder(swept, bystander):
    visit = make_appointment(
        swept.client, swept.owner, starts_at=clock.now() + dt.timedelta(days=3)
    )
    sweep(swept)
    reminder = Touchpoint.objects.get(key__endswith=f":appt{visit.pk}", kind="appointment_reminder")
    visit.starts_at += dt.timedelta(days=2)
    visit.ends_at += dt.timedelta(days=2)
    visit.save()
    assert planned_again(sweep(swept)) == {swept.client.pk}
    reminder.refresh_from_db()
    assert reminder.due_at.date() == (visit.starts_at - dt.timedelta(days=1)).date()


def test_cancelling_an_appointment_cancels_its_reminder(swept, bystander):
    visit = make_appointment(
        swept.client, swept.owner, starts_at=clock.now() + dt.timedelta(days=3)
    )
    sweep(swept)
    visit.status = "cancelled"
    visit.save()
    assert planned_again(sweep(swept)) == {swept.client.pk}
    reminder = Touchpoint.objects.get(key__endswith=f":appt{visit.pk}", kind="appointment_reminder")
    assert reminder.status == "cancelled"


def test_a_supply_added_or_changed_plans_that_client_again(swept, bystander):
    supply = add_supply(swept.actor(), swept.client, started_on=clock.now().date())
    assert planned_again(sweep(swept)) == {swept.client.pk}
    assert sweep(swept).planned == {}
    supply.lead_time_days = 30
    supply.save()
    assert planned_again(sweep(swept)) == {swept.client.pk}


def test_an_absence_plans_every_client_of_the_practice_again(swept, bystander):
    Absence.objects.create(
        practice=swept.practice,
        practitioner=swept.owner,
        first_day=clock.now().date() + dt.timedelta(days=20),
        last_day=clock.now().date() + dt.timedelta(days=30),
    )
    assert planned_again(sweep(swept)) == {swept.client.pk, bystander.pk}


def test_editing_a_rule_plans_every_client_again_and_moves_its_touchpoints(swept, bystander):
    rule = CareRule.objects.get(practice=swept.practice, trigger="recall")
    recall = Touchpoint.objects.get(rule=rule, client=swept.client, status="planned")
    rule.offset_days += 1
    rule.save()
    assert planned_again(sweep(swept)) == {swept.client.pk, bystander.pk}
    moved = Touchpoint.objects.get(pk=recall.pk)
    assert moved.due_at - recall.due_at == dt.timedelta(days=1)


def test_a_policy_change_plans_every_client_again(swept, bystander):
    CarePolicy.objects.filter(practice=swept.practice).update(contact_budget_messages=5)
    assert planned_again(sweep(swept)) == {swept.client.pk, bystander.pk}


def test_consent_withdrawn_blocks_the_client_s_messages(swept, bystander):
    Client.objects.filter(pk=swept.client.pk).update(consent_care=False)
    assert planned_again(sweep(swept)) == {swept.client.pk}
    messages = Touchpoint.objects.filter(client=swept.client, action="message", status="planned")
    assert messages and all(t.blocked for t in messages)


def test_a_tag_or_a_referral_plans_that_client_again(swept, bystander):
    swept.client.tags.add(Tag.objects.create(practice=swept.practice, name="sleep"))
    assert planned_again(sweep(swept)) == {swept.client.pk}
    Referral.objects.create(
        practice=swept.practice,
        client=bystander,
        referred_to="Dr Patel",
        referred_at=clock.now(),
    )
    assert planned_again(sweep(swept)) == {bystander.pk}


def test_a_touchpoint_changed_elsewhere_plans_its_client_again(swept, bystander):
    Touchpoint.objects.filter(client=bystander, status="planned").update(status="sent")
    assert planned_again(sweep(swept)) == {bystander.pk}


def test_the_next_day_plans_everyone_again_and_rolls_yearly_occurrences_on(swept, bystander):
    Client.objects.filter(pk=bystander.pk).update(birth_date=dt.date(1980, 6, 1))
    with clock.at(dt.datetime(2026, 12, 31, 12, 0, tzinfo=dt.UTC)):
        sweep(swept)
        later_that_day = sweep(swept, now=clock.now() + dt.timedelta(hours=3))
    assert later_that_day.planned == {}
    assert not Touchpoint.objects.filter(key__endswith="birthday2028").exists()
    with clock.at(dt.datetime(2027, 1, 1, 12, 0, tzinfo=dt.UTC)):
        next_day = sweep(swept)
    assert planned_again(next_day) == {swept.client.pk, bystander.pk}
    assert Touchpoint.objects.filter(client=bystander, key__endswith="birthday2028").exists()


def test_full_plans_everyone_whatever_their_fingerprint(swept, bystander):
    assert planned_again(sweep(swept, full=True)) == {swept.client.pk, bystander.pk}


def test_a_client_that_cannot_be_planned_is_reported_by_every_sweep(swept, bystander):
    make_appointment(
        swept.client, swept.owner, starts_at=dt.datetime(9999, 12, 31, 10, 0, tzinfo=dt.UTC)
    )
    for _ in range(2):
        result = sweep(swept)
        assert [one.client_id for one in result.skipped] == [swept.client.pk]
        assert result.unchanged == 1


def test_a_steady_sweep_costs_the_same_queries_whatever_the_number_of_clients(swept, bystander):
    with CaptureQueriesContext(connection) as two:
        sweep(swept)
    for number in range(5):
        client = make_client(
            swept.practice, given_name=f"C{number}", email=f"c{number}@example.org"
        )
        make_appointment(client, swept.owner, status="attended")
    sweep(swept)
    with CaptureQueriesContext(connection) as seven:
        result = sweep(swept)
    assert result.unchanged == 7
    assert len(seven) == len(two)


def test_a_digest_is_the_same_in_every_process():
    """Sets and mappings are sorted: Python's string hashing differs between processes."""
    value = {"b": frozenset({"x", "y", "z", "w"}), "a": [dt.date(2026, 1, 2), None, 1.5]}
    expected = fingerprints.digest(fingerprints.stable(value))
    program = (
        "import datetime as dt\n"
        "from aftercare.care import fingerprints\n"
        "value = {'a': [dt.date(2026, 1, 2), None, 1.5], 'b': frozenset({'w', 'z', 'y', 'x'})}\n"
        "print(fingerprints.digest(fingerprints.stable(value)))\n"
    )
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(  # noqa: S603 - this interpreter, a fixed program
            [sys.executable, "-c", program], env=env, capture_output=True, text=True, check=True
        )
        assert out.stdout.strip() == expected
