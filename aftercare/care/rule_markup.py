"""The care rules pages' repeated markup, written in Python: the list's rows and the rule form's
fields.

The rule form looked up a dozen values per field through the template engine (which branch,
its label, help and errors, twenty message choices with their previews) and the list the same
per rule, more than half of each page's CPU (issue 16). These write the same markup, every
value escaped; the widgets themselves are still written by the form's renderer.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import Any

from django import forms
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from aftercare.care.models import CareRule
from aftercare.form_renderer import csrf_field
from aftercare.row_urls import path_maker


def _shown(value: Any) -> str:
    """``{{ value }}`` with autoescape (the values here are text, lazy text or numbers)."""
    return str(conditional_escape(value))


def rule_rows(
    rows: Iterable[tuple[CareRule, str, str]], *, can_edit: bool, csrf_token: str
) -> SafeString:
    """A table row per rule: its name (a link to edit it, for those who may), what starts it
    and when, what it does, its value, its planned touchpoints, on or off, and the button that
    switches it."""
    edit_url = path_maker("care-rules-edit")
    toggle_url = path_maker("care-rules-toggle")
    hidden = csrf_field(csrf_token)
    written = []
    for rule, description, action in rows:
        name = escape(rule.name)
        if can_edit:
            name = f'<a href="{escape(edit_url(rule.pk))}">{name}</a>'
        switch = ""
        if can_edit:
            switch = (
                "<td>\n"
                f'        <form method="post" action="{escape(toggle_url(rule.pk))}"'
                f' class="inline-form">{hidden}<button type="submit" class="secondary">'
                f"{'Switch off' if rule.enabled else 'Switch on'}</button></form>\n"
                "      </td>"
            )
        muted = "" if rule.enabled else ' class="muted"'
        written.append(
            f"\n    <tr{muted}>\n"
            f"      <td>{name}</td>\n"
            f"      <td>{escape(description)}</td>\n"
            f"      <td>{escape(action)}</td>\n"
            f"      <td>{int(rule.value)}</td>\n"
            f"      <td>{int(rule.planned)}</td>\n"  # type: ignore[attr-defined]
            f"      <td>{'On' if rule.enabled else 'Off'}</td>\n"
            f"      {switch}\n"
            "    </tr>\n  "
        )
    # Every value above went through ``escape`` (the standard library's) or is a number.
    return mark_safe("".join(written))


def _errors(field: Any) -> str:
    return "".join(f'<span class="errorlist">{_shown(message)}</span>' for message in field.errors)


def _help(field: Any) -> str:
    return f'<small class="help">{_shown(field.help_text)}</small>' if field.help_text else ""


def _template_picker(form: Any, field: Any) -> str:
    """The message a rule sends, picked by its name, each with a sample client's preview."""
    chosen = field.value()
    choices = []
    for choice in form.message_choices:
        subject = (
            f'<br><span class="muted">{escape(choice.subject)}</span>' if choice.subject else ""
        )
        preview = (
            "<details><summary>Preview: what Alex Sample, an example client, would read"
            f'</summary><pre class="message-body">{escape(choice.preview)}</pre></details>'
            if choice.preview
            else ""
        )
        choices.append(
            '<div class="picker-choice"><label class="picker-row"><input type="radio"'
            f' name="template_key" value="{escape(choice.key)}"'
            f"{' checked' if chosen == choice.key else ''}><span><strong>"
            f"{escape(choice.name)}</strong>{subject}</span></label>{preview}</div>\n      "
        )
    return (
        '<fieldset class="template-picker" aria-describedby="template-help"><legend>'
        f"{_shown(field.label)}</legend>\n      {''.join(choices)}</fieldset>"
        f'<small class="help" id="template-help">{_shown(field.help_text)}</small>'
        f"{_errors(field)}"
    )


def _field(form: Any, field: Any, triggers: str, actions: str, shown: bool) -> str:
    """One field's ``<div>``: its label, widget, help and errors (a list of checkboxes in a
    fieldset of its own), and the button that shows the settings of what was chosen."""
    opening = '<div class="field"'
    if triggers:
        opening += f' data-triggers="{escape(triggers)}"'
    if actions:
        opening += f' data-actions="{escape(actions)}"'
    opening += ">" if shown else " hidden>"
    if field.name == "template_key":
        body = _template_picker(form, field)
    elif getattr(field.field.widget, "input_type", None) == "checkbox" and getattr(
        field.field, "choices", None
    ):
        body = (
            f'<fieldset class="choices"><legend>{_shown(field.label)}</legend>{field}</fieldset>'
            f"{_help(field)}{_errors(field)}"
        )
    else:
        body = f"{field.label_tag()} {field}{_help(field)}{_errors(field)}"
    button = ""
    if field.name == "trigger":
        button = (
            '<button type="submit" name="show" value="1" class="secondary js-hide">'
            "Show its settings</button>"
        )
    elif field.name == "action":
        button = (
            '<button type="submit" name="show" value="1" class="secondary js-hide">'
            "Show what it needs</button>"
        )
    return f"\n    {opening}{body}\n    {button}</div>\n    "


def _share_resource_choices(form: Any) -> None:
    """The practice's resources read once for every resource field (the resource to share and
    the trigger's resource), not once per field: the same options, the same order."""
    fields = [
        field
        for field in form.fields.values()
        if isinstance(field, forms.ModelChoiceField) and not hasattr(field, "_choices")
    ]
    if len(fields) < 2:
        return
    first = fields[0]
    listed = [(row.pk, first.label_from_instance(row)) for row in first.queryset]
    for field in fields:
        blank = [] if field.empty_label is None else [("", field.empty_label)]
        field.choices = [*blank, *listed]


def rule_fieldsets(form: Any) -> SafeString:
    """The rule form's fieldsets ("What starts it", "When and what") with their fields."""
    _share_resource_choices(form)
    written = []
    for legend, fields in form.fieldsets():
        inner = "".join(_field(form, *entry) for entry in fields)
        written.append(
            f"\n  <fieldset>\n    <legend>{_shown(legend)}</legend>\n    {inner}\n  </fieldset>\n  "
        )
    # Labels, help and errors went through ``conditional_escape``, the widgets and labels
    # come from the form's renderer (escaped there), the rest through ``escape``.
    return mark_safe("".join(written))
