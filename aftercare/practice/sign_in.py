"""Sign-in: throttling, lockouts and their place in the audit trail.

Two limits stand in front of a password:

1. django-axes: five failures for one email *from one address* lock that pair for 15 minutes
   (``AXES_*`` in settings), so a typo does not lock a person out from everywhere.
2. ``SIGN_IN_FAILURES_PER_HOUR`` failures against one account *from anywhere* (a botnet
   spreads its guesses over many addresses) lock the account until the hour since the first
   of them has passed; the practice's owners get an email the moment it locks. Wrong
   second-factor codes count too. The count is read from the audit trail, which records every
   sign-in, failure and lockout (one row per practice the user belongs to).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.core.mail import send_mail
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from aftercare import clock
from aftercare.locales import plural
from aftercare.practice.access import client_ip
from aftercare.practice.audit import append_audit_events
from aftercare.practice.middleware import start_session
from aftercare.practice.models import AuditEvent, Membership, Practice, Role, User

log = logging.getLogger("aftercare.sign_in")
WINDOW = dt.timedelta(hours=1)


def find_user(email: str) -> User | None:
    return User.objects.filter(email__iexact=(email or "").strip()).first()


def failures_in_window(user: User) -> list[dt.datetime]:
    """The times of this account's sign-in failures in the last hour, oldest first."""
    since = clock.now() - WINDOW
    return list(
        _own_rows(user, AuditEvent.Action.SIGN_IN_FAILED)
        .filter(at__gte=since)
        .order_by("at")
        .values_list("at", flat=True)
    )


def locked_until(user: User) -> dt.datetime | None:
    """When the per-account lock ends, or None while the account may try."""
    failures = failures_in_window(user)
    limit = settings.SIGN_IN_FAILURES_PER_HOUR
    if len(failures) < limit:
        return None
    return failures[-limit] + WINDOW


def _own_rows(user: User, action: str) -> Any:
    """Rows about ``user`` in one chain only (the first practice's), so each counts once."""
    return AuditEvent.objects.filter(
        practice_id=_chain_of(user),
        action=action,
        object_type=User._meta.label_lower,
        object_id=str(user.pk),
    )


def _chain_of(user: User) -> int | None:
    return (
        Membership.objects.filter(user=user)
        .order_by("practice_id")
        .values_list("practice_id", flat=True)
        .first()
    )


def record_sign_in_event(
    request: HttpRequest | None, user: User | None, action: str, summary: str
) -> None:
    """One audit row in every practice of ``user`` (or in the chain of no practice)."""
    practice_ids: list[int | None] = (
        list(Membership.objects.filter(user=user).values_list("practice_id", flat=True))
        if user is not None
        else []
    ) or [None]
    ip = client_ip(request) if request is not None else None
    agent = request.META.get("HTTP_USER_AGENT", "")[:300] if request is not None else ""
    with transaction.atomic():
        for practice_id in practice_ids:
            append_audit_events(
                [
                    AuditEvent(
                        practice_id=practice_id,
                        user=user,
                        action=action,
                        object_type=User._meta.label_lower,
                        object_id=str(user.pk) if user else "",
                        summary=summary[:300],
                        ip_address=ip,
                        user_agent=agent,
                        via="web",
                    )
                ]
            )


def record_failure(request: HttpRequest | None, user: User | None, what: str) -> None:
    """Record a failed password or code; lock the account (and tell the owners) at the limit."""
    if user is None:
        # The typed email is not kept: it is as likely a password typed in the wrong box.
        record_sign_in_event(
            request, None, AuditEvent.Action.SIGN_IN_FAILED, f"{what}: unknown email"
        )
        return
    record_sign_in_event(
        request, user, AuditEvent.Action.SIGN_IN_FAILED, f"{what} for {user.email}"
    )
    failures = failures_in_window(user)
    if len(failures) == settings.SIGN_IN_FAILURES_PER_HOUR:
        until = failures[0] + WINDOW
        record_sign_in_event(
            request,
            user,
            AuditEvent.Action.LOCKED_OUT,
            f"Account {user.email} locked until {until:%H:%M} UTC after "
            f"{len(failures)} failed sign-ins in an hour",
        )
        transaction.on_commit(lambda: notify_owners(user, len(failures), until))


def notify_owners(user: User, failures: int, until: dt.datetime) -> None:
    """Email each owner of the user's practices that the account was locked."""
    practices = Practice.objects.filter(memberships__user=user)
    owners = (
        User.objects.filter(
            memberships__practice__in=practices, memberships__role=Role.OWNER, is_active=True
        )
        .values_list("email", flat=True)
        .distinct()
    )
    if not owners:
        return
    try:
        send_mail(
            subject=f"Aftercare: sign-ins to {user.email} locked",
            message=(
                f"Someone tried to sign in to {user.display_name}'s account ({user.email}) and "
                f"failed {failures} times within an hour, from one or more addresses.\n\n"
                f"Aftercare has locked the account until {until:%Y-%m-%d %H:%M} UTC. If it was not "
                f"{user.display_name}, nothing more is needed; the attempts are in the audit trail "
                f"(Settings → Audit trail). If it was, they can reset their password."
            ),
            from_email=None,
            recipient_list=list(owners),
        )
    except OSError as error:  # the lock stands and is audited; the mail server is down
        log.warning("could not tell the owners that %s was locked: %s", user.email, error)


def locked_out_response(request: HttpRequest, credentials: Any = None, *args: Any) -> HttpResponse:
    """The sign-in page with a clear message (django-axes calls this on a lockout)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request,
        "practice/sign_in.html",
        {
            "locked_message": (
                f"Too many failed sign-ins from this address for this account. Please wait "
                f"{plural(minutes, 'minute', 'minutes')}, or reset your password."
            )
        },
        status=429,
    )


def account_locked_response(request: HttpRequest, until: dt.datetime) -> HttpResponse:
    return render(
        request,
        "practice/sign_in.html",
        {
            "locked_message": (
                f"This account is locked until {until:%H:%M} UTC after too many failed sign-ins. "
                "The practice owner has been told. You can reset your password meanwhile."
            )
        },
        status=429,
    )


# -- the audit trail listens to Django's and django-axes' sign-in signals -------------------


@receiver(user_logged_in)
def _signed_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        start_session(request)
    record_sign_in_event(request, user, AuditEvent.Action.SIGN_IN, f"{user.email} signed in")


@receiver(user_logged_out)
def _signed_out(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if user is not None:
        record_sign_in_event(request, user, AuditEvent.Action.SIGN_OUT, f"{user.email} signed out")


@receiver(user_login_failed)
def _refused(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    if request is not None and getattr(request, "axes_locked_out", False):
        return  # axes refused before the password was checked: user_locked_out records it
    record_failure(request, find_user(credentials.get("username", "")), "Wrong password")


@receiver(user_locked_out)
def _axes_locked_out(
    sender: Any, request: HttpRequest, username: str | None, ip_address: str | None, **kwargs: Any
) -> None:
    user = find_user(username or "")
    record_sign_in_event(
        request,
        user,
        AuditEvent.Action.LOCKED_OUT,
        f"Sign-ins {'to ' + user.email if user else 'to an unknown email'} from {ip_address} "
        "locked for a while after repeated failures",
    )
