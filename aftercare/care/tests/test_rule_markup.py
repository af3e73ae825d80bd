"""The care rules pages' markup written in Python (``rule_markup``) is the markup their
templates wrote, every value escaped."""

from __future__ import annotations

import re

import pytest
from django.db.models import Count, Q
from django.template import engines

from aftercare.care.catalogue import MessageChoice
from aftercare.care.forms import CareRuleForm, action_words
from aftercare.care.models import Action, CareRule, Touchpoint, TouchpointStatus
from aftercare.care.rule_markup import rule_fieldsets, rule_rows
from aftercare.care.services import care_setup_practice
from aftercare.care.triggers import TRIGGERS
from aftercare.care.views import describe, listed_rules
from aftercare.resources.models import Resource
from aftercare.testing import Personas

# The templates' loops before the markup moved to Python (care/rules.html, care/rule_form.html).
OLD_ROWS = """{% for rule, description, action in rules %}
    <tr{% if not rule.enabled %} class="muted"{% endif %}>
      <td>{% if can_edit %}<a href="{% url 'care-rules-edit' rule.pk %}">{{ rule.name }}</a>{% else %}{{ rule.name }}{% endif %}</td>
      <td>{{ description }}</td>
      <td>{{ action }}</td>
      <td>{{ rule.value }}</td>
      <td>{{ rule.planned }}</td>
      <td>{% if rule.enabled %}On{% else %}Off{% endif %}</td>
      {% if can_edit %}<td>
        <form method="post" action="{% url 'care-rules-toggle' rule.pk %}" class="inline-form">{% csrf_token %}<button type="submit" class="secondary">{% if rule.enabled %}Switch off{% else %}Switch on{% endif %}</button></form>
      </td>{% endif %}
    </tr>
  {% empty %}
    <tr><td colspan="7" class="muted">No care rules yet.</td></tr>
  {% endfor %}"""
OLD_FIELDSETS = """  {% for legend, fields in form.fieldsets %}
  <fieldset>
    <legend>{{ legend }}</legend>
    {% for field, triggers, actions, shown in fields %}
    <div class="field"{% if triggers %} data-triggers="{{ triggers }}"{% endif %}{% if actions %} data-actions="{{ actions }}"{% endif %}{% if not shown %} hidden{% endif %}>{% if field.name == "template_key" %}<fieldset class="template-picker" aria-describedby="template-help"><legend>{{ field.label }}</legend>
      {% for choice in form.message_choices %}<div class="picker-choice"><label class="picker-row"><input type="radio" name="template_key" value="{{ choice.key }}"{% if field.value == choice.key %} checked{% endif %}><span><strong>{{ choice.name }}</strong>{% if choice.subject %}<br><span class="muted">{{ choice.subject }}</span>{% endif %}</span></label>{% if choice.preview %}<details><summary>Preview: what Alex Sample, an example client, would read</summary><pre class="message-body">{{ choice.preview }}</pre></details>{% endif %}</div>
      {% endfor %}</fieldset><small class="help" id="template-help">{{ field.help_text }}</small>{% for message in field.errors %}<span class="errorlist">{{ message }}</span>{% endfor %}{% elif field.field.widget.input_type == "checkbox" and field.field.choices %}<fieldset class="choices"><legend>{{ field.label }}</legend>{{ field }}</fieldset>{% if field.help_text %}<small class="help">{{ field.help_text }}</small>{% endif %}{% for message in field.errors %}<span class="errorlist">{{ message }}</span>{% endfor %}{% else %}{{ field.label_tag }} {{ field }}{% if field.help_text %}<small class="help">{{ field.help_text }}</small>{% endif %}{% for message in field.errors %}<span class="errorlist">{{ message }}</span>{% endfor %}{% endif %}
    {% if field.name == "trigger" %}<button type="submit" name="show" value="1" class="secondary js-hide">Show its settings</button>{% elif field.name == "action" %}<button type="submit" name="show" value="1" class="secondary js-hide">Show what it needs</button>{% endif %}</div>
    {% endfor %}
  </fieldset>
  {% endfor %}
"""
HOSTILE = "<script>alert(\"x\")</script> & 'quoted'"


def normalised(html: str) -> str:
    return re.sub(r"\s+", " ", str(html)).strip()


def old(source: str, **context: object) -> str:
    return engines["django"].from_string(source).render(context)


@pytest.fixture
def care(personas: Personas) -> Personas:
    care_setup_practice(practice=personas.practice)
    return personas


