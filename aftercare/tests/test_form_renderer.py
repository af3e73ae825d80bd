"""``FormRenderer`` writes widgets and labels in Python: byte for byte what Django's templates
write, for every widget kind and awkward value, and for the app's own form pages."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.test import override_settings
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from aftercare.form_renderer import FormRenderer
from aftercare.testing import Personas

TRICKY = 'O\'Brien & "Co" <b>'


class EveryWidget(forms.Form):
    text = forms.CharField(label=TRICKY, initial=TRICKY, help_text="help")
    optional = forms.CharField(required=False, max_length=5, label=gettext_lazy("Lazy label"))
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    number = forms.IntegerField(initial=1234567, min_value=0)
    decimal = forms.DecimalField(initial="3.50", required=False)
    day = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), initial=dt.date(2026, 12, 1)
    )
    moment = forms.DateTimeField(initial=dt.datetime(2026, 12, 1, 9, 30), required=False)
    time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}), required=False)
    secret = forms.CharField(widget=forms.PasswordInput(render_value=True), initial="p&ss")
    hidden = forms.CharField(widget=forms.HiddenInput, initial="<x>")
    url = forms.URLField(
        required=False, initial="https://example.org/?a=1&b=2", assume_scheme="https"
    )
    tel = forms.CharField(widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}))
    search = forms.CharField(
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": 'Name "or" <email>', "autofocus": True}
        )
    )
    off = forms.CharField(widget=forms.TextInput(attrs={"disabled": False, "data-x": None}))
    agree = forms.BooleanField(initial=True, required=False)
    disagree = forms.BooleanField(initial=False, required=False)
    choice = forms.ChoiceField(
        choices=[
            ("", "Any"),
            ("a&b", TRICKY),
            ("2", gettext_lazy("Two")),
            ("3", mark_safe("<i>3</i>")),
        ],
        initial="a&b",
    )
    grouped = forms.ChoiceField(
        choices=[
            ("Morning", [("9", "Nine"), ("10", "Ten")]),
            ("Later <b>", [("15", "Three")]),
            ("x", "X"),
        ],
        initial="10",
    )
    numbers = forms.TypedChoiceField(choices=[(1, 1), (2, 2)], coerce=int, initial=2)
    many = forms.MultipleChoiceField(
        choices=[("a", "A"), ("b", "B")], initial=["a", "b"], required=False
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), initial="\nline one\n<two>")
    empty_notes = forms.CharField(widget=forms.Textarea, required=False)
    radio = forms.ChoiceField(widget=forms.RadioSelect, choices=[("a", "A")], required=False)
    ticks = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple(attrs={"class": "choices"}),
        choices=[("a&b", TRICKY), ("Later <b>", [("15", "Three"), ("16", gettext_lazy("Four"))])],
        initial=["15"],
        required=False,
    )
    numbered = forms.TypedChoiceField(
        widget=forms.RadioSelect, choices=[(1, 1), (2, "Two")], coerce=int, required=False
    )


@pytest.fixture
def renderers() -> Iterator[tuple[Any, Any]]:
    yield DjangoTemplates(), FormRenderer()


def both(form_class: type[forms.Form], renderers: tuple[Any, Any], **kwargs: Any) -> list[str]:
    """Every field, label and layout of the form, written by each renderer."""
    written = []
    for renderer in renderers:
        form = form_class(renderer=renderer, **kwargs)
        form.is_valid()
        parts = []
        for field in form:
            parts += [
                str(field),
                field.label_tag(),
                field.label_tag(tag="legend", attrs={"class": "x"}),
            ]
        parts += [form.as_div(), form.as_p(), form.as_table(), form.as_ul()]
        written.append("\n".join(parts))
    return written


def test_every_widget_is_the_templates_markup(renderers: tuple[Any, Any]) -> None:
    django, ours = both(EveryWidget, renderers)
    assert ours == django
    assert "&lt;b&gt;" in ours and "<i>3</i>" in ours and "<optgroup" in ours


def test_bound_with_bad_input_is_the_templates_markup(renderers: tuple[Any, Any]) -> None:
    data = {"text": "<script>", "number": "x1", "choice": "nope", "many": ["b"], "agree": "on"}
    django, ours = both(EveryWidget, renderers, data=data)
    assert ours == django
    assert "&lt;script&gt;" in ours


def test_auto_id_off_and_label_suffix(renderers: tuple[Any, Any]) -> None:
    django, ours = both(EveryWidget, renderers, auto_id=False, label_suffix=" →")
    assert ours == django


def test_the_common_widgets_do_not_reach_the_templates(monkeypatch: Any) -> None:
    reached = []

    def template(self: Any, template_name: str, context: Any, request: Any = None) -> str:
        reached.append(template_name)
        return ""

    monkeypatch.setattr(DjangoTemplates, "render", template)
    form = EveryWidget(renderer=FormRenderer())
    for name in ("text", "email", "number", "day", "agree", "choice", "grouped", "notes", "ticks"):
        assert str(form[name]) and form[name].label_tag()
        # A field's whole group (label, help, errors, widget), as ``form.as_div`` writes it.
        assert form[name].as_field_group()
    bound = EveryWidget(renderer=FormRenderer(), data={"number": "x1", "optional": "fine"})
    assert "<li>Enter a whole number.</li>" in str(bound["number"].errors)
    assert bound["number"].as_field_group() and str(bound["optional"].errors) == ""
    assert reached == []
    # A number as an option's label is localized by the template: it goes there.
    str(form["numbers"])
    assert reached == ["django/forms/widgets/select.html"]


def test_it_is_the_default_renderer() -> None:
    assert isinstance(get_default_renderer(), FormRenderer)


# What differs between two requests whatever the renderer: the CSRF tokens and CSP nonces.
TOKENS = re.compile(r'(csrfmiddlewaretoken" value="|nonce="|"X-CSRFToken": ")[^"]+')


@pytest.mark.django_db
def test_the_apps_form_pages_are_the_same_with_either_renderer(
    personas: Personas, owner_client: Any
) -> None:
    # A pinned moment: the pages hold signed links stamped with the time, which differed when
    # the two renderings fell either side of a second.
    with time_machine.travel(dt.datetime(2026, 11, 30, 14, 30, tzinfo=dt.UTC), tick=False):
        _same_pages_with_either_renderer(personas, owner_client)


def _same_pages_with_either_renderer(personas: Personas, owner_client: Any) -> None:
    client = personas.client
    paths = [
        reverse("clients-list") + "?q=ruth&tag=nope",
        reverse("clients-create"),
        reverse("clients-edit", args=[client.pk]),
        reverse("appointments-create") + f"?client={client.pk}",
        reverse("appointments-settings"),
        reverse("care-rules-create"),
        reverse("absences-create"),
        reverse("messaging-settings"),
        reverse("practice-settings"),
        reverse("supplies-create", args=[client.pk]),
    ]

    def pages() -> list[str]:
        get_default_renderer.cache_clear()
        try:
            written = []
            for path in paths:
                response = owner_client.get(path)
                assert response.status_code == 200, path
                written.append(TOKENS.sub(r"\1…", response.text))
            return written
        finally:
            get_default_renderer.cache_clear()

    ours = pages()
    with override_settings(FORM_RENDERER="django.forms.renderers.DjangoTemplates"):
        django = pages()
    for path, mine, theirs in zip(paths, ours, django, strict=True):
        assert mine == theirs, path
