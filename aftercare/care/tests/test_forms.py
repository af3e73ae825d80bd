"""The care rule form: each trigger shows the settings it reads, by their names."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from aftercare.appointments.models import VisitKind
from aftercare.care.forms import clean_trigger_options, option_field_name
from aftercare.care.models import Action, CareRule
from aftercare.care.services import care_setup_practice
from aftercare.care.triggers import TRIGGERS
from aftercare.resources.models import Resource
from aftercare.testing import Personas

FIELD = re.compile(
    r'<div class="field"( data-triggers="[^"]*")?( data-actions="[^"]*")?( hidden)?>(.*?)</div>',
    re.S,
)
NAME = re.compile(r'name="([a-z_]+)"')

RULE = {
    "name": "A rule",
    "offset_days": "2",
    "local_time": "10:00",
    "action": "task",
    "task_kind": "call",
    "purpose": "care",
    "estimated_minutes": "5",
    "value": "50",
    "enabled": "on",
}


@pytest.fixture
def care(personas: Personas) -> Personas:
    care_setup_practice(practice=personas.practice)
    care_setup_practice(practice=personas.other_practice)
    return personas


def shown_fields(page: str) -> set[str]:
    """The names of the form fields the page shows (those not marked hidden)."""
    return {
        name
        for *_, hidden, inner in FIELD.findall(page)
        if not hidden
        for name in NAME.findall(inner)
    }


def option_fields() -> set[str]:
    return {option_field_name(o) for info in TRIGGERS.values() for o in info.options}


@pytest.mark.parametrize("trigger", sorted(TRIGGERS))
def test_a_rule_shows_only_the_settings_its_trigger_reads(care, client, trigger):
    client.force_login(care.owner)
    rule = CareRule.objects.create(
        practice=care.practice, name="Rule", trigger=trigger, template_key="check_in"
    )
    page = client.get(reverse("care-rules-edit", args=[rule.pk])).content.decode()
    info = TRIGGERS[trigger]
    shown = shown_fields(page)
    assert shown & option_fields() == {option_field_name(o) for o in info.options}
    assert ("offset_days" in shown) is info.timed
    assert ("local_time" in shown) is info.timed
    assert {"name", "trigger", "action", "template_key", "condition_tag"} <= shown
    # Every field on the page, hidden or not, is there for the script to show.
    assert option_fields() <= {
        name for *_, inner in FIELD.findall(page) for name in NAME.findall(inner)
    }


def test_a_new_rule_shows_the_first_triggers_settings_and_the_script(care, client):
    client.force_login(care.owner)
    page = client.get(reverse("care-rules-create")).content.decode()
    assert shown_fields(page) & option_fields() == {"first_visit", "appointment_kind"}
    assert "aftercare/rule_form.js" in page
    assert "Show its settings" in page  # the button a page without JavaScript uses


def test_without_javascript_show_its_settings_keeps_what_was_typed_and_saves_nothing(care, client):
    client.force_login(care.owner)
    response = client.post(
        reverse("care-rules-create"),
        {**RULE, "name": "Reminder", "trigger": "before_appointment", "show": "1"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert shown_fields(page) & option_fields() == {"hours", "appointment_kind"}
    assert "offset_days" not in shown_fields(page)
    assert 'value="Reminder"' in page
    assert "errorlist" not in page  # not checked yet: only shown again
    assert not CareRule.objects.filter(name="Reminder").exists()


def test_saving_reads_only_the_chosen_triggers_settings(care, client):
    client.force_login(care.owner)
    response = client.post(
        reverse("care-rules-create"),
        {
            **RULE,
            "trigger": "recall",
            "weeks": "10",
            # Left in fields of other triggers, hidden on the page: not the recall's business.
            "first_visit": "yes",
            "appointment_kind": "follow_up",
            "hours": "3",
        },
    )
    assert response.status_code == 302
    assert CareRule.objects.get(name="A rule").trigger_options == {"weeks": 10}


MESSAGE_FIELDS = {"template_key", "resource", "purpose"}
TASK_FIELDS = {"task_kind", "estimated_minutes"}


@pytest.mark.parametrize(
    ("action", "shown", "hidden"),
    [("message", MESSAGE_FIELDS, TASK_FIELDS), ("task", TASK_FIELDS, MESSAGE_FIELDS)],
)
def test_a_rule_shows_only_the_fields_its_action_uses(care, client, action, shown, hidden):
    client.force_login(care.owner)
    rule = CareRule.objects.create(
        practice=care.practice,
        name="Rule",
        trigger="birthday",
        action=action,
        template_key="birthday_card" if action == "message" else "",
        task_kind="call" if action == "task" else "",
    )
    page = client.get(reverse("care-rules-edit", args=[rule.pk])).content.decode()
    assert shown <= shown_fields(page)
    assert not hidden & shown_fields(page)
    assert {"name", "trigger", "action", "value", "enabled"} <= shown_fields(page)
    # The hidden ones are on the page for the script, marked with their action.
    assert f'data-actions="{"task" if action == "message" else "message"}" hidden' in page
    assert "Show what it needs" in page  # the button a page without JavaScript uses


def test_without_javascript_show_what_it_needs_shows_the_chosen_actions_fields(care, client):
    client.force_login(care.owner)
    response = client.post(
        reverse("care-rules-create"),
        {**RULE, "name": "Call", "trigger": "birthday", "action": "task", "show": "1"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert shown_fields(page) >= TASK_FIELDS
    assert not MESSAGE_FIELDS & shown_fields(page)
    assert not CareRule.objects.filter(name="Call").exists()


def test_a_task_rule_stores_none_of_a_messages_fields(care, client):
    client.force_login(care.owner)
    handout = Resource.objects.create(practice=care.practice, title="Sleep")
    response = client.post(
        reverse("care-rules-create"),
        {
            **RULE,
            "trigger": "birthday",
            "action": "task",
            "task_kind": "post_card",
            "estimated_minutes": "15",
            # Hidden on the page, still sent: a message's fields.
            "template_key": "information",
            "resource": str(handout.pk),
            "purpose": "celebrations",
        },
    )
    assert response.status_code == 302
    rule = CareRule.objects.get(name="A rule")
    assert (rule.action, rule.task_kind, rule.estimated_minutes) == ("task", "post_card", 15)
    assert (rule.template_key, rule.resource, rule.purpose) == ("", None, "care")


def test_a_message_rule_stores_none_of_a_tasks_fields(care, client):
    client.force_login(care.owner)
    response = client.post(
        reverse("care-rules-create"),
        {
            **RULE,
            "trigger": "birthday",
            "action": "message",
            "template_key": "birthday_card",
            "purpose": "celebrations",
            # Hidden on the page, still sent (one of them not even valid): a task's fields.
            "task_kind": "call",
            "estimated_minutes": "9999",
        },
    )
    assert response.status_code == 302
    rule = CareRule.objects.get(name="A rule")
    assert (rule.action, rule.template_key, rule.purpose) == (
        "message",
        "birthday_card",
        "celebrations",
    )
    assert (rule.task_kind, rule.estimated_minutes) == ("", 5)


def test_editing_a_task_into_a_message_clears_the_task(care, client):
    client.force_login(care.owner)
    rule = CareRule.objects.create(
        practice=care.practice,
        name="Card",
        trigger="birthday",
        action=Action.TASK,
        task_kind="post_card",
        estimated_minutes=20,
    )
    response = client.post(
        reverse("care-rules-edit", args=[rule.pk]),
        {
            **RULE,
            "name": "Card",
            "trigger": "birthday",
            "action": "message",
            "template_key": "birthday_card",
            "task_kind": "post_card",
            "estimated_minutes": "20",
        },
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.action, rule.template_key, rule.task_kind, rule.estimated_minutes) == (
        "message",
        "birthday_card",
        "",
        5,
    )


@pytest.mark.parametrize(
    ("action", "errors"),
    [
        (
            "message",
            {
                "template_key": ["Message: choose the message the client gets."],
                "purpose": [
                    "Kind of message: choose one (care messages, useful information, celebrations)."
                ],
            },
        ),
        (
            "task",
            {
                "task_kind": ["Kind of task: choose what the person does."],
                "estimated_minutes": ["Minutes it takes: give a whole number from 1 to 480."],
            },
        ),
    ],
)
def test_an_actions_missing_fields_are_named_and_nothing_is_saved(care, client, action, errors):
    client.force_login(care.owner)
    data = {**RULE, "trigger": "birthday", "action": action}
    for name in [*MESSAGE_FIELDS, *TASK_FIELDS]:
        data.pop(name, None)
    # The other action's fields are filled in, and do not stand in for the missing ones.
    other = (
        {"task_kind": "call", "estimated_minutes": "5"}
        if action == "message"
        else {"template_key": "check_in", "purpose": "care"}
    )
    response = client.post(reverse("care-rules-create"), {**data, **other})
    assert response.status_code == 400
    assert response.context["form"].errors == errors
    page = response.content.decode()
    for messages in errors.values():
        assert messages[0] in page
    assert not CareRule.objects.filter(name="A rule").exists()


def test_a_reminder_rule_is_set_in_hours_before_the_visit(care, client):
    client.force_login(care.owner)
    response = client.post(
        reverse("care-rules-create"),
        {**RULE, "trigger": "before_appointment", "hours": "48", "appointment_kind": "first_visit"},
    )
    assert response.status_code == 302
    rule = CareRule.objects.get(name="A rule")
    assert rule.trigger_options == {"hours": 48, "kind": "first_visit"}
    listing = client.get(reverse("care-rules")).content.decode()
    assert "of the kind First visit: 48 hours before" in listing


def test_visit_kinds_are_chosen_by_their_names(care, client):
    VisitKind.objects.create(practice=care.practice, key="massage_long", name="Long massage")
    VisitKind.objects.create(practice=care.other_practice, key="secret_kind", name="Their kind")
    client.force_login(care.owner)
    page = client.get(reverse("care-rules-create")).content.decode()
    assert '<option value="massage_long">Long massage</option>' in page
    assert "Their kind" not in page
    response = client.post(
        reverse("care-rules-create"),
        {**RULE, "trigger": "appointment_no_show", "appointment_kind": "secret_kind"},
    )
    assert response.status_code == 400
    assert not CareRule.objects.filter(name="A rule").exists()


def test_supply_rules_tick_kinds_and_who_prepares(care, client):
    client.force_login(care.owner)
    response = client.post(
        reverse("care-rules-create"),
        {**RULE, "trigger": "supply_started", "kinds": ["supplement", "medication"]},
    )
    assert response.status_code == 302
    assert CareRule.objects.get(name="A rule").trigger_options == {
        "kinds": ["supplement", "medication"]
    }
    response = client.post(
        reverse("care-rules-create"),
        {
            **RULE,
            "name": "Prepare",
            "trigger": "supply_reorder_requested",
            "prepared_by": ["pharmacy"],
        },
    )
    assert response.status_code == 302
    assert CareRule.objects.get(name="Prepare").trigger_options == {"prepared_by": ["pharmacy"]}
    response = client.post(
        reverse("care-rules-create"),
        {**RULE, "name": "Margin", "trigger": "supply_reorder", "buffer_days": "0"},
    )
    assert response.status_code == 302
    assert CareRule.objects.get(name="Margin").trigger_options == {"buffer_days": 0}


def test_a_shared_resource_rule_picks_the_resource_by_its_title(care, client):
    ours = Resource.objects.create(practice=care.practice, title="Sleep hygiene")
    theirs = Resource.objects.create(practice=care.other_practice, title="Their handout")
    client.force_login(care.owner)
    page = client.get(reverse("care-rules-create")).content.decode()
    assert f'<option value="{ours.pk}">Sleep hygiene</option>' in page
    assert "Their handout" not in page
    response = client.post(
        reverse("care-rules-create"),
        {**RULE, "trigger": "resource_assigned", "trigger_resource": str(theirs.pk)},
    )
    assert response.status_code == 400
    assert "Choose a resource of your practice." in response.content.decode()
    response = client.post(
        reverse("care-rules-create"),
        {**RULE, "trigger": "resource_assigned", "trigger_resource": str(ours.pk)},
    )
    assert response.status_code == 302
    assert CareRule.objects.get(name="A rule").trigger_options == {"resource": str(ours.pk)}


def test_the_form_speaks_in_words_not_keys(care, client):
    client.force_login(care.owner)
    page = client.get(reverse("care-rules-create")).content.decode()
    labels = re.findall(r"<label[^>]*>(.*?)</label>", page, re.S)
    assert labels
    for label in labels:
        words = re.sub(r"<[^>]+>", "", label)
        assert "_" not in words, words
    assert "Days after it" in page and "Which visits" in page


def test_the_api_checks_options_by_what_the_trigger_declares():
    assert clean_trigger_options("recall", {}) == {"weeks": 8}
    assert clean_trigger_options("every_weeks", {}) == {"weeks": 4}
    assert clean_trigger_options("supply_started", {"kinds": ["medication", "remedy"]}) == {
        "kinds": ["remedy", "medication"]
    }
    for trigger, options in [
        ("supply_started", {"kinds": ["pills"]}),
        ("supply_started", {"kinds": "remedy"}),
        ("before_appointment", {"hours": 0}),
        ("appointment_attended", {"first_visit": "yes"}),
        ("birthday", {"weeks": 3}),
    ]:
        with pytest.raises(Exception, match="trigger_options"):
            clean_trigger_options(trigger, options)