def test_the_rows_are_the_templates_rows(care) -> None:  # type: ignore[no-untyped-def]
    handout = Resource.objects.create(practice=care.practice, title=HOSTILE)
    CareRule.objects.create(
        practice=care.practice,
        name=HOSTILE,
        trigger="birthday",
        template_key="information",
        resource=handout,
        enabled=False,
        value=7,
    )
    CareRule.objects.create(
        practice=care.practice, name="A task", trigger="recall", action="task", task_kind="call"
    )
    rules = list(CareRule.objects.filter(practice=care.practice).select_related("resource"))
    for number, rule in enumerate(rules):
        rule.planned = number * 1234  # type: ignore[attr-defined]
    rows = [(rule, describe(rule), action_words(rule)) for rule in rules]
    assert any(not rule.enabled for rule in rules) and any(rule.enabled for rule in rules)
    for can_edit in (True, False):
        written = rule_rows(rows, can_edit=can_edit, csrf_token="token")
        expected = old(OLD_ROWS, rules=rows, can_edit=can_edit, csrf_token="token")
        assert normalised(written) == normalised(expected)
    assert "<script>" not in rule_rows(rows, can_edit=True, csrf_token="token")
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;quoted&#x27;" in (
        rule_rows(rows, can_edit=False, csrf_token="token")
    )


def forms_to_compare(care: Personas) -> list[CareRuleForm]:
    """New and edited rules of every trigger, a form sent back with errors, one shown again
    with its settings, with resources to choose and a message catalogue with hostile text."""
    practice = care.practice
    Resource.objects.create(practice=practice, title="Sleep")
    chosen = Resource.objects.create(practice=practice, title=HOSTILE)
    found = [CareRuleForm(initial={"enabled": True}, practice=practice)]
    for trigger in sorted(TRIGGERS):
        rule = CareRule.objects.create(
            practice=practice,
            name=f"{trigger} {HOSTILE}",
            trigger=trigger,
            template_key="check_in",
            resource=chosen,
            condition={"has_tag": "vip", "lacks_tag": "paused"},
        )
        found.append(CareRuleForm(practice=practice, instance=rule))
    found.append(
        CareRuleForm(
            {"name": "", "trigger": "birthday", "action": "message", "template_key": HOSTILE},
            practice=practice,
        )
    )
    found.append(
        CareRuleForm(
            initial={"trigger": "supply_started", "action": "task", "enabled": False},
            practice=practice,
        )
    )
    return found


def test_the_fieldsets_are_the_templates_fieldsets(care) -> None:  # type: ignore[no-untyped-def]
    compared = forms_to_compare(care)
    hostile = compared[-2]
    hostile.message_choices = [
        *hostile.message_choices,
        MessageChoice(HOSTILE, HOSTILE, subject=HOSTILE, preview=HOSTILE),
        MessageChoice("plain", "Plain"),
    ]
    for form in compared:
        expected = old(OLD_FIELDSETS, form=form)
        assert normalised(rule_fieldsets(form)) == normalised(expected)
    assert hostile.errors


def test_user_text_in_the_form_is_escaped(care) -> None:  # type: ignore[no-untyped-def]
    form = forms_to_compare(care)[-2]
    form.message_choices = [MessageChoice("key", HOSTILE, subject=HOSTILE, preview=HOSTILE)]
    written = rule_fieldsets(form)
    assert "<script>" not in written
    assert written.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;") >= 3


def test_the_resource_options_are_read_once(care, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    form = forms_to_compare(care)[0]
    with django_assert_num_queries(1):
        written = rule_fieldsets(form)
    assert written.count("<option value=") >= 4


def test_the_listed_rules_are_the_orms_rules(care) -> None:  # type: ignore[no-untyped-def]
    """One statement gives what the ORM's query gave: the rules in order with their resource's
    title and their planned touchpoints counted (not the due or done ones)."""
    handout = Resource.objects.create(practice=care.practice, title="Sleep")
    rule = CareRule.objects.create(
        practice=care.practice,
        name="Shares",
        trigger="appointment_attended",
        trigger_options={"first_visit": True, "kind": "first_visit"},
        template_key="information",
        resource=handout,
    )
    for number, status in enumerate(
        [TouchpointStatus.PLANNED, TouchpointStatus.PLANNED, TouchpointStatus.DUE]
    ):
        Touchpoint.objects.create(
            practice=care.practice,
            client=care.client,
            rule=rule,
            key=f"test:{number}",
            kind="call",
            action=Action.TASK,
            title="Call",
            due_at=care.appointment.starts_at,
            status=status,
        )
    orm = list(
        CareRule.objects.filter(practice=care.practice)
        .select_related("resource")
        .annotate(planned=Count("touchpoints", filter=Q(touchpoints__status="planned")))
    )
    listed = listed_rules(care.practice.pk)
    assert [
        (r.pk, r.planned, describe(r), action_words(r), r.value, r.enabled) for r in listed
    ] == [(r.pk, r.planned, describe(r), action_words(r), r.value, r.enabled) for r in orm]
    assert {r.pk: r.planned for r in listed}[rule.pk] == 2
