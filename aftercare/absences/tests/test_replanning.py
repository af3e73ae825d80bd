"""Absences re-plan every affected touchpoint through the care engine (with the database)."""

from __future__ import annotations

import datetime as dt

import pytest

from aftercare import clock
from aftercare.absences.services import absence_cancel, absence_update
from aftercare.absences.tests.factories import plan_absence
from aftercare.care.models import Touchpoint
from aftercare.care.reconcile import reconcile_client
from aftercare.care.services import care_setup_practice
from aftercare.supplies.tests.factories import add_supply
from aftercare.testing import Personas

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 1, 5, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def naturopath(personas: Personas) -> Personas:
    care_setup_practice(practice=personas.practice)
    with clock.at(NOW):
        # The story: a 90-day compounded supplement, 14 days to prepare.
        add_supply(personas.actor(), personas.client, started_on=dt.date(2027, 1, 3))
        reconcile_client(personas.client)
    return personas


def open_touchpoints(client) -> dict[str, Touchpoint]:  # type: ignore[no-untyped-def]
    """The open touchpoints by kind; of several of a kind (a second reminder), the first."""
    return {
        t.kind: t
        for t in Touchpoint.objects.filter(client=client, status__in=["planned", "due"]).order_by(
            "-due_at"
        )
    }


def test_planning_an_absence_moves_the_reminder_and_plans_a_notice(
    naturopath: Personas, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    before = open_touchpoints(naturopath.client)["reorder_reminder"]
    assert before.due_at.date() == dt.date(2027, 3, 13)
    with clock.at(NOW), django_capture_on_commit_callbacks(execute=True):
        plan_absence(naturopath.actor())
    planned = open_touchpoints(naturopath.client)
    assert planned["reorder_reminder"].pk == before.pk
    assert planned["reorder_reminder"].due_at.date() == dt.date(2027, 2, 22)
    notice = planned["absence_notice"]
    assert notice.due_at.date() == dt.date(2027, 2, 22)
    assert notice.context["actions"] == "order Magnesium citrate by Monday 1 March"


def test_moving_the_absence_re_plans_and_corrects_a_notice_already_sent(
    naturopath: Personas, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    with clock.at(NOW), django_capture_on_commit_callbacks(execute=True):
        absence = plan_absence(naturopath.actor())
    notice = open_touchpoints(naturopath.client)["absence_notice"]
    Touchpoint.objects.filter(pk=notice.pk).update(status="sent")
    later = NOW + dt.timedelta(days=50)  # 24 Feb: the notice went out on 22 Feb
    with clock.at(later), django_capture_on_commit_callbacks(execute=True):
        absence_update(
            actor=naturopath.actor(),
            absence=absence,
            data={"first_day": dt.date(2027, 4, 12), "last_day": dt.date(2027, 4, 25)},
        )
    planned = open_touchpoints(naturopath.client)
    correction = planned["absence_correction"]
    assert correction.context["first_day"] == "Monday, 12 April 2027"
    assert correction.due_at <= later
    # The supply now runs out before the new dates: the reminder is back to its usual day.
    assert planned["reorder_reminder"].due_at.date() == dt.date(2027, 3, 13)
    assert "absence_notice" not in planned


def test_cancelling_the_absence_withdraws_planned_notices(
    naturopath: Personas, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    with clock.at(NOW), django_capture_on_commit_callbacks(execute=True):
        absence = plan_absence(naturopath.actor())
    notice = open_touchpoints(naturopath.client)["absence_notice"]
    with clock.at(NOW), django_capture_on_commit_callbacks(execute=True):
        absence_cancel(actor=naturopath.actor(), absence=absence)
    notice.refresh_from_db()
    assert notice.status == "cancelled"
    planned = open_touchpoints(naturopath.client)
    assert planned["reorder_reminder"].due_at.date() == dt.date(2027, 3, 13)
    assert "absence_correction" not in planned  # nothing was sent, nothing to correct


def test_cancelling_after_the_notice_went_out_sends_a_correction(
    naturopath: Personas, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    with clock.at(NOW), django_capture_on_commit_callbacks(execute=True):
        absence = plan_absence(naturopath.actor())
    Touchpoint.objects.filter(kind="absence_notice").update(status="sent")
    with clock.at(NOW), django_capture_on_commit_callbacks(execute=True):
        absence_cancel(actor=naturopath.actor(), absence=absence)
    correction = open_touchpoints(naturopath.client)["absence_correction"]
    assert correction.context["cancelled"] is True


def test_a_colleagues_client_booked_with_the_absent_practitioner_gets_the_notice(
    naturopath: Personas, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    from aftercare.testing import make_appointment, make_client

    theirs = make_client(
        naturopath.practice, given_name="Carla", primary_practitioner=naturopath.colleague
    )
    make_appointment(
        theirs, naturopath.owner, starts_at=dt.datetime(2027, 3, 22, 10, 0, tzinfo=dt.UTC)
    )
    with clock.at(NOW), django_capture_on_commit_callbacks(execute=True):
        plan_absence(naturopath.actor())
    notice = open_touchpoints(theirs)["absence_notice"]
    assert notice.context["actions"] == "rebook your appointment on Monday 22 March at 10:00"
