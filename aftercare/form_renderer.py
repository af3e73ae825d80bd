"""Form widgets written in Python, byte for byte what Django's templates write.

Django renders every widget, every ``<option>`` of a select and every label through its
template engine: a select of ten choices is a dozen template includes. On the clients list
(four fields) that was a sixth of the page's CPU (issue 16), and every form page pays it per
field. ``FormRenderer`` writes the common templates — the ``<input>`` of every input type, the
select and its options, the textarea, checkboxes and radio buttons, the label, a field's group
(label, help, errors, widget) and its list of errors — in Python, with the templates' exact markup
and escaping (``test_form_renderer`` renders each both ways and compares); anything else, or
any value these writers do not know how to show as the template would (a number or a date as
an option's label, which the template localizes), goes to Django's templates as before.

Set as ``FORM_RENDERER`` in settings.
"""

from __future__ import annotations

from html import escape
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.functional import Promise
from django.utils.safestring import SafeData

_WIDGETS = "django/forms/widgets/"
_INPUTS = {
    f"{_WIDGETS}{kind}.html"
    for kind in (
        "input",
        "text",
        "number",
        "email",
        "url",
        "color",
        "search",
        "tel",
        "password",
        "hidden",
        "date",
        "datetime",
        "time",
        "checkbox",
    )
}
_SELECT = f"{_WIDGETS}select.html"
_OPTION = f"{_WIDGETS}select_option.html"
_TEXTAREA = f"{_WIDGETS}textarea.html"
_LABEL = "django/forms/label.html"
_MULTIPLE = {f"{_WIDGETS}checkbox_select.html", f"{_WIDGETS}radio.html"}
_INPUT_OPTIONS = {f"{_WIDGETS}checkbox_option.html", f"{_WIDGETS}radio_option.html"}
_FIELD = "django/forms/field.html"
_ERRORS = "django/forms/errors/list/default.html"


class _Unknown(Exception):
    """A value the template would show differently than ``str``: let the template do it."""


def _shown(value: Any) -> str:
    """``{{ value }}`` with autoescape, for text (a number or date the template localizes)."""
    if isinstance(value, SafeData):
        return str(value)
    if isinstance(value, (str, Promise)):
        return escape(str(value))
    raise _Unknown


def _formatted(value: Any) -> str:
    """``{{ value|stringformat:'s' }}`` with autoescape."""
    if isinstance(value, SafeData):
        return str(value)
    try:
        text = "%s" % (
            str(value) if isinstance(value, tuple) else value
        )  # the filter's own formatting
    except (TypeError, ValueError):
        return ""
    return escape(text)


def _attrs(attrs: Any) -> str:
    """``django/forms/widgets/attrs.html``."""
    if not attrs:
        return ""
    written = []
    for name, value in attrs.items():
        if value is False:
            continue
        written.append(f" {_shown(name)}")
        if value is not True:
            written.append(f'="{_formatted(value)}"')
    return "".join(written)


def _input(widget: dict[str, Any]) -> str:
    value = widget["value"]
    shown = f' value="{_formatted(value)}"' if value != None else ""  # noqa: E711 - as the template compares
    return (
        f'<input type="{_shown(widget["type"])}" name="{_shown(widget["name"])}"'
        f"{shown}{_attrs(widget['attrs'])}>"
    )


