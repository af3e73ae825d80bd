"""Merging two records of one person into one, keeping everything either held.

``client_merge(actor=…, kept=…, other=…, choices=…)``, in one transaction:

1. Run each app's registered merge step (``register_merge_step``) for what needs more than a
   new foreign key: the care engine cancels the other record's planned care, which is planned
   again for the kept record from everything it now holds.
2. Move every row that points at the other client to the kept one. The rows are found through
   Django's model registry (``Client._meta.related_objects``), so a new app's table is moved
   without anyone remembering to add it. A row that the kept client already has its own of (a
   one-to-one row, a row under a unique constraint on the client and other fields, a place on
   the same emergency list) is dropped instead of doubled. ``merge_strategy`` says how each
   relation moves and raises for a shape it does not know (a test walks every relation).
3. Check that no row points at the other client any more: the other's deletion must never
   cascade away anything.
4. The kept record takes, field by field, the value chosen (``choices``: ``"kept"`` or
   ``"other"``, for the fields in ``MERGE_FIELDS`` whose values differ); tags are joined (their
   table moves like any other); both
   private notes are kept; an opt-out, a pause or a failed address of the chosen address is
   kept; consent per purpose is the more recent decision of the two, and both histories stay
   (a change is recorded as a decision "merging the records of …").
5. Audit (one row naming both clients, the fields taken from the other), delete the other
   record (its old links answer "not found"), and tell ``client_changed`` so the kept client's
   care is planned again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.db.models import Count

from aftercare import clock, statements
from aftercare.clients.events import client_changed
from aftercare.clients.models import Client, ConsentEvent, Purpose
from aftercare.locales import format_date
from aftercare.phones import format_phone
from aftercare.practice.access import Actor
from aftercare.practice.audit import record_audit

MergeStep = Callable[[Client, Client], None]
_steps: list[MergeStep] = []


def register_merge_step(step: MergeStep) -> None:
    """``step(kept, other)`` runs before the other's rows move to the kept client."""
    if step not in _steps:
        _steps.append(step)


@dataclass(frozen=True)
class MergeField:
    """A value the kept record takes from one of the two; ``with_it`` travel along."""

    name: str
    label: str
    with_it: tuple[str, ...] = ()


MERGE_FIELDS = (
    MergeField("given_name", "Given name"),
    MergeField("family_name", "Family name"),
    MergeField("preferred_name", "Preferred name"),
    MergeField("pronouns", "Pronouns"),
    MergeField("birth_date", "Birth date"),
    MergeField("email", "Email", ("email_unusable",)),
    MergeField("phone", "Phone", ("phone_extension", "phone_unusable", "whatsapp_unusable")),
    MergeField("postal_address", "Postal address"),
    MergeField("preferred_channel", "Prefers"),
    MergeField("time_zone", "Time zone"),
    MergeField("language", "Language"),
    MergeField("primary_practitioner", "Practitioner"),
)
FIELD_NAMES = {field.name for field in MERGE_FIELDS}

# What the confirmation page calls each kind of row (else the model's plural name).
ROW_WORDS = {
    "appointments.appointment": "Appointments",
    "messaging.message": "Messages",
    "messaging.checkin": "Check-ins",
    "supplies.supply": "Supplies",
    "promises.promise": "Promises",
    "promises.referral": "Referrals",
    "care.touchpoint": "Touchpoints (care planned and done)",
    "resources.resourceshare": "Resources shared",
    "measures.measure": "Questionnaires",
    "clients.consentevent": "Consent decisions",
    "absences.emergencylistentry": "Places on emergency lists",
}
# Bookkeeping the page does not count (tags are listed by name; the care engine's own notes,
# recomputed scores, calendar matches).
UNCOUNTED = {
    "clients.client_tags",
    "care.observedtag",
    "care.planfingerprint",
    "insights.clientinsight",
    "imports.serieslink",
}


class MergeError(Exception):
    """The two records cannot be merged (the same record, or different practices)."""


# --- how each relation moves ---------------------------------------------------------------


def relations() -> list[models.ForeignObjectRel]:
    """Every foreign key to a client, from every installed app.

    Hidden ones too (``related_name="+"``, the tables behind many-to-many fields such as a
    client's tags or an absence's emergency list): ``_meta.related_objects`` leaves them out.
    A many-to-many relation itself is skipped, its table's foreign key is the row to move.
    """
    found = [
        relation
        for relation in Client._meta.get_fields(include_hidden=True)
        if isinstance(relation, models.ForeignObjectRel) and not relation.many_to_many
    ]
    return sorted(found, key=lambda r: (r.related_model._meta.label_lower, r.field.name))


