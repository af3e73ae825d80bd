"""Sharing a resource by care rule: the rule, the planner, the worker, the portal link."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from aftercare import clock
from aftercare.care.advance import advance_touchpoints
from aftercare.care.models import CareRule, Touchpoint
from aftercare.care.reconcile import reconcile_client
from aftercare.clients.models import Client, Tag
from aftercare.links import RESOURCE_MAX_AGE, make_token
from aftercare.messaging.models import Message
from aftercare.messaging.worker import Worker
from aftercare.resources.models import Resource, ResourceShare
from aftercare.testing import Personas, api_client_for, make_appointment, make_client

VISIT = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def sleep(personas: Personas) -> Personas:
    """Ruth (tagged "sleep") and Sam (not tagged), both after a first visit; a sleep rule."""
    personas.resource = Resource.objects.create(
        practice=personas.practice,
        title="Sleep hygiene",
        body="# Sleep\n\n- Same bedtime every night\n\n<script>alert(1)</script>",
        topics="sleep",
    )
    personas.rule = CareRule.objects.create(
        practice=personas.practice,
        name="Sleep handout after a first visit",
        trigger="appointment_attended",
        trigger_options={"first_visit": True},
        offset_days=1,
        action="message",
        template_key="information",
        purpose="information",
        condition={"has_tag": "sleep"},
        resource=personas.resource,
    )
    personas.appointment.kind = "first_visit"
    personas.appointment.status = "attended"
    personas.appointment.save()
    Client.objects.filter(pk=personas.client.pk).update(consent_information=True)
    personas.client.tags.add(Tag.objects.create(practice=personas.practice, name="sleep"))
    personas.untagged = make_client(
        personas.practice, given_name="Sam", email="sam@example.org", consent_information=True
    )
    make_appointment(personas.untagged, personas.owner, kind="first_visit", status="attended")
    Client.objects.filter(pk__in=[personas.client.pk, personas.untagged.pk]).update(
        created_at=VISIT - dt.timedelta(days=1)
    )
    return personas


def _plan(personas: Personas) -> None:
    for client in (personas.client, personas.untagged):
        reconcile_client(client.pk, now=VISIT + dt.timedelta(hours=2))


def test_a_sleep_rule_after_a_first_visit_plans_the_handout_only_for_the_tagged_client(sleep):
    _plan(sleep)
    planned = Touchpoint.objects.filter(rule=sleep.rule)
    assert [t.client_id for t in planned] == [sleep.client.pk]
    assert planned[0].context["resource_id"] == sleep.resource.pk


def test_one_worker_pass_writes_the_message_with_the_link_and_records_the_share(
    sleep, django_capture_on_commit_callbacks
):
    _plan(sleep)
    touchpoint = Touchpoint.objects.get(rule=sleep.rule)
    later = touchpoint.due_at + dt.timedelta(minutes=5)
    with clock.at(later), django_capture_on_commit_callbacks(execute=True):
        advance_touchpoints(later)
        Worker().render_due_touchpoints()
    touchpoint.refresh_from_db()
    assert touchpoint.status == "sent"
    message = Message.objects.get(touchpoint=touchpoint)
    assert "Sleep hygiene" in message.text_body
    assert re.search(r"https?://\S+/p/r/\S+/", message.text_body)
    share = ResourceShare.objects.get(client=sleep.client)
    assert share.resource == sleep.resource
    assert share.shared_by is None
    assert "Sleep handout after a first visit" in share.note
    assert message.context["resource_share_id"] == share.pk
    assert not ResourceShare.objects.filter(client=sleep.untagged).exists()


def test_a_resource_deleted_after_planning_skips_the_touchpoint_with_the_reason(sleep):
    _plan(sleep)
    touchpoint = Touchpoint.objects.get(rule=sleep.rule)
    sleep.resource.delete()
    later = touchpoint.due_at + dt.timedelta(minutes=5)
    with clock.at(later):
        advance_touchpoints(later)
        Worker().render_due_touchpoints()
    touchpoint.refresh_from_db()
    assert touchpoint.status == "skipped"
    assert "deleted" in touchpoint.status_reason
    assert not Message.objects.filter(touchpoint=touchpoint).exists()
    assert not ResourceShare.objects.exists()


def test_the_portal_link_shows_the_sanitised_resource(sleep, client: HttpClient):
    share = ResourceShare.objects.create(
        practice=sleep.practice, resource=sleep.resource, client=sleep.client
    )
    response = client.get(reverse("portal-resource", args=[make_token("resource", share.pk)]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Sleep hygiene" in body
    assert "<li>Same bedtime every night</li>" in body
    assert "<script>" not in body


def test_a_forged_or_expired_portal_link_is_refused_kindly(sleep, client: HttpClient):
    share = ResourceShare.objects.create(
        practice=sleep.practice, resource=sleep.resource, client=sleep.client
    )
    token = make_token("resource", share.pk)
    forged = client.get(reverse("portal-resource", args=[token[:-3] + "xyz"]))
    assert forged.status_code == 404
    assert b"We could not open this link" in forged.content
    other_page = client.get(reverse("portal-resource", args=[make_token("check_in", share.pk)]))
    assert other_page.status_code == 404
    with clock.at(clock.now() + RESOURCE_MAX_AGE + dt.timedelta(days=1)):
        expired = client.get(reverse("portal-resource", args=[token]))
    assert expired.status_code == 410
    assert b"This link has expired" in expired.content
    assert b"Same bedtime" not in expired.content


def _form_data(resource_id: int) -> dict[str, str]:
    return {
        "name": "Handout",
        "trigger": "appointment_attended",
        "first_visit": "yes",
        "condition_tag": "sleep",
        "offset_days": "1",
        "local_time": "10:00",
        "action": "message",
        "template_key": "information",
        "resource": str(resource_id),
        "purpose": "information",
        "estimated_minutes": "5",
        "value": "50",
        "enabled": "on",
    }


def test_the_rule_form_offers_only_the_practices_resources(sleep, client: HttpClient):
    theirs = Resource.objects.create(practice=sleep.other_practice, title="Their leaflet", body="x")
    client.force_login(sleep.owner)
    page = client.get(reverse("care-rules-create")).content.decode()
    assert "Sleep hygiene" in page
    assert "Their leaflet" not in page
    refused = client.post(reverse("care-rules-create"), _form_data(theirs.pk))
    assert refused.status_code == 400
    assert refused.context["form"].errors["resource"] == ["Choose a resource of your practice."]
    assert (
        client.post(reverse("care-rules-create"), _form_data(sleep.resource.pk)).status_code == 302
    )
    rule = CareRule.objects.get(name="Handout")
    assert (rule.resource, rule.condition) == (sleep.resource, {"has_tag": "sleep"})
    assert "shares “Sleep hygiene”" in client.get(reverse("care-rules")).content.decode()


def test_a_resource_on_a_rule_that_is_not_an_information_message_is_a_field_error(
    sleep, client: HttpClient
):
    client.force_login(sleep.owner)
    response = client.post(
        reverse("care-rules-create"), {**_form_data(sleep.resource.pk), "template_key": "check_in"}
    )
    assert response.status_code == 400
    assert "information" in response.context["form"].errors["resource"][0]


def test_the_api_accepts_a_resource_and_refuses_another_practices(sleep):
    theirs = Resource.objects.create(practice=sleep.other_practice, title="Their leaflet", body="x")
    api = api_client_for(sleep, sleep.owner)
    payload = {
        "name": "Handout by API",
        "trigger": "appointment_attended",
        "trigger_options": {"first_visit": True},
        "condition": {"has_tag": "sleep"},
        "template_key": "information",
        "purpose": "information",
    }
    refused = api.post("/api/v1/care-rules", {**payload, "resource_id": theirs.pk})
    assert refused.status_code == 422
    assert refused.json()["errors"] == {"resource_id": ["Choose a resource of your practice."]}
    created = api.post("/api/v1/care-rules", {**payload, "resource_id": sleep.resource.pk})
    assert created.status_code == 201
    assert created.json()["resource_id"] == sleep.resource.pk
    rule_id = created.json()["id"]
    assert api.get(f"/api/v1/care-rules/{rule_id}").json()["resource_id"] == sleep.resource.pk
    cleared = api.patch(f"/api/v1/care-rules/{rule_id}", {"resource_id": None})
    assert cleared.json()["resource_id"] is None
