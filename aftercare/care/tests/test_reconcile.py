from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from aftercare import clock
from aftercare.appointments.services import appointment_set_status
from aftercare.care.models import CareRule, ObservedTag, Touchpoint
from aftercare.care.reconcile import reconcile_all, reconcile_client
from aftercare.care.services import care_setup_practice
from aftercare.clients.models import Client, Tag
from aftercare.clients.services import client_set_archived, client_update
from aftercare.messaging.services import choose_channel, usable_address
from aftercare.promises.models import Referral
from aftercare.testing import Personas, make_appointment, make_client

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def care(personas: Personas) -> Personas:
    care_setup_practice(practice=personas.practice)
    personas.appointment.status = "attended"
    personas.appointment.save()
    return personas


def keys(client) -> dict[str, str]:
    return dict(Touchpoint.objects.filter(client=client).values_list("key", "status"))


def test_it_plans_a_first_visit_check_in_and_changes_nothing_the_second_time(care):
    with clock.at(NOW):
        first = reconcile_client(care.client)
        second = reconcile_client(care.client)
    rule = CareRule.objects.get(practice=care.practice, name="Check in after a first visit")
    check_in = Touchpoint.objects.get(
        key=f"{care.client.pk}:rule{rule.pk}:appt{care.appointment.pk}"
    )
    assert check_in.status == "planned"
    assert check_in.due_at == dt.datetime(
        2026, 11, 23, 9, 0, tzinfo=dt.UTC
    )  # 09:00 London in winter
    assert check_in.practice == care.practice
    assert check_in.context["appointment_id"] == care.appointment.pk
    assert first.created >= 1
    assert second.changed == 0


def test_marking_a_no_show_instead_of_attended_cancels_the_check_in_in_the_same_request(
    care, django_capture_on_commit_callbacks
):
    with clock.at(NOW):
        reconcile_client(care.client)
        with django_capture_on_commit_callbacks(execute=True):
            appointment_set_status(
                actor=care.actor(), appointment=care.appointment, status="no_show"
            )
    check_in = Touchpoint.objects.get(kind="check_in", client=care.client)
    assert check_in.status == "cancelled"
    assert check_in.status_reason == "The appointment of 20 Nov 2026 is now marked no-show."


def test_it_never_touches_what_was_already_sent(care, django_capture_on_commit_callbacks):
    with clock.at(NOW):
        reconcile_client(care.client)
        Touchpoint.objects.filter(kind="check_in").update(status="sent")
        care.appointment.status = "no_show"
        care.appointment.save()
        result = reconcile_client(care.client)
    assert Touchpoint.objects.get(kind="check_in").status == "sent"
    # The only new one is the kind question after the no-show; the sent check-in is untouched.
    assert result.created == 1
    assert Touchpoint.objects.get(kind="no_show_follow_up").status == "planned"


def test_a_cancelled_touchpoint_comes_back_when_its_reason_goes_away(care):
    with clock.at(NOW):
        reconcile_client(care.client)
        care.appointment.status = "no_show"
        care.appointment.save()
        reconcile_client(care.client)
        care.appointment.status = "attended"
        care.appointment.save()
        reconcile_client(care.client)
    check_in = Touchpoint.objects.get(kind="check_in")
    assert (check_in.status, check_in.status_reason) == ("planned", "")


def test_archiving_a_client_cancels_what_was_planned_and_says_why(
    care, django_capture_on_commit_callbacks
):
    with clock.at(NOW):
        reconcile_client(care.client)
        with django_capture_on_commit_callbacks(execute=True):
            client_set_archived(actor=care.actor(), client=care.client, archived=True)
    statuses = set(
        Touchpoint.objects.filter(client=care.client).values_list("status", "status_reason")
    )
    assert statuses == {("cancelled", "The client was archived.")}


def test_turning_a_rule_off_cancels_its_touchpoints_with_the_reason(care):
    with clock.at(NOW):
        reconcile_client(care.client)
        CareRule.objects.filter(template_key="check_in").update(enabled=False)
        reconcile_client(care.client)
    check_in = Touchpoint.objects.get(kind="check_in")
    assert check_in.status_reason == "Its care rule was turned off or deleted."


