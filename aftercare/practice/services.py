"""Writes for practices, members and API tokens."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from django.db import transaction
from django.forms.models import model_to_dict

from aftercare import clock
from aftercare.practice.access import Actor
from aftercare.practice.audit import diff_fields, record_audit
from aftercare.practice.forms import PRACTICE_FIELDS
from aftercare.practice.models import ApiToken, Membership, Practice, Role, User

PracticeHook = Callable[..., object]
_practice_created_hooks: list[PracticeHook] = []


def on_practice_created(hook: PracticeHook) -> PracticeHook:
    """Register ``hook(practice=…)`` to run when a practice is created (the care engine gives it
    its care policy and default rules); registering twice is harmless."""
    if hook not in _practice_created_hooks:
        _practice_created_hooks.append(hook)
    return hook


def generate_password() -> str:
    """A password that is easy to type once and hard to guess (about 100 bits)."""
    return "-".join(secrets.token_urlsafe(6) for _ in range(3))


@transaction.atomic
def practice_create(
    *,
    name: str,
    owner_email: str,
    time_zone: str = "UTC",
    country: str = "GB",
    owner_name: str = "",
    password: str | None = None,
) -> tuple[Practice, User, str | None]:
    """Create a practice and its owner. Returns the new password when a user was created.

    An existing user with that email becomes owner of the new practice and keeps their password.
    """
    practice = Practice(name=name, time_zone=time_zone, country=country.upper())
    practice.full_clean()
    practice.save()
    email = owner_email.strip().lower()
    user = User.objects.filter(email=email).first()
    new_password = None
    if user is None:
        new_password = password or generate_password()
        user = User.objects.create_user(email=email, password=new_password, full_name=owner_name)
    Membership.objects.create(user=user, practice=practice, role=Role.OWNER)
    for hook in list(_practice_created_hooks):
        hook(practice=practice)
    actor = Actor(user=user, practice=practice, via="cli")
    record_audit(actor, "create", practice, summary=f"Created practice {practice.name}")
    return practice, user, new_password


@transaction.atomic
def token_create(*, actor: Actor, user: User, name: str = "") -> tuple[ApiToken, str]:
    """Create an API token for ``user`` in the actor's practice; the raw token is returned once."""
    raw = ApiToken.generate()
    token = ApiToken.objects.create(
        user=user,
        practice=actor.practice,
        name=name,
        prefix=raw[:10],
        digest=ApiToken.digest_of(raw),
    )
    record_audit(
        actor, "create", token, summary=f"Created API token {token.prefix}… for {user.email}"
    )
    return token, raw


@transaction.atomic
def token_revoke(*, actor: Actor, token: ApiToken) -> None:
    token.revoked_at = clock.now()
    token.save(update_fields=["revoked_at"])
    record_audit(actor, "change", token, summary=f"Revoked API token {token.prefix}…")


def token_authenticate(raw: str) -> ApiToken | None:
    """The live token with this value, or None."""
    if not raw.startswith(ApiToken.PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user", "practice")
        .filter(digest=ApiToken.digest_of(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    membership = Membership.objects.filter(user=token.user, practice=token.practice).first()
    if membership is None:
        return None
    now = clock.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        # At most one write a minute per token, so busy integrations don't write on every call.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.membership = membership  # type: ignore[attr-defined]
    return token


@transaction.atomic
def practice_update(*, actor: Actor, practice: Practice, data: dict[str, object]) -> Practice:
    """Apply cleaned settings to the actor's practice and audit what changed."""
    before = model_to_dict(practice, fields=PRACTICE_FIELDS)
    for name in PRACTICE_FIELDS:
        if name in data:
            setattr(practice, name, data[name])
    practice.full_clean()
    practice.save()
    changes = diff_fields(before, model_to_dict(practice, fields=PRACTICE_FIELDS))
    if changes:
        record_audit(
            actor,
            "change",
            practice,
            summary=f"Changed {', '.join(sorted(changes))}",
            changes=changes,
        )
    return practice