def relation_label(relation: models.ForeignObjectRel) -> str:
    return f"{relation.related_model._meta.label_lower}.{relation.field.name}"


def merge_strategy(relation: models.ForeignObjectRel) -> str:
    """How ``client_merge`` moves this relation's rows: "move", "keep one" (one-to-one) or
    "move unless a twin" (a unique constraint on the client and other fields: the kept
    client's own row stays, the other's twin goes).

    Raises ``NotImplementedError`` for a shape it does not know how to move safely (a unique
    constraint with a condition, say): the test that walks every relation then fails until
    someone teaches the merge about it.
    """
    if relation.one_to_one:
        return "keep one"
    model = relation.related_model
    name = relation.field.name
    twin_keys = _unique_with_client(model, name)
    for constraint in model._meta.constraints:
        fields = getattr(constraint, "fields", ())
        if name in fields and getattr(constraint, "condition", None) is not None:
            raise NotImplementedError(
                f"{relation_label(relation)}: a conditional unique constraint on the client"
            )
    return "move unless a twin" if twin_keys else "move"


def _unique_with_client(model: type[models.Model], name: str) -> list[tuple[str, ...]]:
    """The other fields of each unique constraint (or unique_together) that holds ``name``."""
    found = []
    groups = [
        tuple(getattr(constraint, "fields", ()))
        for constraint in model._meta.constraints
        if getattr(constraint, "condition", None) is None
    ] + [tuple(group) for group in model._meta.unique_together]
    for group in groups:
        if name in group:
            found.append(tuple(field for field in group if field != name))
    return found


def _move(relation: models.ForeignObjectRel, kept: Client, other: Client) -> int:
    model = relation.related_model
    name = relation.field.name
    strategy = merge_strategy(relation)
    rows = model._default_manager
    if strategy == "keep one":
        if rows.filter(**{name: kept}).exists():
            rows.filter(**{name: other}).delete()
            return 0
        return rows.filter(**{name: other}).update(**{name: kept})
    for others in _unique_with_client(model, name):
        taken = rows.filter(**{name: kept}).values_list(*others)
        for values in list(taken):
            rows.filter(**{name: other}, **dict(zip(others, values, strict=True))).delete()
    return rows.filter(**{name: other}).update(**{name: kept})


def rows_pointing_at(client: Client) -> dict[str, int]:
    """How many rows of each relation still point at ``client`` (one query each)."""
    counts = {}
    for relation in relations():
        found = relation.related_model._default_manager.filter(
            **{relation.field.name: client}
        ).count()
        if found:
            counts[relation_label(relation)] = found
    return counts


# --- the confirmation page's reads ---------------------------------------------------------


@dataclass(frozen=True)
class FieldChoice:
    """One field of the two records side by side, and which the kept record takes."""

    name: str
    label: str
    kept_text: str
    other_text: str
    differs: bool
    take: str  # "kept" or "other"


@dataclass(frozen=True)
class RowCount:
    label: str
    kept: int
    other: int


def field_text(client: Client, field: MergeField) -> str:
    """A field's value as a person reads it ("—" when empty)."""
    value = getattr(client, field.name)
    if field.name == "phone":
        text = format_phone(value)
        if value and client.phone_extension:
            text += f" ext. {client.phone_extension}"
        return text or "—"
    if field.name == "birth_date":
        return format_date(value, "j F Y") if value else "—"
    if field.name == "primary_practitioner":
        return value.display_name if value else "—"
    if field.name in {"preferred_channel", "language"}:
        return getattr(client, f"get_{field.name}_display")() or "—"
    return str(value) if value else "—"


def field_choices(kept: Client, other: Client, chosen: dict[str, str]) -> list[FieldChoice]:
    """Every merge field of both records; where they differ, which one the kept record takes
    (``chosen``, else the kept record's value unless it is empty)."""
    rows = []
    for field in MERGE_FIELDS:
        kept_value, other_value = _value(kept, field.name), _value(other, field.name)
        differs = kept_value != other_value
        default = "other" if differs and kept_value in (None, "") else "kept"
        take = chosen.get(field.name, default) if differs else "kept"
        rows.append(
            FieldChoice(
                name=field.name,
                label=field.label,
                kept_text=field_text(kept, field),
                other_text=field_text(other, field),
                differs=differs,
                take=take if take in {"kept", "other"} else default,
            )
        )
    return rows


def _value(client: Client, name: str) -> Any:
    if name == "primary_practitioner":
        return client.primary_practitioner_id
    return getattr(client, name)


