from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from aftercare import clock
from aftercare.care.models import CarePolicy, CareRule, Touchpoint
from aftercare.care.reconcile import reconcile_client
from aftercare.care.services import care_setup_practice
from aftercare.testing import Personas, make_client

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def care(personas: Personas) -> Personas:
    care_setup_practice(practice=personas.practice)
    care_setup_practice(practice=personas.other_practice)
    personas.appointment.status = "attended"
    personas.appointment.save()
    return personas


def test_the_owner_sees_every_rule_for_a_fixed_number_of_queries(
    care, client, django_assert_max_num_queries
):
    client.force_login(care.owner)
    for index in range(15):
        CareRule.objects.create(
            practice=care.practice,
            name=f"Extra {index}",
            trigger="birthday",
            template_key="birthday_card",
        )
    with django_assert_max_num_queries(10):
        response = client.get(reverse("care-rules"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Check in after a first visit" in body
    assert "An appointment was attended (first visit only): 3 days after, at 09:00" in body
    assert "Extra 14" in body


def test_creating_a_rule_from_friendly_fields_plans_it_at_once(
    care, client, django_capture_on_commit_callbacks
):
    client.force_login(care.owner)
    with clock.at(NOW), django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("care-rules-create"),
            {
                "name": "Call after a first visit",
                "trigger": "appointment_attended",
                "first_visit": "yes",
                "offset_days": "1",
                "local_time": "10:30",
                "action": "task",
                "task_kind": "call",
                "purpose": "care",
                "estimated_minutes": "10",
                "value": "90",
                "enabled": "on",
            },
        )
    assert response.status_code == 302
    rule = CareRule.objects.get(name="Call after a first visit")
    assert rule.trigger_options == {"first_visit": True}
    task = Touchpoint.objects.get(rule=rule)
    assert (task.action, task.kind, task.estimated_minutes) == ("task", "call", 10)


def test_a_message_rule_without_a_template_is_refused_naming_the_field(care, client):
    client.force_login(care.owner)
    response = client.post(
        reverse("care-rules-create"),
        {
            "name": "x",
            "trigger": "birthday",
            "offset_days": "0",
            "local_time": "09:00",
            "action": "message",
            "purpose": "care",
            "estimated_minutes": "5",
            "value": "50",
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["template_key"] == [
        "Message: choose the message the client gets."
    ]
    assert not CareRule.objects.filter(name="x").exists()


def test_switching_a_rule_off_cancels_what_it_planned(
    care, client, django_capture_on_commit_callbacks
):
    client.force_login(care.owner)
    rule = CareRule.objects.get(practice=care.practice, name="Check in after a first visit")
    with clock.at(NOW):
        reconcile_client(care.client)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("care-rules-toggle", args=[rule.pk]))
    rule.refresh_from_db()
    assert not rule.enabled
    assert Touchpoint.objects.get(rule=rule).status == "cancelled"


def test_the_quiet_hours_and_budget_can_be_changed(care, client):
    client.force_login(care.owner)
    response = client.post(
        reverse("care-rules"),
        {
            "quiet_hours_start": "21:00",
            "quiet_hours_end": "07:30",
            "contact_budget_messages": "3",
            "contact_budget_days": "10",
        },
    )
    assert response.status_code == 302
    policy = CarePolicy.objects.get(practice=care.practice)
    assert (policy.quiet_hours_start, policy.contact_budget_messages) == (dt.time(21), 3)
    bad = client.post(
        reverse("care-rules"),
        {
            "quiet_hours_start": "late",
            "quiet_hours_end": "07:30",
            "contact_budget_messages": "0",
            "contact_budget_days": "10",
        },
    )
    assert bad.status_code == 400
    assert set(bad.context["policy_form"].errors) == {
        "quiet_hours_start",
        "contact_budget_messages",
    }


def test_another_practices_rule_is_a_404_and_assistants_cannot_change_rules(care, client):
    theirs = CareRule.objects.filter(practice=care.other_practice).first()
    client.force_login(care.owner)
    assert client.get(reverse("care-rules-edit", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("care-rules-toggle", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("care-rules-delete", args=[theirs.pk])).status_code == 404
    client.force_login(care.assistant)
    assert client.get(reverse("care-rules")).status_code == 200
    assert client.get(reverse("care-rules-create")).status_code == 404


def test_deleting_a_rule_keeps_history_and_cancels_open_touchpoints(care, client):
    client.force_login(care.owner)
    rule = CareRule.objects.get(practice=care.practice, name="Check in after a first visit")
    make_client(care.practice)
    with clock.at(NOW):
        reconcile_client(care.client)
    client.post(reverse("care-rules-delete", args=[rule.pk]))
    assert not CareRule.objects.filter(pk=rule.pk).exists()
    touchpoint = Touchpoint.objects.get(kind="check_in", client=care.client)
    assert touchpoint.status == "cancelled"
    assert "was deleted" in touchpoint.status_reason


def test_editing_a_rule_moves_what_it_planned(care, client, django_capture_on_commit_callbacks):
    client.force_login(care.owner)
    rule = CareRule.objects.get(practice=care.practice, name="Check in after a first visit")
    with clock.at(NOW):
        reconcile_client(care.client)
        page = client.get(reverse("care-rules-edit", args=[rule.pk]))
        assert page.context["form"].initial["first_visit"] == "yes"
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("care-rules-edit", args=[rule.pk]),
                {
                    "name": rule.name,
                    "trigger": "appointment_attended",
                    "first_visit": "yes",
                    "offset_days": "2",
                    "local_time": "11:00",
                    "action": "message",
                    "template_key": "check_in",
                    "purpose": "care",
                    "estimated_minutes": "5",
                    "value": "80",
                    "enabled": "on",
                },
            )
    assert response.status_code == 302
    check_in = Touchpoint.objects.get(rule=rule)
    assert check_in.due_at == dt.datetime(2026, 11, 22, 11, 0, tzinfo=dt.UTC)


def test_editing_a_rule_in_the_web_form_keeps_what_the_form_does_not_show(
    care, client, django_capture_on_commit_callbacks
):
    client.force_login(care.owner)
    rule = CareRule.objects.get(
        practice=care.practice, name="Side-effects check-in after a new remedy"
    )
    rule.condition = {"has_tag": "homeopathy", "lacks_tag": "paused"}
    rule.save()
    page = client.get(reverse("care-rules-edit", args=[rule.pk])).content.decode()
    assert "Only clients without the tag: paused" in page and "Saving keeps them" in page
    assert 'value="remedy" id="id_kinds_0" checked' in page  # its own setting, shown as a box
    with clock.at(NOW), django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("care-rules-edit", args=[rule.pk]),
            {
                "name": rule.name,
                "trigger": "supply_started",
                "kinds": ["remedy"],
                "condition_tag": "",
                "offset_days": "5",
                "local_time": "10:00",
                "action": "message",
                "template_key": "check_in",
                "purpose": "care",
                "estimated_minutes": "5",
                "value": "70",
                "enabled": "on",
            },
        )
    assert response.status_code == 302, response.content.decode()
    rule.refresh_from_db()
    assert rule.offset_days == 5
    assert rule.trigger_options == {"kinds": ["remedy"]}  # still remedies only
    assert rule.condition == {"lacks_tag": "paused"}  # the tag it shows was cleared, the rest kept


def test_a_rule_moved_to_another_trigger_leaves_the_old_triggers_options(care, client):
    client.force_login(care.owner)
    rule = CareRule.objects.get(
        practice=care.practice, name="Side-effects check-in after a new remedy"
    )
    response = client.post(
        reverse("care-rules-edit", args=[rule.pk]),
        {
            "name": rule.name,
            "trigger": "appointment_attended",
            "first_visit": "yes",
            "offset_days": "3",
            "local_time": "10:00",
            "action": "message",
            "template_key": "check_in",
            "purpose": "care",
            "estimated_minutes": "5",
            "value": "70",
            "enabled": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()
    rule.refresh_from_db()
    assert rule.trigger_options == {"first_visit": True}
