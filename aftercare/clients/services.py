"""Writes to clients: create, update, archive, consent. Each is atomic and audited."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.forms.models import model_to_dict

from aftercare import clock
from aftercare.clients.erasure import client_erase
from aftercare.clients.events import client_changed
from aftercare.clients.forms import CLIENT_FIELDS, sole_practitioner, tags_for
from aftercare.clients.models import Client, ConsentEvent, ConsentRequest, Purpose
from aftercare.practice.access import Actor
from aftercare.practice.audit import diff_fields, record_audit
from aftercare.practice.models import User

# What a service may write: the form's fields and the id in another tool (the API and the
# import set it; the web form never shows it, so it cannot clear it either).
WRITABLE_FIELDS = [*CLIENT_FIELDS, "external_id"]

# Health data stays out of the audit trail: it records that notes changed, not what they say.
REDACTED_FIELDS = {"private_notes"}


def _snapshot(client: Client) -> dict[str, Any]:
    data = model_to_dict(client, fields=WRITABLE_FIELDS)
    data["tags"] = sorted(tag.name for tag in client.tags.all()) if client.pk else []
    return data


def _redact(changes: dict[str, list[Any]]) -> dict[str, list[Any]]:
    return {
        name: (["…", "…"] if name in REDACTED_FIELDS else values)
        for name, values in changes.items()
    }


@transaction.atomic
def client_create(
    *, actor: Actor, data: dict[str, Any], tag_names: list[str] | None = None, how: str = "intake"
) -> Client:
    """Create a client from cleaned data, record initial consent and audit it.

    A client created without a practitioner (by an assistant, the API, an import) in a practice
    with one practitioner is that person's: everything that routes by practitioner (the
    emergency list of an absence, alerts) then reaches someone.
    """
    client = Client(
        practice=actor.practice, **{k: v for k, v in data.items() if k in WRITABLE_FIELDS}
    )
    if client.primary_practitioner_id is None:
        client.primary_practitioner = sole_practitioner(actor.practice)
    if not client.time_zone:
        client.time_zone = ""
    client.save()
    if tag_names:
        client.tags.set(tags_for(actor.practice, tag_names))
    ConsentEvent.objects.bulk_create(
        ConsentEvent(
            client=client,
            purpose=purpose,
            granted=client.has_consent(purpose),
            how=how,
            recorded_by=actor.user,
        )
        for purpose in Purpose.values
    )
    record_audit(actor, "create", client, summary=f"Created client {client.full_name}")
    client_changed(client)
    return client


@transaction.atomic
def client_update(
    *,
    actor: Actor,
    client: Client,
    data: dict[str, Any],
    tag_names: list[str] | None = None,
    how: str = "edited by staff",
) -> Client:
    """Apply cleaned changes to a client; consent changes are recorded with when and how."""
    before = _snapshot(client)
    for name, value in data.items():
        if name in WRITABLE_FIELDS:
            setattr(client, name, value)
    client.updated_at = clock.now()
    client.save()
    if tag_names is not None:
        client.tags.set(tags_for(actor.practice, tag_names))
    after = _snapshot(client)
    changes = diff_fields(before, after)
    consent_events = [
        ConsentEvent(
            client=client,
            purpose=purpose,
            granted=after[f"consent_{purpose}"],
            how=how,
            recorded_by=actor.user,
        )
        for purpose in Purpose.values
        if f"consent_{purpose}" in changes
    ]
    ConsentEvent.objects.bulk_create(consent_events)
    if changes:
        record_audit(
            actor,
            "change",
            client,
            summary=f"Changed {', '.join(sorted(changes))}",
            changes=_redact(changes),
        )
        client_changed(client)
    return client


@transaction.atomic
def client_set_archived(*, actor: Actor, client: Client, archived: bool) -> Client:
    client.archived = archived
    client.updated_at = clock.now()
    client.save(update_fields=["archived", "updated_at"])
    record_audit(
        actor,
        "change",
        client,
        summary="Archived" if archived else "Restored from archive",
        changes={"archived": [not archived, archived]},
    )
    client_changed(client)
    return client


@transaction.atomic
def client_delete(*, actor: Actor, client: Client) -> None:
    """Erase a client and everything about them (the audit trail keeps only the id)."""
    client_erase(actor=actor, client=client)


def client_record_view(*, actor: Actor, client: Client) -> None:
    """Every view of a client record is audited."""
    record_audit(actor, "view", client, summary="Viewed client record")


def clients_pass_to_successor(*, actor: Actor, user: User, successor: User | None) -> int:
    """A member leaves: their clients pass to ``successor`` (or to nobody yet), and are re-planned.

    Registered with ``practice.services.on_member_removed``; runs in the removal's transaction.
    """
    rows = Client.objects.filter(practice=actor.practice, primary_practitioner=user)
    moved = list(rows.values_list("pk", flat=True))
    if not moved:
        return 0
    rows.update(primary_practitioner=successor, updated_at=clock.now())
    record_audit(
        actor,
        "change",
        user,
        summary=f"{len(moved)} clients of {user.display_name} passed to "
        + (successor.display_name if successor else "nobody yet"),
        client_ids=moved,
    )
    for client in Client.objects.filter(pk__in=moved).select_related("practice"):
        client_changed(client)
    return len(moved)


CONSENT_REQUEST_HOW = "consent request"


@transaction.atomic
def client_answer_consent_request(*, client: Client, answers: dict[str, bool]) -> Client:
    """The client's own yes or no per purpose, from the consent request's portal page.

    Every purpose answered is recorded in the consent history, a "no" as much as a "yes"
    (the practitioner sees that the client said no, not only that nothing was given); the
    request is then *answered*, so care no longer waits for it, and the client is re-planned.
    """
    if set(answers) != set(Purpose.values):
        raise ValueError("answer yes or no for each kind of message")
    now = clock.now()
    for purpose, granted in answers.items():
        setattr(client, f"consent_{purpose}", granted)
    client.consent_request = ConsentRequest.ANSWERED
    client.updated_at = now
    client.save(
        update_fields=[
            *(f"consent_{purpose}" for purpose in Purpose.values),
            "consent_request",
            "updated_at",
        ]
    )
    ConsentEvent.objects.bulk_create(
        ConsentEvent(
            client=client, purpose=purpose, granted=granted, how=CONSENT_REQUEST_HOW, at=now
        )
        for purpose, granted in answers.items()
    )
    said = ", ".join(
        f"{purpose} {'yes' if granted else 'no'}" for purpose, granted in answers.items()
    )
    record_audit(
        Actor(user=None, practice=client.practice, via="portal"),
        "change",
        client,
        summary=f"Answered the consent request: {said}",
        changes={f"consent_{p}": [None, granted] for p, granted in answers.items()},
    )
    client_changed(client)
    return client