def _select(widget: dict[str, Any]) -> str:
    written = [f'<select name="{_shown(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            written.append(f'\n  <optgroup label="{_shown(group_name)}">')
        for option in group_choices:
            if option["template_name"] != _OPTION:
                raise _Unknown
            written.append(
                f'\n  <option value="{_formatted(option["value"])}"{_attrs(option["attrs"])}>'
                f"{_shown(option['label'])}</option>\n"
            )
        if group_name:
            written.append("\n  </optgroup>")
    written.append("\n</select>")
    return "".join(written)


def _input_option(option: dict[str, Any]) -> str:
    """``input_option.html`` as a checkbox's or radio button's option includes it (each file's
    own last line break kept, as an include keeps it)."""
    if option["template_name"] not in _INPUT_OPTIONS:
        raise _Unknown
    if not option["wrap_label"]:
        return f"{_input(option)}\n\n\n"
    named = option["attrs"].get("id")
    opening = f'<label for="{_shown(named)}">' if named else "<label>"
    return f"{opening}{_input(option)}\n {_shown(option['label'])}</label>\n\n"


def _multiple_input(widget: dict[str, Any]) -> str:
    """``multiple_input.html``: a list of checkboxes or radio buttons, each in its label."""
    attrs = widget["attrs"]
    named = f' id="{_shown(attrs["id"])}"' if attrs.get("id") else ""
    classes = f' class="{_shown(attrs["class"])}"' if attrs.get("class") else ""
    written = [f"<div{named}{classes}>"]
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            written.append(f"\n  <div><label>{_shown(group_name)}</label>")
        written.extend(f"<div>\n    {_input_option(option)}</div>" for option in group_choices)
        if group_name:
            written.append("\n  </div>")
    written.append("\n</div>")
    return "".join(written)


def _textarea(widget: dict[str, Any]) -> str:
    value = _shown(widget["value"]) if widget["value"] else ""
    return (
        f'<textarea name="{_shown(widget["name"])}"{_attrs(widget["attrs"])}>\n{value}</textarea>'
    )


def _label(context: dict[str, Any]) -> str:
    if not context["use_tag"]:
        return _shown(context["label"])
    tag = _shown(context["tag"])
    return f"<{tag}{_attrs(context['attrs'])}>{_shown(context['label'])}</{tag}>"


def _errors(context: dict[str, Any]) -> str:
    """``django/forms/errors/list/default.html`` (its ``ul.html``): a field's errors, nothing
    when it has none (every field of every form page asks)."""
    errors = context["errors"]
    if not errors:
        return ""
    field_id = errors.field_id
    where = f' id="{_shown(field_id)}_error"' if field_id else ""
    shown = "".join(f"<li>{_shown(error)}</li>" for error in errors)
    return f'<ul class="{_shown(context["error_class"])}"{where}>{shown}</ul>'


def _field_group(context: dict[str, Any]) -> str:
    """``django/forms/field.html``: a field's label (or legend), help, errors and widget."""
    field = context["field"]
    if field.use_fieldset:
        described = field.aria_describedby
        around = f' aria-describedby="{_shown(described)}"' if described else ""
        head = f"\n  <fieldset{around}>\n  {field.legend_tag() if field.label else ''}\n"
    else:
        head = f"\n  {field.label_tag() if field.label else ''}\n"
    helped = ""
    if field.help_text:
        named = f' id="{_shown(field.auto_id)}_helptext"' if field.auto_id else ""
        helped = f'<div class="helptext"{named}>{field.help_text}</div>'  # ``|safe``
    closed = "</fieldset>" if field.use_fieldset else ""
    return f"{head}\n{helped}\n{field.errors}\n{field}{closed}\n"


class FormRenderer(DjangoTemplates):
    """Django's renderer, with the common widget templates written in Python."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        writer = _WRITERS.get(template_name)
        if writer is not None:
            try:
                return writer(context).strip()  # as Django strips a rendered template
            except _Unknown:
                pass
        return super().render(template_name, context, request)


_WRITERS = {
    **{name: lambda context: _input(context["widget"]) for name in _INPUTS},
    _SELECT: lambda context: _select(context["widget"]),
    _TEXTAREA: lambda context: _textarea(context["widget"]),
    **{name: lambda context: _multiple_input(context["widget"]) for name in _MULTIPLE},
    _LABEL: _label,
    _FIELD: _field_group,
    _ERRORS: _errors,
}


def csrf_field(value: object) -> str:
    """What ``{% csrf_token %}`` writes for a context's ``csrf_token`` (nothing where the page
    has none), for markup written in Python."""
    if not value or value == "NOTPROVIDED":
        return ""
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(str(value))}">'
