"""Validation of care rules, shared by the web UI and the API (one place for the rules)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from aftercare.care.models import Action, CarePolicy, CareRule
from aftercare.care.triggers import CONDITIONS, TRIGGERS, trigger_choices
from aftercare.resources.models import Resource

TEMPLATE_KEYS = [
    ("check_in", "Check-in"),
    ("recall", "Recall"),
    ("birthday_card", "Birthday card"),
    ("anniversary_note", "First-visit anniversary note"),
    ("information", "Useful information"),
    ("referral_follow_up", "Referral follow-up"),
    ("no_show_follow_up", "After a missed appointment"),
]
TASK_KINDS = [
    ("call", "Call the client"),
    ("note", "Write a personal note"),
    ("post_card", "Post a card"),
    ("other", "Other task"),
]
PURPOSES = [
    ("care", "Care messages"),
    ("information", "Useful information"),
    ("celebrations", "Celebrations"),
]
SLUG = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

# The keys each trigger accepts in trigger_options, with a checker for the value.
OPTION_CHECKS: dict[str, dict[str, tuple[type, str]]] = {
    "appointment_attended": {"first_visit": (bool, "true or false"), "kind": (str, "a kind")},
    "appointment_no_show": {"kind": (str, "a kind")},
    "appointment_booked": {"kind": (str, "a kind")},
    "appointment_moved": {"kind": (str, "a kind")},
    "every_weeks": {"weeks": (int, "a number of weeks from 1 to 520")},
    "recall": {"weeks": (int, "a number of weeks from 1 to 520")},
    "tag_added": {"tag": (str, "a tag name")},
    "resource_assigned": {"resource": (str, "a resource id")},
}


# The options the web form shows, per trigger (its friendly fields); a rule's other options
# are not on the page, so the form keeps them as they are.
FORM_OPTIONS: dict[str, frozenset[str]] = {
    "appointment_attended": frozenset({"first_visit", "kind"}),
    "appointment_no_show": frozenset({"kind"}),
    "appointment_booked": frozenset({"kind"}),
    "appointment_moved": frozenset({"kind"}),
    "every_weeks": frozenset({"weeks"}),
    "recall": frozenset({"weeks"}),
    "tag_added": frozenset({"tag"}),
}


def clean_trigger_options(trigger: str, options: Any) -> dict[str, Any]:
    """The options of ``trigger``, checked; raise ValidationError naming ``trigger_options``."""
    if options in (None, ""):
        options = {}
    if not isinstance(options, dict):
        raise ValidationError({"trigger_options": 'Expected an object such as {"weeks": 8}.'})
    allowed = OPTION_CHECKS.get(trigger, {})
    cleaned: dict[str, Any] = {}
    for name, value in options.items():
        if name not in allowed:
            known = ", ".join(sorted(allowed)) or "none"
            raise ValidationError(
                {"trigger_options": f"Unknown option {name!r} for {trigger} (known: {known})."}
            )
        kind, words = allowed[name]
        if kind is int:
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 520:
                raise ValidationError({"trigger_options": f"{name}: expected {words}."})
        elif kind is bool:
            if not isinstance(value, bool):
                raise ValidationError({"trigger_options": f"{name}: expected {words}."})
        elif not isinstance(value, str) or not value.strip():
            raise ValidationError({"trigger_options": f"{name}: expected {words}."})
        else:
            value = value.strip()
        cleaned[name] = value
    if trigger == "recall":
        cleaned.setdefault("weeks", 8)
    if trigger == "every_weeks":
        cleaned.setdefault("weeks", 4)
    return cleaned


def clean_condition(condition: Any) -> dict[str, Any]:
    if condition in (None, ""):
        return {}
    if not isinstance(condition, dict):
        raise ValidationError({"condition": 'Expected an object such as {"has_tag": "sleep"}.'})
    for name in condition:
        if name not in CONDITIONS:
            known = ", ".join(sorted(CONDITIONS))
            raise ValidationError({"condition": f"Unknown condition {name!r} (known: {known})."})
    return dict(condition)


class CareRuleForm(forms.ModelForm):
    """A care rule from the web UI (friendly option fields) or the API (JSON options)."""

    trigger = forms.ChoiceField(choices=trigger_choices)
    template_key = forms.CharField(
        required=False,
        label="Message",
        help_text="Which message the client gets; its wording is under Messages → Templates",
    )
    task_kind = forms.ChoiceField(choices=[("", "—"), *TASK_KINDS], required=False)
    purpose = forms.ChoiceField(choices=PURPOSES, initial="care")
    local_time = forms.TimeField(initial=dt.time(9, 0), widget=forms.TimeInput(format="%H:%M"))
    offset_days = forms.IntegerField(min_value=-365, max_value=3650, initial=0)
    estimated_minutes = forms.IntegerField(min_value=1, max_value=480, initial=5)
    value = forms.IntegerField(min_value=0, max_value=100, initial=50)
    # Friendly fields for the UI; the API sends trigger_options and condition instead.
    first_visit = forms.ChoiceField(
        choices=[("", "Any visit"), ("yes", "Only the first visit"), ("no", "All but the first")],
        required=False,
        label="Which visits",
    )
    appointment_kind = forms.CharField(
        required=False, max_length=40, label="Only appointments of kind"
    )
    weeks = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=520,
        label="Weeks",
        help_text="Recall: weeks without a visit. Every few weeks: how many weeks apart.",
    )
    tag = forms.CharField(required=False, max_length=50, label="Tag")
    condition_tag = forms.CharField(
        required=False, max_length=50, label="Only clients with the tag"
    )
    trigger_options = forms.JSONField(required=False)
    condition = forms.JSONField(required=False)
    resource = forms.ModelChoiceField(
        queryset=Resource.objects.none(),
        required=False,
        label="Resource to share",
        help_text="Only with the template information: the message links to it and it is "
        "recorded as shared with the client",
        error_messages={"invalid_choice": "Choose a resource of your practice."},
    )

    class Meta:
        model = CareRule
        fields = [
            "name",
            "trigger",
            "offset_days",
            "local_time",
            "action",
            "template_key",
            "purpose",
            "task_kind",
            "estimated_minutes",
            "value",
            "enabled",
            "trigger_options",
            "condition",
            "resource",
        ]

    def __init__(
        self, *args: Any, practice: Any = None, json_options: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.json_options = json_options
        # Only the practice's own resources can be chosen (another practice's is a field error).
        self.fields["resource"].queryset = (
            Resource.objects.filter(practice=practice) if practice else Resource.objects.none()
        )
        self.fields["action"].initial = Action.MESSAGE
        instance = self.instance
        if not json_options:
            # The web form picks a template by its name; a practice's own key stays choosable.
            choices = [("", "—"), *TEMPLATE_KEYS]
            current = instance.template_key if instance.pk else ""
            if current and current not in dict(TEMPLATE_KEYS):
                choices.append((current, current.replace("_", " ").capitalize()))
            self.fields["template_key"].widget = forms.Select(choices=choices)
        if instance.pk and not self.is_bound:
            options = instance.trigger_options or {}
            if "first_visit" in options:
                self.initial["first_visit"] = "yes" if options["first_visit"] else "no"
            self.initial["appointment_kind"] = options.get("kind", "")
            self.initial["weeks"] = options.get("weeks")
            self.initial["tag"] = options.get("tag", "")
            self.initial["condition_tag"] = (instance.condition or {}).get("has_tag", "")

    def fieldsets(self) -> list[tuple[str, list[forms.BoundField]]]:
        """The fields the web UI shows, grouped (the JSON options are for the API)."""
        groups = [
            (
                "What starts it",
                [
                    "name",
                    "trigger",
                    "first_visit",
                    "appointment_kind",
                    "weeks",
                    "tag",
                    "condition_tag",
                ],
            ),
            (
                "When and what",
                [
                    "offset_days",
                    "local_time",
                    "action",
                    "template_key",
                    "resource",
                    "purpose",
                    "task_kind",
                    "estimated_minutes",
                    "value",
                    "enabled",
                ],
            ),
        ]
        return [(legend, [self[name] for name in names]) for legend, names in groups]

    def hidden_settings(self) -> dict[str, Any]:
        """What the rule holds that the web form does not show (set by default or the API).

        The form keeps it as it is: saving the side-effects check-in for remedies must not
        drop its ``kinds`` filter and make it fire for every supply. Options belong to their
        trigger, so a rule moved to another trigger leaves its old trigger's options behind.
        """
        instance = self.instance
        if not instance.pk or self.json_options:
            return {"trigger_options": {}, "condition": {}}
        return {
            "trigger_options": {
                name: value
                for name, value in (instance.trigger_options or {}).items()
                if name not in FORM_OPTIONS.get(instance.trigger, ())
            },
            "condition": {
                name: value
                for name, value in (instance.condition or {}).items()
                if name != "has_tag"
            },
        }

    def hidden_settings_shown(self) -> list[str]:
        """The kept settings in words, so the page says they exist (``kinds: remedy``)."""
        hidden = self.hidden_settings()
        words = []
        for name, value in [*hidden["trigger_options"].items(), *hidden["condition"].items()]:
            shown = ", ".join(str(item) for item in value) if isinstance(value, list) else value
            words.append(f"{name.replace('_', ' ')}: {shown}")
        return words

    def _options_from_fields(self, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        trigger = data.get("trigger", "")
        options: dict[str, Any] = {}
        if trigger == "appointment_attended" and data.get("first_visit"):
            options["first_visit"] = data["first_visit"] == "yes"
        if trigger in {
            "appointment_attended",
            "appointment_no_show",
            "appointment_booked",
            "appointment_moved",
        } and data.get("appointment_kind"):
            options["kind"] = data["appointment_kind"].strip()
        if trigger in {"recall", "every_weeks"} and data.get("weeks"):
            options["weeks"] = data["weeks"]
        if trigger == "tag_added" and data.get("tag"):
            options["tag"] = data["tag"].strip()
        condition = {"has_tag": data["condition_tag"].strip()} if data.get("condition_tag") else {}
        return options, condition

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.json_options:
            options, condition = data.get("trigger_options"), data.get("condition")
        else:
            options, condition = self._options_from_fields(data)
        trigger = data.get("trigger")
        if trigger and trigger not in TRIGGERS:
            self.add_error("trigger", "Unknown trigger.")
        hidden = self.hidden_settings()
        kept_options = hidden["trigger_options"] if trigger == self.instance.trigger else {}
        errors: dict[str, Any] = {}
        try:
            # What the form shows is checked; what it does not show was stored before and is
            # kept unchanged.
            data["trigger_options"] = {
                **kept_options,
                **clean_trigger_options(trigger or "", options),
            }
        except ValidationError as error:
            errors.update(error.message_dict)
        try:
            data["condition"] = {**hidden["condition"], **clean_condition(condition)}
        except ValidationError as error:
            errors.update(error.message_dict)
        action = data.get("action")
        if action == Action.MESSAGE:
            key = (data.get("template_key") or "").strip()
            if not key:
                errors["template_key"] = ["A message needs a template, e.g. check_in."]
            elif not SLUG.match(key):
                errors["template_key"] = ["Use lower-case letters, digits and _ (e.g. check_in)."]
            data["template_key"] = key
        if data.get("resource") is not None and (
            action != Action.MESSAGE or data.get("template_key") != "information"
        ):
            errors["resource"] = [
                "A resource is shared only by a message with the template information."
            ]
        elif data.get("resource") is not None and trigger == "resource_assigned":
            # Its own share would trigger it again: one message after another.
            errors["resource"] = [
                "A rule started by a shared resource cannot share one itself; "
                "choose another trigger."
            ]
        if action == Action.TASK and not data.get("task_kind"):
            errors["task_kind"] = [
                "A task needs a kind: " + ", ".join(k for k, _ in TASK_KINDS) + "."
            ]
        for name, messages in errors.items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)
                data.pop(name, None)
        return data


class CarePolicyForm(forms.ModelForm):
    contact_budget_messages = forms.IntegerField(min_value=1, max_value=50)
    contact_budget_days = forms.IntegerField(min_value=1, max_value=90)

    class Meta:
        model = CarePolicy
        fields = [
            "quiet_hours_start",
            "quiet_hours_end",
            "contact_budget_messages",
            "contact_budget_days",
        ]
        # Times read as times ("20:00"), with the browser's time picker.
        widgets = {
            "quiet_hours_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "quiet_hours_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }


def action_words(rule: CareRule) -> str:
    """What a rule does, in words: "Message: Check-in (care messages)", "Task: Call the client"."""
    if rule.action == Action.MESSAGE:
        template = dict(TEMPLATE_KEYS).get(
            rule.template_key, rule.template_key.replace("_", " ").capitalize()
        )
        purpose = dict(PURPOSES).get(rule.purpose, rule.purpose).lower()
        return f"Message: {template} ({purpose})"
    task = dict(TASK_KINDS).get(rule.task_kind, rule.task_kind.replace("_", " ").capitalize())
    return f"Task: {task}, {rule.estimated_minutes} min"
