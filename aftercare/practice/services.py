"""Writes for practices, members and API tokens."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.models import model_to_dict

from aftercare import clock, statements
from aftercare.practice.access import Actor
from aftercare.practice.audit import diff_fields, record_audit
from aftercare.practice.forms import PRACTICE_FIELDS
from aftercare.practice.members import practitioners_of
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


# A token with its user and practice, as ``select_related`` reads them.
_TOKEN_FIELDS = (
    *(field.attname for field in ApiToken._meta.concrete_fields),
    *(f"user__{field.attname}" for field in User._meta.concrete_fields if not field.primary_key),
    *(
        f"practice__{field.attname}"
        for field in Practice._meta.concrete_fields
        if not field.primary_key
    ),
)


def token_authenticate(raw: str) -> ApiToken | None:
    """The live token with this value, or None."""
    if not raw.startswith(ApiToken.PREFIX):
        return None
    # Every API request reads these two: through statements, built once per process.
    found = statements.instances(
        ApiToken,
        _TOKEN_FIELDS,
        statements.rows(
            "practice: the live token",
            lambda digest: (
                ApiToken.objects.filter(
                    digest=digest, revoked_at__isnull=True, user__is_active=True
                )
                .order_by("pk")
                .values_list(*_TOKEN_FIELDS)[:1]
            ),
            digest=ApiToken.digest_of(raw),
        ),
    )
    if not found:
        return None
    token = found[0]
    fields = ("id", "user_id", "practice_id", "role", "created_at")
    memberships = statements.instances(
        Membership,
        fields,
        statements.rows(
            "practice: the token's membership",
            lambda user, practice: (
                Membership.objects.filter(user_id=user, practice_id=practice)
                .order_by("pk")
                .values_list(*fields)[:1]
            ),
            user=token.user_id,
            practice=token.practice_id,
        ),
    )
    if not memberships:
        return None
    membership = memberships[0]
    membership.user, membership.practice = token.user, token.practice
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


# -- the team: invitations, roles, removal ------------------------------------------------------

MemberHook = Callable[..., object]
_member_removed_hooks: list[MemberHook] = []


def on_member_removed(hook: MemberHook) -> MemberHook:
    """Register ``hook(actor=…, user=…, successor=…)`` to run, in the removal's transaction,
    when a member leaves a practice: an app hands over what the member held (clients pass to
    ``successor``, which may be None for "nobody yet"). Registering twice is harmless."""
    if hook not in _member_removed_hooks:
        _member_removed_hooks.append(hook)
    return hook


class InviteTokens(PasswordResetTokenGenerator):
    """Single-use invitation links: the token hashes the password, so it dies once one is set.

    Its own salt, so a password-reset link is never an invitation link and the other way round.
    """

    key_salt = "aftercare.practice.invite"


invite_tokens = InviteTokens()
INVITABLE_ROLES = (Role.PRACTITIONER, Role.ASSISTANT, Role.OWNER)


def _check_role(role: str) -> str:
    if role not in Role.values:
        raise ValidationError({"role": "Choose owner, practitioner or assistant."})
    return role


@transaction.atomic
def member_invite(
    *, actor: Actor, email: str, full_name: str, role: str
) -> tuple[Membership, bool]:
    """Add a member to the actor's practice. Returns the membership and whether the person
    still has to set a password (a new account, invited by a single-use link) — someone with an
    account already simply gains the practice."""
    email = User.objects.normalize_email(email.strip()).lower()
    _check_role(role)
    if not email:
        raise ValidationError({"email": "Enter the email address to send the invitation to."})
    user = User.objects.filter(email__iexact=email).first()
    if user is not None and Membership.objects.filter(user=user, practice=actor.practice).exists():
        raise ValidationError({"email": f"{email} is already a member of this practice."})
    needs_password = user is None or not user.has_usable_password()
    if user is None:
        user = User.objects.create_user(email=email, password=None, full_name=full_name.strip())
    membership = Membership.objects.create(user=user, practice=actor.practice, role=role)
    record_audit(
        actor,
        "create",
        membership,
        summary=f"Invited {email} as {Role(role).label.lower()}",
    )
    return membership, needs_password


def _owners_left(practice: Practice, *, without: Membership) -> int:
    return (
        Membership.objects.filter(practice=practice, role=Role.OWNER).exclude(pk=without.pk).count()
    )


@transaction.atomic
def member_set_role(*, actor: Actor, membership: Membership, role: str) -> Membership:
    """Change a member's role; a practice always keeps at least one owner."""
    _check_role(role)
    if membership.practice_id != actor.practice.pk:
        raise ValidationError({"member": "Not a member of this practice."})
    if role == membership.role:
        return membership
    if membership.role == Role.OWNER and not _owners_left(actor.practice, without=membership):
        raise ValidationError({"role": "A practice needs an owner: make someone else owner first."})
    before = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    record_audit(
        actor,
        "change",
        membership,
        summary=f"{membership.user.email}: {Role(before).label} → {Role(role).label}",
        changes={"role": [before, role]},
    )
    return membership


@transaction.atomic
def member_remove(*, actor: Actor, membership: Membership, successor: User | None) -> None:
    """Remove a member: what they held passes to ``successor`` (a practitioner or owner of the
    practice, or nobody), their API tokens in the practice are revoked, their sign-in to this
    practice ends. A practice always keeps at least one owner."""
    if membership.practice_id != actor.practice.pk:
        raise ValidationError({"member": "Not a member of this practice."})
    if membership.role == Role.OWNER and not _owners_left(actor.practice, without=membership):
        raise ValidationError(
            {"member": "A practice needs an owner: make someone else owner first."}
        )
    successor_is_colleague = successor is None or (
        successor.pk != membership.user_id
        and practitioners_of(actor.practice).filter(pk=successor.pk).exists()
    )
    if not successor_is_colleague:
        raise ValidationError(
            {"successor": "Choose another practitioner of this practice, or nobody."}
        )
    user = membership.user
    for hook in list(_member_removed_hooks):
        hook(actor=actor, user=user, successor=successor)
    ApiToken.objects.filter(practice=actor.practice, user=user, revoked_at__isnull=True).update(
        revoked_at=clock.now()
    )
    record_audit(
        actor,
        "delete",
        membership,
        summary=f"Removed {user.email}"
        + (f"; their clients pass to {successor.display_name}" if successor else ""),
    )
    membership.delete()
