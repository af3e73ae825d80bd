"""Validation of care rules, shared by the web UI and the API (one place for the rules)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from aftercare import statements
from aftercare.appointments.models import VisitKind
from aftercare.appointments.selectors import DEFAULT_VISIT_KINDS
from aftercare.care.catalogue import MessageChoice, message_choices
from aftercare.care.models import Action, CarePolicy, CareRule
from aftercare.care.triggers import (
    CONDITIONS,
    TRIGGERS,
    TriggerOption,
    trigger_choices,
    trigger_options_by_name,
)
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
# What a rule holds in the fields of an action it does not take.
RULE_DEFAULTS: dict[str, Any] = {
    name: CareRule._meta.get_field(name).get_default()
    for name in ("template_key", "resource", "purpose", "task_kind", "estimated_minutes")
}

# The web form's field for an option, where the option's name is taken by a field of the rule.
OPTION_FIELDS = {"kind": "appointment_kind", "resource": "trigger_resource"}
# The fields only one action uses: the page shows them for that action, and saving reads them
# only for it (the others get the rule's defaults, so a message rule holds no task).
ACTION_FIELDS: dict[str, tuple[str, ...]] = {
    Action.MESSAGE: ("template_key", "resource", "purpose"),
    Action.TASK: ("task_kind", "estimated_minutes"),
}
# The conditions in words (a rule's condition the form does not show is listed by these).
CONDITION_WORDS = {
    "has_tag": "Only clients with the tag",
    "lacks_tag": "Only clients without the tag",
    "min_attended": "Only clients with at least this many visits",
    "max_attended": "Only clients with at most this many visits",
}


def visit_kind_names(practice: Any) -> dict[str, str]:
    """The practice's visit kinds (the built-in ones until it makes its own): key → name."""
    rows = statements.rows(
        "care: visit kinds' names",
        lambda practice: VisitKind.objects.filter(practice_id=practice).values_list(
            "key", "name", "archived"
        ),
        practice=practice.pk,
    )
    names = {key: name for key, name, archived in rows if not archived}
    archived = {key for key, _, gone in rows if gone}
    for key, name, _ in DEFAULT_VISIT_KINDS:
        if key not in names and key not in archived:
            names[key] = name
    return dict(sorted(names.items(), key=lambda item: item[1].lower()))


def option_field_name(option: TriggerOption) -> str:
    return OPTION_FIELDS.get(option.name, option.name)


def multiple_choice_fields() -> set[str]:
    """The form fields that hold a list (ticked boxes)."""
    return {
        option_field_name(option)
        for option in trigger_options_by_name().values()
        if option.kind == "some_of"
    }


def _expected(option: TriggerOption) -> str:
    if option.kind == "number":
        return f"a whole number from {option.minimum} to {option.maximum}"
    if option.kind == "yes_no":
        return "true or false"
    if option.kind == "some_of":
        return "a list of " + ", ".join(key for key, _ in option.choices)
    return {"visit_kind": "a kind of visit", "resource": "a resource id"}.get(
        option.kind, f"a {option.label.lower()}"
    )


def _checked_value(option: TriggerOption, value: Any) -> Any:
    """``value`` for ``option`` as stored; raise ValueError when it is not of its kind."""
    if option.kind == "number":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError
        if not option.minimum <= value <= option.maximum:
            raise ValueError
        return value
    if option.kind == "yes_no":
        if not isinstance(value, bool):
            raise ValueError
        return value
    if option.kind == "some_of":
        known = {key for key, _ in option.choices}
        if not isinstance(value, list) or not value or not all(item in known for item in value):
            raise ValueError
        return [key for key, _ in option.choices if key in value]
    if not isinstance(value, str) or not value.strip():
        raise ValueError
    return value.strip()


