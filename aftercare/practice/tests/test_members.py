"""Who sees clients (``practice.members``): one answer for every form and filter that asks."""

from __future__ import annotations

from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aftercare.absences.forms import AbsenceForm
from aftercare.appointments.forms import AppointmentForm
from aftercare.clients.forms import ClientForm
from aftercare.practice.members import offer_practitioners, practitioners_listed, practitioners_of
from aftercare.practice.models import User
from aftercare.testing import Personas, make_user


class Choose(forms.Form):
    practitioner = forms.ModelChoiceField(queryset=User.objects.none())


def test_the_options_are_djangos_own_for_the_same_people(personas: Personas) -> None:
    """The field's markup, empty and with a choice made, is what Django writes for a model
    choice over ``practitioners_of``: the same people, values, names and order."""
    make_user("aaron@example.org", "", personas.practice, "practitioner")  # no name: the email
    for data in (None, {"practitioner": personas.owner.pk}):
        ours, djangos = Choose(data=data), Choose(data=data)
        offer_practitioners(ours.fields["practitioner"], personas.practice)
        djangos.fields["practitioner"].queryset = practitioners_of(personas.practice)
        assert str(ours["practitioner"]) == str(djangos["practitioner"])
    offered = [user.pk for user in practitioners_listed(personas.practice)]
    assert personas.owner.pk in offered and personas.colleague.pk in offered
    assert personas.assistant.pk not in offered and personas.outsider.pk not in offered


def test_an_assistant_or_an_outsider_is_refused_as_any_model_choice_is(
    personas: Personas,
) -> None:
    for user, valid in (
        (personas.colleague, True),
        (personas.assistant, False),
        (personas.outsider, False),
    ):
        form = Choose(data={"practitioner": user.pk})
        offer_practitioners(form.fields["practitioner"], personas.practice)
        assert form.is_valid() is valid, user
        if valid:
            assert form.cleaned_data["practitioner"] == user
        else:
            assert "Select a valid choice" in str(form.errors["practitioner"])


def test_every_form_that_chooses_a_practitioner_offers_the_same_people(
    personas: Personas,
) -> None:
    expected = [str(user.pk) for user in practitioners_listed(personas.practice)]
    fields = [
        ClientForm(practice=personas.practice).fields["primary_practitioner"],
        AppointmentForm(practice=personas.practice).fields["practitioner"],
        AbsenceForm(practice=personas.practice).fields["practitioner"],
    ]
    for field in fields:
        assert [str(value) for value, _label in field.choices if value != ""] == expected


def test_a_form_only_validated_reads_no_options(personas: Personas) -> None:
    """The API's forms and a saved form are never drawn: they read who may be chosen only to
    check the choice, not the list of options."""
    with CaptureQueriesContext(connection) as built:
        form = Choose(data={"practitioner": personas.colleague.pk})
        offer_practitioners(form.fields["practitioner"], personas.practice)
    assert len(built) == 0
    with CaptureQueriesContext(connection) as validated:
        assert form.is_valid()
    assert len(validated) == 1  # the choice checked, as Django's model choice checks it
    with CaptureQueriesContext(connection) as drawn:
        assert personas.colleague.full_name in str(form["practitioner"])
    assert len(drawn) == 1
