"""Who in a practice sees clients: its owners and practitioners, not its assistants.

The forms that choose a practitioner (a client's, an appointment's, an absence's), the inbox's
practitioner filter and a new client's default practitioner all ask the same question; it has
one answer here.
"""

from __future__ import annotations

import functools

from django import forms
from django.db.models import QuerySet

from aftercare import statements
from aftercare.practice.models import Practice, Role, User

SEES_CLIENTS = (Role.OWNER, Role.PRACTITIONER)


def practitioners_of(practice: Practice | int) -> QuerySet[User]:
    """The practice's owners and practitioners, by name."""
    return User.objects.filter(
        memberships__practice=practice, memberships__role__in=SEES_CLIENTS
    ).order_by("full_name", "email")


def practitioners_listed(practice: Practice) -> list[User]:
    """``practitioners_of`` as users holding their id, name and email only: a statement, as
    every form that offers them and the inbox ask on every visit."""
    fields = ("id", "full_name", "email")
    found = statements.rows(
        "practice: who sees clients",
        lambda practice: practitioners_of(practice).values_list(*fields),
        practice=practice.pk,
    )
    return statements.instances(User, fields, found)


def offer_practitioners(field: forms.ModelChoiceField, practice: Practice) -> None:
    """A form's choice of practitioner: its options from ``practitioners_listed`` (named as
    Django names a model choice, ``str(user)``), read only when the field is drawn — a form
    that is only validated (the API's, a saved one's) reads none — and what is chosen checked
    against ``practitioners_of`` as any model choice is."""
    field.queryset = practitioners_of(practice)
    empty = [("", field.empty_label)] if field.empty_label is not None else []

    @functools.cache  # drawing a select walks its options more than once
    def options() -> list[tuple[object, str]]:
        return empty + [(user.pk, str(user)) for user in practitioners_listed(practice)]

    field.choices = options
