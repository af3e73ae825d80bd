"""Access helpers: every object a user reaches goes through one of these.

A record of another practice is a 404, never a 403 that would confirm it exists.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from aftercare import locales, statements
from aftercare.practice.models import Membership, Practice, Role, User

ModelT = TypeVar("ModelT", bound=models.Model)


@dataclass(frozen=True)
class Actor:
    """Who is acting, in which practice, from where: the input to every audited service."""

    user: User | None
    practice: Practice
    membership: Membership | None = None
    ip_address: str | None = None
    user_agent: str = ""
    via: str = "web"

    @property
    def sees_private_notes(self) -> bool:
        return self.membership is None or self.membership.sees_private_notes

    @property
    def is_owner(self) -> bool:
        return self.membership is not None and self.membership.is_owner


def owner_actor(practice: Practice, *, via: str = "cli") -> Actor | None:
    """The practice's first owner as the actor of work nobody asked for in person (the demo)."""
    owner = (
        Membership.objects.filter(practice=practice, role=Role.OWNER)
        .select_related("user")
        .order_by("id")
        .first()
    )
    if owner is None:
        return None
    return Actor(user=owner.user, practice=practice, membership=owner, via=via)


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def actor_from_request(request: HttpRequest, *, via: str = "web") -> Actor:
    membership: Membership = request.membership  # type: ignore[attr-defined]
    return Actor(
        user=membership.user,
        practice=membership.practice,
        membership=membership,
        ip_address=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
        via=via,
    )


def practice_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Require a signed-in user with a membership; sets ``request.actor``."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        request.membership = current_membership(request)  # type: ignore[attr-defined]
        if request.membership is None:  # type: ignore[attr-defined]
            return redirect("practice-none")
        if (
            request.membership.practice.require_two_factor  # type: ignore[attr-defined]
            and not request.user.is_verified()  # type: ignore[union-attr]
        ):
            # The practice requires a second factor: nothing of it until this session has one.
            return redirect("account-two-factor")
        request.actor = actor_from_request(request)  # type: ignore[attr-defined]
        # Forms read typed times and templates show aware datetimes in the active zone:
        # the practice's, so "10:00" means 10:00 at the practice whatever the server's zone.
        # Dates and numbers on its pages are written as the practice's country writes them.
        practice = request.membership.practice  # type: ignore[attr-defined]
        with (
            timezone.override(practice.tz),
            locales.using(locales.locale_for(practice.language, practice.country)),
        ):
            return view(request, *args, **kwargs)

    return wrapper


def owner_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @functools.wraps(view)
    @practice_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.actor.is_owner:  # type: ignore[attr-defined]
            raise Http404("Only the practice owner can do this.")
        return view(request, *args, **kwargs)

    return wrapper


def scoped(model: type[ModelT], actor: Actor) -> models.QuerySet[ModelT]:
    """All rows of ``model`` that belong to the actor's practice."""
    return model._default_manager.filter(practice=actor.practice)


def get_scoped_or_404(queryset: models.QuerySet[ModelT], actor: Actor, **lookup: Any) -> ModelT:
    """One row of the actor's practice, else 404 (whether it exists elsewhere or not)."""
    try:
        found = queryset.filter(practice=actor.practice).get(**lookup)
    # OverflowError: an id past the database's integer (SQLite raises it; it names no row).
    except (queryset.model.DoesNotExist, ValueError, TypeError, OverflowError) as error:
        raise Http404("Not found") from error
    # Its practice is the actor's, read already: a page that asks the row for it (a client's
    # time zone, ``Client.tz``) would otherwise read it again.
    relation = queryset.model._meta.get_field("practice")
    if not relation.is_cached(found):
        relation.set_cached_value(found, actor.practice)
    return found


MAX_ID = 2**63 - 1  # a larger "id" names no row (and would overflow the database's integer)


def ids_in(values: Iterable[Any]) -> list[int]:
    """The ids among ``values`` (text from a URL or a form, several to a value when separated
    by spaces, commas or semicolons), each once, silently without anything else — nor any
    number past the database's integers, which names no row and which SQLite refuses. For
    finding and showing, never for saving: a form field reports what is wrong."""
    found = []
    for value in values:
        for part in re.split(r"[\s,;]+", str(value)):
            if part.isdigit() and 0 < int(part) <= MAX_ID:
                found.append(int(part))
    return list(dict.fromkeys(found))


SESSION_KEY = "practice_id"


def current_membership(request: HttpRequest) -> Membership | None:
    """The membership for the practice chosen in the session, else the user's first one.

    One query reads all the user's memberships, kept on the request (``request.memberships``)
    for the practice switcher every page shows, which would otherwise read them again.
    """
    if not request.user.is_authenticated:
        return None
    user = getattr(request.user, "_wrapped", request.user)  # the user the middleware read
    memberships = statements.instances(
        Membership,
        _MEMBERSHIP_FIELDS,
        statements.rows(
            "practice: memberships of",
            lambda user: memberships_of(user).values_list(*_MEMBERSHIP_FIELDS),
            user=user.pk,
        ),
    )
    for membership in memberships:
        membership.user = user
    request.memberships = memberships  # type: ignore[attr-defined]
    chosen = request.session.get(SESSION_KEY)
    for membership in memberships:
        if membership.practice_id == chosen:
            return membership
    return memberships[0] if memberships else None


# A membership with its practice, as every page reads it: built once (``statements``), with
# the user the session already read rather than read again.
_MEMBERSHIP_FIELDS = (
    "id",
    "user_id",
    "practice_id",
    "role",
    "created_at",
    *(
        f"practice__{field.attname}"
        for field in Practice._meta.concrete_fields
        if not field.primary_key
    ),
)


def memberships_of(user: User | int) -> models.QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user)
        .select_related("practice")
        .order_by("practice__name", "id")
    )