def test_a_tag_rule_counts_from_when_the_tag_was_first_seen(
    care, django_capture_on_commit_callbacks
):
    CareRule.objects.create(
        practice=care.practice,
        name="Sleep handout",
        trigger="tag_added",
        trigger_options={"tag": "sleep"},
        offset_days=1,
        template_key="information",
    )
    Tag.objects.create(practice=care.practice, name="sleep")
    with clock.at(NOW), django_capture_on_commit_callbacks(execute=True):
        client_update(actor=care.actor(), client=care.client, data={}, tag_names=["sleep"])
    assert ObservedTag.objects.get(client=care.client).first_seen_at == NOW
    with clock.at(NOW + dt.timedelta(days=3)):
        reconcile_client(care.client)  # later sweeps keep the first-seen date
    handout = Touchpoint.objects.get(kind="information")
    assert handout.due_at == dt.datetime(2026, 11, 21, 9, 0, tzinfo=dt.UTC)


def test_a_referral_triggers_its_follow_up(care):
    # By the default rule every practice starts with (14 days later): nobody has to write one.
    Referral.objects.create(
        practice=care.practice,
        client=care.client,
        referred_to="Dr Patel",
        why="sleep",
        referred_at=NOW,
    )
    with clock.at(NOW):
        reconcile_client(care.client)
    follow_up = Touchpoint.objects.get(kind="referral_follow_up")
    assert "Dr Patel" in follow_up.title
    assert follow_up.due_at.date() == dt.date(2026, 12, 4)


def test_reconciling_one_client_costs_the_same_queries_however_much_it_has(care):
    busy = make_client(care.practice, given_name="Busy", birth_date=dt.date(1960, 12, 1))
    for day in range(1, 25):
        make_appointment(
            busy, starts_at=dt.datetime(2026, 10, day, 10, tzinfo=dt.UTC), status="attended"
        )
    for name in ("a", "b", "c"):
        busy.tags.add(Tag.objects.create(practice=care.practice, name=name))
    with clock.at(NOW):
        reconcile_client(care.client)
        reconcile_client(busy)  # first runs insert; compare the steady state
        with CaptureQueriesContext(connection) as small:
            reconcile_client(care.client)
        with CaptureQueriesContext(connection) as large:
            reconcile_client(busy)
    # The test runs inside a transaction, where reconciling takes a savepoint of its own (so a
    # failing client cannot poison the caller's transaction); after a commit it takes none.
    small = [q for q in small if "SAVEPOINT" not in q["sql"]]
    large = [q for q in large if "SAVEPOINT" not in q["sql"]]
    assert len(small) == len(large)
    # 12 for the care engine (the client's practitioner and booked appointments come with its
    # client and appointment rows), one for supplies and the practices' absences (one query; a
    # second for emergency lists when there are any).
    assert len(large) <= 14


def test_the_sweep_plans_everyone_and_a_second_sweep_changes_nothing(care):
    for index in range(5):
        client = make_client(care.practice, given_name=f"C{index}")
        make_appointment(client, starts_at=NOW - dt.timedelta(days=index), status="attended")
    with clock.at(NOW):
        first = reconcile_all(batch_size=2)
        before = list(Touchpoint.objects.values_list("id", "key", "status", "due_at", "updated_at"))
        second = reconcile_all(batch_size=2)
        after = list(Touchpoint.objects.values_list("id", "key", "status", "due_at", "updated_at"))
    assert first.created >= 6
    assert second.changed == 0
    assert before == after


def test_the_sweep_pauses_the_cyclic_gc_per_batch_and_gives_it_back(care, monkeypatch):
    import gc

    from aftercare.care import reconcile
    from aftercare.clients.models import Client

    seen = []
    real = reconcile.reconcile_batch

    def watching(ids, **kwargs):
        seen.append(gc.isenabled())
        return real(ids, **kwargs)

    monkeypatch.setattr(reconcile, "reconcile_batch", watching)
    make_client(care.practice, given_name="Second")
    with clock.at(NOW):
        assert gc.isenabled()
        reconcile_all(batch_size=1)
        assert gc.isenabled()
        assert len(seen) == Client.objects.count() and not any(seen)
        gc.disable()
        try:
            reconcile_all(batch_size=1)
            assert not gc.isenabled()  # a caller who had it off keeps it off
        finally:
            gc.enable()


def test_a_new_practice_starts_with_the_default_rules(db):
    from aftercare.practice.services import practice_create

    practice, _, _ = practice_create(name="New", owner_email="new@example.org")
    names = set(CareRule.objects.filter(practice=practice).values_list("name", flat=True))
    assert names == {
        "Check in after a first visit",
        "Check in after a visit",
        "Recall after 8 weeks without a visit",
        "Birthday card",
        "First-visit anniversary note",
        "Ask if all is well after a missed appointment",
        # added by the supplies and absences apps
        "Side-effects check-in after a new medication",
        "Side-effects check-in after a new remedy",
        "Re-order reminder",
        "Call when a supply is not re-ordered in time",
        "Prepare a re-ordered supply",
        "Advance notice of an absence",
        "Correction when an absence moves or is cancelled",
        # added by the promises app
        "Follow up a referral: did you find the help you needed?",
        # added by the portal app (its confirm / rebook page)
        "Appointment reminder",
        "Tell the client when their appointment moves",
    }
    assert practice.care_policy.quiet_hours_start == dt.time(20, 0)


