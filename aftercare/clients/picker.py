"""The client picker: choose clients by searching their name, email or phone, never by number.

One component for every place a person chooses clients (the emergency list of an absence; next
referrals, assigning an unmatched reply, the template preview):

- ``ClientsField`` (tick boxes) and ``ClientField`` (one client): form fields that take client
  pks and check each is a client of the practice, naming a wrong one.
- ``client_picker(actor, name=…, chosen_ids=…, query=…, suggestions=…)``: what the include
  ``clients/picker.html`` shows — the clients *listed* whatever the search (suggestions, each
  with why, and the chosen ones, ticked) and the *results* of a search (the clients list's
  search, ``selectors.search_condition``: names and email by word, phones as people type them,
  read in the practice's country). Each row shows name, email and phone, so two people with one
  name can be told apart.
- ``picker_results(...)`` behind the ``clients-pick`` view: the results as an HTML fragment.

Progressive enhancement:

1. Without JavaScript the picker's Search button submits the whole form (``<name>_search``);
   the page handles it like its own preview or re-display, keeps every typed value, and renders
   the picker again with the results. What was ticked comes back ticked, since tick boxes are
   form fields.
2. With htmx, typing asks ``clients-pick`` for the results only and swaps them in. The request
   carries the picker's inputs: the query, the ticked boxes and the ids already listed, so a
   result ticked earlier stays at the top, ticked, and nothing listed appears twice.

Use it from a view (``ids_in``, the ids typed into a request, is one of the access helpers)::

    picker = client_picker(actor, name="emergency_client_ids", label="Emergency list",
                           chosen_ids=ids_in(request.POST.getlist("emergency_client_ids")),
                           query=request.POST.get("emergency_client_ids_q", ""),
                           suggestions=[(client, "first visit on 3 Feb")],
                           errors=form.errors.get("emergency_client_ids", []))

and ``{% include "clients/picker.html" with picker=picker %}`` inside the form.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django import forms

from aftercare import statements
from aftercare.clients.models import Client
from aftercare.clients.selectors import clients_to_pick
from aftercare.practice.access import MAX_ID, Actor
from aftercare.practice.models import Practice

# A picker's name is a form field's name; it also names its request parameters.
PICKER_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
RESULTS_SHOWN = 10
# Up to this many chosen clients are read through a statement (one shape per count); a longer
# list (an absence's emergency list, say) is rare enough to build its query each time.
CHOSEN_BY_STATEMENT = 12


def chosen_clients(actor: Actor, ids: Iterable[int]) -> list[Client]:
    """The clients of ``ids`` in the actor's practice (an unknown or another practice's id is
    left out), in no order. A picker reads them on every page that shows one: through a
    statement for a few (usually one), built once per count."""
    wanted = tuple(sorted(set(ids)))
    if not wanted:
        return []
    if len(wanted) > CHOSEN_BY_STATEMENT:
        return list(Client.objects.filter(practice=actor.practice, pk__in=wanted))
    return statements.objects(
        ("clients: chosen in a picker", len(wanted)),
        lambda practice, ids: Client.objects.filter(practice_id=practice, pk__in=ids).order_by(),
        model=Client,
        known={"practice": actor.practice},
        practice=actor.practice.pk,
        ids=wanted,
    )


class ClientsField(forms.Field):
    """Clients chosen in a client picker (tick boxes): their pks, checked against the practice.

    Takes a list (a repeated form field, a JSON list) or text with the pks separated by commas
    or spaces. Cleans to the sorted pks. Set ``practice`` before validating.
    """

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "invalid": "“%(value)s” is not a client: choose clients from the list.",
        "unknown": "No client %(value)s in this practice: it may have been removed.",
    }

    def __init__(self, *, practice: Practice | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.practice = practice

    def to_python(self, value: Any) -> list[int]:
        if value in self.empty_values:
            return []
        items = [value] if isinstance(value, str | int) else list(value)
        pks: list[int] = []
        for item in items:
            if isinstance(item, bool) or not isinstance(item, str | int):
                raise forms.ValidationError(
                    self.error_messages["invalid"], code="invalid", params={"value": item}
                )
            for part in re.split(r"[\s,;]+", str(item).strip()):
                if not part:
                    continue
                if not part.isdigit() or not 0 < int(part) <= MAX_ID:
                    raise forms.ValidationError(
                        self.error_messages["invalid"], code="invalid", params={"value": part}
                    )
                pks.append(int(part))
        return sorted(set(pks))

    def validate(self, value: list[int]) -> None:
        super().validate(value)
        if not value:
            return
        if self.practice is None:
            raise ValueError("ClientsField.practice must be set before validating")
        found = set(
            Client.objects.filter(practice=self.practice, pk__in=value).values_list("pk", flat=True)
        )
        missing = [str(pk) for pk in value if pk not in found]
        if missing:
            raise forms.ValidationError(
                self.error_messages["unknown"], code="unknown", params={"value": missing[0]}
            )


class ClientField(ClientsField):
    """One client chosen in a client picker (radio buttons): its pk, or None."""

    widget = forms.HiddenInput
    default_error_messages = {"several": "Choose one client."}

    def to_python(self, value: Any) -> int | None:  # type: ignore[override]
        pks = super().to_python(value)
        if len(pks) > 1:
            raise forms.ValidationError(self.error_messages["several"], code="several")
        return pks[0] if pks else None

    def validate(self, value: int | None) -> None:  # type: ignore[override]
        super().validate([] if value is None else [value])


@dataclass(frozen=True)
class PickerRow:
    """One client in the picker: ticked or not, and why it is suggested."""

    client: Client
    checked: bool
    reason: str = ""

    @property
    def contact(self) -> str:
        """Email and phone, as people read them: what tells two Ruth Millers apart."""
        return " · ".join(part for part in (self.client.email, self.client.phone_display) if part)


@dataclass(frozen=True)
class ClientPicker:
    """What ``clients/picker.html`` shows."""

    name: str
    label: str
    listed: list[PickerRow]
    results: list[PickerRow]
    query: str = ""
    more: bool = False
    multiple: bool = True
    help_text: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def input_type(self) -> str:
        return "checkbox" if self.multiple else "radio"

    @property
    def searched(self) -> bool:
        return bool(self.query.strip())


def _check_name(name: str) -> str:
    if not PICKER_NAME.fullmatch(name):
        raise ValueError(f"a picker's name is a form field's name, not {name!r}")
    return name


def client_picker(
    actor: Actor,
    *,
    name: str,
    label: str,
    chosen_ids: Sequence[int],
    query: str = "",
    suggestions: Sequence[tuple[Client, str]] = (),
    help_text: str = "",
    multiple: bool = True,
    errors: Iterable[str] = (),
) -> ClientPicker:
    """The picker as a page shows it (at most two queries, whatever the numbers).

    1. Load the chosen clients of the actor's practice (an unknown pk is left out here; the
       form field reports it).
    2. List the suggestions first, each with why, ticked when chosen; then the other chosen
       clients, ticked.
    3. Search: the matching active clients that are not listed, at most ``RESULTS_SHOWN``.
    """
    chosen = set(chosen_ids)
    clients = {client.pk: client for client in chosen_clients(actor, chosen)}
    listed = [
        PickerRow(client, client.pk in chosen, reason)
        for client, reason in suggestions
        if client.practice_id == actor.practice.pk
    ]
    shown = {row.client.pk for row in listed}
    listed += [
        PickerRow(client, True)
        for client in sorted(
            (c for pk, c in clients.items() if pk not in shown),
            key=lambda c: (c.family_name.lower(), c.given_name.lower(), c.pk),
        )
    ]
    found, more = clients_to_pick(
        actor, query, exclude={row.client.pk for row in listed}, limit=RESULTS_SHOWN
    )
    return ClientPicker(
        name=_check_name(name),
        label=label,
        listed=listed,
        results=[PickerRow(client, False) for client in found],
        query=query.strip(),
        more=more,
        multiple=multiple,
        help_text=help_text,
        errors=list(errors),
    )


def picker_results(
    actor: Actor,
    *,
    name: str,
    query: str,
    chosen_ids: Sequence[int],
    listed_ids: Sequence[int],
    multiple: bool = True,
) -> ClientPicker:
    """The results part alone, as people type (the ``clients-pick`` fragment; two queries).

    Clients ticked among earlier results (chosen but not listed) stay first, ticked, so typing
    never loses a tick; then the matches that are neither listed nor ticked.
    """
    listed = set(listed_ids)
    kept_ids = [pk for pk in chosen_ids if pk not in listed]
    if not multiple:
        kept_ids = kept_ids[:1]
    kept = sorted(
        chosen_clients(actor, kept_ids),
        key=lambda c: (c.family_name.lower(), c.given_name.lower(), c.pk),
    )
    found, more = clients_to_pick(actor, query, exclude=listed | set(kept_ids), limit=RESULTS_SHOWN)
    return ClientPicker(
        name=_check_name(name),
        label="",
        listed=[],
        results=[PickerRow(client, True) for client in kept]
        + [PickerRow(client, False) for client in found],
        query=query.strip(),
        more=more,
        multiple=multiple,
    )
