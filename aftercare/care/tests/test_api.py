from __future__ import annotations

import datetime as dt

import pytest

from aftercare import clock
from aftercare.care.defaults import DEFAULT_RULES
from aftercare.care.models import CareRule, Touchpoint
from aftercare.care.reconcile import reconcile_client
from aftercare.care.services import care_setup_practice
from aftercare.testing import Personas, api_client_for, make_appointment, make_client

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def care(personas: Personas) -> Personas:
    care_setup_practice(practice=personas.practice)
    care_setup_practice(practice=personas.other_practice)
    personas.appointment.status = "attended"
    personas.appointment.save()
    with clock.at(NOW):
        reconcile_client(personas.client)
    return personas


def test_touchpoints_are_listed_with_the_contract_fields_and_filters(
    care, django_assert_max_num_queries
):
    api = api_client_for(care, care.owner)
    other = make_client(care.practice, given_name="Other")
    for day in range(1, 6):
        make_appointment(other, starts_at=NOW - dt.timedelta(days=day), status="attended")
    with clock.at(NOW):
        reconcile_client(other)
    with django_assert_max_num_queries(8):
        response = api.get(
            "/api/v1/touchpoints", {"client_id": care.client.pk, "status": "planned"}
        )
    assert response.status_code == 200
    [check_in] = [t for t in response.json()["results"] if t["kind"] == "check_in"]
    assert set(check_in) >= {
        "id",
        "key",
        "client_id",
        "kind",
        "due_at",
        "status",
        "action",
        "held_back_reason",
        "title",
    }
    assert check_in["due_at"] == "2026-11-23T09:00:00Z"
    assert check_in["key"].startswith(f"{care.client.pk}:rule")
    in_range = api.get(
        "/api/v1/touchpoints", {"from": "2026-11-23T00:00:00Z", "to": "2026-11-24T00:00:00Z"}
    ).json()
    assert {t["client_id"] for t in in_range["results"]} <= {care.client.pk, other.pk}
    assert all("2026-11-23" in t["due_at"] for t in in_range["results"])


def test_bad_touchpoint_filters_name_the_field(care):
    api = api_client_for(care, care.owner)
    response = api.get("/api/v1/touchpoints", {"status": "lost", "from": "tomorrow"})
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"status", "from"}


def test_another_practices_touchpoints_are_invisible(care):
    outsider = api_client_for(care, care.outsider)
    assert outsider.get("/api/v1/touchpoints").json()["count"] == 0
    touchpoint = Touchpoint.objects.filter(client=care.client).first()
    assert outsider.get(f"/api/v1/touchpoints/{touchpoint.pk}").status_code == 404


def test_care_rules_can_be_created_changed_and_deleted(care, django_capture_on_commit_callbacks):
    api = api_client_for(care, care.owner)
    with clock.at(NOW), django_capture_on_commit_callbacks(execute=True):
        created = api.post(
            "/api/v1/care-rules",
            {
                "name": "Recall after 12 weeks",
                "trigger": "recall",
                "trigger_options": {"weeks": 12},
                "template_key": "recall",
                "local_time": "10:00",
            },
        )
    assert created.status_code == 201, created.json()
    rule = created.json()
    assert (rule["trigger_options"], rule["local_time"], rule["enabled"]) == (
        {"weeks": 12},
        "10:00",
        True,
    )
    assert Touchpoint.objects.filter(rule_id=rule["id"], client=care.client).exists()
    with django_capture_on_commit_callbacks(execute=True):
        patched = api.patch(f"/api/v1/care-rules/{rule['id']}", {"enabled": False})
    assert patched.json()["enabled"] is False
    assert patched.json()["name"] == "Recall after 12 weeks"
    assert Touchpoint.objects.get(rule_id=rule["id"]).status == "cancelled"
    assert api.delete(f"/api/v1/care-rules/{rule['id']}").status_code == 204
    assert not CareRule.objects.filter(pk=rule["id"]).exists()


def test_invalid_care_rules_are_refused_naming_each_field(care):
    api = api_client_for(care, care.owner)
    response = api.post(
        "/api/v1/care-rules",
        {
            "name": "x",
            "trigger": "recall",
            "trigger_options": {"weeks": 0},
            "template_key": "",
            "colour": "red",
        },
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {"colour": ["Unknown field."]}
    response = api.post(
        "/api/v1/care-rules",
        {"name": "x", "trigger": "recall", "trigger_options": {"weeks": 0}, "template_key": ""},
    )
    assert set(response.json()["errors"]) == {"trigger_options", "template_key"}
    assert api.post(
        "/api/v1/care-rules", {"name": "x", "trigger": "full_moon", "template_key": "recall"}
    ).json()["errors"]["trigger"]
    assert not CareRule.objects.filter(name="x").exists()


def test_a_rule_through_the_api_holds_only_its_actions_fields(care):
    api = api_client_for(care, care.owner)
    task = api.post(
        "/api/v1/care-rules",
        {
            "name": "Call",
            "trigger": "birthday",
            "action": "task",
            "task_kind": "call",
            "estimated_minutes": 12,
            "template_key": "birthday_card",
            "purpose": "celebrations",
        },
    )
    assert task.status_code == 201, task.json()
    assert (task.json()["template_key"], task.json()["purpose"]) == ("", "care")
    assert (task.json()["task_kind"], task.json()["estimated_minutes"]) == ("call", 12)
    message = api.post(
        "/api/v1/care-rules",
        {
            "name": "Card",
            "trigger": "birthday",
            "template_key": "birthday_card",
            "task_kind": "call",
            "estimated_minutes": 12,
        },
    )
    assert message.status_code == 201, message.json()
    assert (message.json()["task_kind"], message.json()["estimated_minutes"]) == ("", 5)
    missing = api.post("/api/v1/care-rules", {"name": "x", "trigger": "birthday", "action": "task"})
    assert missing.status_code == 422
    assert set(missing.json()["errors"]) == {"task_kind"}
    assert not CareRule.objects.filter(name="x").exists()


def test_assistants_read_rules_but_cannot_change_them_and_outsiders_get_404(care):
    rule = CareRule.objects.filter(practice=care.practice).first()
    assistant = api_client_for(care, care.assistant)
    assert len(assistant.get("/api/v1/care-rules").json()) == len(DEFAULT_RULES)
    assert assistant.patch(f"/api/v1/care-rules/{rule.pk}", {"enabled": False}).status_code == 403
    outsider = api_client_for(care, care.outsider)
    assert outsider.patch(f"/api/v1/care-rules/{rule.pk}", {"enabled": False}).status_code == 404
    assert {r["id"] for r in outsider.get("/api/v1/care-rules").json()}.isdisjoint({rule.pk})