def clean_trigger_options(trigger: str, options: Any) -> dict[str, Any]:
    """The options of ``trigger``, checked; raise ValidationError naming ``trigger_options``.

    The options a trigger reads are those it declares (``care/triggers.py``); an option it
    leaves out gets its declared default, so the rule says what it does.
    """
    if options in (None, ""):
        options = {}
    if not isinstance(options, dict):
        raise ValidationError({"trigger_options": 'Expected an object such as {"weeks": 8}.'})
    info = TRIGGERS.get(trigger)
    allowed = {option.name: option for option in (info.options if info else ())}
    cleaned: dict[str, Any] = {}
    for name, value in options.items():
        if name not in allowed:
            known = ", ".join(sorted(allowed)) or "none"
            raise ValidationError(
                {"trigger_options": f"Unknown option {name!r} for {trigger} (known: {known})."}
            )
        option = allowed[name]
        try:
            cleaned[name] = _checked_value(option, value)
        except ValueError:
            raise ValidationError(
                {"trigger_options": f"{name}: expected {_expected(option)}."}
            ) from None
    for option in allowed.values():
        if option.default is not None:
            cleaned.setdefault(option.name, option.default)
    return cleaned


def option_words(
    name: str, value: Any, *, visit_kinds: dict[str, str] | None = None
) -> tuple[str, str]:
    """An option or condition and its value as a person reads them: ("Kinds of supply", "Remedy")."""
    option = trigger_options_by_name().get(name)
    if option is None:
        label = CONDITION_WORDS.get(name, name.replace("_", " ").capitalize())
        shown = ", ".join(str(item) for item in value) if isinstance(value, list) else str(value)
        return label, shown
    choices = dict(option.choices)
    if option.kind == "some_of" and isinstance(value, list):
        return option.label, ", ".join(choices.get(item, str(item)) for item in value)
    if option.kind == "yes_no":
        return option.label, choices.get("yes" if value else "no", str(value))
    if option.kind == "visit_kind":
        return option.label, (visit_kinds or {}).get(value, str(value).replace("_", " "))
    return option.label, str(value)


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
    """A care rule from the web UI (a field per trigger option) or the API (JSON options).

    The web form has a field for every option any trigger reads (declared with the trigger in
    ``care/triggers.py``) and shows those of the chosen trigger: ``fieldsets`` says for each
    field which triggers use it, the page hides the others (``rule_form.js`` as the trigger
    changes; without JavaScript the "Show its settings" button reloads the form), and saving
    reads only the chosen trigger's fields. The fields of one action (``ACTION_FIELDS``: a
    message's template, a task's kind) follow the chosen action the same way; saving requires
    the chosen action's and stores the defaults for the other's.
    """

    trigger = forms.ChoiceField(choices=trigger_choices, label="What starts it")
    template_key = forms.CharField(
        required=False,
        label="Message",
        help_text="Which message the client gets; its wording is under Messages → Templates",
    )
    task_kind = forms.ChoiceField(
        choices=[("", "—"), *TASK_KINDS], required=False, label="Kind of task"
    )
    # Required for a message only (``clean``), as the minutes are for a task only.
    purpose = forms.ChoiceField(
        choices=PURPOSES,
        required=False,
        initial="care",
        label="Kind of message",
        help_text="Sent only to clients who agreed to this kind",
    )
    local_time = forms.TimeField(
        initial=dt.time(9, 0),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        label="At",
        help_text="In the client's time zone",
    )
    offset_days = forms.IntegerField(
        min_value=-365,
        max_value=3650,
        initial=0,
        label="Days after it",
        help_text="0: the same day; a negative number: days before it",
    )
    estimated_minutes = forms.IntegerField(
        min_value=1, max_value=480, initial=5, required=False, label="Minutes it takes"
    )
    value = forms.IntegerField(
        min_value=0,
        max_value=100,
        initial=50,
        label="How much it matters",
        help_text="0 to 100: the care queue shows the most valuable first",
    )
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
        labels = {"action": "What it does", "enabled": "On"}

    def __init__(
        self, *args: Any, practice: Any = None, json_options: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.json_options = json_options
        self.practice = practice
        # Only the practice's own resources can be chosen (another practice's is a field error).
        resources = (
            Resource.objects.filter(practice=practice) if practice else Resource.objects.none()
        )
        self.fields["resource"].queryset = resources
        self.fields["action"].initial = Action.MESSAGE
        instance = self.instance
        self.message_choices: list[MessageChoice] = []
        if not json_options:
            # The web form picks a template by its name, with a preview (the picker).
            self.message_choices = message_choices(practice) if practice else []
            current = instance.template_key if instance.pk else ""
            if current and current not in {choice.key for choice in self.message_choices}:
                self.message_choices.append(
                    MessageChoice(current, current.replace("_", " ").capitalize())
                )
            self.fields["template_key"].widget = forms.RadioSelect(
                choices=[(choice.key, choice.name) for choice in self.message_choices]
            )
            self.fields["template_key"].help_text = (
                "Each shows what a client would read; write or change them under Messages → "
                "Templates"
            )
            self._add_option_fields(resources)

    def _add_option_fields(self, resources: Any) -> None:
        """A field for every option a trigger reads, filled from the rule being edited."""
        instance = self.instance
        stored = (instance.trigger_options or {}) if instance.pk else {}
        self.visit_kinds = visit_kind_names(self.practice) if self.practice else {}
        for option in trigger_options_by_name().values():
            name = option_field_name(option)
            field: forms.Field
            if option.kind == "yes_no":
                field = forms.ChoiceField(choices=[("", option.blank), *option.choices])
            elif option.kind == "number":
                field = forms.IntegerField(min_value=option.minimum, max_value=option.maximum)
            elif option.kind == "some_of":
                field = forms.MultipleChoiceField(
                    choices=option.choices, widget=forms.CheckboxSelectMultiple
                )
            elif option.kind == "visit_kind":
                kinds = dict(self.visit_kinds)
                current = stored.get(option.name)
                if isinstance(current, str) and current not in kinds:
                    kinds[current] = current.replace("_", " ").capitalize()
                field = forms.ChoiceField(choices=[("", option.blank), *kinds.items()])
            elif option.kind == "resource":
                field = forms.ModelChoiceField(
                    queryset=resources,
                    empty_label=option.blank or "—",
                    error_messages={"invalid_choice": "Choose a resource of your practice."},
                )
            else:
                field = forms.CharField(max_length=50)
            field.required = False
            field.label = option.label
            field.help_text = option.help
            self.fields[name] = field
            if self.is_bound or name in self.initial:
                continue
            if option.name in stored:
                self.initial[name] = self._field_value(option, stored[option.name])
            elif option.default is not None:
                self.initial[name] = option.default
        if instance.pk and not self.is_bound and "condition_tag" not in self.initial:
            self.initial["condition_tag"] = (instance.condition or {}).get("has_tag", "")

    @staticmethod
    def _field_value(option: TriggerOption, value: Any) -> Any:
        if option.kind == "yes_no":
            return "yes" if value else "no"
        if option.kind == "resource":
            return int(value) if str(value).isdigit() else None
        return value

    def chosen_trigger(self) -> str:
        """The trigger the page is about: the one sent, else the rule's, else the first."""
        if self.is_bound and self.data.get("trigger") in TRIGGERS:
            return str(self.data["trigger"])
        if self.initial.get("trigger") in TRIGGERS:
            return str(self.initial["trigger"])
        if self.instance.pk and self.instance.trigger:
            return self.instance.trigger
        return next(iter(TRIGGERS), "")

    def chosen_action(self) -> str:
        """The action the page is about: the one sent, else the rule's, else a message."""
        if self.is_bound and self.data.get("action") in Action.values:
            return str(self.data["action"])
        if self.initial.get("action") in Action.values:
            return str(self.initial["action"])
        if self.instance.pk and self.instance.action in Action.values:
            return str(self.instance.action)
        return str(Action.MESSAGE)

    def fieldsets(self) -> list[tuple[str, list[tuple[forms.BoundField, str, str, bool]]]]:
        """The fields the web UI shows, grouped, each with the triggers and the action that
        use it.

        A field used by some triggers only carries their names (``data-triggers``), one used
        by one action its name (``data-actions``); it is hidden unless the chosen trigger and
        action use it. The others show whatever is chosen.
        """
        chosen = self.chosen_trigger()
        action = self.chosen_action()
        actions = {
            name: action_name for action_name, names in ACTION_FIELDS.items() for name in names
        }
        users: dict[str, list[str]] = {}
        for info in TRIGGERS.values():
            for option in info.options:
                users.setdefault(option_field_name(option), []).append(info.name)
            if info.timed:
                users.setdefault("offset_days", []).append(info.name)
                users.setdefault("local_time", []).append(info.name)
        option_names = [option_field_name(o) for o in trigger_options_by_name().values()]
        groups = [
            ("What starts it", ["name", "trigger", *option_names, "condition_tag"]),
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
        return [
            (
                legend,
                [
                    (
                        self[name],
                        " ".join(users.get(name, ())),
                        actions.get(name, ""),
                        (name not in users or chosen in users[name])
                        and actions.get(name, action) == action,
                    )
                    for name in names
                ],
            )
            for legend, names in groups
        ]

    def hidden_settings(self) -> dict[str, Any]:
        """What the rule holds that the web form does not show (set by the API or an old version).

        The form keeps it as it is. Options belong to their trigger, so a rule moved to another
        trigger leaves its old trigger's options behind.
        """
        instance = self.instance
        if not instance.pk or self.json_options:
            return {"trigger_options": {}, "condition": {}}
        info = TRIGGERS.get(instance.trigger)
        shown = {option.name for option in info.options} if info else set()
        return {
            "trigger_options": {
                name: value
                for name, value in (instance.trigger_options or {}).items()
                if name not in shown
            },
            "condition": {
                name: value
                for name, value in (instance.condition or {}).items()
                if name != "has_tag"
            },
        }

    def hidden_settings_shown(self) -> list[str]:
        """The kept settings in words, so the page says they exist ("Only clients without the
        tag: paused")."""
        hidden = self.hidden_settings()
        words = []
        for name, value in [*hidden["trigger_options"].items(), *hidden["condition"].items()]:
            label, shown = option_words(name, value, visit_kinds=getattr(self, "visit_kinds", {}))
            words.append(f"{label}: {shown}")
        return words

    def _options_from_fields(self, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """The chosen trigger's options from its fields (the other fields are not read)."""
        info = TRIGGERS.get(data.get("trigger", ""))
        options: dict[str, Any] = {}
        for option in info.options if info else ():
            value = data.get(option_field_name(option))
            if value in (None, "", []):
                continue
            if option.kind == "yes_no":
                options[option.name] = value == "yes"
            elif option.kind == "resource":
                options[option.name] = str(value.pk)
            elif isinstance(value, str):
                options[option.name] = value.strip()
            else:
                options[option.name] = value
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
        self._clear_other_actions_fields(data, action)
        if action == Action.MESSAGE:
            key = (data.get("template_key") or "").strip()
            if not key:
                errors["template_key"] = [
                    "A message needs a template, e.g. check_in."
                    if self.json_options
                    else "Message: choose the message the client gets."
                ]
            elif not self.json_options and key not in {c.key for c in self.message_choices}:
                errors["template_key"] = ["Choose a message from the list."]
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
        if action == Action.MESSAGE and not data.get("purpose") and "purpose" not in self.errors:
            errors["purpose"] = [
                "Kind of message: choose one ("
                + ", ".join(words.lower() for _, words in PURPOSES)
                + ")."
            ]
        if action == Action.TASK and not data.get("task_kind") and "task_kind" not in self.errors:
            errors["task_kind"] = [
                "A task needs a kind: " + ", ".join(k for k, _ in TASK_KINDS) + "."
                if self.json_options
                else "Kind of task: choose what the person does."
            ]
        if (
            action == Action.TASK
            and data.get("estimated_minutes") is None
            and "estimated_minutes" not in self.errors
        ):
            errors["estimated_minutes"] = ["Minutes it takes: give a whole number from 1 to 480."]
        for name, messages in errors.items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)
                data.pop(name, None)
        return data

    def _clear_other_actions_fields(self, data: dict[str, Any], action: Any) -> None:
        """Give the fields of the actions not chosen the rule's defaults, whatever was sent.

        The page hides them but still sends them (a task's minutes stay typed when the action
        becomes a message), and a rule must not hold a task kind it never uses.
        """
        for other, names in ACTION_FIELDS.items():
            if other == action:
                continue
            for name in names:
                self.errors.pop(name, None)  # a hidden field's bad value is not the user's concern
                data[name] = RULE_DEFAULTS[name]


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


def action_words(rule: CareRule, message_names: dict[str, str] | None = None) -> str:
    """What a rule does, in words: "Message: Check-in (care messages)", "Task: Call the client"."""
    if rule.action == Action.MESSAGE:
        names = message_names if message_names is not None else dict(TEMPLATE_KEYS)
        template = names.get(rule.template_key, rule.template_key.replace("_", " ").capitalize())
        purpose = dict(PURPOSES).get(rule.purpose, rule.purpose).lower()
        return f"Message: {template} ({purpose})"
    task = dict(TASK_KINDS).get(rule.task_kind, rule.task_kind.replace("_", " ").capitalize())
    return f"Task: {task}, {rule.estimated_minutes} min"