def test_a_batch_of_the_sweep_costs_the_same_queries_for_3_or_30_clients(care):
    clients = [make_client(care.practice, given_name=f"B{index}") for index in range(30)]
    for client in clients:
        make_appointment(client, starts_at=NOW - dt.timedelta(days=2), status="attended")
    from aftercare.care.reconcile import reconcile_batch

    with clock.at(NOW):
        reconcile_batch([c.pk for c in clients])
        with CaptureQueriesContext(connection) as few:
            reconcile_batch([c.pk for c in clients[:3]])
        with CaptureQueriesContext(connection) as many:
            reconcile_batch([c.pk for c in clients])
    assert len(few) == len(many)


def test_a_no_show_marked_on_the_page_has_cancelled_the_check_in_before_the_response(
    care, client, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    client.force_login(care.owner)
    with clock.at(NOW):
        reconcile_client(care.client)
        assert Touchpoint.objects.get(kind="check_in").status == "planned"
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = client.post(
                reverse("appointments-status", args=[care.appointment.pk]), {"status": "no_show"}
            )
    assert response.status_code in {200, 302}
    assert callbacks  # the re-plan ran on the request's commit, not later
    assert Touchpoint.objects.get(kind="check_in").status == "cancelled"


def test_a_landline_is_never_the_channel_of_an_automated_message(care):
    """A number stored before landlines were told apart: texts go by email, or nowhere."""
    Client.objects.filter(pk=care.client.pk).update(phone="+442079460958", preferred_channel="sms")
    with clock.at(NOW):
        reconcile_client(care.client)
    assert set(Touchpoint.objects.filter(client=care.client).values_list("channel", flat=True)) == {
        "email"
    }
    care.client.refresh_from_db()
    assert usable_address(care.client, "sms") == ""
    assert choose_channel(care.client, "sms") == "email"
    Client.objects.filter(pk=care.client.pk).update(email="")
    care.client.refresh_from_db()
    assert choose_channel(care.client, "sms") is None


def a_client_in_year_9999(care):
    """An appointment stored before dates were bounded (or behind the app's back)."""
    bad = make_client(care.practice, given_name="Vera", family_name="Far", email="vera@example.org")
    far = dt.datetime(9999, 12, 30, 10, 0, tzinfo=dt.UTC)
    make_appointment(
        bad, care.owner, starts_at=far, ends_at=far + dt.timedelta(hours=1), status="attended"
    )
    return bad


def test_one_client_who_cannot_be_planned_is_reported_and_skipped_never_the_practice(care):
    bad = a_client_in_year_9999(care)
    good = [make_client(care.practice, given_name=f"Good{i}") for i in range(5)]
    for client in good:
        make_appointment(client, care.owner, status="attended")
    with clock.at(NOW):
        result = reconcile_all(practice_id=care.practice.pk, batch_size=4)
    assert [one.client_id for one in result.skipped] == [bad.pk]
    assert "a date too far from today" in result.skipped[0].reason
    assert result.clients == 1 + len(good)  # Ruth and the five others
    for client in [care.client, *good]:
        assert Touchpoint.objects.filter(client=client, status="planned").exists()
    assert not Touchpoint.objects.filter(client=bad).exists()


def test_plan_tick_and_a_rule_save_go_on_past_a_client_who_cannot_be_planned(
    care, client, django_capture_on_commit_callbacks
):
    bad = a_client_in_year_9999(care)
    out = io.StringIO()
    with clock.at(NOW):
        call_command("plan", practice=care.practice.pk, stdout=out, verbosity=0)
    assert "Planned 1 client:" in out.getvalue()
    assert "Skipped 1 client who could not be planned" in out.getvalue()
    assert f"client #{bad.pk}: a date too far from today" in out.getvalue()
    assert Touchpoint.objects.filter(client=care.client, status="planned").exists()

    client.force_login(care.owner)
    rule = CareRule.objects.get(practice=care.practice, name="Check in after a first visit")
    with clock.at(NOW), django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("care-rules-toggle", args=[rule.pk]))
    assert response.status_code == 302
    assert Touchpoint.objects.get(client=care.client, rule=rule).status == "cancelled"

    call_command("tick", at="2026-12-01T09:00:00Z", stdout=out)
    assert "Tick at 2026-12-01 09:00:00 UTC" in out.getvalue()