def row_counts(kept: Client, other: Client) -> list[RowCount]:
    """How many rows of each kind each record holds (one query per relation, whatever the
    numbers, each built once: ``statements``)."""
    found = []
    for relation in relations():
        model = relation.related_model
        if model._meta.label_lower in UNCOUNTED:
            continue
        counts = dict(
            statements.rows(
                ("clients: rows of two records to merge", model._meta.label_lower, relation.name),
                lambda clients, model=model, field=relation.field: (
                    model._default_manager.filter(**{f"{field.attname}__in": clients})
                    .values_list(field.attname)
                    .annotate(n=Count("pk"))
                    .order_by()
                ),
                clients=(kept.pk, other.pk),
            )
        )
        label = ROW_WORDS.get(model._meta.label_lower, str(model._meta.verbose_name_plural))
        found.append(
            RowCount(label[:1].upper() + label[1:], counts.get(kept.pk, 0), counts.get(other.pk, 0))
        )
    return found


# --- the merge -----------------------------------------------------------------------------


def _latest_consent(client: Client) -> dict[str, dt.datetime]:
    latest: dict[str, dt.datetime] = {}
    for purpose, at in client.consent_events.order_by("at", "id").values_list("purpose", "at"):
        latest[purpose] = at
    return latest


def client_merge(
    *, actor: Actor, kept: Client, other: Client, choices: dict[str, str] | None = None
) -> Client:
    """Merge ``other`` into ``kept`` (the numbered steps of the module docstring)."""
    if kept.pk == other.pk:
        raise MergeError("A record cannot be merged with itself.")
    if kept.practice_id != actor.practice.pk or other.practice_id != actor.practice.pk:
        raise MergeError("Both records must be clients of this practice.")
    choices = choices or {}
    with transaction.atomic():
        fields = field_choices(kept, other, choices)
        taken = [choice for choice in fields if choice.differs and choice.take == "other"]
        kept_consent, other_consent = _latest_consent(kept), _latest_consent(other)
        other_notes = other.private_notes.strip()
        if other.external_id:  # the kept record may take it; the unique constraint must allow
            Client.objects.filter(pk=other.pk).update(external_id="")
        # 1. and 2.
        for step in list(_steps):
            step(kept, other)
        for relation in relations():
            _move(relation, kept, other)
        # 3.
        left = rows_pointing_at(other)
        if left:
            raise RuntimeError(f"rows still point at the merged client: {left}")
        # 4.
        before = {choice.name: choice.kept_text for choice in taken}
        for choice in taken:
            field = next(f for f in MERGE_FIELDS if f.name == choice.name)
            for name in (field.name, *field.with_it):
                attname = "primary_practitioner_id" if name == "primary_practitioner" else name
                setattr(kept, attname, getattr(other, attname))
        if not kept.external_id:
            kept.external_id = other.external_id
        if other_notes:
            merged_on = format_date(clock.now().astimezone(actor.practice.tz), "j M Y")
            heading = f"From the record of {other.full_name} merged on {merged_on}:"
            kept.private_notes = "\n\n".join(
                part for part in (kept.private_notes.strip(), heading, other_notes) if part
            )
        opt_outs = [at for at in (kept.opted_out_at, other.opted_out_at) if at]
        kept.opted_out_at = min(opt_outs) if opt_outs else None
        pauses = [day for day in (kept.paused_until, other.paused_until) if day]
        kept.paused_until = max(pauses) if pauses else None
        kept.archived = kept.archived and other.archived
        kept.created_at = min(kept.created_at, other.created_at)
        kept.updated_at = clock.now()
        how = f"merging the records of {kept.full_name} and {other.full_name}"[:100]
        consent_events = []
        for purpose in Purpose.values:
            name = f"consent_{purpose}"
            theirs = other_consent.get(purpose)
            if getattr(kept, name) == getattr(other, name):
                continue
            mine = kept_consent.get(purpose)
            if theirs is not None and (mine is None or theirs > mine):
                setattr(kept, name, getattr(other, name))
                consent_events.append(
                    ConsentEvent(
                        client=kept,
                        purpose=purpose,
                        granted=getattr(other, name),
                        how=how,
                        recorded_by=actor.user,
                    )
                )
        kept.save()
        ConsentEvent.objects.bulk_create(consent_events)
        # 5.
        record_audit(
            actor,
            "change",
            kept,
            summary=f"Merged the record of {other.full_name} (#{other.pk}) into this one",
            changes={
                "merged_client": [other.pk, None],
                **{choice.name: [before[choice.name], choice.other_text] for choice in taken},
            },
            client_ids=[other.pk],
        )
        other.delete()
        client_changed(kept)
    return kept
